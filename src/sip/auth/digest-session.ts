/*
 * Client-side Digest state for one realm (RFC 3261 §22.2, §22.3): the nonce
 * last received, its nonce-count, and whether a fresh challenge means "try
 * again" or "your password is wrong". Keep one per realm (registrar, outbound
 * proxy) and reuse it for refreshes: requests under the same nonce count nc
 * up (RFC 7616 §3.4), a new nonce restarts it at 1.
 *
 * Two ways in and out: from the message's bytes and into the writer
 * (challengeFrom, writeAuthorization: allocation-free apart from the
 * HashHost's digests, for the registration refresh that recurs for years),
 * and with strings (challenge, authorize) for callers that have strings.
 * Both share one state (digest-state.ts), made on the first challenge.
 */
import type { HashHost, RandomHost } from "../../host";
import { AuthParam } from "../message/auth-params";
import { spanToString } from "../message/bytes";
import type { H } from "../message/header";
import type { SipMessage } from "../message/message";
import { SipWriter } from "../message/writer";
import { utf8Encode, utf8Write } from "../../util/utf8";
import { packNumbers } from "../../util/packed-numbers";
import { type DigestChallenge, isStale } from "./challenge";
import { ChallengeReader, DigestAlg, QopKind, isStaleParam } from "./challenge-reader";
import { DigestField, DigestState, DigestValue, MAX_VALUE } from "./digest-state";
import { chooseQop, parseAlgorithm } from "./digest";

export interface DigestCredentials {
  username: string;
  password: string;
}

/** What to do after a 401/407. */
export const enum DigestVerdict {
  /** Resend the request (new CSeq, §22.2) with authorize()'s value. */
  Retry = 0,
  /** The credentials were rejected: don't resend (RFC 2617 §3.2.1, stale absent or false). */
  Fail = 1,
  /** No algorithm or qop we know: don't resend. */
  Unsupported = 2,
}

export interface DigestSessionOptions {
  /** Retries on stale or expired nonces allowed without a success in between; stops a server that always says stale. Default 3. */
  maxStaleRetries?: number;
}

/** A challenge given as strings, turned to bytes (the string path is not the refresh's). */
class StringChallenge {
  readonly realm = new DigestValue();
  readonly nonce = new DigestValue();
  readonly opaque = new DigestValue();

  set(ch: DigestChallenge): boolean {
    return put(this.realm, ch.realm) && put(this.nonce, ch.nonce) && (ch.opaque === undefined ? put(this.opaque, null) : put(this.opaque, ch.opaque));
  }
}

function put(v: DigestValue, text: string | null): boolean {
  if (text === null) {
    v.len = -1;
    return true;
  }
  const n = utf8Write(text, v.buf, 0);
  if (n < 0 || n > MAX_VALUE) return false;
  v.len = n;
  return true;
}

function algOf(name: ReturnType<typeof parseAlgorithm>): DigestAlg {
  return name === "MD5-sess" ? DigestAlg.MD5Sess : name === "SHA-256" ? DigestAlg.SHA256 : name === "SHA-256-sess" ? DigestAlg.SHA256Sess : DigestAlg.MD5;
}

/**
 * The session's numbers, then its username and password as UTF-8, in one
 * buffer (issue #9, idle heap: in XS a property is a heap slot, a typed
 * array with a buffer of its own 7): a Float64Array over it and one
 * Uint8Array view. The public numbers are getters.
 */
const enum D {
  MaxStaleRetries = 0,
  /** 1 once a challenge with a nonce was accepted. */
  HasNonce = 1,
  Nc = 2,
  Proxy = 3,
  StaleRetries = 4,
  /** 1: credentials were sent since the last challenge was accepted. */
  Answered = 5,
  /** 1: a request with these credentials succeeded since they were last challenged, so a later plain rechallenge means an expired nonce, not a bad password. */
  Proven = 6,
  /** Where the username starts, the password starts, and the password ends (byte offsets into the buffer). */
  Username = 7,
  Password = 8,
  Count = 10, // Password + 1 end + 1
}

export class DigestSession {
  private readonly hash: HashHost;
  private readonly random: RandomHost;
  private readonly n: Float64Array;
  /** The bytes of n's buffer: username and password. */
  private readonly b: Uint8Array;
  /** Made on the first challenge: a session never challenged costs no buffers. */
  private state: DigestState | null = null;
  private reader: ChallengeReader | null = null;

