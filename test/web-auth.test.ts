/*
 * The settings page's HTTP Digest check (hosts/moddable/web/auth.ts), on
 * Node with node:crypto's MD5 and random source: RFC 7616 §3.9.1's worked
 * example, then the device's own challenge answered by a client that
 * computes RFC 7616 §3.4.1's response itself (node:crypto, not the core's
 * digest code), a wrong password, stale and forged nonces, replayed nonce
 * counts, and the lockout on a virtual clock.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { NodeHash } from "../hosts/node/hash";
import { NodeRandom } from "../hosts/node/random";
import { digestResponse } from "../src/sip/auth/digest";
import { AuthResult, LOCKOUT_MS, MAX_AUTHORIZATION, MAX_WRONG, NONCE_LIFETIME_MS, parseAuthorization, REALM, WEB_USER, WebAuth } from "../hosts/moddable/web/auth";
import { VirtualClock } from "./support/virtual-clock";

const md5 = (text: string): string => createHash("md5").update(text, "utf8").digest("hex");

/** A client's Authorization for a WWW-Authenticate challenge, computed here from RFC 7616 §3.4.1. */
function answer(challenge: string, o: { user?: string; password: string; method: string; uri: string; nc?: number; cnonce?: string }): string {
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
  const realm = /realm="([^"]+)"/.exec(challenge)![1]!;
  const nc = (o.nc ?? 1).toString(16).padStart(8, "0");
  const cnonce = o.cnonce ?? "0a4f113b";
  const user = o.user ?? WEB_USER;
  const ha1 = md5(`${user}:${realm}:${o.password}`);
  const ha2 = md5(`${o.method}:${o.uri}`);
  const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${o.uri}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
}

function makeAuth(password = "door pass"): { auth: WebAuth; clock: VirtualClock } {
  const clock = new VirtualClock(1_000_000);
  return { auth: new WebAuth(new NodeHash(), new NodeRandom(), clock, password), clock };
}

