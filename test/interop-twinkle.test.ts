/*
 * Twinkle (twinkle-console) with the Node door (NodeIntercom) through
 * kamailio: RFC 3262 reliable provisional responses both ways, RFC 3515
 * blind transfer of the door to a second Twinkle, and a transfer that
 * fails. The scenarios are written once in
 * test/support/interop-twinkle-scenarios.ts; test/interop-xs-peers.test.ts
 * runs them with the door's core inside XS.
 */
import { usePeers } from "./support/peers";
import { NODE_DOOR } from "./support/interop-scenarios";
import { twinkleScenarios } from "./support/interop-twinkle-scenarios";

usePeers();
twinkleScenarios(NODE_DOOR);
