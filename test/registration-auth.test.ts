/*
 * Digest authentication of REGISTER (RFC 3261 §22.2, §22.3, §22.4 with
 * RFC 2617, RFC 7616, RFC 8760), checked by a registrar that recomputes the
 * response with node:crypto. Rules checked:
 * - 401 + WWW-Authenticate -> Authorization; 407 + Proxy-Authenticate ->
 *   Proxy-Authorization (§22.3); the retry is a new request: new branch,
 *   CSeq + 1, same Call-ID (§22.2).
 * - qop=auth: cnonce and nc present, nc counting up under one nonce
 *   (RFC 7616 §3.4); no qop: the RFC 2069 form, without cnonce/nc/qop
 *   (RFC 2617 §3.2.2.1); MD5-sess and SHA-256 (RFC 8760 §2.1).
 * - stale=true: retry with the new nonce, not a failure (RFC 2617 §3.2.1).
 * - A second challenge after credentials (not stale): authentication failed,
 *   reported as AuthFailed, retried later with backoff, no 401 loop.
 * - The digest username may differ from the AOR user (§22.4).
 */
import { describe, expect, it } from "vitest";
import { RegState } from "../src/ua/registration";
import { digestParams, header, status } from "./support/registrar";
import { setup } from "./support/registrar-setup";

