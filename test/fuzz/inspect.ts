/*
 * Everything the fuzzer looks at after one parse: the parser's message and
 * every structured reader of src/sip/message run over it (Request-URI,
 * name-addr headers, Via, digest parameters, RAck/RSeq, Event-like tokens,
 * media types, comma lists, the UAS checks and a response built from the
 * request), and the SDP reader with our answer to the body. Each result is
 * appended to a signature (a list of numbers), and every span a reader
 * returns is checked to lie inside what it was given. Two parses of the same
 * bytes with different bytes around them must give the same signature.
 * Platform-free (bundled into the XS worker); test code, so it allocates.
 */
import { spanToString } from "../../src/sip/message/bytes";
import { AuthParam, AuthParams } from "../../src/sip/message/auth-params";
import { RequestChecker } from "../../src/sip/message/check";
import { unescapeToString } from "../../src/sip/message/escape";
import { TokenParams } from "../../src/sip/message/event";
import { H, HEADER_COUNT } from "../../src/sip/message/header";
import { elementEnd, skipLws, trimEnd } from "../../src/sip/message/lex";
import { MediaType } from "../../src/sip/message/media-type";
import { Kind, SipMessage } from "../../src/sip/message/message";
import { NameAddr } from "../../src/sip/message/name-addr";
import { SipParser } from "../../src/sip/message/parser";
import { RAck, rseqOf } from "../../src/sip/message/rack";
import { canAnswer, writeResponseHead } from "../../src/sip/message/response";
import { Uri } from "../../src/sip/message/uri";
import { HeaderValues } from "../../src/sip/message/values";
import { Via } from "../../src/sip/message/via";
import { SipWriter } from "../../src/sip/message/writer";
import { Direction } from "../../src/sip/sdp/direction";
import { SdpReader } from "../../src/sip/sdp/reader";
import { LocalMedia } from "../../src/sip/sdp/writer";
import { CallPolicy } from "../../src/ua/call/capabilities";

const NAME_ADDR_IDS: readonly H[] = [H.From, H.To, H.Contact, H.Route, H.RecordRoute, H.ReplyTo, H.ReferTo, H.ReferredBy, H.PAssertedIdentity, H.PPreferredIdentity, H.Path, H.ServiceRoute];
const AUTH_IDS: readonly H[] = [H.WwwAuthenticate, H.ProxyAuthenticate, H.Authorization, H.ProxyAuthorization, H.AuthenticationInfo];
const TOKEN_IDS: readonly H[] = [H.Event, H.SubscriptionState, H.ContentDisposition, H.InfoPackage];
const MEDIA_IDS: readonly H[] = [H.ContentType, H.Accept];
const TAG = new Uint8Array([116, 97, 103]);
const K_TRANSPORT = new Uint8Array([116, 114, 97, 110, 115, 112, 111, 114, 116]);
const K_LR = new Uint8Array([108, 114]);
const REASON_OK = new Uint8Array([79, 75]);
const TO_TAG = new Uint8Array([102, 122, 122]);

export class Inspector {
  readonly parser = new SipParser();
  readonly msg = new SipMessage();
  readonly sig: number[] = [];
  /** The first span found outside its bounds, described; "" when none. */
  problem = "";
  /** Strings made on demand (display names, digest values...): their lengths go into the signature. */
  private readonly uri = new Uri();
  private readonly addr = new NameAddr();
  private readonly via = new Via();
  private readonly auth = new AuthParams();
  private readonly token = new TokenParams();
  private readonly media = new MediaType();
  private readonly rack = new RAck();
  private readonly values = new HeaderValues();
  private readonly checker = new RequestChecker();
  private readonly policy = new CallPolicy();
  private readonly writer = new SipWriter(70000);
  readonly respParser = new SipParser();
  readonly resp = new SipMessage();
  private readonly sdp = new SdpReader();
  private readonly sdpAgain = new SdpReader();
  private readonly local = new LocalMedia({ sessionId: 1, address: "192.0.2.10", rtpPort: 40000 });
  private readonly sdpWriter = new SipWriter(4096);

  private push(n: number): void {
    this.sig.push(n);
  }

  private bad(what: string, s: number, len: number, lo: number, hi: number): void {
    if (this.problem === "") this.problem = `${what} span [${s}, ${s + len}) outside [${lo}, ${hi})`;
  }

  /**
   * A span that may be absent (len < 0): recorded, and checked inside [lo, hi]
   * when present. An empty span points at nothing: its start is neither
   * recorded nor checked (readers leave it as it was).
   */
  span(what: string, s: number, len: number, lo: number, hi: number): void {
    if (len <= 0) {
      this.push(len < 0 ? -1 : 0);
      return;
    }
    this.push(s);
    this.push(len);
    if (s < lo || s + len > hi || !Number.isInteger(s) || !Number.isInteger(len)) this.bad(what, s, len, lo, hi);
  }

