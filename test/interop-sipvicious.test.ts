/*
 * The real SIPVicious (svmap, svwar, svcrack) against the Node door
 * (NodeIntercom) on 127.0.0.1: with their own User-Agent they find nothing
 * and get no datagram (the scanners counter is what they sent); without
 * one (-c), untrusted=drop keeps the door silent and the default (reject)
 * answers OPTIONS; afterwards the door still takes a call through
 * kamailio. The scenarios are written once in
 * test/support/interop-sipvicious-scenarios.ts;
 * test/interop-xs-peers.test.ts runs them with the door's core inside XS.
 */
import { usePeers } from "./support/peers";
import { NODE_DOOR } from "./support/interop-scenarios";
import { sipviciousScenarios } from "./support/interop-sipvicious-scenarios";

usePeers();
sipviciousScenarios(NODE_DOOR);
