/*
 * Sofia-SIP's sip-options (sofia-sip-bin; the stack inside FreeSWITCH) at
 * the Node door (NodeIntercom) on 127.0.0.1: the door's answers as that
 * stack decodes them. The scenarios, written once for both doors, are in
 * test/support/interop-sofia-scenarios.ts; the XS door runs them in
 * test/interop-xs-peers.test.ts.
 */
import { usePeers } from "./support/peers";
import { NODE_DOOR } from "./support/interop-scenarios";
import { sofiaScenarios } from "./support/interop-sofia-scenarios";

usePeers();
sofiaScenarios(NODE_DOOR);