describe("web digest (RFC 7616)", () => {
  it("RFC 7616 §3.9.1: the worked example's Authorization parses and its MD5 response is the one computed", () => {
    const header = `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, ` +
      `nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ` +
      `qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`;
    const c = parseAuthorization(header)!;
    expect(c).toMatchObject({ username: "Mufasa", realm: "http-auth@example.org", uri: "/dir/index.html", algorithm: "MD5", nc: "00000001", qop: "auth" });
    const response = digestResponse(new NodeHash(), {
      algorithm: "MD5", qop: "auth", username: c.username, password: "Circle of Life", realm: c.realm,
      nonce: c.nonce, cnonce: c.cnonce, nc: parseInt(c.nc, 16), method: "GET", uri: c.uri,
    });
    expect(response).toBe("8ca523f5e9506fed4657c9700eebdbec");
    expect(response).toBe(c.response);
  });

  it("parses quoted-pairs and refuses other schemes, broken quoting and oversized values", () => {
    expect(parseAuthorization(`Digest username="a\\"b", realm="r"`)!.username).toBe("a\"b");
    expect(parseAuthorization(`Basic YWRtaW46eA==`)).toBeNull();
    expect(parseAuthorization(`Digest username="open`)).toBeNull();
    expect(parseAuthorization(`Digest username`)).toBeNull();
    expect(parseAuthorization(`Digest username="${"x".repeat(MAX_AUTHORIZATION)}"`)).toBeNull();
  });

  it("takes the right password for its own challenge, and only for the method and URI it was computed for", () => {
    const { auth } = makeAuth();
    const challenge = auth.challenge(false);
    expect(challenge).toMatch(new RegExp(`^Digest realm="${REALM}", qop="auth", algorithm=MD5, nonce="[0-9a-f]{8}\\.[0-9a-f]{8}\\.[0-9a-f]{16}"$`));
    expect(auth.check("GET", "/", undefined)).toBe(AuthResult.Missing);
    expect(auth.check("GET", "/", "Basic YWRtaW46eA==")).toBe(AuthResult.Missing);
    const good = answer(challenge, { password: "door pass", method: "GET", uri: "/" });
    expect(auth.check("GET", "/", good)).toBe(AuthResult.Ok);
    // The same nonce with a higher count (a browser's next request) is fine; the same count again is a replay.
    expect(auth.check("POST", "/", answer(challenge, { password: "door pass", method: "POST", uri: "/", nc: 2 }))).toBe(AuthResult.Ok);
    expect(auth.check("POST", "/", answer(challenge, { password: "door pass", method: "POST", uri: "/", nc: 2 }))).toBe(AuthResult.Replay);
    // Computed for GET /, presented with POST / or for another URI: not this request's.
    expect(auth.check("POST", "/", answer(challenge, { password: "door pass", method: "GET", uri: "/", nc: 3 }))).toBe(AuthResult.Wrong);
    expect(auth.check("GET", "/reset", answer(challenge, { password: "door pass", method: "GET", uri: "/", nc: 4 }))).toBe(AuthResult.Malformed);
  });

  it("a wrong password or user is Wrong; a nonce the device did not make is Malformed", () => {
    const { auth } = makeAuth();
    const challenge = auth.challenge(false);
    expect(auth.check("GET", "/", answer(challenge, { password: "door pas", method: "GET", uri: "/" }))).toBe(AuthResult.Wrong);
    expect(auth.check("GET", "/", answer(challenge, { user: "root", password: "door pass", method: "GET", uri: "/" }))).toBe(AuthResult.Wrong);
    expect(auth.wrongInRow).toBe(2);
    // A nonce of the right shape whose tag was not made with the device's secret.
    const forged = challenge.replace(/nonce="([0-9a-f]{8}\.[0-9a-f]{8}\.)[0-9a-f]{16}"/, `nonce="$10123456789abcdef"`);
    expect(forged).not.toBe(challenge);
    expect(auth.check("GET", "/", answer(forged, { password: "door pass", method: "GET", uri: "/" }))).toBe(AuthResult.Malformed);
    // Another device's nonce (a second WebAuth, its own secret) is not ours either.
    const other = makeAuth().auth.challenge(false);
    expect(auth.check("GET", "/", answer(other, { password: "door pass", method: "GET", uri: "/" }))).toBe(AuthResult.Malformed);
    // qop and algorithm we did not offer.
    const good = answer(challenge, { password: "door pass", method: "GET", uri: "/", nc: 7 });
    expect(auth.check("GET", "/", good.replace("qop=auth", "qop=auth-int"))).toBe(AuthResult.Malformed);
    expect(auth.check("GET", "/", good.replace("algorithm=MD5", "algorithm=SHA-256"))).toBe(AuthResult.Malformed);
    expect(auth.check("GET", "/", good)).toBe(AuthResult.Ok);
    expect(auth.wrongInRow).toBe(0);
  });

  it("a nonce older than its lifetime is Stale with the right password, Wrong with a wrong one", () => {
    const { auth, clock } = makeAuth();
    const challenge = auth.challenge(false);
    clock.advance(NONCE_LIFETIME_MS + 1);
    expect(auth.check("GET", "/", answer(challenge, { password: "door pass", method: "GET", uri: "/" }))).toBe(AuthResult.Stale);
    expect(auth.check("GET", "/", answer(challenge, { password: "nope", method: "GET", uri: "/" }))).toBe(AuthResult.Wrong);
    expect(auth.challenge(true)).toMatch(/, stale=true$/);
    expect(auth.check("GET", "/", answer(auth.challenge(true), { password: "door pass", method: "GET", uri: "/" }))).toBe(AuthResult.Ok);
  });

  it("a nonce pushed out of the table of recent ones, or issued before it, cannot be used again", () => {
    const { auth, clock } = makeAuth();
    const nonces: string[] = [];
    for (let i = 0; i < 6; i++) {
      nonces.push(auth.challenge(false));
      clock.advance(10);
    }
    // Used in order: the fifth pushes the first out.
    for (let i = 0; i < 5; i++) expect(auth.check("GET", "/", answer(nonces[i]!, { password: "door pass", method: "GET", uri: "/" }))).toBe(AuthResult.Ok);
    expect(auth.check("GET", "/", answer(nonces[0]!, { password: "door pass", method: "GET", uri: "/", nc: 9 }))).toBe(AuthResult.Stale);
    expect(auth.check("GET", "/", answer(nonces[5]!, { password: "door pass", method: "GET", uri: "/" }))).toBe(AuthResult.Ok);
  });

  it("a nonce used late does not reopen the table to nonces issued after it but pushed out already (replay)", () => {
    // Nonces are pushed out in the order they were first used, not issued: an old nonce used last is pushed out
    // last, and the bound on what counts as forgotten must not move back to its issue time.
    const { auth, clock } = makeAuth();
    const early = auth.challenge(false);
    clock.advance(100);
    const late = auth.challenge(false);
    clock.advance(100);
    const ok = (challenge: string, nc = 1): AuthResult => auth.check("GET", "/", answer(challenge, { password: "door pass", method: "GET", uri: "/", nc }));
    // A browser's request with the late nonce, recorded by an eavesdropper.
    const recorded = answer(late, { password: "door pass", method: "GET", uri: "/", cnonce: "feedf00d" });
    expect(auth.check("GET", "/", recorded)).toBe(AuthResult.Ok);
    expect(ok(early)).toBe(AuthResult.Ok);
    // Four more nonces in use push out the late one, then the early one.
    for (let i = 0; i < 4; i++) {
      expect(ok(auth.challenge(false))).toBe(AuthResult.Ok);
      clock.advance(10);
    }
    // Still within its lifetime, the recorded request must not be taken again.
    expect(auth.check("GET", "/", recorded)).toBe(AuthResult.Stale);
  });

  it(`locks after ${MAX_WRONG} wrong passwords in a row: the right one is refused until the cool-down is over, which doubles next time`, () => {
    const { auth, clock } = makeAuth();
    const wrong = (): AuthResult => auth.check("GET", "/", answer(auth.challenge(false), { password: "guess", method: "GET", uri: "/" }));
    const right = (): AuthResult => auth.check("GET", "/", answer(auth.challenge(false), { password: "door pass", method: "GET", uri: "/" }));
    for (let i = 0; i < MAX_WRONG; i++) expect(wrong()).toBe(AuthResult.Wrong);
    expect(right()).toBe(AuthResult.Locked);
    expect(auth.lockedForMs()).toBe(LOCKOUT_MS);
    clock.advance(LOCKOUT_MS - 1);
    expect(right()).toBe(AuthResult.Locked);
    clock.advance(1);
    // Over: a fresh count; another MAX_WRONG wrong ones lock for twice as long.
    for (let i = 0; i < MAX_WRONG; i++) expect(wrong()).toBe(AuthResult.Wrong);
    expect(auth.lockedForMs()).toBe(2 * LOCKOUT_MS);
    clock.advance(2 * LOCKOUT_MS);
    expect(right()).toBe(AuthResult.Ok);
    expect(auth.lockouts).toBe(0);
    // Without credentials a locked page still challenges (nothing to count).
    expect(auth.check("GET", "/", undefined)).toBe(AuthResult.Missing);
  });
});