  /** An offset (an error position) that must lie in [lo, hi]. */
  offset(what: string, at: number, lo: number, hi: number): void {
    this.push(at);
    if (at >= 0 && (at < lo || at > hi) && this.problem === "") this.problem = `${what} offset ${at} outside [${lo}, ${hi}]`;
  }

  /** Parse buf[0, length) and run every reader over the result. Returns msg.ok. */
  inspect(buf: Uint8Array, length: number): boolean {
    this.sig.length = 0;
    this.problem = "";
    const m = this.msg;
    const ok = this.parser.parse(buf, length, m);
    this.message(m, length);
    this.readers(m, length);
    if (ok && m.kind === Kind.Request) this.uas(m);
    if (m.bodyLen > 0 && m.error === 0) this.sdpBody(buf, m.bodyStart, m.bodyLen);
    return ok;
  }

  /** The parser's own fields. */
  message(m: SipMessage, length: number): void {
    this.push(m.ok ? 1 : 0);
    this.push(m.error);
    this.offset("error", m.errorOffset, 0, length);
    this.push(m.kind);
    if (m.kind === Kind.Request) {
      this.push(m.method);
      this.span("method", m.methodStart, m.methodLen, 0, length);
      this.span("Request-URI", m.uriStart, m.uriLen, 0, length);
      this.push(m.uriScheme);
    }
    this.span("version", m.versionStart, m.versionLen, 0, length);
    if (m.kind === Kind.Response) {
      this.push(m.status);
      this.span("reason", m.reasonStart, m.reasonLen, 0, length);
    }
    this.push(m.headerCount);
    for (let h = 0; h < m.headerCount; h++) {
      this.push(m.hId[h]!);
      this.span("header name", m.hNameStart[h]!, m.hNameLen[h]!, 0, length);
      this.span("header value", m.hValueStart[h]!, m.hValueEnd[h]! - m.hValueStart[h]!, 0, length);
      this.push(m.hNext[h]!);
    }
    for (let id = 0; id < HEADER_COUNT; id++) {
      this.push(m.first[id]!);
      this.push(m.count[id]!);
    }
    this.span("body", m.bodyStart, m.bodyLen, 0, length);
    this.push(m.contentLength);
    this.push(m.contentLengthConflict ? 1 : 0);
    this.push(m.cseq);
    if (m.cseq >= 0) {
      this.push(m.cseqMethod);
      this.span("CSeq method", m.cseqMethodStart, m.cseqMethodLen, 0, length);
    }
    this.push(m.maxForwards);
    this.push(m.expires);
    this.span("Call-ID", m.callIdStart, m.callIdLen, 0, length);
    if (m.first[H.Via]! >= 0) this.viaFields(m.via, 0, length);
    if (m.first[H.From]! >= 0) this.nameAddrFields(m.from, 0, length);
    if (m.first[H.To]! >= 0) this.nameAddrFields(m.to, 0, length);
  }

  viaFields(v: Via, lo: number, hi: number): void {
    this.push(v.error);
    if (v.hostLen <= 0) {
      this.push(v.hostLen);
      return;
    }
    this.span("Via protocol", v.protocolStart, v.protocolLen, lo, hi);
    this.span("Via version", v.versionStart, v.versionLen, lo, hi);
    this.push(v.transport);
    this.span("Via transport", v.transportStart, v.transportLen, lo, hi);
    this.span("Via host", v.hostStart, v.hostLen, lo, hi);
    this.push(v.hostKind);
    this.push(v.port);
    this.span("Via branch", v.branchStart, v.branchLen, lo, hi);
    this.span("Via received", v.receivedStart, v.receivedLen, lo, hi);
    this.push(v.rport);
    this.span("Via maddr", v.maddrStart, v.maddrLen, lo, hi);
    this.push(v.ttl);
    this.push(v.error < 0 && v.hasMagicCookie() ? 1 : 0);
    this.push(v.error < 0 && v.isSip20() ? 1 : 0);
  }

