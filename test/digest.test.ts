import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import {
  chooseQop, digestResponse, formatAuthorization, formatNc, parseAlgorithm, quote,
  type DigestInput,
} from "../src/sip/auth/digest";
import { chooseChallenge, isStale, parseDigestChallenge } from "../src/sip/auth/challenge";
import { DigestSession, DigestVerdict } from "../src/sip/auth/digest-session";
import { utf8Encode, utf8Length, utf8Write } from "../src/util/utf8";
import { NodeHash } from "../hosts/node/hash";
import { FixedRandom, SeededRandom } from "./support/seeded-random";

const hash = new NodeHash();
const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

// jssip's MD5 digest (its own MD5), as an independent cross-check.
interface JsSipDigest {
  authenticate(req: { method: string; ruri: string; body?: string }, challenge: Record<string, unknown>, cnonce?: string): boolean;
  toString(): string;
}
const require = createRequire(import.meta.url);
const JsSipDigestAuthentication = require("jssip/lib/DigestAuthentication.js") as new (c: { username: string; password: string }) => JsSipDigest;

function paramsOf(header: string): Record<string, string> {
  expect(header.startsWith("Digest ")).toBe(true);
  const out: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([a-z]+)=("((?:[^"\\]|\\.)*)"|[^,\s]+)/g)) {
    out[m[1]!] = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[2]!;
  }
  return out;
}

