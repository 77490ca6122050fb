/*
 * A scripted registrar (RFC 3261 §10.3) for UA tests, independent of the
 * core's code: it parses requests with plain string handling and checks
 * Digest credentials with node:crypto (RFC 2617 / RFC 7616 / RFC 8760).
 *
 * Default behaviour: challenge a REGISTER without valid credentials
 * (401 + WWW-Authenticate, or 407 + Proxy-Authenticate with `proxy`),
 * answer 423 below `minExpires`, else 200 listing the bindings of the AOR
 * with their expires (§10.3 step 8). The top Via gets received/rport
 * (RFC 3581 §4). OPTIONS gets `optionsStatus`. `script` overrides the next
 * responses one request at a time; `down` drops everything.
 */
import { createHash } from "node:crypto";

export interface ParsedRequest {
  text: string;
  method: string;
  uri: string;
  /** Lower-case header names to values, in order. */
  headers: Map<string, string[]>;
}

export function parseRequest(text: string): ParsedRequest {
  const head = text.split("\r\n\r\n")[0]!;
  const lines = head.split("\r\n");
  const [method, uri] = lines[0]!.split(" ");
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(":");
    const name = line.slice(0, c).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(c + 1).trim());
    headers.set(name, list);
  }
  return { text, method: method!, uri: uri!, headers };
}

export function header(req: ParsedRequest, name: string): string | undefined {
  return req.headers.get(name.toLowerCase())?.[0];
}