  uriFields(u: Uri, lo: number, hi: number): void {
    this.push(u.error);
    if (u.error >= 0) return;
    this.span("URI", u.start, u.end - u.start, lo, hi);
    this.push(u.scheme);
    this.span("URI user", u.userStart, u.userLen, lo, hi);
    this.span("URI password", u.passwordStart, u.passwordLen, lo, hi);
    this.span("URI host", u.hostStart, u.hostLen, lo, hi);
    this.push(u.hostKind);
    this.push(u.port);
    this.span("URI params", u.paramsStart, u.paramsEnd - u.paramsStart, lo, hi);
    this.span("URI headers", u.headersStart, u.headersLen, lo, hi);
    this.push(u.findParam(K_TRANSPORT) ? u.paramValueLen : -2);
    if (u.findParam(K_LR)) this.span("URI lr", u.paramValueStart, u.paramValueLen, lo, hi);
    if (u.userLen > 0) this.push(unescapeToString(u.buf, u.userStart, u.userLen).length);
  }

  nameAddrFields(a: NameAddr, lo: number, hi: number): void {
    this.push(a.error);
    if (a.error >= 0) return;
    this.push(a.star ? 1 : 0);
    this.span("display name", a.displayStart, a.displayLen, lo, hi);
    this.push(a.displayLen >= 0 ? a.displayName().length : -1);
    this.span("name-addr URI", a.uriStart, a.uriLen, lo, hi);
    this.push(a.angle ? 1 : 0);
    this.span("name-addr params", a.paramsStart, a.paramsEnd - a.paramsStart, lo, hi);
    this.span("tag", a.tagStart, a.tagLen, lo, hi);
    this.span("expires", a.expiresStart, a.expiresLen, lo, hi);
    this.span("q", a.qStart, a.qLen, lo, hi);
    if (!a.star) this.uriFields(a.uri, lo, hi);
    if (a.findParam(TAG)) this.span("tag param", a.params.valueStart, a.params.valueLen, lo, hi);
  }

  /** Each element of a header value, as the readers see it. */
  private readers(m: SipMessage, length: number): void {
    const buf = m.buf;
    if (m.kind === Kind.Request && m.uriLen > 0) {
      this.push(this.uri.read(buf, m.uriStart, m.uriStart + m.uriLen) ? 1 : 0);
      this.offset("Request-URI error", this.uri.error, m.uriStart, m.uriStart + m.uriLen);
      this.uriFields(this.uri, m.uriStart, m.uriStart + m.uriLen);
    }
    for (let h = 0; h < m.headerCount; h++) {
      const id = m.hId[h]! as H;
      const s = m.hValueStart[h]!;
      const e = m.hValueEnd[h]!;
      this.push(spanToString(buf, s, e - s).length);
      if (id === H.Via) this.elements(buf, s, e, 1);
      else if (NAME_ADDR_IDS.indexOf(id) >= 0) this.elements(buf, s, e, 2);
      else if (MEDIA_IDS.indexOf(id) >= 0) this.elements(buf, s, e, 3);
      else if (AUTH_IDS.indexOf(id) >= 0) {
        const a = this.auth;
        this.push(a.read(buf, s, e, id !== H.AuthenticationInfo) ? 1 : 0);
        this.offset("auth-param error", a.error, s, e);
        if (a.error < 0) {
          if (id !== H.AuthenticationInfo) this.span("auth-scheme", a.schemeStart, a.schemeLen, s, e);
          this.push(a.isDigest() ? 1 : 0);
          for (let p = 0; p <= AuthParam.Rspauth; p++) {
            this.span("auth-param", a.valueStart[p]!, a.valueLen[p]!, s, e);
            const str = a.string(p as AuthParam);
            this.push(str === undefined ? -1 : str.length);
          }
        }
      } else if (TOKEN_IDS.indexOf(id) >= 0) {
        const t = this.token;
        this.push(t.read(buf, s, e) ? 1 : 0);
        this.offset("token error", t.error, s, e);
        if (t.error < 0) {
          this.span("token", t.tokenStart, t.tokenLen, s, e);
          this.span("token params", t.paramsStart, t.paramsEnd - t.paramsStart, s, e);
          this.span("event id", t.idStart, t.idLen, s, e);
          this.push(t.expires);
          this.span("reason", t.reasonStart, t.reasonLen, s, e);
        }
      }
    }
    const r = this.rack;
    this.push(r.read(m) ? 1 : 0);
    if (r.rseq >= 0) {
      this.push(r.rseq);
      this.push(r.cseq);
      this.push(r.method);
      this.span("RAck method", r.methodStart, r.methodLen, 0, length);
    }
    this.push(rseqOf(m));
    // Comma lists over every id present, across repeated headers.
    const v = this.values;
    for (let id = 1; id < HEADER_COUNT; id++) {
      if (m.first[id]! < 0) continue;
      v.begin(m, id as H);
      let n = 0;
      while (v.next() && n++ < 10000) this.span("list element", v.start, v.len, m.hValueStart[v.index]!, m.hValueEnd[v.index]!);
      this.push(v.malformed ? 1 : 0);
    }
  }