describe("digestResponse: RFC vectors", () => {
  it("RFC 2617 §3.5 (Mufasa / Circle Of Life)", () => {
    const r = digestResponse(hash, {
      algorithm: "MD5", qop: "auth", username: "Mufasa", password: "Circle Of Life",
      realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      cnonce: "0a4f113b", nc: 1, method: "GET", uri: "/dir/index.html",
    });
    expect(r).toBe("6629fae49393a05397450978507c4ef1");
  });

  const rfc7616: Omit<DigestInput, "algorithm"> = {
    qop: "auth", username: "Mufasa", password: "Circle of Life", realm: "http-auth@example.org",
    nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nc: 1, method: "GET", uri: "/dir/index.html",
  };

  it("RFC 7616 §3.9.1 MD5", () => {
    expect(digestResponse(hash, { ...rfc7616, algorithm: "MD5" })).toBe("8ca523f5e9506fed4657c9700eebdbec");
  });

  it("RFC 7616 §3.9.1 SHA-256", () => {
    expect(digestResponse(hash, { ...rfc7616, algorithm: "SHA-256" })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
  });

  it("the nonce-count is part of the digest", () => {
    const one = digestResponse(hash, { ...rfc7616, algorithm: "MD5" });
    const two = digestResponse(hash, { ...rfc7616, algorithm: "MD5", nc: 2 });
    expect(two).not.toBe(one);
    const ha1 = md5("Mufasa:http-auth@example.org:Circle of Life");
    const ha2 = md5("GET:/dir/index.html");
    expect(two).toBe(md5(`${ha1}:${rfc7616.nonce}:00000002:${rfc7616.cnonce}:auth:${ha2}`));
  });
});

describe("digestResponse: SIP forms", () => {
  const reg: DigestInput = {
    algorithm: "MD5", qop: "auth", username: "door", password: "s3cret", realm: "pbx.example.com",
    nonce: "5f1b3c9a2d", cnonce: "0123456789abcdef", nc: 1, method: "REGISTER", uri: "sip:pbx.example.com",
  };

  it("REGISTER with qop=auth matches an independent computation and jssip", () => {
    const ha1 = md5("door:pbx.example.com:s3cret");
    const ha2 = md5("REGISTER:sip:pbx.example.com");
    const expected = md5(`${ha1}:5f1b3c9a2d:00000001:0123456789abcdef:auth:${ha2}`);
    expect(digestResponse(hash, reg)).toBe(expected);
    const j = new JsSipDigestAuthentication({ username: "door", password: "s3cret" });
    expect(j.authenticate({ method: "REGISTER", ruri: "sip:pbx.example.com" }, { realm: "pbx.example.com", nonce: "5f1b3c9a2d", qop: ["auth"], algorithm: "MD5" }, "0123456789abcdef")).toBe(true);
    expect(paramsOf(j.toString()).response).toBe(expected);
  });

  it("no qop: RFC 2069 form H(HA1:nonce:HA2), as jssip computes it", () => {
    const r = digestResponse(hash, { ...reg, qop: "", cnonce: "" });
    const ha1 = md5("door:pbx.example.com:s3cret");
    expect(r).toBe(md5(`${ha1}:5f1b3c9a2d:${md5("REGISTER:sip:pbx.example.com")}`));
    const j = new JsSipDigestAuthentication({ username: "door", password: "s3cret" });
    j.authenticate({ method: "REGISTER", ruri: "sip:pbx.example.com" }, { realm: "pbx.example.com", nonce: "5f1b3c9a2d" });
    expect(paramsOf(j.toString()).response).toBe(r);
  });

  it("qop=auth-int hashes the body, as jssip computes it", () => {
    const sdp = "v=0\r\no=door 1 1 IN IP4 192.0.2.1\r\ns=-\r\n";
    const body = utf8Encode(sdp + "trailing garbage");
    const r = digestResponse(hash, { ...reg, method: "INVITE", uri: "sip:1000@pbx.example.com", qop: "auth-int", body, bodyLength: utf8Length(sdp) });
    const j = new JsSipDigestAuthentication({ username: "door", password: "s3cret" });
    j.authenticate({ method: "INVITE", ruri: "sip:1000@pbx.example.com", body: sdp }, { realm: "pbx.example.com", nonce: "5f1b3c9a2d", qop: ["auth-int"] }, "0123456789abcdef");
    expect(paramsOf(j.toString()).response).toBe(r);
    // Empty body: H("") goes into A2.
    const empty = digestResponse(hash, { ...reg, qop: "auth-int" });
    expect(empty).toBe(md5(`${md5("door:pbx.example.com:s3cret")}:5f1b3c9a2d:00000001:0123456789abcdef:auth-int:${md5(`REGISTER:sip:pbx.example.com:${md5("")}`)}`));
  });

  it("MD5-sess and SHA-256-sess fold nonce and cnonce into A1", () => {
    const base = md5("door:pbx.example.com:s3cret");
    const ha1 = md5(`${base}:5f1b3c9a2d:0123456789abcdef`);
    const ha2 = md5("REGISTER:sip:pbx.example.com");
    expect(digestResponse(hash, { ...reg, algorithm: "MD5-sess" })).toBe(md5(`${ha1}:5f1b3c9a2d:00000001:0123456789abcdef:auth:${ha2}`));
    const sBase = sha256("door:pbx.example.com:s3cret");
    const sHa1 = sha256(`${sBase}:5f1b3c9a2d:0123456789abcdef`);
    const sHa2 = sha256("REGISTER:sip:pbx.example.com");
    expect(digestResponse(hash, { ...reg, algorithm: "SHA-256-sess" })).toBe(sha256(`${sHa1}:5f1b3c9a2d:00000001:0123456789abcdef:auth:${sHa2}`));
  });

  it("hashes non-ASCII credentials as UTF-8", () => {
    const r = digestResponse(hash, { ...reg, qop: "", username: "tür", password: "pässwörd😀" });
    expect(r).toBe(md5(`${md5("tür:pbx.example.com:pässwörd😀")}:5f1b3c9a2d:${md5("REGISTER:sip:pbx.example.com")}`));
  });
});

describe("formatAuthorization", () => {
  it("formats qop=auth like RFC 3261 §25.1 digest-response (qop, nc, algorithm unquoted)", () => {
    const v = formatAuthorization({
      username: "Mufasa", realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
      uri: "/dir/index.html", response: "6629fae49393a05397450978507c4ef1", algorithm: "MD5",
      qop: "auth", cnonce: "0a4f113b", nc: 1, opaque: "5ccc069c403ebaf9f0171e9517f40e41",
    });
    expect(v).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", ' +
      'opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001',
    );
  });

  it("omits cnonce, qop and nc without qop, and opaque when absent", () => {
    const v = formatAuthorization({
      username: "door", realm: "r", nonce: "n", uri: "sip:r", response: "abc", algorithm: "MD5",
      qop: "", cnonce: "ignored", nc: 1,
    });
    expect(v).toBe('Digest username="door", realm="r", nonce="n", uri="sip:r", response="abc", algorithm=MD5');
  });

  it("keeps cnonce for -sess even without qop, and escapes quoted strings", () => {
    const v = formatAuthorization({
      username: 'a"b\\c', realm: "r", nonce: "n", uri: "sip:r", response: "abc", algorithm: "MD5-sess",
      qop: "", cnonce: "cn", nc: 1,
    });
    expect(v).toContain('username="a\\"b\\\\c"');
    expect(v).toContain('cnonce="cn"');
    expect(v).not.toContain("nc=");
    expect(paramsOf(v).username).toBe('a"b\\c');
    expect(quote("")).toBe('""');
  });

  it("nc is 8 lower-case hex digits", () => {
    expect(formatNc(1)).toBe("00000001");
    expect(formatNc(255)).toBe("000000ff");
  });
});