  /** `credentials` may be another session: the same username and password (e.g. a 407's beside a 401's), copied, without its state. */
  constructor(hash: HashHost, random: RandomHost, credentials: DigestCredentials | DigestSession, options?: DigestSessionOptions) {
    this.hash = hash;
    this.random = random;
    let n: Float64Array;
    if (credentials instanceof DigestSession) {
      const copy = new Uint8Array(credentials.b.length);
      copy.set(credentials.b);
      n = new Float64Array(copy.buffer, 0, D.Count);
      n[D.HasNonce] = n[D.Nc] = n[D.Proxy] = n[D.StaleRetries] = n[D.Answered] = n[D.Proven] = 0;
    } else {
      n = packNumbers(D.Count, D.Username, [credentials.username, credentials.password]);
    }
    this.n = n;
    this.b = new Uint8Array(n.buffer);
    const max = options?.maxStaleRetries;
    if (max !== undefined || !(credentials instanceof DigestSession)) n[D.MaxStaleRetries] = max ?? 3;
  }

  /** A new session with the same credentials, host and options (a 407's beside a 401's), not challenged yet. */
  twin(): DigestSession {
    return new DigestSession(this.hash, this.random, this);
  }

  /** Nonce-count of the last authorize() under the current nonce (0 before the first). */
  get nc(): number {
    return this.n[D.Nc]!;
  }

  /** The challenge came in a 407, so the answer goes in Proxy-Authorization (§22.3). */
  get proxy(): boolean {
    return this.n[D.Proxy] === 1;
  }

  /** Retries on stale (or silently expired) nonces since the last success. */
  get staleRetries(): number {
    return this.n[D.StaleRetries]!;
  }

  /** True once a challenge has been accepted, so authorize() has something to answer. */
  get ready(): boolean {
    return this.n[D.HasNonce] === 1;
  }

  get headerName(): "Authorization" | "Proxy-Authorization" {
    return this.proxy ? "Proxy-Authorization" : "Authorization";
  }

  private made(): DigestState {
    if (this.state === null) this.state = new DigestState();
    return this.state;
  }

  /**
   * Take the challenge of a 401 (WWW-Authenticate, proxy=false) or 407
   * (Proxy-Authenticate, proxy=true) from the message's bytes: the first
   * Digest one we support (RFC 8760 §2.4). -1 when the message carries no
   * such header at all; Unsupported when it carries only ones we cannot
   * answer. Allocation-free once the state exists.
   */
  challengeFrom(msg: SipMessage, id: H, proxy: boolean): DigestVerdict | -1 {
    if (msg.first[id]! < 0) return -1;
    if (this.reader === null) this.reader = new ChallengeReader();
    const r = this.reader;
    if (!r.find(msg, id)) return DigestVerdict.Unsupported;
    const p = r.params;
    const buf = p.buf;
    const rs = p.valueStart[AuthParam.Realm]!;
    const rl = p.valueLen[AuthParam.Realm]!;
    const ns = p.valueStart[AuthParam.Nonce]!;
    const nl = p.valueLen[AuthParam.Nonce]!;
    if (rl > MAX_VALUE || nl > MAX_VALUE || p.valueLen[AuthParam.Opaque]! > MAX_VALUE) return DigestVerdict.Unsupported;
    const st = this.made();
    const realmChanged = !st.equals(DigestField.Realm, buf, rs, rl);
    const nonceChanged = !st.equals(DigestField.Nonce, buf, ns, nl);
    const verdict = this.judge(realmChanged, nonceChanged, isStaleParam(p));
    if (verdict !== DigestVerdict.Retry) return verdict;
    st.set(DigestField.Realm, buf, rs, rl);
    st.set(DigestField.Nonce, buf, ns, nl);
    st.set(DigestField.Opaque, buf, p.valueStart[AuthParam.Opaque]!, p.valueLen[AuthParam.Opaque]!);
    this.accept(r.algorithm, r.qop, proxy);
    return DigestVerdict.Retry;
  }

  /**
   * Take a challenge given as strings, from a 401 (proxy=false) or 407
   * (proxy=true). With stale=true (RFC 2617 §3.2.1) the nonce merely
   * expired: retry without counting a failure. Without it, a challenge that
   * follows our credentials means they were rejected, unless the same
   * credentials had already worked (a refresh whose cached nonce the server
   * dropped without saying stale).
   */
  challenge(ch: DigestChallenge, proxy = false): DigestVerdict {
    const algorithm = parseAlgorithm(ch.algorithm);
    const qop = chooseQop(ch.qop);
    if (algorithm === null || qop === null) return DigestVerdict.Unsupported;
    const given = new StringChallenge();
    if (!given.set(ch)) return DigestVerdict.Unsupported;
    const st = this.made();
    const realmChanged = !st.equals(DigestField.Realm, given.realm.buf, 0, given.realm.len);
    const nonceChanged = !st.equals(DigestField.Nonce, given.nonce.buf, 0, given.nonce.len);
    const verdict = this.judge(realmChanged, nonceChanged, isStale(ch));
    if (verdict !== DigestVerdict.Retry) return verdict;
    st.setRaw(DigestField.Realm, given.realm.buf, given.realm.len);
    st.setRaw(DigestField.Nonce, given.nonce.buf, given.nonce.len);
    st.setRaw(DigestField.Opaque, given.opaque.buf, given.opaque.len);
    this.accept(algOf(algorithm), qop === "auth" ? QopKind.Auth : qop === "auth-int" ? QopKind.AuthInt : QopKind.None, proxy);
    return DigestVerdict.Retry;
  }

