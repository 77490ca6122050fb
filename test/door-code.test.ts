/*
 * The door code (src/app/door-opener.ts, src/app/intercom.ts) on the
 * virtual clock: no default code; accepted only in an answered call whose
 * dialog is confirmed and which came from a trusted source (or which we
 * placed); nothing outside a dialog, in an early dialog (before our 2xx),
 * or with a forged tag reaches the relay; wrong codes are counted and lock the
 * opener out, for longer each time.
 */
import { describe, expect, it } from "vitest";
import { CodeResult, DoorOpener, ENTRY_TIMEOUT_MS, MAX_LOCKOUT_MS, STORAGE_KEY, validDoorCode } from "../src/app/door-opener";
import type { StorageHost } from "../src/host";
import { IntercomEvent } from "../src/app/intercom";
import { TimerQueue } from "../src/sip/timer/timer-queue";
import { ackFor, answeredCall, OFFER, reply, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";
import { VirtualClock } from "./support/virtual-clock";

const STRANGER = "203.0.113.9";

function dtmf(ok: Msg, cseq: number, digit: string, o: { toTag?: string; callId?: string } = {}): string {
  return request("INFO", {
    toTag: o.toTag ?? toTag(ok), callId: o.callId ?? ok.msg.callIdString(), cseq, branch: `z9hG4bKdtmf${cseq}`,
    body: `Signal=${digit}\r\nDuration=160\r\n`, contentType: "application/dtmf-relay", contact: "",
  });
}

/** Hang up from the door's side; the peer answers the BYE. */
function hangUp(r: Rig, port?: number, address?: string): void {
  r.intercom.ua.hangupAll();
  const bye = r.take().find((m) => m.kind === "BYE")!;
  r.deliver(reply(bye, 200, "OK", { toTag: null }), port, address);
  expect(r.intercom.ua.activeCalls).toBe(0);
}


describe("the door code: when it counts", () => {
  it("there is no default code: DTMF opens nothing until one is configured, and the start-up log says so", () => {
    const r = rig();
    r.intercom.start();
    expect(r.logs).toContain("intercom: no door code is configured: DTMF does not open the door");
    const ok = answeredCall(r);
    for (const [i, d] of [..."#1234#*0"].entries()) r.deliver(dtmf(ok, 2 + i, d));
    expect(r.pins.relayChanges).toEqual([]);
    expect(r.intercom.opener.enabled).toBe(false);
    expect(r.logs.filter((l) => l === "intercom: DTMF ignored: no door code is configured")).toHaveLength(8);
    expect(r.eventNames()).not.toContain("wrong code");
  });

  it("codes are 1 to 16 of 0-9 * # A-D; anything else leaves the opener disabled rather than guessing", () => {
    expect(["#", "1234#", "a#", "*0*", "0123456789ABCD*#"].map(validDoorCode)).toEqual([true, true, true, true, true]);
    expect(["", "12x", "12 34", "0123456789ABCD*#1", "E#"].map(validDoorCode)).toEqual([false, false, false, false, false]);
    const r = rig({ doorCode: "12x" });
    expect(r.intercom.opener.enabled).toBe(false);
    const lower = rig({ doorCode: "b#" });
    const ok = answeredCall(lower);
    lower.deliver(dtmf(ok, 2, "B"));
    lower.deliver(dtmf(ok, 3, "#"));
    expect(lower.pins.relay).toBe(true);
  });

  it("INFO, MESSAGE and NOTIFY outside any dialog never reach the relay", () => {
    const r = rig({ doorCode: "#" });
    r.deliver(request("INFO", { body: "Signal=#\r\n", contentType: "application/dtmf-relay", contact: "" }));
    r.deliver(request("MESSAGE", { body: "#", contentType: "text/plain", contact: "", callId: "m" }));
    r.deliver(request("NOTIFY", { contact: "", callId: "n", extra: ["Event: dtmf", "Subscription-State: active"] }));
    expect(r.takeLines()).toEqual([
      "SIP/2.0 481 Call/Transaction Does Not Exist", "SIP/2.0 200 OK", "SIP/2.0 481 Subscription Does Not Exist",
    ]);
    expect(r.pins.relayChanges).toEqual([]);
  });

  it("not in the early dialog (after 180, before the 2xx); once the 2xx went out the dialog is confirmed (§12.1.1)", () => {
    const r = rig({ doorCode: "#", calls: { autoAnswerMs: 2000 } });
    r.deliver(request("INVITE", { body: OFFER }));
    const ringing = r.take().find((m) => m.kind === "180")!;
    r.deliver(dtmf(ringing, 2, "#"));
    r.deliver(dtmf(ringing, 3, "#"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    expect(r.pins.relayChanges).toEqual([]);
    expect(r.intercom.opener.wrongTotal).toBe(0);
    r.advance(2000);
    const ok = r.take().find((m) => m.kind === "200")!;
    // An INFO after our 2xx that overtook the ACK: the dialog is confirmed, the call answered (call.ts takes it as up).
    r.deliver(dtmf(ok, 4, "#"));
    expect(r.pins.relayChanges).toEqual([true]);
  });

  it("a forged in-dialog INFO (wrong To tag, wrong From tag, wrong Call-ID) gets 481 and opens nothing", () => {
    const r = rig({ doorCode: "#" });
    const ok = answeredCall(r);
    r.deliver(dtmf(ok, 2, "#", { toTag: "0123456789abcdef" }));
    r.deliver(request("INFO", { toTag: toTag(ok), fromTag: "not-the-phone", callId: ok.msg.callIdString(), cseq: 3, branch: "z9hG4bKf3", body: "Signal=#\r\n", contentType: "application/dtmf-relay", contact: "" }));
    r.deliver(dtmf(ok, 4, "#", { callId: "guessed@x" }));
    expect(r.takeLines()).toEqual(Array(3).fill("SIP/2.0 481 Call/Transaction Does Not Exist"));
    expect(r.pins.relayChanges).toEqual([]);
  });

  it("a call from an untrusted source let in by acceptAny talks, but its DTMF never opens the door", () => {
    const r = rig({ doorCode: "#", trust: { acceptAny: true } });
    const ok = answeredCall(r, 5060, STRANGER);
    r.deliver(dtmf(ok, 2, "#"), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.pins.relayChanges).toEqual([]);
    expect(r.logs).toContain("intercom: DTMF ignored: the call is from an untrusted source");
    expect(r.intercom.opener.wrongTotal).toBe(0);
    // The next call, through the registrar, may.
    hangUp(r, 5060, STRANGER);
    r.deliver(request("INVITE", { body: OFFER, callId: "trusted@phone", branch: "z9hG4bKtrusted" }));
    const ok2 = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok2));
    r.deliver(dtmf(ok2, 3, "#")); // a branch of its own (the first call's INFO still waits out Timer J)
    expect(r.pins.relayChanges).toEqual([true]);
  });

  it("acceptAny lets strangers call, not type into a trusted call: its dialog's INFO, re-INVITE, UPDATE and REFER copied from elsewhere get 403 (found by the stateful fuzzer)", () => {
    const r = rig({ doorCode: "1#", trust: { acceptAny: true } });
    const ok = answeredCall(r);
    const copied = (method: string, cseq: number, extra: Partial<Parameters<typeof request>[1]>): string =>
      request(method, { toTag: toTag(ok), callId: ok.msg.callIdString(), cseq, branch: `z9hG4bKcopy${cseq}`, contact: "", ...extra });
    r.deliver(dtmf(ok, 2, "1"), 5060, STRANGER);
    r.deliver(dtmf(ok, 3, "#"), 5060, STRANGER);
    r.deliver(copied("INVITE", 4, { body: OFFER.replace(/192\.0\.2\.\d+/g, STRANGER) }), 5060, STRANGER);
    r.deliver(copied("UPDATE", 5, { body: OFFER.replace(/192\.0\.2\.\d+/g, STRANGER) }), 5060, STRANGER);
    r.deliver(copied("REFER", 6, { extra: ["Refer-To: <sip:200@example.com>"] }), 5060, STRANGER);
    expect(r.takeLines()).toEqual(Array(5).fill("SIP/2.0 403 Forbidden - Untrusted Source"));
    expect(r.pins.relayChanges).toEqual([]);
    expect(r.intercom.opener.wrongTotal).toBe(0);
    expect(r.intercom.trust.counters.acceptedUntrusted).toBe(0);
    // The call goes on: its own peer's code opens the door.
    r.deliver(dtmf(ok, 7, "1"));
    r.deliver(dtmf(ok, 8, "#"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    expect(r.pins.relayChanges).toEqual([true]);
    // And the stranger's own call is still let in (acceptAny), counted.
    hangUp(r);
    r.deliver(request("INVITE", { body: OFFER, callId: "own@stranger", branch: "z9hG4bKown" }), 5060, STRANGER);
    expect(r.take().map((m) => m.kind)).toContain("200");
    expect(r.intercom.trust.counters.acceptedUntrusted).toBe(1);
  });

  it("our own doorbell call: the callee's code opens the door once the 2xx is acknowledged", () => {
    const r = rig({ doorCode: "7#", targets: ["100"] });
    r.intercom.press();
    const inv = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(inv, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    const fromTag = Buffer.from(inv.msg.buf.subarray(inv.msg.from.tagStart, inv.msg.from.tagStart + inv.msg.from.tagLen)).toString("latin1");
    const info = (cseq: number, d: string): string => request("INFO", {
      callId: inv.msg.callIdString(), fromTag: "callee-tag", toTag: fromTag, cseq, branch: `z9hG4bKcallee${cseq}`,
      body: `Signal=${d}\r\n`, contentType: "application/dtmf-relay", contact: "",
    });
    r.deliver(info(1, "7"));
    r.deliver(info(2, "#"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    expect(r.pins.relayChanges).toEqual([true]);
    expect(r.eventNames()).toContain("door opened");
  });
});

describe("the door code: brute force", () => {
  function opener(lockoutMs = 60_000): { clock: VirtualClock; o: DoorOpener } {
    const clock = new VirtualClock(0);
    const queue = new TimerQueue(clock);
    clock.attach(queue);
    return { clock, o: new DoorOpener(queue, undefined, "4711", 1000, 3, lockoutMs) };
  }
  const type = (o: DoorOpener, digits: string, owner = 0): CodeResult[] => [...digits].map((d) => o.digit(d.charCodeAt(0), owner));

  it("three wrong codes lock it for the cool-down; each further lockout in a row doubles it; the right code resets", () => {
    const { clock, o } = opener();
    const wrongThree = (): void => {
      for (let i = 0; i < 3; i++) {
        o.newCall();
        type(o, "0000");
      }
    };
    wrongThree();
    expect(o.locked).toBe(true);
    expect(type(o, "4711").at(-1)).toBe(CodeResult.Locked);
    clock.advance(59_999);
    expect(o.locked).toBe(true);
    clock.advance(1);
    expect(o.locked).toBe(false);
    wrongThree();
    expect(o.lockouts).toBe(2);
    clock.advance(60_000);
    expect(o.locked).toBe(true); // 120 s this time
    clock.advance(60_000);
    expect(o.locked).toBe(false);
    wrongThree();
    clock.advance(239_999);
    expect(o.locked).toBe(true);
    clock.advance(1);
    expect(type(o, "4711").at(-1)).toBe(CodeResult.Open);
    expect(o.lockouts).toBe(0);
    wrongThree();
    clock.advance(60_000);
    expect(o.locked).toBe(false);
    expect(o.wrongTotal).toBe(12);
    expect(o.openings).toBe(1);
  });

  it("the doubling stops at an hour", () => {
    const { o } = opener(60_000);
    const seen: number[] = [];
    for (let n = 1; n <= 9; n++) {
      o.lockouts = n;
      seen.push(o.cooldownMs);
    }
    expect(seen).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, MAX_LOCKOUT_MS, MAX_LOCKOUT_MS, MAX_LOCKOUT_MS]);
  });

  it("a lockout that is over counts wrong codes afresh: two more do not lock, the third does; the relay pulse lasts openMs", () => {
    const { clock, o } = opener(60_000);
    const setRelay: boolean[] = [];
    const pinClock = new VirtualClock(0);
    const pinQueue = new TimerQueue(pinClock);
    pinClock.attach(pinQueue);
    const pinned = new DoorOpener(pinQueue, { setRelay: (on: boolean) => void setRelay.push(on), setLed: () => undefined }, "4711", 1000, 3, 60_000);
    // One wrong code per call, so that only the count in a row (across calls) is at work.
    const wrongInNewCall = (): CodeResult => {
      o.newCall();
      return type(o, "0000").at(-1)!;
    };
    for (let i = 0; i < 3; i++) wrongInNewCall();
    expect([o.locked, o.lockouts, o.wrongInRow]).toEqual([true, 1, 3]);
    clock.advance(60_000);
    expect(o.locked).toBe(false);
    expect(wrongInNewCall()).toBe(CodeResult.Wrong);
    expect(wrongInNewCall()).toBe(CodeResult.Wrong);
    expect([o.locked, o.wrongInRow]).toEqual([false, 2]);
    expect(wrongInNewCall()).toBe(CodeResult.Wrong);
    expect([o.locked, o.lockouts]).toEqual([true, 2]);
    expect(wrongInNewCall()).toBe(CodeResult.Locked);
    // The pulse: on at once, off after openMs (the opener is its timer's entry).
    expect(type(pinned, "4711").at(-1)).toBe(CodeResult.Open);
    expect([pinned.relayOn, setRelay]).toEqual([true, [true]]);
    pinClock.advance(999);
    expect(pinned.relayOn).toBe(true);
    pinClock.advance(1);
    expect([pinned.relayOn, setRelay]).toEqual([false, [true, false]]);
  });

  it("digits of two calls do not add up to one code; '*' clears an entry", () => {
    const { o } = opener();
    // "47" in one call and "11" in another would make 4711 if they were one entry.
    expect(type(o, "47", 0)).toEqual([CodeResult.Pending, CodeResult.Pending]);
    expect(type(o, "11", 1)).toEqual([CodeResult.Pending, CodeResult.Pending]);
    expect(o.openings).toBe(0);
    expect(type(o, "*4711", 1)).toEqual([CodeResult.Cleared, CodeResult.Pending, CodeResult.Pending, CodeResult.Pending, CodeResult.Open]);
  });

  it("an entry not completed within 10 s of its last digit is forgotten: a stray digit does not spoil the code typed later, and stray digits add up to no wrong entry", () => {
    const { clock, o } = opener();
    expect(type(o, "9")).toEqual([CodeResult.Pending]);
    clock.advance(ENTRY_TIMEOUT_MS + 1);
    expect(type(o, "4711")).toEqual([CodeResult.Pending, CodeResult.Pending, CodeResult.Pending, CodeResult.Open]);
    // Four stray digits, each more than 10 s after the one before: no entry ever completes.
    for (const d of "1234") {
      clock.advance(ENTRY_TIMEOUT_MS + 1);
      expect(type(o, d)).toEqual([CodeResult.Pending]);
    }
    expect(o.wrongInCall).toBe(0);
    // A slow typist within 10 s a digit is fine.
    clock.advance(ENTRY_TIMEOUT_MS + 1);
    for (const d of "471") {
      expect(type(o, d)).toEqual([CodeResult.Pending]);
      clock.advance(ENTRY_TIMEOUT_MS);
    }
    expect(type(o, "1")).toEqual([CodeResult.Open]);
  });

  it("in the intercom: wrong codes across calls lock out; the right code in the locked window does nothing", () => {
    const r = rig({ doorCode: "1234", maxWrongCodes: 3, lockoutMs: 30_000 });
    let cseq = 2;
    for (let call = 0; call < 3; call++) {
      r.deliver(request("INVITE", { body: OFFER, callId: `c${call}@phone`, branch: `z9hG4bKc${call}` }));
      const ok = r.take().find((m) => m.kind === "200")!;
      r.deliver(ackFor(ok));
      for (const d of "9999") r.deliver(dtmf(ok, cseq++, d));
      hangUp(r);
      r.advance(100);
    }
    expect(r.events.filter((e) => e.name === "wrong code").map((e) => e.detail)).toEqual(["wrong code 1", "wrong code 1", "wrong code 1"]);
    expect(r.intercom.opener.locked).toBe(true);
    r.deliver(request("INVITE", { body: OFFER, callId: "c3@phone", branch: "z9hG4bKc3" }));
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    for (const d of "1234") r.deliver(dtmf(ok, cseq++, d));
    expect(r.pins.relayChanges).toEqual([]);
    expect(r.events.at(-1)).toMatchObject({ name: "wrong code", detail: "locked out" });
    r.advance(30_000);
    for (const d of "1234") r.deliver(dtmf(ok, cseq++, d));
    expect(r.pins.relayChanges).toEqual([true]);
  });
});

describe("the door code: counts that outlive a restart", () => {
  /** A StorageHost over a Map, as the device's NVS preferences (hosts/moddable/storage.ts). */
  function store(): StorageHost & { values: Map<string, string>; writes: number } {
    const values = new Map<string, string>();
    const s = { values, writes: 0, get: (k: string) => values.get(k), set: (k: string, v: string) => { s.writes++; values.set(k, v); } };
    return s;
  }
  /** The station booting: a fresh clock from 0 (the device keeps none across a restart), the same storage. */
  function boot(storage: StorageHost): { clock: VirtualClock; o: DoorOpener } {
    const clock = new VirtualClock(0);
    const queue = new TimerQueue(clock);
    clock.attach(queue);
    return { clock, o: new DoorOpener(queue, undefined, "4711", 1000, 3, 60_000, storage) };
  }
  const wrong = (o: DoorOpener): CodeResult => {
    o.newCall();
    let r = CodeResult.Pending;
    for (const d of "0000") r = o.digit(d.charCodeAt(0));
    return r;
  };
  const right = (o: DoorOpener): CodeResult => {
    o.newCall();
    let r = CodeResult.Pending;
    for (const d of "4711") r = o.digit(d.charCodeAt(0));
    return r;
  };

  it("a lockout under way at a restart starts again, in full, from the boot; its count keeps doubling the next", () => {
    const s = store();
    const first = boot(s);
    for (let i = 0; i < 3; i++) wrong(first.o);
    expect(first.o.locked).toBe(true);
    expect(s.values.get(STORAGE_KEY)).toBe("1,1,3");
    // The power is pulled 10 s into the 60 s lockout; the station comes back.
    first.clock.advance(10_000);
    const again = boot(s);
    expect([again.o.locked, again.o.lockouts]).toEqual([true, 1]);
    expect(right(again.o)).toBe(CodeResult.Locked);
    again.clock.advance(59_999);
    expect(again.o.locked).toBe(true);
    again.clock.advance(1);
    expect(again.o.locked).toBe(false);
    // Over: a fresh count of wrong entries, and the next lockout is twice as long (the lockouts in a row were kept).
    expect(wrong(again.o)).toBe(CodeResult.Wrong);
    expect(s.values.get(STORAGE_KEY)).toBe("1,0,1");
    wrong(again.o);
    wrong(again.o);
    expect([again.o.locked, again.o.cooldownMs]).toEqual([true, 120_000]);
  });

  it("wrong entries in a row are kept too: two, a restart, one more locks; the right code clears what was stored", () => {
    const s = store();
    const first = boot(s);
    wrong(first.o);
    wrong(first.o);
    const again = boot(s);
    expect([again.o.locked, again.o.wrongInRow]).toEqual([false, 2]);
    wrong(again.o);
    expect(again.o.locked).toBe(true);
    again.clock.advance(60_000);
    expect(right(again.o)).toBe(CodeResult.Open);
    expect(s.values.get(STORAGE_KEY)).toBe("0,0,0");
    // Opening again writes nothing: flash sees writes only when the counts change.
    const writes = s.writes;
    again.clock.advance(2000);
    expect(right(again.o)).toBe(CodeResult.Open);
    expect(s.writes).toBe(writes);
    const third = boot(s);
    expect([third.o.locked, third.o.wrongInRow, third.o.lockouts]).toEqual([false, 0, 0]);
  });

  it("a stored value that cannot be read is none; a storage that throws does not stop the opener", () => {
    for (const bad of ["", "x", "1,2,3", "-1,1,0", "1,1", "1,1,3,4", "9999999,1,0"]) {
      const s = store();
      s.values.set(STORAGE_KEY, bad);
      const { o } = boot(s);
      expect([o.locked, o.lockouts, o.wrongInRow], bad).toEqual([false, 0, 0]);
    }
    const broken: StorageHost = { get: () => { throw new Error("nvs"); }, set: () => { throw new Error("nvs"); } };
    const { o } = boot(broken);
    for (let i = 0; i < 3; i++) wrong(o);
    expect(o.locked).toBe(true);
  });

  it("in the intercom: the counts go to IntercomHosts.storage, and a station started over it is locked out", () => {
    const s = store();
    const r = rig({ doorCode: "1234", maxWrongCodes: 3, lockoutMs: 30_000 }, { storage: s });
    let cseq = 2;
    for (let call = 0; call < 3; call++) {
      r.deliver(request("INVITE", { body: OFFER, callId: `c${call}@phone`, branch: `z9hG4bKc${call}` }));
      const ok = r.take().find((m) => m.kind === "200")!;
      r.deliver(ackFor(ok));
      for (const d of "9999") r.deliver(dtmf(ok, cseq++, d));
      hangUp(r);
      r.advance(100);
    }
    expect(r.intercom.opener.locked).toBe(true);
    const restarted = rig({ doorCode: "1234", maxWrongCodes: 3, lockoutMs: 30_000 }, { storage: s });
    expect(restarted.intercom.opener.locked).toBe(true);
    const ok = answeredCall(restarted);
    for (const [i, d] of [..."1234"].entries()) restarted.deliver(dtmf(ok, 2 + i, d));
    expect(restarted.pins.relayChanges).toEqual([]);
    restarted.advance(30_000);
    for (const [i, d] of [..."1234"].entries()) restarted.deliver(dtmf(ok, 6 + i, d));
    expect(restarted.pins.relayChanges).toEqual([true]);
  });
});

describe("the door code in the log", () => {
  const CODE = "7391#";
  /** The code typed in an answered, confirmed call; returns the lines the log got. */
  function typeCode(r: Rig): string[] {
    // up() without its look at the rig's listener, which these tests replace.
    r.deliver(request("INVITE", { body: OFFER }));
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    expect(r.logs.some((l) => l.startsWith("intercom: call up"))).toBe(true);
    let cseq = 2;
    for (const d of CODE) r.deliver(dtmf(ok, cseq++, d));
    expect(r.pins.relayChanges).toEqual([true]);
    return r.logs;
  }
  const dtmfLines = (logs: string[]): string[] => logs.filter((l) => /dtmf/i.test(l));

  it("with no listener, the log (every level, Info among them) says 'intercom: dtmf' for each digit and never the digit", () => {
    const r = rig({ doorCode: CODE });
    r.intercom.listener = undefined;
    const logs = typeCode(r);
    expect(dtmfLines(logs)).toEqual(Array(CODE.length).fill("intercom: dtmf"));
    expect(logs.some((l) => l.startsWith("intercom: door opened"))).toBe(true);
    expect(logs.filter((l) => /dtmf\W*[0-9A-D*#]/i.test(l))).toEqual([]);
  });

  it("a listener in the process gets each digit as the detail, the log line still none; one that wants no details gets ''", () => {
    const r = rig({ doorCode: CODE });
    const logs = typeCode(r);
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe(CODE);
    expect(dtmfLines(logs)).toEqual(Array(CODE.length).fill("intercom: dtmf"));
    const quiet = rig({ doorCode: CODE });
    const details: string[] = [];
    quiet.intercom.listener = { details: false, onIntercomEvent: (e, _call, detail) => void (e === IntercomEvent.Dtmf && details.push(detail)) };
    expect(dtmfLines(typeCode(quiet))).toEqual(Array(CODE.length).fill("intercom: dtmf"));
    expect(details).toEqual(Array(CODE.length).fill(""));
  });
});