describe("challenge parsing and choice", () => {
  it("parses a SIP WWW-Authenticate value", () => {
    const c = parseDigestChallenge('Digest realm="atlanta.com", domain="sip:boxesbybob.com", qop="auth,auth-int", nonce="f84f1cec41e6cbe5aea9c8e88d359", opaque="", stale=FALSE, algorithm=MD5');
    expect(c).toEqual({ realm: "atlanta.com", nonce: "f84f1cec41e6cbe5aea9c8e88d359", qop: "auth,auth-int", opaque: "", stale: "FALSE", algorithm: "MD5" });
    expect(isStale(c!)).toBe(false);
  });

  it("handles odd spacing, case, escapes and stale=true", () => {
    const c = parseDigestChallenge('  digest   REALM = "a\\"b" ,nonce="x,y",stale=TRUE,algorithm=SHA-256');
    expect(c).toEqual({ realm: 'a"b', nonce: "x,y", stale: "TRUE", algorithm: "SHA-256" });
    expect(isStale(c!)).toBe(true);
  });

  it("rejects non-Digest schemes, missing realm or nonce, and broken quoting", () => {
    expect(parseDigestChallenge('Basic realm="x"')).toBeNull();
    expect(parseDigestChallenge('Digestrealm="x", nonce="y"')).toBeNull();
    expect(parseDigestChallenge('Digest realm="x"')).toBeNull();
    expect(parseDigestChallenge('Digest nonce="x"')).toBeNull();
    expect(parseDigestChallenge('Digest realm="x, nonce="y')).toBeNull();
    expect(parseDigestChallenge("Digest realm")).toBeNull();
  });

  it("algorithm and qop choices", () => {
    expect(parseAlgorithm(undefined)).toBe("MD5");
    expect(parseAlgorithm("md5-SESS")).toBe("MD5-sess");
    expect(parseAlgorithm("sha-256")).toBe("SHA-256");
    expect(parseAlgorithm("SHA-512-256")).toBeNull();
    expect(chooseQop(undefined)).toBe("");
    expect(chooseQop("")).toBe("");
    expect(chooseQop("auth-int, auth")).toBe("auth");
    expect(chooseQop("auth-int")).toBe("auth-int");
    expect(chooseQop("auth-conf")).toBeNull();
  });

  it("chooses the first supported challenge (RFC 8760)", () => {
    const a = { realm: "r", nonce: "1", algorithm: "SHA-512-256", qop: "auth" };
    const b = { realm: "r", nonce: "2", algorithm: "SHA-256", qop: "auth" };
    const c = { realm: "r", nonce: "3", algorithm: "MD5", qop: "auth" };
    expect(chooseChallenge([a, b, c])).toBe(b);
    expect(chooseChallenge([a])).toBeNull();
  });
});