  /** kind: 1 Via, 2 name-addr, 3 media type. */
  private elements(buf: Uint8Array, s: number, e: number, kind: number): void {
    let i = s;
    for (let guard = 0; guard < 10000; guard++) {
      const ee = elementEnd(buf, i, e);
      this.push(ee);
      if (ee < 0) return;
      if (ee > e || ee < i) {
        if (this.problem === "") this.problem = `elementEnd ${ee} outside [${i}, ${e}]`;
        return;
      }
      const es = skipLws(buf, i, ee);
      const et = trimEnd(buf, es, ee);
      if (et > es) {
        if (kind === 1) {
          this.push(this.via.read(buf, i, ee) ? 1 : 0);
          this.offset("Via error", this.via.error, i, ee);
          if (this.via.error < 0) this.viaFields(this.via, i, ee);
        } else if (kind === 2) {
          this.push(this.addr.read(buf, i, ee) ? 1 : 0);
          this.offset("name-addr error", this.addr.error, i, ee);
          this.nameAddrFields(this.addr, i, ee);
        } else {
          const t = this.media;
          this.push(t.read(buf, i, ee) ? 1 : 0);
          this.offset("media type error", t.error, i, ee);
          if (t.error < 0) {
            this.span("m-type", t.typeStart, t.typeLen, i, ee);
            this.span("m-subtype", t.subtypeStart, t.subtypeLen, i, ee);
            this.span("m-params", t.paramsStart, t.paramsEnd - t.paramsStart, i, ee);
          }
        }
      }
      if (ee >= e) return;
      i = ee + 1;
    }
    if (this.problem === "") this.problem = "more than 10000 elements in one header value";
  }

  /** The UAS request checks (§8.2), and the response built from the request must parse. */
  private uas(m: SipMessage): void {
    const c = this.checker;
    this.push(c.check(m, this.policy) ? 1 : 0);
    this.push(c.status);
    this.push(c.extra);
    if (!canAnswer(m)) return;
    const w = this.writer.reset();
    const status = c.status > 0 ? c.status : 200;
    if (!writeResponseHead(w, m, status, REASON_OK, TO_TAG, TO_TAG.length, true)) {
      if (this.problem === "") this.problem = "canAnswer() but writeResponseHead() refused";
      return;
    }
    if (c.status === 420) c.writeUnsupported(w, m, this.policy);
    w.end();
    this.push(w.length);
    if (w.overflow) return;
    const r = this.resp;
    if (!this.respParser.parse(w.buf, w.length, r) && this.problem === "") {
      this.problem = `the ${status} built for an accepted request does not parse: ${r.error} at ${r.errorOffset}`;
    }
    this.push(r.status);
  }

  /** The SDP reader over a body, and our answer to it, which must read back as SDP. */
  sdpBody(buf: Uint8Array, start: number, len: number): void {
    const d = this.sdp;
    const ok = d.read(buf, start, len);
    const end = start + len;
    this.push(ok ? 1 : 0);
    this.push(d.error);
    if (!ok) {
      this.offset("SDP error", d.errorOffset, start, end);
      return;
    }
    this.span("o=", d.originStart, d.originLen, start, end);
    this.span("o= sess-id", d.originSessIdStart, d.originSessIdLen, start, end);
    this.span("o= sess-version", d.originVersionStart, d.originVersionLen, start, end);
    this.push(d.originVersion);
    this.push(d.mediaCount);
    for (let k = 0; k < d.mediaCount; k++) {
      this.push(d.mediaLineStart(k));
      this.span("m= media", d.mediaTypeStart(k), d.mediaTypeLen(k), start, end);
      this.push(d.mediaPort(k));
      this.span("m= proto", d.mediaProtoStart(k), d.mediaProtoLen(k), start, end);
      this.span("m= fmt", d.mediaFmtStart(k), d.mediaFmtLen(k), start, end);
    }
    this.push(d.audioIndex);
    this.push(d.audioPort);
    this.span("c= address", d.connStart, d.connLen, start, end);
    this.push(d.codec);
    this.push(d.codecPt);
    this.push(d.telephoneEventPt);
    this.span("telephone-event fmtp", d.telephoneEventFmtpStart, d.telephoneEventFmtpLen, start, end);
    this.push(d.direction);
    this.push(d.ptime);
    const w = this.sdpWriter.reset();
    const answered = this.local.writeAnswer(w, d, Direction.SendRecv);
    this.push(answered ? 1 : 0);
    if (answered && !w.overflow && !this.sdpAgain.read(w.buf, 0, w.length) && this.problem === "") {
      this.problem = `our SDP answer does not read back: ${this.sdpAgain.reason} at ${this.sdpAgain.errorOffset}`;
    }
  }
}