/** Parameters of a Digest Authorization / challenge value, unquoted. */
export function digestParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = value.replace(/^\s*Digest\s+/i, "");
  const re = /([a-zA-Z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)/g;
  for (const m of body.matchAll(re)) out[m[1]!.toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[2]!;
  return out;
}

export type Algorithm = "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess";

function H(alg: Algorithm, s: string): string {
  return createHash(alg.startsWith("MD5") ? "md5" : "sha256").update(s, "utf8").digest("hex");
}

/** The expected request-digest for these Authorization parameters (RFC 7616 §3.4.1). */
export function expectedResponse(p: Record<string, string>, password: string, method: string): string {
  const alg = (p.algorithm ?? "MD5") as Algorithm;
  let ha1 = H(alg, `${p.username}:${p.realm}:${password}`);
  if (alg.endsWith("-sess")) ha1 = H(alg, `${ha1}:${p.nonce}:${p.cnonce}`);
  const ha2 = H(alg, `${method}:${p.uri}`);
  return p.qop ? H(alg, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : H(alg, `${ha1}:${p.nonce}:${ha2}`);
}

export interface RegistrarOptions {
  realm?: string;
  /** Digest username and password the registrar accepts. */
  username?: string;
  password?: string;
  algorithm?: Algorithm;
  /** Send algorithm= in the challenge even for MD5. */
  sendAlgorithm?: boolean;
  /** "auth" (default) or null: an RFC 2069 challenge without qop. */
  qop?: "auth" | null;
  /** Challenge with 407 / Proxy-Authenticate instead of 401. */
  proxy?: boolean;
  /** Demand credentials (default true). */
  authenticate?: boolean;
  /** 423 below this (RFC 3261 §10.3 step 7); 0: none. */
  minExpires?: number;
  /** Grant at most this. */
  maxExpires?: number;
  /** Status for OPTIONS; default 200. */
  optionsStatus?: number;
  /** Another device's binding listed in every 200 (to check we pick our own Contact). */
  otherBinding?: string;
  /** Put the granted expiry only in an Expires header, not in Contact params. */
  expiresHeaderOnly?: boolean;
}

export interface Exchange {
  request: ParsedRequest;
  status: number | null;
  /** Digest verification of the credentials sent: "none" | "ok" | "bad" | "stale". */
  auth: "none" | "ok" | "bad" | "stale";
  src: string;
}

export type Scripted = (req: ParsedRequest, r: ScriptedRegistrar, src: string, srcPort: number) => string | null;

export class ScriptedRegistrar {
  readonly o: Required<Omit<RegistrarOptions, "otherBinding">> & { otherBinding?: string };
  /** Current nonce; earlier ones are stale. */
  nonce = "";
  private nonceCount = 0;
  private readonly staleNonces = new Set<string>();
  private readonly lastNc = new Map<string, number>();
  /** Contact URI -> seconds granted (0 removed). */
  readonly bindings = new Map<string, number>();
  readonly log: Exchange[] = [];
  /** Responses for the next requests, first in first out (before normal handling). */
  readonly script: Scripted[] = [];
  down = false;
  private toTag = 0;

  constructor(options: RegistrarOptions = {}) {
    this.o = {
      realm: "doorsip.test", username: "door", password: "secret", algorithm: "MD5", sendAlgorithm: false,
      qop: "auth", proxy: false, authenticate: true, minExpires: 0, maxExpires: 86400 * 7, optionsStatus: 200,
      expiresHeaderOnly: false,
      ...options,
    };
    this.newNonce();
  }

  newNonce(): void {
    if (this.nonce !== "") this.staleNonces.add(this.nonce);
    this.nonce = `n${++this.nonceCount}-${Math.random().toString(16).slice(2, 10)}`;
  }

  get registers(): Exchange[] {
    return this.log.filter((e) => e.request.method === "REGISTER");
  }

  get options(): Exchange[] {
    return this.log.filter((e) => e.request.method === "OPTIONS");
  }

  handle(text: string, src: string, srcPort: number): string | null {
    const req = parseRequest(text);
    const ex: Exchange = { request: req, status: null, auth: "none", src: `${src}:${srcPort}` };
    this.log.push(ex);
    if (this.down) return null;
    const scripted = this.script.shift();
    if (scripted !== undefined) {
      const out = scripted(req, this, src, srcPort);
      ex.status = out === null ? null : Number(out.split(" ")[1]);
      return out;
    }
    let out: string;
    if (req.method === "REGISTER") out = this.register(req, ex, src, srcPort);
    else if (req.method === "OPTIONS") out = this.respond(req, src, srcPort, this.o.optionsStatus, []);
    else out = this.respond(req, src, srcPort, 501, []);
    ex.status = Number(out.split(" ")[1]);
    return out;
  }

  private register(req: ParsedRequest, ex: Exchange, src: string, srcPort: number): string {
    if (this.o.authenticate) {
      const cred = header(req, this.o.proxy ? "Proxy-Authorization" : "Authorization");
      if (cred === undefined) return this.challenge(req, src, srcPort, false);
      const p = digestParams(cred);
      const ok = p.username === this.o.username && p.realm === this.o.realm && p.uri === req.uri &&
        p.response === expectedResponse(p, this.o.password, req.method);
      if (!ok) {
        ex.auth = "bad";
        return this.challenge(req, src, srcPort, false);
      }
      if (p.nonce !== this.nonce) {
        ex.auth = "stale";
        return this.challenge(req, src, srcPort, this.staleNonces.has(p.nonce!));
      }
      if (this.o.qop !== null) {
        const nc = parseInt(p.nc ?? "0", 16);
        if (!(nc > (this.lastNc.get(p.nonce) ?? 0))) {
          ex.auth = "bad";
          return this.challenge(req, src, srcPort, false);
        }
        this.lastNc.set(p.nonce, nc);
      }
      ex.auth = "ok";
    }
    const expiresHeader = header(req, "Expires");
    const contacts = req.headers.get("contact") ?? [];
    // §10.3 step 7: each Contact's interval, from its parameter or the Expires header.
    const wanted = contacts.map((c) => {
      const m = /;\s*expires=(\d+)/i.exec(c);
      const uri = /<([^>]*)>/.exec(c)![1]!;
      return { uri, expires: m !== null ? Number(m[1]) : expiresHeader !== undefined ? Number(expiresHeader) : 3600 };
    });
    for (const c of wanted) {
      if (c.expires !== 0 && c.expires < this.o.minExpires) {
        return this.respond(req, src, srcPort, 423, [`Min-Expires: ${this.o.minExpires}`]);
      }
    }
    for (const c of wanted) {
      if (c.expires === 0) this.bindings.delete(c.uri);
      else this.bindings.set(c.uri, Math.min(c.expires, this.o.maxExpires));
    }
    const extra: string[] = [];
    if (this.o.otherBinding !== undefined) extra.push(`Contact: <${this.o.otherBinding}>;expires=1800`);
    let granted = 0;
    for (const [uri, e] of this.bindings) {
      granted = e;
      extra.push(this.o.expiresHeaderOnly ? `Contact: <${uri}>` : `Contact: <${uri}>;expires=${e}`);
    }
    if (this.o.expiresHeaderOnly) extra.push(`Expires: ${granted}`);
    extra.push("Date: Sat, 13 Nov 2010 23:29:00 GMT");
    return this.respond(req, src, srcPort, 200, extra);
  }

  private challenge(req: ParsedRequest, src: string, srcPort: number, stale: boolean): string {
    let v = `Digest realm="${this.o.realm}", nonce="${this.nonce}", opaque="op4que"`;
    if (this.o.algorithm !== "MD5" || this.o.sendAlgorithm) v += `, algorithm=${this.o.algorithm}`;
    if (this.o.qop !== null) v += `, qop="${this.o.qop}"`;
    if (stale) v += ", stale=true";
    const name = this.o.proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
    return this.respond(req, src, srcPort, this.o.proxy ? 407 : 401, [`${name}: ${v}`]);
  }

  /** A response to `req` (RFC 3261 §8.2.6.2), the top Via marked with received/rport (RFC 3581 §4). */
  respond(req: ParsedRequest, src: string, srcPort: number, status: number, extra: string[]): string {
    const reasons: Record<number, string> = {
      100: "Trying", 200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
      407: "Proxy Authentication Required", 423: "Interval Too Brief", 500: "Server Internal Error",
      501: "Not Implemented", 503: "Service Unavailable", 603: "Decline",
    };
    const vias = req.headers.get("via") ?? [];
    const lines = [`SIP/2.0 ${status} ${reasons[status] ?? "Whatever"}`];
    vias.forEach((v, i) => {
      if (i === 0 && /;rport(?=;|$)/.test(v)) v = v.replace(/;rport(?=;|$)/, `;rport=${srcPort}`) + `;received=${src}`;
      lines.push(`Via: ${v}`);
    });
    lines.push(`From: ${header(req, "From")}`);
    const to = header(req, "To")!;
    lines.push(`To: ${to}${status > 100 && !/;tag=/.test(to) ? `;tag=reg${++this.toTag}` : ""}`);
    lines.push(`Call-ID: ${header(req, "Call-ID")}`);
    lines.push(`CSeq: ${header(req, "CSeq")}`);
    lines.push(...extra);
    lines.push("Server: scripted-registrar", "Content-Length: 0", "", "");
    return lines.join("\r\n");
  }
}

/** Script helpers. */
export const DROP: Scripted = () => null;
export function status(code: number, ...extra: string[]): Scripted {
  return (req, r, src, port) => r.respond(req, src, port, code, extra);
}
