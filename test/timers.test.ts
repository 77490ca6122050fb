import { describe, expect, it } from "vitest";
import { TimerValues, DEFAULT_T1, DEFAULT_T2, DEFAULT_T4 } from "../src/sip/timer/timers";
import { TimerKind, timerName } from "../src/sip/timer/timer-kind";

describe("TimerValues (RFC 3261 Table 4)", () => {
  it("has the RFC defaults for UDP", () => {
    const t = new TimerValues();
    expect([t.t1, t.t2, t.t4]).toEqual([500, 4000, 5000]);
    expect([DEFAULT_T1, DEFAULT_T2, DEFAULT_T4]).toEqual([500, 4000, 5000]);
    expect(t.a).toBe(500);
    expect(t.b).toBe(32_000);
    expect(t.d).toBe(32_000);
    expect(t.e).toBe(500);
    expect(t.f).toBe(32_000);
    expect(t.g).toBe(500);
    expect(t.h).toBe(32_000);
    expect(t.i).toBe(5000);
    expect(t.j).toBe(32_000);
    expect(t.k).toBe(5000);
    expect(t.l).toBe(32_000);
    expect(t.m).toBe(32_000);
  });

  it("derives from configured T1, T2, T4", () => {
    const t = new TimerValues({ t1: 100, t2: 1000, t4: 2000, d: 40_000 });
    expect(t.a).toBe(100);
    expect(t.b).toBe(6400);
    expect(t.f).toBe(6400);
    expect(t.h).toBe(6400);
    expect(t.j).toBe(6400);
    expect(t.i).toBe(2000);
    expect(t.k).toBe(2000);
    expect(t.d).toBe(40_000);
  });

  it("zeroes the wait timers on reliable transports", () => {
    const t = new TimerValues({ reliable: true });
    expect([t.d, t.i, t.j, t.k]).toEqual([0, 0, 0, 0]);
    expect(t.b).toBe(32_000);
    expect(t.f).toBe(32_000);
    expect(t.h).toBe(32_000);
  });

  it("falls back to defaults for nonsense values instead of throwing", () => {
    const t = new TimerValues({ t1: 0, t2: -1, t4: Number.NaN, d: Infinity });
    expect([t.t1, t.t2, t.t4, t.d]).toEqual([500, 4000, 5000, 32_000]);
  });

  it("Timer A doubles without cap; E and G double up to T2", () => {
    const t = new TimerValues();
    const a: number[] = [t.a];
    const e: number[] = [t.e];
    for (let i = 0; i < 6; i++) {
      a.push(t.nextA(a[a.length - 1]!));
      e.push(t.nextCapped(e[e.length - 1]!));
    }
    expect(a).toEqual([500, 1000, 2000, 4000, 8000, 16000, 32000]);
    expect(e).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000]);
    // INVITE over UDP: 7 transmissions before Timer B (RFC 3261 §17.1.1.2: A fires at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s).
    let at = 0, interval = t.a, sends = 1;
    while (at + interval < t.b) { at += interval; sends++; interval = t.nextA(interval); }
    expect(sends).toBe(7);
  });

  it("names timers by their RFC letters", () => {
    expect(timerName(TimerKind.A)).toBe("Timer A");
    expect(timerName(TimerKind.K)).toBe("Timer K");
    expect(timerName(TimerKind.M)).toBe("Timer M");
    expect(timerName(TimerKind.None)).toBe("none");
  });
});
