/*
 * The settings page's connection limits (hosts/moddable/web/guard.ts): how
 * many at once, which is closed for a new one, the deadline, the header
 * limits, and the rate of the log line about them. server.ts closes what
 * these verdicts name through the SDK's own path; that wiring runs in the
 * simulator (test/moddable-web.test.ts).
 */
import { describe, expect, it } from "vitest";
import {
  ConnectionGuard, DEADLINE_MS, LOG_INTERVAL_MS, MAX_CONNECTIONS, MAX_HEADERS, MAX_LINE, Overrun, type Guarded,
} from "../hosts/moddable/web/guard";

class Conn implements Guarded {
  idle = true;
  constructor(readonly name: string, readonly openedAt = 0) {}
}

describe("ConnectionGuard: how many at once", () => {
  it(`takes ${MAX_CONNECTIONS}; a further one replaces the oldest idle one, else it is refused; a released place is free again`, () => {
    const g = new ConnectionGuard<Conn>();
    const held = ["a", "b", "c"].map((n) => new Conn(n));
    for (const c of held) expect(g.admit(c)).toEqual({ kind: "accept" });
    expect(g.size).toBe(MAX_CONNECTIONS);
    // a sent its request line; b is the oldest idle one: it makes room for d.
    held[0]!.idle = false;
    const d = new Conn("d");
    expect(g.admit(d)).toEqual({ kind: "evict", victim: held[1] });
    expect(g.size).toBe(MAX_CONNECTIONS);
    // Every held one busy now: e is refused, and not held.
    held[2]!.idle = false;
    d.idle = false;
    const e = new Conn("e");
    expect(g.admit(e)).toEqual({ kind: "refuse" });
    expect(g.size).toBe(MAX_CONNECTIONS);
    g.release(e);
    expect(g.size).toBe(MAX_CONNECTIONS);
    // a is answered: its place goes to the next.
    g.release(held[0]!);
    g.release(held[0]!);
    expect(g.size).toBe(MAX_CONNECTIONS - 1);
    expect(g.admit(new Conn("f"))).toEqual({ kind: "accept" });
    expect([g.refused, g.evicted]).toEqual([1, 1]);
  });
});

describe("ConnectionGuard: the deadline and the header limits", () => {
  it(`a connection is past its deadline ${DEADLINE_MS} ms after it opened, not before; counted once per verdict`, () => {
    const g = new ConnectionGuard<Conn>();
    const c = new Conn("a", 5000);
    g.admit(c);
    expect(g.expiredAt(c, 5000 + DEADLINE_MS - 1)).toBe(false);
    expect(g.expiredAt(c, 5000 + DEADLINE_MS)).toBe(true);
    expect(g.expired).toBe(1);
  });

  it(`a header line over ${MAX_LINE} bytes without its newline, or over ${MAX_HEADERS} header lines, is an overrun; at the limits it is not`, () => {
    const g = new ConnectionGuard<Conn>();
    expect(g.overrun(MAX_LINE, MAX_HEADERS)).toBe(Overrun.None);
    expect(g.overrun(MAX_LINE + 1, 0)).toBe(Overrun.Line);
    expect(g.overrun(0, MAX_HEADERS + 1)).toBe(Overrun.Headers);
    expect(g.overruns).toBe(2);
  });
});

describe("ConnectionGuard: the log line", () => {
  it(`says what was turned away, at most every ${LOG_INTERVAL_MS} ms, and only when something new was`, () => {
    const g = new ConnectionGuard<Conn>();
    expect(g.report(0)).toBe("");
    for (let i = 0; i < MAX_CONNECTIONS; i++) g.admit(Object.assign(new Conn(`busy${i}`), { idle: false }));
    g.admit(new Conn("x"));
    expect(g.report(1000)).toBe(`web: connections turned away: 1 refused (over ${MAX_CONNECTIONS} at once), 0 idle closed for a new one, ` +
      `0 past ${DEADLINE_MS / 1000} s, 0 over the header limits (${MAX_LINE}-byte line, ${MAX_HEADERS} lines)`);
    // A flood: one line a minute, whatever comes.
    for (let i = 0; i < 1000; i++) g.admit(new Conn(`y${i}`));
    expect(g.report(1000 + LOG_INTERVAL_MS - 1)).toBe("");
    expect(g.report(1000 + LOG_INTERVAL_MS)).toMatch(/^web: connections turned away: 1001 refused /);
    expect(g.report(1000 + 3 * LOG_INTERVAL_MS)).toBe("");
  });
});