describe("DigestSession", () => {
  const creds = { username: "door", password: "s3cret" };
  const ch = (nonce: string, extra: Partial<{ stale: string; algorithm: string; qop: string; opaque: string; realm: string }> = {}) =>
    ({ realm: "pbx.example.com", nonce, qop: "auth", ...extra });

  it("answers a challenge; nc counts up per request under one nonce and restarts on a new one", () => {
    const s = new DigestSession(hash, new FixedRandom([0xcafebabe, 0x12345678]), creds);
    expect(s.ready).toBe(false);
    expect(s.authorize("REGISTER", "sip:pbx.example.com")).toBe("");
    expect(s.challenge(ch("n1", { opaque: "op" }))).toBe(DigestVerdict.Retry);
    expect(s.headerName).toBe("Authorization");
    const v1 = paramsOf(s.authorize("REGISTER", "sip:pbx.example.com"));
    expect(v1).toMatchObject({ username: "door", realm: "pbx.example.com", nonce: "n1", uri: "sip:pbx.example.com", algorithm: "MD5", qop: "auth", nc: "00000001", cnonce: "cafebabe12345678", opaque: "op" });
    expect(v1.response).toBe(digestResponse(hash, { algorithm: "MD5", qop: "auth", ...creds, realm: "pbx.example.com", nonce: "n1", cnonce: "cafebabe12345678", nc: 1, method: "REGISTER", uri: "sip:pbx.example.com" }));
    s.succeeded();
    const v2 = paramsOf(s.authorize("REGISTER", "sip:pbx.example.com"));
    expect(v2.nc).toBe("00000002");
    expect(v2.response).not.toBe(v1.response);
    // The server expires the nonce: stale=true, retry with nc back at 1.
    expect(s.challenge(ch("n2", { stale: "true" }))).toBe(DigestVerdict.Retry);
    const v3 = paramsOf(s.authorize("REGISTER", "sip:pbx.example.com"));
    expect(v3.nonce).toBe("n2");
    expect(v3.nc).toBe("00000001");
  });

  it("twin(): the same credentials and options in a session of its own (a 407's beside a 401's), not challenged yet", () => {
    const www = new DigestSession(hash, new FixedRandom([1, 2, 3, 4]), { username: "tür", password: "pässword" }, { maxStaleRetries: 0 });
    expect(www.challenge(ch("n1"))).toBe(DigestVerdict.Retry);
    www.authorize("REGISTER", "sip:pbx.example.com");
    const proxy = www.twin();
    expect(proxy.ready).toBe(false);
    expect(proxy.nc).toBe(0);
    expect(proxy.challenge(ch("p1", { realm: "proxy.example.com" }), true)).toBe(DigestVerdict.Retry);
    expect(proxy.headerName).toBe("Proxy-Authorization");
    expect(www.proxy).toBe(false);
    const v = paramsOf(proxy.authorize("REGISTER", "sip:pbx.example.com"));
    expect(v).toMatchObject({ username: "tür", realm: "proxy.example.com", nonce: "p1", nc: "00000001" });
    expect(v.response).toBe(digestResponse(hash, { algorithm: "MD5", qop: "auth", username: "tür", password: "pässword", realm: "proxy.example.com", nonce: "p1", cnonce: v.cnonce!, nc: 1, method: "REGISTER", uri: "sip:pbx.example.com" }));
    // Its options too: no stale retry allowed.
    proxy.succeeded();
    proxy.authorize("REGISTER", "sip:pbx.example.com");
    expect(proxy.challenge(ch("p2", { realm: "proxy.example.com", stale: "true" }), true)).toBe(DigestVerdict.Fail);
    expect(paramsOf(www.authorize("REGISTER", "sip:pbx.example.com")).nc).toBe("00000002");
  });

  it("a second non-stale challenge after our credentials means they were rejected", () => {
    const s = new DigestSession(hash, new SeededRandom(1), creds);
    expect(s.challenge(ch("n1"))).toBe(DigestVerdict.Retry);
    s.authorize("REGISTER", "sip:pbx.example.com");
    expect(s.challenge(ch("n2"))).toBe(DigestVerdict.Fail);
  });

  it("stale=true does not count as a failure, but a server that always says stale is stopped", () => {
    const s = new DigestSession(hash, new SeededRandom(1), creds, { maxStaleRetries: 2 });
    s.challenge(ch("n0"));
    s.authorize("INVITE", "sip:1000@pbx.example.com");
    expect(s.challenge(ch("n1", { stale: "TRUE" }))).toBe(DigestVerdict.Retry);
    s.authorize("INVITE", "sip:1000@pbx.example.com");
    expect(s.challenge(ch("n2", { stale: "true" }))).toBe(DigestVerdict.Retry);
    s.authorize("INVITE", "sip:1000@pbx.example.com");
    expect(s.challenge(ch("n3", { stale: "true" }))).toBe(DigestVerdict.Fail);
  });

  it("a refresh whose cached nonce was silently dropped retries once", () => {
    const s = new DigestSession(hash, new SeededRandom(1), creds);
    s.challenge(ch("n1"));
    s.authorize("REGISTER", "sip:pbx.example.com");
    s.succeeded();
    s.authorize("REGISTER", "sip:pbx.example.com"); // refresh, nc=2
    expect(s.challenge(ch("n2"))).toBe(DigestVerdict.Retry);
    expect(paramsOf(s.authorize("REGISTER", "sip:pbx.example.com")).nc).toBe("00000001");
    // The new nonce has not worked yet, so a further challenge is a real rejection.
    expect(s.challenge(ch("n3"))).toBe(DigestVerdict.Fail);
  });

  it("two challenges before any credentials were sent are not a failure", () => {
    const s = new DigestSession(hash, new SeededRandom(1), creds);
    expect(s.challenge(ch("n1"))).toBe(DigestVerdict.Retry);
    expect(s.challenge(ch("n2"))).toBe(DigestVerdict.Retry);
  });

  it("407 answers go in Proxy-Authorization; SHA-256 and no-qop challenges", () => {
    const s = new DigestSession(hash, new SeededRandom(5), creds);
    expect(s.challenge({ realm: "proxy", nonce: "pn", algorithm: "SHA-256" }, true)).toBe(DigestVerdict.Retry);
    expect(s.headerName).toBe("Proxy-Authorization");
    const v = s.authorize("INVITE", "sip:1000@pbx.example.com");
    const p = paramsOf(v);
    expect(p.algorithm).toBe("SHA-256");
    expect(p.response).toMatch(/^[0-9a-f]{64}$/);
    expect(v).not.toContain("qop=");
    expect(v).not.toContain("cnonce=");
    expect(p.response).toBe(sha256(`${sha256("door:proxy:s3cret")}:pn:${sha256("INVITE:sip:1000@pbx.example.com")}`));
  });

  it("refuses unsupported algorithms and qops without changing state", () => {
    const s = new DigestSession(hash, new SeededRandom(1), creds);
    expect(s.challenge(ch("n1", { algorithm: "SHA-512-256" }))).toBe(DigestVerdict.Unsupported);
    expect(s.challenge(ch("n1", { qop: "auth-conf" }))).toBe(DigestVerdict.Unsupported);
    expect(s.ready).toBe(false);
  });

  it("auth-int sessions hash the body given to authorize", () => {
    const s = new DigestSession(hash, new FixedRandom([1, 2]), creds);
    s.challenge(ch("n1", { qop: "auth-int" }));
    const body = utf8Encode("v=0\r\n");
    const p = paramsOf(s.authorize("INVITE", "sip:1000@pbx.example.com", body, body.length));
    expect(p.qop).toBe("auth-int");
    const ha2 = md5(`INVITE:sip:1000@pbx.example.com:${md5("v=0\r\n")}`);
    expect(p.response).toBe(md5(`${md5("door:pbx.example.com:s3cret")}:n1:00000001:0000000100000002:auth-int:${ha2}`));
  });

  it("reset forgets the nonce", () => {
    const s = new DigestSession(hash, new SeededRandom(1), creds);
    s.challenge(ch("n1"));
    s.reset();
    expect(s.ready).toBe(false);
    expect(s.authorize("REGISTER", "sip:x")).toBe("");
  });
});

describe("utf8", () => {
  it("matches TextEncoder on BMP, astral and lone surrogates", () => {
    const te = new TextEncoder();
    for (const s of ["", "abc", "é", "€", "ü😀x", "\ud800", "a\udc00b", "\ud83d", "\u07ff\u0800\uffff"]) {
      expect(Array.from(utf8Encode(s))).toEqual(Array.from(te.encode(s)));
      expect(utf8Length(s)).toBe(te.encode(s).length);
    }
  });

  it("utf8Write writes at an offset and refuses what does not fit", () => {
    const b = new Uint8Array(5);
    expect(utf8Write("é", b, 3)).toBe(5);
    expect(Array.from(b)).toEqual([0, 0, 0, 0xc3, 0xa9]);
    expect(utf8Write("éa", b, 3)).toBe(-1);
    expect(utf8Write("a", b, -1)).toBe(-1);
  });
});
