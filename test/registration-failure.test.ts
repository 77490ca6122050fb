/*
 * Registration failures and recovery. Rules checked:
 * - A timeout (Timer F, RFC 3261 §17.1.2.2) counts as 408 and a transport
 *   error as 503 (§8.1.3.1); both back off.
 * - Backoff: wait = min(30 min, 30 s * 2^(n-1)), delay drawn in [wait/2, wait]
 *   (RFC 5626 §4.5 shape); a success resets it.
 * - 503 with Retry-After (§21.5.4, §20.33): the retry comes exactly then.
 * - 403, 404, 5xx, 6xx: back off and retry automatically; the state and the
 *   last status are reported to the listener.
 * - Nothing throws out of the core: a throwing listener changes nothing.
 */
import { describe, expect, it } from "vitest";
import { RegState } from "../src/ua/registration";
import { DROP, status } from "./support/registrar";
import { setup } from "./support/registrar-setup";

describe("registration: failures", () => {
  it("timeouts: backoff with bounded jitter, doubling to 30 min; recovery resets it", () => {
    const s = setup();
    s.registrar.down = true;
    s.reg.start();
    s.clock.advance(12 * 3_600_000);
    const sends = s.layer.sent.map((x) => x.time);
    // Each attempt times out after 32 s, then waits the backoff delay.
    const delays = sends.slice(1).map((t, i) => t - sends[i]! - 32_000);
    delays.forEach((d, i) => {
      const wait = Math.min(1_800_000, 30_000 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(wait / 2);
      expect(d).toBeLessThanOrEqual(wait);
    });
    expect(new Set(delays.map((d, i) => d / Math.min(1_800_000, 30_000 * 2 ** i))).size).toBeGreaterThan(5); // jittered
    expect(delays.length).toBeGreaterThan(20);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(408);
    expect(s.states.slice(0, 3).map((x) => [x.state, x.status])).toEqual([
      [RegState.Registering, 0], [RegState.Backoff, 408], [RegState.Registering, 408],
    ]);
    // The server comes back: the next attempt registers, and the backoff starts over.
    s.registrar.down = false;
    s.clock.advance(1_800_000);
    expect(s.reg.state).toBe(RegState.Registered);
    const registeredAt = s.states[s.states.length - 1]!.time;
    s.registrar.down = true;
    s.clock.advanceTo(registeredAt + 3_240_000 + 32_000 + 1); // the refresh times out
    expect(s.reg.state).toBe(RegState.Backoff);
    const t0 = s.layer.sent[s.layer.sent.length - 1]!.time;
    expect(t0).toBe(registeredAt - 20 + 3_240_000); // counted from the REGISTER, sent 20 ms before its 200
    s.clock.advanceTo(t0 + 32_000 + 30_000 + 1);
    const t1 = s.layer.sent[s.layer.sent.length - 1]!.time;
    expect(t1 - t0 - 32_000).toBeGreaterThanOrEqual(15_000);
    expect(t1 - t0 - 32_000).toBeLessThanOrEqual(30_000);
  });

  it("a short binding (60 s, refreshed after 30 s) whose refresh gets no answer: no longer registered when the binding ends, not at Timer F", () => {
    const s = setup({ maxExpires: 60 });
    s.reg.start();
    s.clock.advance(1000);
    // REGISTER at 0 -> 401 at 20 ms; again at 20 ms -> 200 (60 s) at 40 ms: the binding ends 60 s after that REGISTER was sent.
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.reg.granted).toBe(60);
    const sent = s.layer.sent.map((x) => x.time);
    expect(sent).toEqual([0, 20]);
    const end = sent[1]! + 60_000;
    s.registrar.down = true;
    s.clock.advanceTo(end - 1);
    // The refresh went 30 s after the REGISTER that got the binding and is still under way (Timer F: 32 s).
    expect(s.layer.sent.map((x) => x.time)).toEqual([0, 20, 30_020]);
    expect(s.reg.state).toBe(RegState.Registered);
    s.clock.advanceTo(end);
    expect(s.reg.state).toBe(RegState.Registering);
    expect(s.reg.bound).toBe(false);
    expect(s.reg.granted).toBe(0);
    // Then the refresh times out and the registration backs off as before.
    s.clock.advanceTo(30_020 + 32_000);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.states.map((x) => [x.state, x.time])).toEqual([
      [RegState.Registering, 0], [RegState.Registered, 40], [RegState.Registering, end], [RegState.Backoff, 62_020],
    ]);
    // An answer in time keeps it Registered throughout: the server back, the backoff's retry registers again.
    s.registrar.down = false;
    s.clock.advance(60_000);
    expect(s.reg.state).toBe(RegState.Registered);
    const registered = s.states.length;
    s.clock.advance(600_000);
    expect(s.states.length).toBe(registered);
  });

  it("the server moves while a refresh is under way: still registered (the binding's end kept), until the REGISTER to the new address times out", () => {
    const s = setup({ maxExpires: 600 });
    s.reg.start();
    s.clock.advance(1000);
    // The binding of the REGISTER of 20 ms ends at 600 020 ms; its refresh goes at 540 020 ms and gets no answer.
    s.registrar.down = true;
    s.clock.advanceTo(550_000);
    expect(s.layer.sent.map((x) => x.time)).toEqual([0, 20, 540_020]);
    s.reg.moveServer("198.51.100.20");
    expect(s.layer.sent.map((x) => [x.time, x.address])).toEqual([[0, "192.168.1.1"], [20, "192.168.1.1"], [540_020, "192.168.1.1"], [550_000, "198.51.100.20"]]);
    s.clock.advanceTo(550_000 + 32_000 - 1);
    expect(s.reg.state).toBe(RegState.Registered);
    s.clock.advanceTo(550_000 + 32_000);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered, RegState.Backoff]);
  });

  it("a 200 that comes late (a server back on a retransmission): the refresh is counted from the REGISTER, so a 60 s binding is refreshed at once and never lapses", () => {
    const s = setup({ maxExpires: 60 });
    // Both REGISTERs are answered 31 s after they went: the binding runs from 31 s (the server may have taken the first copy) to 91 s.
    s.layer.latencyMs = 31_000;
    s.reg.start();
    s.clock.advanceTo(31_000);
    s.layer.latencyMs = 20;
    s.clock.advanceTo(62_000);
    expect(s.reg.state).toBe(RegState.Registered);
    // Refreshed at once (31 s + 30 s is past), not at 62 s + 30 s, which would leave the door registered past 91 s.
    expect(s.layer.sent.map((x) => x.time)).toEqual([0, 31_000, 62_000]);
    s.clock.advanceTo(200_000);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
  });

  it.each([0, 1, 20, 29])("503 with Retry-After: %i on every attempt: no tight loop, the backoff's doubling delays instead, never before the Retry-After (§21.5.4)", (seconds) => {
    const s = setup();
    for (let i = 0; i < 1000; i++) s.registrar.script.push(status(503, `Retry-After: ${seconds}`));
    s.reg.start();
    s.clock.advance(3_600_000);
    const sends = s.layer.sent.map((x) => x.time);
    // Each 503 comes 20 ms after its REGISTER; the next waits the backoff delay, in [wait/2, wait), and not less than
    // the Retry-After (§21.5.4: no request to that server for that long).
    const delays = sends.slice(1).map((t, i) => t - sends[i]! - 20);
    delays.forEach((d, i) => {
      const wait = Math.min(1_800_000, 30_000 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(Math.max(wait / 2, seconds * 1000));
      expect(d).toBeLessThan(wait);
    });
    // 15 + 30 + 60 + ... s at least: at most 8 in the hour (before: one every 20 ms, 180,000).
    expect(sends.length).toBeLessThanOrEqual(8);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(503);
  });

  it("503 with Retry-After: retries exactly then", () => {
    const s = setup();
    s.registrar.script.push(status(503, "Retry-After: 120 (maintenance);duration=60"));
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(503);
    expect(s.states.map((x) => [x.state, x.status])).toEqual([[RegState.Registering, 0], [RegState.Backoff, 503]]);
    s.clock.advance(120_000 - 1000 + 19);
    expect(s.layer.sent.length).toBe(1);
    s.clock.advance(1);
    expect(s.layer.sent.length).toBe(2);
    expect(s.layer.sent[1]!.time).toBe(120_020);
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it.each([403, 404, 500, 503, 603])("%i: backs off and retries automatically", (code) => {
    const s = setup();
    s.registrar.script.push(status(code), status(code));
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(code);
    s.clock.advance(30_000);
    expect(s.layer.sent.length).toBe(2); // second failure
    expect(s.reg.state).toBe(RegState.Backoff);
    s.clock.advance(60_000);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.registrar.registers.map((e) => e.status)).toEqual([code, code, 401, 200]);
    // The log names each state in words, with the status that led to it (a user reads it on the device's console).
    expect(s.log.lines.filter((l) => l.includes("registration: ")).map((l) => l.replace(/^\d+: /, ""))).toEqual([
      "registration: registering", `registration: failed, retrying (${code})`, "registration: registering", `registration: failed, retrying (${code})`,
      "registration: registering", "registration: registered (200)",
    ]);
  });

  it("a failed refresh reports Backoff and re-registers later", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    s.registrar.script.push(status(500));
    s.clock.advance(3_240_000);
    expect(s.reg.state).toBe(RegState.Backoff);
    s.clock.advance(30_000);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.registrar.registers.map((e) => e.status)).toEqual([401, 200, 500, 200]);
  });

  it("transport error (send refused) counts as 503 and backs off", () => {
    const s = setup();
    s.layer.sendFails = true;
    s.reg.start();
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(503);
    s.layer.sendFails = false;
    s.clock.advance(31_000);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("no room in the layer to keep the REGISTER (a flood's answers): retries shortly, no backoff, no failure", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    const before = s.states.length;
    s.layer.refuseSends = true;
    s.clock.advance(3_500_000); // the refresh is due well before (3240 s), the binding's end (3600 s) not yet
    expect(s.reg.state).toBe(RegState.Registered); // still bound as far as it knows; no Backoff
    expect(s.states.slice(before).map((x) => x.state)).not.toContain(RegState.Backoff);
    s.layer.refuseSends = false;
    const sent = s.layer.sent.length;
    s.clock.advance(2100); // the next try goes out within busyRetryMs
    expect(s.layer.sent.length).toBe(sent + 1);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.reg.lastStatus).toBe(200);
    // A transport error is still a failure (the test above): the two are told apart.
  });

  it("no room for the refresh until past the binding's end: Registering at that end, not Registered for ever, and no Backoff", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    const end = s.layer.sent[s.layer.sent.length - 1]!.time + 3_600_000;
    s.layer.refuseSends = true;
    s.clock.advanceTo(end - 1);
    expect(s.reg.state).toBe(RegState.Registered);
    s.clock.advanceTo(end);
    expect(s.reg.state).toBe(RegState.Registering);
    expect(s.reg.bound).toBe(false);
    s.clock.advance(600_000);
    expect(s.reg.state).toBe(RegState.Registering);
    expect(s.states.map((x) => x.state)).not.toContain(RegState.Backoff);
    s.layer.refuseSends = false;
    s.clock.advance(2100);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("a challenged refresh whose second REGISTER finds no free transaction keeps its binding's end: no lapse while it is valid", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    const before = s.states.length;
    // A new nonce: the refresh (at 3240 s) is challenged; its second REGISTER then finds the pool full for a while.
    const refreshAt = s.layer.sent[s.layer.sent.length - 1]!.time + 3_240_000;
    s.registrar.nonce = "rotated-nonce";
    s.clock.advanceTo(refreshAt + 10);
    const sent = s.layer.sent.length;
    expect(s.layer.sent[sent - 1]!.time).toBe(refreshAt);
    s.layer.maxClients = 0;
    s.clock.advanceTo(refreshAt + 10_000);
    expect(s.layer.sent.length).toBe(sent);
    s.layer.maxClients = 8;
    s.clock.advance(3000);
    expect(s.layer.sent.length).toBeGreaterThan(sent);
    expect(s.reg.state).toBe(RegState.Registered);
    // Registered throughout: the binding (ending at 3600 s) was valid all along.
    expect(s.states.slice(before).map((x) => x.state)).toEqual([]);
  });

  it("no free transaction: retries shortly without counting a failure", () => {
    const s = setup();
    s.layer.maxClients = 0;
    s.reg.start();
    expect(s.reg.state).toBe(RegState.Registering);
    s.clock.advance(10_000);
    expect(s.layer.sent.length).toBe(0);
    s.layer.maxClients = 8;
    s.clock.advance(2100);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("a lost unregister still ends in Unregistered (after Timer F)", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    s.registrar.script.push(DROP);
    s.reg.stop();
    s.clock.advance(31_000);
    expect(s.reg.state).toBe(RegState.Unregistering);
    s.clock.advance(1_000);
    expect(s.reg.state).toBe(RegState.Unregistered);
    expect(s.reg.lastStatus).toBe(408);
  });

  it("a throwing listener does not break registration", () => {
    const s = setup({}, {}, { listener: { onRegistrationState: () => { throw new Error("LED on fire"); } } });
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.layer.userErrors).toEqual([]);
    expect(s.reg.errors).toBeGreaterThan(0);
  });
});
