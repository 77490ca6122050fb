/*
 * Call settings of the user agent, resolved once from the account and the
 * call options: what the INVITEs and responses carry, and the timing rules
 * of an intercom (auto-answer delay, ring timeout, call time limit).
 *
 * Its numbers and its fixed lines (the AOR, the Route to an outbound proxy,
 * User-Agent, Server, "user@") are in one buffer, behind accessors and
 * write methods: in XS each property of an object is a heap slot and each
 * typed array at least 4 (issue #9: the settings were 46 slots, a property
 * per number and a view per line).
 */
import type { StoreField } from "../../sip/dialog/dialog-store";
import { spanToString } from "../../sip/message/bytes";
import type { SipWriter } from "../../sip/message/writer";
import { packNumbers, replacePacked } from "../../util/packed-numbers";
import { writePacked } from "../packed-text";
import {
  type AccountConfig, DEFAULT_SIP_PORT, DEFAULT_USER_AGENT, hasOutboundProxy, hostForUri, nextHopHost, nextHopPort, portOr, proxyRouteLine,
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

/** The fixed lines, end to end in CallConfig's bytes. */
const enum Line {
  /** "sip:user@domain": our address-of-record, the From of our calls. */
  Aor,
  /** "Route: <sip:proxy:port;lr>\r\n", or empty without an outbound proxy. */
  Route,
  /** "User-Agent: doorsip\r\n" */
  UserAgent,
  /** "Server: doorsip\r\n" (§20.35: responses name the software in Server). */
  Server,
  /** "user@" for the Contact URI. */
  UserAt,
  Count,
}

/** Where each number is in CallConfig's table; the lines' starts follow (LINES, packNumbers). */
const enum Num {
  ProxyPort, OutboundProxy, AutoAnswer, AutoAnswerMs, RingTimeoutMs, CallLimitMs, AllowRefer, RtpPort, MaxCalls, MessageBuffer,
  Count,
}
const LINES = Num.Count;

export class CallConfig {
  readonly domain: string;
  readonly displayName: string;
  readonly authUser: string;
  readonly password: string;
  /** Where out-of-dialog requests go (§8.1.2): the outbound proxy, else the registrar (its port is proxyPort); moved with the server (UserAgent.moveServer). */
  proxyHost: string;
  /** The bytes of n's buffer: the lines (see Line) end to end after the numbers. */
  private bytes: Uint8Array;
  /** The numbers (see Num), then where each line starts and the last one ends (packNumbers); a new store when the Route changes. */
  private n: Float64Array;

  constructor(account: AccountConfig, options: CallOptions = {}) {
    this.domain = account.domain !== undefined && account.domain !== "" ? account.domain : hostForUri(account.registrarHost);
    this.displayName = options.displayName ?? "";
    this.authUser = account.authUser !== undefined && account.authUser !== "" ? account.authUser : account.user;
    this.password = account.password;
    this.proxyHost = nextHopHost(account);
    const outboundProxy = hasOutboundProxy(account);
    const ua = account.userAgent ?? DEFAULT_USER_AGENT;
    // In Line's order; no Route without an outbound proxy (an empty line).
    const lines = [
      "sip:" + account.user + "@" + this.domain,
      outboundProxy ? proxyRouteLine(account.outboundProxyHost!, portOr(account.outboundProxyPort, DEFAULT_SIP_PORT)) : "",
      "User-Agent: " + ua + "\r\n",
      "Server: " + ua + "\r\n",
      account.user + "@",
    ];
    const n = packNumbers(LINES + Line.Count + 1, LINES, lines);
    this.n = n;
    this.bytes = new Uint8Array(n.buffer);
    n[Num.ProxyPort] = nextHopPort(account);
    n[Num.OutboundProxy] = outboundProxy ? 1 : 0;
    n[Num.AutoAnswer] = options.autoAnswer !== false ? 1 : 0;
    n[Num.AutoAnswerMs] = nonNegative(options.autoAnswerMs, 0);
    n[Num.RingTimeoutMs] = nonNegative(options.ringTimeoutMs, DEFAULT_RING_TIMEOUT_MS);
    n[Num.CallLimitMs] = nonNegative(options.callLimitMs, DEFAULT_CALL_LIMIT_MS);
    n[Num.AllowRefer] = options.allowRefer !== false ? 1 : 0;
    const rtp = nonNegative(options.rtpPort, DEFAULT_RTP_PORT);
    n[Num.RtpPort] = rtp > 0 && rtp < 65000 ? rtp - (rtp % 2) : DEFAULT_RTP_PORT;
    n[Num.MaxCalls] = Math.max(1, nonNegative(options.maxCalls, DEFAULT_MAX_CALLS));
    n[Num.MessageBuffer] = Math.max(600, nonNegative(options.messageBuffer, DEFAULT_CALL_BUFFER));
  }

  get proxyPort(): number { return this.n[Num.ProxyPort]!; }
  /** Moved with the server to an SRV target's port (UserAgent.moveServer). */
  set proxyPort(port: number) { this.n[Num.ProxyPort] = port; }

  /**
   * The next hop moved to `host`:`port` (UserAgent.moveServer: the server's or the outbound proxy's name gave
   * another address, src/ua/server-name.ts). With an outbound proxy its Route names the new address (§8.1.2),
   * in a new store (a rare change).
   */
  moveNextHop(host: string, port: number): void {
    // The new store first: when it cannot be made (memory), nothing has changed.
    if (this.outboundProxy) {
      const m = replacePacked(this.n, LINES, Line.Count, Line.Route, proxyRouteLine(host, port));
      const b = new Uint8Array(m.buffer);
      this.n = m;
      this.bytes = b;
    }
    this.proxyHost = host;
    this.n[Num.ProxyPort] = port;
  }
  /** An outbound proxy is configured: out-of-dialog requests carry a Route to it. */
  get outboundProxy(): boolean { return this.n[Num.OutboundProxy] !== 0; }
  get autoAnswer(): boolean { return this.n[Num.AutoAnswer] !== 0; }
  get autoAnswerMs(): number { return this.n[Num.AutoAnswerMs]!; }
  get ringTimeoutMs(): number { return this.n[Num.RingTimeoutMs]!; }
  get callLimitMs(): number { return this.n[Num.CallLimitMs]!; }
  get allowRefer(): boolean { return this.n[Num.AllowRefer] !== 0; }
  get rtpPort(): number { return this.n[Num.RtpPort]!; }
  get maxCalls(): number { return this.n[Num.MaxCalls]!; }
  get messageBuffer(): number { return this.n[Num.MessageBuffer]!; }

  /** "sip:user@domain", made on demand (logs, tests): calls write the bytes (writeAor). */
  get aor(): string {
    return this.lineString(Line.Aor);
  }

  /** The account's user, made on demand. */
  get user(): string {
    const n = this.n;
    const start = n[LINES + Line.UserAt]!;
    return spanToString(this.bytes, start, n[LINES + Line.UserAt + 1]! - 1 - start);
  }

  /** Set `into` (a dialog's local URI) to the AOR's bytes. */
  setAor(into: StoreField): boolean {
    const n = this.n;
    const start = n[LINES + Line.Aor]!;
    return into.set(this.bytes, start, n[LINES + Line.Aor + 1]! - start);
  }

  /** "Route: <sip:proxy:port;lr>\r\n", nothing without an outbound proxy. */
  writeRoute(w: SipWriter): SipWriter {
    return this.writeLine(w, Line.Route);
  }

  /** "User-Agent: ...\r\n" (requests). */
  writeUserAgent(w: SipWriter): SipWriter {
    return this.writeLine(w, Line.UserAgent);
  }

  /** "Server: ...\r\n" (responses, §20.35). */
  writeServer(w: SipWriter): SipWriter {
    return this.writeLine(w, Line.Server);
  }

  /** "user@" (the Contact URI's user part). */
  writeUserAt(w: SipWriter): SipWriter {
    return this.writeLine(w, Line.UserAt);
  }

  private writeLine(w: SipWriter, line: Line): SipWriter {
    return writePacked(w, this.bytes, this.n, LINES + line);
  }

  private lineString(line: Line): string {
    const n = this.n;
    const start = n[LINES + line]!;
    return spanToString(this.bytes, start, n[LINES + line + 1]! - start);
  }
}
