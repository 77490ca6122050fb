/*
 * Call settings of the user agent, resolved once from the account and the
 * call options: what the INVITEs and responses carry, and the timing rules
 * of an intercom (auto-answer delay, ring timeout, call time limit).
 */
import { packedText } from "../packed-text";
import {
  type AccountConfig, DEFAULT_SIP_PORT, DEFAULT_USER_AGENT, hostForUri, nextHopHost, nextHopPort, portOr,
} from "../account";

export interface CallOptions {
  /** From display name of our calls; default none. */
  displayName?: string;
  /** Delay before an incoming call is answered, ms (default 0: at once, after 180 Ringing). */
  autoAnswerMs?: number;
  /** Answer incoming calls automatically (default true); otherwise they ring until answer() or the caller gives up. */
  autoAnswer?: boolean;
  /** Outgoing ring timeout, ms: then CANCEL (default 30000). */
  ringTimeoutMs?: number;
  /** Longest call, ms: then BYE (default 120000; 0 = no limit). */
  callLimitMs?: number;
  /** Accept REFER (transfer) in a call (default true); when off, REFER gets 603. */
  allowRefer?: boolean;
  /** First local RTP port; call slot i uses rtpPort + 2*i (default 40000, even, RFC 3550 §11). */
  rtpPort?: number;
  /** Call slots: parallel hunting calls need one each (default 4). */
  maxCalls?: number;
  /** Bytes per stored message (the INVITE received, responses kept for retransmission); default 1500. */
  messageBuffer?: number;
}

export const DEFAULT_RING_TIMEOUT_MS = 30000;
export const DEFAULT_CALL_LIMIT_MS = 120000;
export const DEFAULT_RTP_PORT = 40000;
export const DEFAULT_MAX_CALLS = 4;
export const DEFAULT_CALL_BUFFER = 1500;

function nonNegative(v: number | undefined, fallback: number): number {
  return v !== undefined && v >= 0 && v < Infinity ? Math.floor(v) : fallback;
}

export class CallConfig {
  readonly user: string;
  readonly domain: string;
  /** "sip:user@domain": our address-of-record, the From of our calls. */
  readonly aor: string;
  /** The same as bytes (a call's From is written from them, not from the string). */
  readonly aorBytes: Uint8Array;
  readonly displayName: string;
  readonly authUser: string;
  readonly password: string;
  /** Where out-of-dialog requests go (§8.1.2): the outbound proxy, else the registrar. */
  readonly proxyHost: string;
  readonly proxyPort: number;
  /** An outbound proxy is configured: out-of-dialog requests carry a Route to it. */
  readonly outboundProxy: boolean;
  /** "Route: <sip:proxy:port;lr>\r\n" or empty. */
  readonly routeHeader: Uint8Array;
  /** "User-Agent: doorsip\r\n" */
  readonly userAgentHeader: Uint8Array;
  /** "Server: doorsip\r\n" (§20.35: responses name the software in Server). */
  readonly serverHeader: Uint8Array;
  /** "user@" for the Contact URI. */
  readonly userAt: Uint8Array;
  readonly autoAnswer: boolean;
  readonly autoAnswerMs: number;
  readonly ringTimeoutMs: number;
  readonly callLimitMs: number;
  readonly allowRefer: boolean;
  readonly rtpPort: number;
  readonly maxCalls: number;
  readonly messageBuffer: number;

  constructor(account: AccountConfig, options: CallOptions = {}) {
    this.user = account.user;
    this.domain = account.domain !== undefined && account.domain !== "" ? account.domain : hostForUri(account.registrarHost);
    this.aor = "sip:" + account.user + "@" + this.domain;
    this.displayName = options.displayName ?? "";
    this.authUser = account.authUser !== undefined && account.authUser !== "" ? account.authUser : account.user;
    this.password = account.password;
    this.proxyHost = nextHopHost(account);
    this.proxyPort = nextHopPort(account);
    this.outboundProxy = account.outboundProxyHost !== undefined && account.outboundProxyHost !== "";
    const ua = account.userAgent ?? DEFAULT_USER_AGENT;
    // One buffer for all of them (packed-text.ts); no Route without an outbound proxy (an empty view).
    const bytes = packedText([
      this.aor,
      this.outboundProxy ? "Route: <sip:" + hostForUri(account.outboundProxyHost!) + ":" + portOr(account.outboundProxyPort, DEFAULT_SIP_PORT) + ";lr>\r\n" : "",
      "User-Agent: " + ua + "\r\n",
      "Server: " + ua + "\r\n",
      account.user + "@",
    ]);
    this.aorBytes = bytes[0]!;
    this.routeHeader = bytes[1]!;
    this.userAgentHeader = bytes[2]!;
    this.serverHeader = bytes[3]!;
    this.userAt = bytes[4]!;
    this.autoAnswer = options.autoAnswer !== false;
    this.autoAnswerMs = nonNegative(options.autoAnswerMs, 0);
    this.ringTimeoutMs = nonNegative(options.ringTimeoutMs, DEFAULT_RING_TIMEOUT_MS);
    this.callLimitMs = nonNegative(options.callLimitMs, DEFAULT_CALL_LIMIT_MS);
    this.allowRefer = options.allowRefer !== false;
    const rtp = nonNegative(options.rtpPort, DEFAULT_RTP_PORT);
    this.rtpPort = rtp > 0 && rtp < 65000 ? rtp - (rtp % 2) : DEFAULT_RTP_PORT;
    this.maxCalls = Math.max(1, nonNegative(options.maxCalls, DEFAULT_MAX_CALLS));
    this.messageBuffer = Math.max(600, nonNegative(options.messageBuffer, DEFAULT_CALL_BUFFER));
  }
}
