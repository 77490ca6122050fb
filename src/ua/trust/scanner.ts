/*
 * SIP scanners: tools that sweep address ranges for SIP devices and then
 * guess extensions and passwords. They announce themselves in User-Agent
 * (RFC 3261 §20.41) by default, and a door station has no reason to
 * answer them at all: an answer confirms that a SIP device lives here.
 * Requests from them are dropped silently, whatever the method.
 *
 * The list holds the default User-Agent values of the common tools, as
 * fail2ban, Kamailio and firewall rule sets match them:
 *   friendly-scanner   SIPVicious svmap/svwar/svcrack (old default)
 *   sipvicious         SIPVicious 0.3.x
 *   sipcli             SIPCLI
 *   VaxSIPUserAgent    the VaxSIP SDK, used by many brute-force bots
 *   pplsip             SIPPTS (Pepelux)
 *   sundayddr          "Sundayddr Scanning Tool"
 *   iWar               the iWar war dialer
 *   sip-scan           sip-scan
 *   Nmap NSE           nmap's SIP scripts
 * Left out on purpose: sipsak and SIPp, which administrators use to test
 * their own devices (OPTIONS pings, load tests).
 *
 * The match is a case-insensitive substring of any User-Agent value,
 * against byte constants: nothing is allocated.
 */
import { ascii } from "../../sip/message/bytes";
import { H } from "../../sip/message/header";
import type { SipMessage } from "../../sip/message/message";

/** Lower-case byte patterns (compared case-insensitively). */
const SCANNERS: readonly Uint8Array[] = [
  ascii("friendly-scanner"),
  ascii("sipvicious"),
  ascii("sipcli"),
  ascii("vaxsipuseragent"),
  ascii("pplsip"),
  ascii("sundayddr"),
  ascii("iwar"),
  ascii("sip-scan"),
  ascii("nmap nse"),
];

/** Index into SCANNERS of the pattern found in User-Agent, or -1. */
export function scannerIndex(msg: SipMessage): number {
  const buf = msg.buf;
  for (let h = msg.first[H.UserAgent]!; h >= 0; h = msg.hNext[h]!) {
    const start = msg.hValueStart[h]!;
    const end = msg.hValueEnd[h]!;
    for (let k = 0; k < SCANNERS.length; k++) if (containsLower(buf, start, end, SCANNERS[k]!)) return k;
  }
  return -1;
}

/** The name of a pattern, for the log. */
export function scannerName(index: number): string {
  switch (index) {
    case 0: return "friendly-scanner";
    case 1: return "sipvicious";
    case 2: return "sipcli";
    case 3: return "VaxSIPUserAgent";
    case 4: return "pplsip";
    case 5: return "sundayddr";
    case 6: return "iWar";
    case 7: return "sip-scan";
    case 8: return "Nmap NSE";
    default: return "?";
  }
}

/** Does buf[start, end) contain `lower` (ASCII letters folded to lower case)? */
function containsLower(buf: Uint8Array, start: number, end: number, lower: Uint8Array): boolean {
  const n = lower.length;
  const first = lower[0]!;
  for (let i = start; i + n <= end; i++) {
    if (fold(buf[i]!) !== first) continue;
    let j = 1;
    while (j < n && fold(buf[i + j]!) === lower[j]) j++;
    if (j === n) return true;
  }
  return false;
}

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}