describe("registration: digest authentication", () => {
  it("407 then 200: answers with Proxy-Authorization only", () => {
    const s = setup({ proxy: true });
    s.reg.start();
    s.clock.advance(1000);
    const regs = s.registrar.registers;
    expect(regs.map((e) => [e.status, e.auth])).toEqual([[407, "none"], [200, "ok"]]);
    const r = regs[1]!.request;
    expect(header(r, "Authorization")).toBeUndefined();
    expect(header(r, "Proxy-Authorization")).toMatch(/^Digest username="door", realm="doorsip.test", .*qop=auth, nc=00000001$/);
    expect(header(r, "CSeq")).toBe("2 REGISTER");
    expect(header(r, "Call-ID")).toBe(header(regs[0]!.request, "Call-ID"));
    expect(s.reg.state).toBe(RegState.Registered);
    // The refresh carries Proxy-Authorization up front, nc 2: one round trip.
    s.clock.advance(3_300_000);
    expect(regs.length).toBe(2);
    const refresh = s.registrar.registers[2]!;
    expect(refresh.status).toBe(200);
    expect(digestParams(header(refresh.request, "Proxy-Authorization")!).nc).toBe("00000002");
  });

  it("stale=true: retries with the new nonce and is not counted as a failure", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    s.registrar.newNonce(); // the registrar retires the nonce the UA caches
    s.clock.advance(3_300_000); // refresh
    const regs = s.registrar.registers;
    expect(regs.map((e) => [e.status, e.auth])).toEqual([[401, "none"], [200, "ok"], [401, "stale"], [200, "ok"]]);
    const retry = digestParams(header(regs[3]!.request, "Authorization")!);
    expect(retry.nonce).toBe(s.registrar.nonce);
    expect(retry.nc).toBe("00000001");
    expect(header(regs[3]!.request, "CSeq")).toBe("4 REGISTER");
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
    // Several stale nonces in a row, with successes between, never fail.
    for (let i = 0; i < 5; i++) {
      s.registrar.newNonce();
      s.clock.advance(3_240_020);
    }
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
    expect(s.registrar.registers.slice(4).map((e) => e.status)).toEqual([401, 200, 401, 200, 401, 200, 401, 200, 401, 200]);
  });

  it("wrong password: second 401 -> AuthFailed, retried with backoff, no 401 loop over a virtual hour", () => {
    const s = setup({ password: "other" });
    s.reg.start();
    s.clock.advance(1000);
    expect(s.registrar.registers.map((e) => [e.status, e.auth])).toEqual([[401, "none"], [401, "bad"]]);
    expect(s.reg.state).toBe(RegState.AuthFailed);
    expect(s.reg.lastStatus).toBe(401);
    s.clock.advance(3_600_000 - 1000);
    const regs = s.registrar.registers;
    // Backoff 30 s doubling to 30 min with 50-100 % jitter: 7 to 9 attempts of two requests in an hour.
    expect(regs.length).toBeGreaterThanOrEqual(14);
    expect(regs.length).toBeLessThanOrEqual(18);
    expect(regs.length % 2).toBe(0);
    for (let i = 0; i < regs.length; i += 2) {
      expect(header(regs[i]!.request, "Authorization")).toBeUndefined(); // a fresh start, nonce forgotten
      expect([regs[i]!.auth, regs[i + 1]!.auth]).toEqual(["none", "bad"]);
    }
    // Gaps between attempts grow.
    const starts = s.layer.sent.filter((_, i) => i % 2 === 0).map((x) => x.time);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 0.9 - 40);
    expect(s.states.filter((x) => x.state === RegState.AuthFailed).length).toBe(regs.length / 2);
    expect(s.states.every((x) => x.state === RegState.AuthFailed ? x.status === 401 : true)).toBe(true);
    // Fixing the password on the server side: the next attempt succeeds.
    s.registrar.o.password = "secret";
    s.clock.advance(1_800_000);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("after a rejection, a registrar that challenges again with the same nonce gets the next nc, not nc=1 again (found by test/sfuzz.test.ts)", () => {
    // The fuzzer's case: a REGISTER duplicated on the way; the registrar (nc replay protection) answered the copy 401
    // and that 401 overtook the 200. The door took its credentials as rejected and forgot the nonce; the registrar,
    // which keeps its nonce, challenged the next REGISTER with it again, and nc=00000001 under it was a replay, each
    // time: the door stayed unregistered for good.
    const s = setup();
    const nonce = s.registrar.nonce;
    // The first REGISTER is challenged as usual; its credentials (nc=1) are taken by the registrar (the copy that got
    // the 200), but the door sees the copy's 401 first: the same nonce, not stale.
    s.registrar.script.push((req, r, src, port) => r.handle(req.text, src, port));
    s.registrar.script.push((req, r, src, port) => {
      (r as unknown as { lastNc: Map<string, number> }).lastNc.set(nonce, 1);
      return r.respond(req, src, port, 401, [`WWW-Authenticate: Digest realm="doorsip.test", nonce="${nonce}", opaque="op4que", qop="auth"`]);
    });
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.AuthFailed);
    s.clock.advance(3_600_000); // the retries after the backoff
    const regs = s.registrar.registers;
    const after = regs.slice(3);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(header(after[0]!.request, "Authorization")).toBeUndefined(); // still a fresh start: no credentials up front
    expect(digestParams(header(after[1]!.request, "Authorization")!).nonce).toBe(nonce);
    expect(digestParams(header(after[1]!.request, "Authorization")!).nc).toBe("00000002");
    expect(after[1]!.auth).toBe("ok");
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("SHA-256 challenge (RFC 8760)", () => {
    const s = setup({ algorithm: "SHA-256" });
    s.reg.start();
    s.clock.advance(1000);
    const r = s.registrar.registers[1]!;
    expect(r.auth).toBe("ok");
    const p = digestParams(header(r.request, "Authorization")!);
    expect(p.algorithm).toBe("SHA-256");
    expect(p.response).toMatch(/^[0-9a-f]{64}$/);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("MD5-sess challenge", () => {
    const s = setup({ algorithm: "MD5-sess" });
    s.reg.start();
    s.clock.advance(1000);
    expect(s.registrar.registers.map((e) => e.auth)).toEqual(["none", "ok"]);
    expect(digestParams(header(s.registrar.registers[1]!.request, "Authorization")!).algorithm).toBe("MD5-sess");
    s.clock.advance(3_300_000);
    expect(s.registrar.registers[2]!.auth).toBe("ok");
  });

  it("qop-less challenge: RFC 2069 form, refreshes reuse the nonce", () => {
    const s = setup({ qop: null });
    s.reg.start();
    s.clock.advance(1000);
    const a = header(s.registrar.registers[1]!.request, "Authorization")!;
    expect(a).toMatch(/^Digest username="door", realm="doorsip.test", nonce="[^"]+", uri="sip:fritz.box", response="[0-9a-f]{32}", algorithm=MD5, opaque="op4que"$/);
    expect(s.registrar.registers[1]!.auth).toBe("ok");
    s.clock.advance(3_300_000);
    expect(s.registrar.registers.map((e) => e.status)).toEqual([401, 200, 200]);
  });

  it("digest username from authUser", () => {
    const s = setup({ username: "620" }, { authUser: "620" });
    s.reg.start();
    s.clock.advance(1000);
    const r = s.registrar.registers[1]!;
    expect(digestParams(header(r.request, "Authorization")!).username).toBe("620");
    expect(header(r.request, "From")).toMatch(/^<sip:door@fritz\.box>/);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("an unsupported algorithm is an authentication failure, not a loop", () => {
    const s = setup();
    const challenge = status(401, 'WWW-Authenticate: Digest realm="x", nonce="y", algorithm=SHA-512-256, qop="auth"');
    for (let i = 0; i < 100; i++) s.registrar.script.push(challenge);
    s.reg.start();
    s.clock.advance(1000);
    expect(s.registrar.registers.length).toBe(1);
    expect(s.reg.state).toBe(RegState.AuthFailed);
  });

  it("a 401 without any challenge backs off", () => {
    const s = setup();
    s.registrar.script.push(status(401));
    s.reg.start();
    s.clock.advance(1000);
    expect(s.registrar.registers.length).toBe(1);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(401);
    s.clock.advance(30_000);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("attempts that fail after their challenge (503), each meeting a stale nonce: every stale challenge answered, never taken for refused credentials (found by test/sfuzz.test.ts)", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    // Six attempts: the refresh, then the retries after backoff. The nonce has expired each time (the registrar's
    // nonces live seconds, the waits are minutes): stale 401, then the answer with the new nonce gets 503.
    for (let i = 0; i < 6; i++) {
      s.registrar.script.push((req, r, src, port) => {
        r.newNonce();
        return r.respond(req, src, port, 401, [`WWW-Authenticate: Digest realm="doorsip.test", nonce="${r.nonce}", qop="auth", stale=true`]);
      });
      s.registrar.script.push((req, r, src, port) => r.respond(req, src, port, 503, []));
    }
    s.clock.advance(3_240_000 + 2 * 1_800_000);
    const regs = s.registrar.registers.slice(2);
    expect(regs.slice(0, 12).map((e) => e.status)).toEqual(Array(6).fill([401, 503]).flat());
    // Each attempt's second REGISTER answers the nonce its stale challenge gave.
    for (let i = 0; i < 6; i++) expect(digestParams(header(regs[2 * i + 1]!.request, "Authorization")!).nc).toBe("00000001");
    expect(s.states.map((x) => x.state)).not.toContain(RegState.AuthFailed);
    // Then the registrar answers again: registered.
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("a registrar that says stale forever is given up on after a few retries", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    const stale = (): void => {
      s.registrar.script.push((req, r, src, port) => {
        r.newNonce();
        return r.respond(req, src, port, 401, [`WWW-Authenticate: Digest realm="doorsip.test", nonce="${r.nonce}", qop="auth", stale=true`]);
      });
    };
    for (let i = 0; i < 20; i++) stale();
    s.clock.advance(3_241_000);
    // The refresh, then 3 stale retries allowed by DigestSession, then AuthFailed.
    expect(s.registrar.registers.length).toBe(2 + 4);
    expect(s.reg.state).toBe(RegState.AuthFailed);
  });
});
