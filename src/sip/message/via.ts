/*
 * One Via element (RFC 3261 §20.42, §25.1):
 *   sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 * SLASH allows LWS on both sides, so "SIP / 2.0 / UDP" is valid
 * (RFC 4475 §3.1.1.1). Parameters of interest are captured while validating:
 * branch, received, rport (RFC 3581), maddr, ttl.
 */
import { ascii, spanEqualsCI } from "./bytes";
import { C, Ch } from "./chars";
import { parseUint, skipClass, skipLws, trimEnd } from "./lex";
import { Params } from "./params";
import { HostKind, hostKindOf, scanHost } from "./uri";

export const enum Transport {
  Other = 0,
  UDP = 1,
  TCP = 2,
  TLS = 3,
  SCTP = 4,
  WS = 5,
  WSS = 6,
}

const K_SIP = ascii("sip");
const K_20 = ascii("2.0");
const K_BRANCH = ascii("branch");
const K_RECEIVED = ascii("received");
const K_RPORT = ascii("rport");
const K_MADDR = ascii("maddr");
const K_TTL = ascii("ttl");
const TRANSPORTS: readonly Uint8Array[] = Object.freeze([
  new Uint8Array(0),
  ascii("udp"),
  ascii("tcp"),
  ascii("tls"),
  ascii("sctp"),
  ascii("ws"),
  ascii("wss"),
]);
/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this. */
export const MAGIC_COOKIE = ascii("z9hG4bK");

export class Via {
  buf: Uint8Array = new Uint8Array(0);
  protocolStart = 0;
  protocolLen = 0;
  versionStart = 0;
  versionLen = 0;
  transport: Transport = Transport.Other;
  transportStart = 0;
  transportLen = 0;
  hostStart = 0;
  hostLen = 0;
  hostKind: HostKind = HostKind.Name;
  /** -1 when absent. */
  port = -1;
  paramsStart = 0;
  paramsEnd = 0;
  /** branchLen -1 when absent. */
  branchStart = 0;
  branchLen = -1;
  receivedStart = 0;
  receivedLen = -1;
  /** -1 absent, 0 present without a value (a request asking for it), else the port. */
  rport = -1;
  maddrStart = 0;
  maddrLen = -1;
  /** -1 when absent. */
  ttl = -1;
  error = -1;

  readonly params = new Params();

  /** Forget the last Via read (a message without Via must not show a stale one). */
  clear(): void {
    this.hostLen = 0;
    this.port = -1;
    this.branchLen = this.receivedLen = this.maddrLen = -1;
    this.rport = -1;
    this.ttl = -1;
    this.error = -1;
    this.transport = Transport.Other;
    this.protocolLen = this.versionLen = this.transportLen = 0;
    this.paramsStart = this.paramsEnd = 0;
  }

  read(buf: Uint8Array, start: number, end: number): boolean {
    this.buf = buf;
    this.clear();
    let i = skipLws(buf, start, end);
    end = trimEnd(buf, i, end);
    // protocol-name SLASH protocol-version SLASH transport
    let j = skipClass(buf, i, end, C.Token);
    if (j === i) return this.fail(i);
    this.protocolStart = i;
    this.protocolLen = j - i;
    i = this.slash(buf, j, end);
    if (i < 0) return this.fail(j);
    j = skipClass(buf, i, end, C.Token);
    if (j === i) return this.fail(i);
    this.versionStart = i;
    this.versionLen = j - i;
    i = this.slash(buf, j, end);
    if (i < 0) return this.fail(j);
    j = skipClass(buf, i, end, C.Token);
    if (j === i) return this.fail(i);
    this.transportStart = i;
    this.transportLen = j - i;
    for (let t = 1; t < TRANSPORTS.length; t++) {
      if (spanEqualsCI(buf, i, j - i, TRANSPORTS[t]!)) {
        this.transport = t as Transport;
        break;
      }
    }
    // LWS sent-by
    i = skipLws(buf, j, end);
    if (i === j) return this.fail(j);
    const hs = i;
    i = scanHost(buf, i, end);
    if (i < 0) return this.fail(hs);
    this.hostKind = hostKindOf(buf, hs, i);
    this.hostStart = hs;
    this.hostLen = i - hs;
    j = skipLws(buf, i, end);
    if (j < end && buf[j] === Ch.Colon) {
      const ps = skipLws(buf, j + 1, end);
      let pe = ps;
      while (pe < end && buf[pe]! >= Ch.Zero && buf[pe]! <= Ch.Nine) pe++;
      const port = parseUint(buf, ps, pe, 65535);
      if (port < 0) return this.fail(ps);
      this.port = port;
      i = pe;
    }
    this.paramsStart = i;
    this.paramsEnd = end;
    const p = this.params.reset(buf, i, end, true);
    while (p.next()) {
      if (p.is(K_BRANCH)) {
        if (p.valueLen <= 0) return this.fail(p.nameStart);
        this.branchStart = p.valueStart;
        this.branchLen = p.valueLen;
      } else if (p.is(K_RECEIVED)) {
        if (p.valueLen <= 0) return this.fail(p.nameStart);
        this.receivedStart = p.valueStart;
        this.receivedLen = p.valueLen;
      } else if (p.is(K_RPORT)) {
        if (p.valueLen < 0) this.rport = 0;
        else {
          const v = parseUint(buf, p.valueStart, p.valueStart + p.valueLen, 65535);
          if (v < 0) return this.fail(p.valueStart);
          this.rport = v;
        }
      } else if (p.is(K_MADDR)) {
        if (p.valueLen <= 0) return this.fail(p.nameStart);
        this.maddrStart = p.valueStart;
        this.maddrLen = p.valueLen;
      } else if (p.is(K_TTL)) {
        const v = p.valueLen > 0 ? parseUint(buf, p.valueStart, p.valueStart + p.valueLen, 255) : -1;
        if (v < 0) return this.fail(p.nameStart);
        this.ttl = v;
      }
    }
    if (p.error >= 0) return this.fail(p.error);
    return true;
  }

  /** Is this "SIP/2.0"? */
  isSip20(): boolean {
    return spanEqualsCI(this.buf, this.protocolStart, this.protocolLen, K_SIP) && spanEqualsCI(this.buf, this.versionStart, this.versionLen, K_20);
  }

  /** Does the branch start with the RFC 3261 magic cookie (and have more after it)? */
  hasMagicCookie(): boolean {
    if (this.branchLen <= MAGIC_COOKIE.length) return false;
    for (let k = 0; k < MAGIC_COOKIE.length; k++) if (this.buf[this.branchStart + k] !== MAGIC_COOKIE[k]) return false;
    return true;
  }

  private slash(buf: Uint8Array, i: number, end: number): number {
    i = skipLws(buf, i, end);
    if (i >= end || buf[i] !== Ch.Slash) return -1;
    return skipLws(buf, i + 1, end);
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
