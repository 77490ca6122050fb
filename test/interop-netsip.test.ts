/*
 * Net::SIP (libnet-sip-perl) as the door's registrar and proxy and as the
 * phones, against the Node door (NodeIntercom) on 127.0.0.1: digest
 * registration and refreshes, keepalives challenged 401, a doorbell call
 * and a call to the door with the RFC 2833 code, and a phone that echoes
 * the door's RTP back. The scenarios, written once for both doors, are in
 * test/support/interop-netsip-scenarios.ts; the XS door runs them in
 * test/interop-xs-peers.test.ts.
 */
import { usePeers } from "./support/peers";
import { NODE_DOOR } from "./support/interop-scenarios";
import { netsipScenarios } from "./support/interop-netsip-scenarios";

usePeers();
netsipScenarios(NODE_DOOR);
