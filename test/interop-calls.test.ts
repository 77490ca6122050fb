/*
 * Calls with the real intercom (NodeIntercom: src/app/intercom.ts on the
 * Node host, real UDP on 127.0.0.1, real time), the scenarios of
 * test/support/interop-scenarios.ts run against the Node door (the XS door
 * runs the same ones in test/interop-xs.test.ts):
 * - SIPp straight at the door (no registration, no keepalive): a call with
 *   BYE (the answer's SDP is G.711), a CANCEL while it rings (487), OPTIONS
 *   and an unknown method (200 / 501 with Allow), junk datagrams followed
 *   by an OPTIONS that is still answered, a re-INVITE, the door code as
 *   INFO (the relay goes on), and 200 calls in a row at a bounded rate,
 *   after which no call, transaction or dialog is left; without the
 *   allowlist, a call gets 403;
 * - through kamailio: the door registers, a SIPp caller (a local user, so
 *   kamailio asks it for proxy credentials) calls it; and the doorbell
 *   calls a SIPp UAS registered at kamailio, answering kamailio's 407.
 * Everything the door sent and received is in its SipTrace (printed with
 * the peers' logs and SIPp's message files when a test fails).
 */
import { usePeers } from "./support/peers";
import { directCallScenarios, kamailioCallScenarios, NODE_DOOR } from "./support/interop-scenarios";

usePeers();
directCallScenarios(NODE_DOOR);
kamailioCallScenarios(NODE_DOOR);
