/*
 * The Linphone, Twinkle, SIPVicious, sipsak, Net::SIP and Sofia-SIP scenarios with the door's core inside
 * the real XS engine: XsIntercom (hosts/xs: the unmodified core's Intercom in
 * a doorsip-xs worker, UDP, RTP and timers bridged from Node) on 127.0.0.1,
 * XS_DOOR. The scenarios are those the Node door runs
 * (test/interop-linphone.test.ts, test/interop-twinkle.test.ts,
 * test/interop-sipvicious.test.ts), written once in
 * test/support/interop-<peer>-scenarios.ts:
 * - Linphone: its DTMF door code (RFC 4733, SIP INFO, both) opens the door,
 *   which confirms with an RFC 4733 "#"; audio both ways, hold and resume;
 *   its GRUU as the remote target;
 * - Twinkle: RFC 3262 reliable 180s and PRACK both ways, RFC 3515 blind
 *   transfer and one that fails;
 * - SIPVicious: scanners dropped and counted, untrusted=drop silent, the
 *   default's 200 to OPTIONS and 403 to INVITE;
 * - sipsak: OPTIONS monitoring (Nagios exit codes) and traceroute,
 *   untrusted=drop and the allowlist, its random mode;
 * - Net::SIP: its registrar's digest, refreshes and keepalives challenged
 *   401, calls both ways through its proxy with the RFC 2833 code, and a
 *   phone that echoes the door's RTP (its '#' confirmation) back;
 * - Sofia-SIP: sip-options decodes the door's 200 and its 420.
 * Figures only the core holds (RTP packets and digits, trust counters) come
 * from the XS side's status; each scenario ends with expectCleanXs (no
 * exception inside XS, none caught by the core, no worker stderr, no error
 * line).
 */
import { beforeAll } from "vitest";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { requirePeers, usePeers } from "./support/peers";
import { linphoneScenarios } from "./support/interop-linphone-scenarios";
import { twinkleScenarios } from "./support/interop-twinkle-scenarios";
import { sipviciousScenarios } from "./support/interop-sipvicious-scenarios";
import { sipsakScenarios } from "./support/interop-sipsak-scenarios";
import { netsipScenarios } from "./support/interop-netsip-scenarios";
import { sofiaScenarios } from "./support/interop-sofia-scenarios";
import { XS_DOOR } from "./support/interop-xs-door";

usePeers();
const anyPeer = [
  requirePeers("linphone-daemon", "kamailio", "kamcmd"),
  requirePeers("twinkle-console", "kamailio", "kamcmd", "cc"),
  requirePeers("svmap", "svwar", "svcrack", "kamailio", "kamcmd", "sipp"),
  requirePeers("sipsak"),
  requirePeers("Net::SIP", "perl"),
  requirePeers("sip-options"),
].some((c) => !c.skip);

beforeAll(async () => {
  // Built once (about 20 s the first time, then reused), so that the tests time only themselves.
  if (anyPeer) await ensureWorker();
}, 180_000);

linphoneScenarios(XS_DOOR);
twinkleScenarios(XS_DOOR);
sipviciousScenarios(XS_DOOR);
sipsakScenarios(XS_DOOR);
netsipScenarios(XS_DOOR);
sofiaScenarios(XS_DOOR);