  /** The rules of a new challenge (see challenge()); on Retry with a new nonce or realm, nc restarts with a new cnonce. */
  private judge(realmChanged: boolean, nonceChanged: boolean, stale: boolean): DigestVerdict {
    const n = this.n;
    if (n[D.Answered] === 1 && !realmChanged) {
      if (stale || n[D.Proven] === 1) {
        if (++n[D.StaleRetries]! > n[D.MaxStaleRetries]!) return DigestVerdict.Fail;
      } else {
        return DigestVerdict.Fail;
      }
    }
    if (realmChanged) n[D.StaleRetries] = 0;
    if (nonceChanged || realmChanged) {
      n[D.Nc] = 0;
      // One cnonce per nonce: -sess A1 is computed with the first cnonce (RFC 2617 §3.2.2.2), and nc keeps requests apart.
      this.made().setCnonce(this.random.u32(), this.random.u32());
      n[D.Proven] = 0;
    }
    return DigestVerdict.Retry;
  }

  private accept(alg: DigestAlg, qop: QopKind, proxy: boolean): void {
    const st = this.made();
    st.accept(alg, qop);
    const n = this.n;
    n[D.HasNonce] = st.length(DigestField.Nonce) > 0 ? 1 : 0;
    n[D.Proxy] = proxy ? 1 : 0;
    n[D.Answered] = 0;
  }

  /**
   * Write the header value for a request (method and Request-URI as sent,
   * as spans; body for qop=auth-int) into `w`, counting nc up. Nothing is
   * written before any challenge was accepted (returns false); when an
   * input does not fit, w.overflow is set so the request is not sent.
   */
  writeAuthorization(
    w: SipWriter, method: Uint8Array, mStart: number, mLen: number, uri: Uint8Array, uStart: number, uLen: number,
    body: Uint8Array | null = null, bodyLength = 0,
  ): boolean {
    const n = this.n;
    if (n[D.HasNonce] !== 1 || this.state === null) return false;
    const nc = ++n[D.Nc]!;
    n[D.Answered] = 1;
    const u = n[D.Username]!;
    const p = n[D.Password]!;
    if (!this.state.write(w, this.hash, this.b, u, p - u, p, n[D.Password + 1]! - p, nc, method, mStart, mLen, uri, uStart, uLen, body, bodyLength)) {
      w.overflow = true;
      return false;
    }
    return true;
  }

  /**
   * The header value as a string, for a request (method, Request-URI as
   * sent; body for qop=auth-int). Counts nc up. "" before any challenge was
   * accepted.
   */
  authorize(method: string, uri: string, body?: Uint8Array, bodyLength?: number): string {
    if (this.n[D.HasNonce] !== 1) return "";
    const m = utf8Encode(method);
    const u = utf8Encode(uri);
    const w = new SipWriter(3 * MAX_VALUE + u.length + 512);
    const b = body ?? null;
    if (!this.writeAuthorization(w, m, 0, m.length, u, 0, u.length, b, b !== null ? bodyLength ?? b.length : 0)) return "";
    return spanToString(w.buf, 0, w.length);
  }

  /** The request carrying our credentials got a final response other than 401/407. */
  succeeded(): void {
    const n = this.n;
    n[D.Answered] = 0;
    n[D.Proven] = 1;
    n[D.StaleRetries] = 0;
  }

  /**
   * A new attempt, not the retry of a challenged request: stale nonces are counted afresh. A nonce expires while
   * the client waits between attempts (a backoff of minutes against a registrar whose nonces live 25 s), so each
   * attempt may meet one; counted across attempts that then failed for other reasons (503, 500, 403...), the
   * fourth such stale challenge was taken for refused credentials (found by test/sfuzz.test.ts).
   */
  newAttempt(): void {
    this.n[D.StaleRetries] = 0;
  }

  /**
   * Stop answering with the nonce (after a failure, at a new call): the next
   * request goes without credentials, and the next challenge is judged
   * afresh. The nonce, its cnonce and its count are kept, never sent until a
   * challenge brings that very nonce back: then nc goes on counting (RFC 7616
   * §3.4: the requests sent with that nonce). Starting again at 1 would be a
   * replay to a server that keeps its nonce and checks nc, every time after
   * one rejection (a duplicated request's 401 that overtook its 200):
   * unregistered for good (test/registration-auth.test.ts, found by
   * test/sfuzz.test.ts). Another nonce or realm restarts the count (judge).
   */
  reset(): void {
    const n = this.n;
    n[D.HasNonce] = n[D.Answered] = n[D.Proven] = n[D.StaleRetries] = 0;
  }
}
