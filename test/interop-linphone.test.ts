/*
 * Linphone (linphone-daemon) as the softphone that answers the door, with
 * the Node door (NodeIntercom) registered at the same kamailio: the doorbell
 * calls Linphone, whose DTMF door code (RFC 4733, SIP INFO, both at once)
 * opens the door; Linphone calls the door, audio both ways, hold and
 * resume. The scenarios are written once in
 * test/support/interop-linphone-scenarios.ts; test/interop-xs-peers.test.ts
 * runs them with the door's core inside XS.
 */
import { usePeers } from "./support/peers";
import { NODE_DOOR } from "./support/interop-scenarios";
import { linphoneScenarios } from "./support/interop-linphone-scenarios";

usePeers();
linphoneScenarios(NODE_DOOR);
