/*
 * The real sipsak at the Node door (NodeIntercom) on 127.0.0.1: OPTIONS
 * monitoring (Nagios exit codes), traceroute, untrusted=drop and the
 * allowlist, and its random mode. The scenarios, written once for both
 * doors, are in test/support/interop-sipsak-scenarios.ts; the XS door runs
 * them in test/interop-xs-peers.test.ts.
 */
import { usePeers } from "./support/peers";
import { NODE_DOOR } from "./support/interop-scenarios";
import { sipsakScenarios } from "./support/interop-sipsak-scenarios";

usePeers();
sipsakScenarios(NODE_DOOR);
