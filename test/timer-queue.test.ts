import { beforeAll, describe, expect, it } from "vitest";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { measure } from "../hosts/xs/harness";
import { TimerEntry, TimerNode, TimerQueue, type TimerTarget } from "../src/sip/timer/timer-queue";
import { TimerKind } from "../src/sip/timer/timer-kind";
import { LogLevel, type LogHost } from "../src/host";
import { VirtualClock } from "./support/virtual-clock";

/** Records (name, time, kind) of every firing. */
class Recorder implements TimerTarget {
  fired: string[] = [];
  hook: ((entry: TimerEntry) => void) | null = null;
  constructor(private readonly clock: VirtualClock, private readonly names: Map<TimerEntry, string>) {}
  onTimer(entry: TimerEntry): void {
    this.fired.push(`${this.names.get(entry) ?? "?"}@${this.clock.now()}`);
    this.hook?.(entry);
  }
}

function setup() {
  const clock = new VirtualClock(1000);
  const queue = new TimerQueue(clock);
  clock.attach(queue);
  const names = new Map<TimerEntry, string>();
  const rec = new Recorder(clock, names);
  const entry = (name: string, kind = TimerKind.User) => {
    const e = new TimerEntry(rec, kind);
    names.set(e, name);
    return e;
  };
  return { clock, queue, rec, entry };
}

describe("TimerQueue", () => {
  it("fires entries in due order at their due times", () => {
    const { clock, queue, rec, entry } = setup();
    const a = entry("a"), b = entry("b"), c = entry("c");
    queue.start(b, 200);
    queue.start(c, 300);
    queue.start(a, 100);
    expect(queue.size).toBe(3);
    expect(queue.nextDue).toBe(1100);
    clock.advance(1000);
    expect(rec.fired).toEqual(["a@1100", "b@1200", "c@1300"]);
    expect(queue.size).toBe(0);
    expect(a.armed || b.armed || c.armed).toBe(false);
  });

  it("does not fire before due", () => {
    const { clock, queue, rec, entry } = setup();
    queue.start(entry("a"), 100);
    clock.advance(99);
    expect(rec.fired).toEqual([]);
    clock.advance(1);
    expect(rec.fired).toEqual(["a@1100"]);
  });

  it("keeps insertion order for equal due times", () => {
    const { clock, queue, rec, entry } = setup();
    const names = ["e0", "e1", "e2", "e3", "e4", "e5"];
    const es = names.map((n) => entry(n));
    // Interleave with a later and an earlier timer so insertion is not just append.
    queue.start(entry("late"), 500);
    for (const e of es) queue.start(e, 100);
    queue.start(entry("early"), 50);
    clock.advance(1000);
    expect(rec.fired).toEqual(["early@1050", ...names.map((n) => `${n}@1100`), "late@1500"]);
  });

  it("restarting an armed entry moves it (and resets equal-time order)", () => {
    const { clock, queue, rec, entry } = setup();
    const a = entry("a"), b = entry("b");
    queue.start(a, 100);
    queue.start(b, 100);
    queue.start(a, 100); // now after b
    expect(queue.size).toBe(2);
    clock.advance(100);
    expect(rec.fired).toEqual(["b@1100", "a@1100"]);
    queue.start(a, 300);
    queue.start(a, 50);
    clock.advance(1000);
    expect(rec.fired).toEqual(["b@1100", "a@1100", "a@1150"]);
  });

  it("stop disarms; stopping twice or an unarmed entry is harmless", () => {
    const { clock, queue, rec, entry } = setup();
    const a = entry("a"), b = entry("b"), c = entry("c");
    queue.start(a, 100);
    queue.start(b, 200);
    queue.start(c, 300);
    expect(queue.stop(b)).toBe(true);
    expect(queue.stop(b)).toBe(false);
    expect(queue.stop(entry("never"))).toBe(false);
    expect(queue.stop(a)).toBe(true); // head
    expect(queue.size).toBe(1);
    clock.advance(1000);
    expect(rec.fired).toEqual(["c@1300"]);
  });

  it("an entry may restart itself from its own callback (retransmit doubling)", () => {
    const { clock, queue, rec, entry } = setup();
    const a = entry("A", TimerKind.A);
    let fires = 0;
    let interval = 500;
    rec.hook = (e) => {
      interval *= 2;
      if (++fires < 5) queue.start(e, interval);
    };
    queue.start(a, interval);
    clock.advance(100_000);
    // T1 doubling: 500, 1000, 2000, 4000, 8000 after each previous firing.
    expect(rec.fired).toEqual(["A@1500", "A@2500", "A@4500", "A@8500", "A@16500"]);
    expect(a.armed).toBe(false);
  });

  it("a zero-delay restart from a callback fires at the next wake, not in the same tick", () => {
    const { clock, queue, rec, entry } = setup();
    const a = entry("a");
    let fires = 0;
    rec.hook = (e) => {
      if (++fires < 3) queue.start(e, 0);
    };
    queue.start(a, 10);
    clock.advance(10);
    expect(rec.fired).toEqual(["a@1010", "a@1010", "a@1010"]);
    expect(clock.ticks).toBe(3);
  });

  it("a callback may stop an entry due in the same tick", () => {
    const { clock, queue, rec, entry } = setup();
    const a = entry("a"), b = entry("b"), c = entry("c");
    rec.hook = (e) => {
      if (e === a) queue.stop(b);
    };
    queue.start(a, 100);
    queue.start(b, 100);
    queue.start(c, 100);
    clock.advance(100);
    expect(rec.fired).toEqual(["a@1100", "c@1100"]);
  });

  it("a callback may start others, earlier than the next armed one", () => {
    const { clock, queue, rec, entry } = setup();
    const a = entry("a"), b = entry("b"), late = entry("late");
    rec.hook = (e) => {
      if (e === a) queue.start(b, 5);
    };
    queue.start(a, 10);
    queue.start(late, 1000);
    clock.advance(2000);
    expect(rec.fired).toEqual(["a@1010", "b@1015", "late@2000"]);
  });

  it("fires all overdue entries in one tick when the host wakes late", () => {
    const { clock, queue, rec, entry } = setup();
    queue.start(entry("a"), 10);
    queue.start(entry("b"), 20);
    queue.start(entry("c"), 30);
    // Simulate a host that wakes late: move time without delivering, then tick.
    clock.wakeAt = null;
    (clock as unknown as { time: number }).time = 1100;
    queue.tick();
    expect(rec.fired).toEqual(["a@1100", "b@1100", "c@1100"]);
  });

  it("a spurious or early wake fires nothing and re-arms for the head", () => {
    const { clock, queue, rec, entry } = setup();
    queue.start(entry("a"), 100);
    queue.tick();
    expect(rec.fired).toEqual([]);
    expect(clock.wakeAt).toBe(1100);
    clock.advance(100);
    expect(rec.fired).toEqual(["a@1100"]);
  });

  it("asks the host only when the earliest due time moves earlier", () => {
    const { clock, queue, entry } = setup();
    queue.start(entry("a"), 100);
    expect(clock.wakeCalls).toBe(1);
    expect(clock.wakeAt).toBe(1100);
    queue.start(entry("b"), 200);
    queue.start(entry("c"), 150);
    expect(clock.wakeCalls).toBe(1);
    queue.start(entry("d"), 50);
    expect(clock.wakeCalls).toBe(2);
    expect(clock.wakeAt).toBe(1050);
  });

  it("re-arms once per tick, not once per start inside callbacks", () => {
    const { clock, queue, rec, entry } = setup();
    const others = Array.from({ length: 10 }, (_, i) => entry(`o${i}`));
    const a = entry("a");
    rec.hook = (e) => {
      if (e === a) for (let i = 0; i < others.length; i++) queue.start(others[i]!, 100 - i);
    };
    queue.start(a, 10);
    const before = clock.wakeCalls;
    clock.advance(10);
    expect(clock.wakeCalls).toBe(before + 1);
    expect(clock.wakeAt).toBe(1010 + 91);
  });

  it("handles many entries with random delays in due order, stable for ties", () => {
    const { clock, queue, rec, entry } = setup();
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 50;
    const expected: { name: string; due: number; order: number }[] = [];
    const es: TimerEntry[] = [];
    for (let i = 0; i < 500; i++) es.push(entry(`n${i}`));
    for (let i = 0; i < 500; i++) {
      const d = rnd() * 10;
      queue.start(es[i]!, d);
      expected.push({ name: `n${i}`, due: 1000 + d, order: i });
    }
    // Stop a third of them.
    for (let i = 0; i < 500; i += 3) queue.stop(es[i]!);
    const live = expected.filter((x) => x.order % 3 !== 0);
    live.sort((x, y) => x.due - y.due || x.order - y.order);
    expect(queue.size).toBe(live.length);
    clock.advance(10_000);
    expect(rec.fired).toEqual(live.map((x) => `${x.name}@${x.due}`));
  });

  it("retags an entry with the kind given to start", () => {
    const { queue, entry } = setup();
    const e = entry("t", TimerKind.A);
    queue.start(e, 100);
    expect(e.kind).toBe(TimerKind.A);
    queue.start(e, 32000, TimerKind.D);
    expect(e.kind).toBe(TimerKind.D);
    expect(queue.remaining(e)).toBe(32000);
    queue.stop(e);
    expect(queue.remaining(e)).toBe(-1);
  });

  it("treats negative and NaN delays as zero", () => {
    const { clock, queue, rec, entry } = setup();
    queue.start(entry("neg"), -5);
    queue.start(entry("nan"), Number.NaN);
    expect(clock.wakeAt).toBe(1000);
    clock.advance(0);
    expect(rec.fired).toEqual(["neg@1000", "nan@1000"]);
  });

  it("survives a throwing callback, logs it, and keeps firing the rest", () => {
    const clock = new VirtualClock(0);
    const logs: string[] = [];
    const log: LogHost = { log: (level, text) => logs.push(`${level}:${text}`) };
    const queue = new TimerQueue(clock, log);
    clock.attach(queue);
    const fired: string[] = [];
    const bad: TimerTarget = { onTimer: () => { throw new Error("boom"); } };
    const good: TimerTarget = { onTimer: () => { fired.push("good"); } };
    queue.start(new TimerEntry(bad, TimerKind.F), 10);
    queue.start(new TimerEntry(good), 10);
    queue.start(new TimerEntry(good), 20);
    clock.advance(100);
    expect(fired).toEqual(["good", "good"]);
    expect(queue.errors).toBe(1);
    expect(logs).toEqual([`${LogLevel.Error}:Timer F callback threw: Error: boom`]);
  });

  it("clear disarms everything", () => {
    const { clock, queue, rec, entry } = setup();
    const es = [entry("a"), entry("b"), entry("c")];
    es.forEach((e, i) => queue.start(e, 10 * (i + 1)));
    queue.clear();
    expect(queue.size).toBe(0);
    expect(es.some((e) => e.armed)).toBe(false);
    clock.advance(100);
    expect(rec.fired).toEqual([]);
  });

  it("a TimerNode is fired itself (a transaction or a call is the entry of its two timers): armed follows start, stop and firing", () => {
    const clock = new VirtualClock(1000);
    const queue = new TimerQueue(clock);
    clock.attach(queue);
    class SelfTimed extends TimerNode {
      fired: number[] = [];
      constructor() {
        super(TimerKind.User);
      }
      fire(): void {
        this.fired.push(clock.now());
        // Disarmed before it is fired.
        if (this.armed) throw new Error("still armed");
        if (this.fired.length < 2) queue.start(this, 50);
      }
    }
    const s = new SelfTimed();
    expect(s.armed).toBe(false);
    queue.start(s, 100);
    expect(s.armed).toBe(true);
    expect(queue.stop(s)).toBe(true);
    expect(s.armed).toBe(false);
    expect(queue.stop(s)).toBe(false);
    queue.start(s, 100);
    clock.advance(1000);
    expect(s.fired).toEqual([1100, 1150]);
    expect(s.armed).toBe(false);
    expect(queue.size).toBe(0);
    expect(queue.errors).toBe(0);
  });

  it("Timer F at 64*T1 = 32 s is reached by advancing virtual time", () => {
    const { clock, queue, rec, entry } = setup();
    const t0 = performance.now();
    queue.start(entry("F", TimerKind.F), 32_000);
    clock.advance(31_999);
    expect(rec.fired).toEqual([]);
    clock.advance(1);
    expect(rec.fired).toEqual(["F@33000"]);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("VirtualClock", () => {
  it("delivers wake-ups at the requested times and ends at the target", () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    clock.attach({ tick: () => { seen.push(clock.now()); if (seen.length < 3) clock.wake(7); } });
    clock.wake(5);
    clock.advance(100);
    expect(seen).toEqual([5, 12, 19]);
    expect(clock.now()).toBe(100);
  });

  it("wake replaces the earlier request", () => {
    const clock = new VirtualClock(0);
    const seen: number[] = [];
    clock.attach({ tick: () => seen.push(clock.now()) });
    clock.wake(50);
    clock.wake(30);
    clock.advance(100);
    expect(seen).toEqual([30]);
  });

  it("refuses to go back and stops a zero-delay loop", () => {
    const clock = new VirtualClock(10);
    expect(() => clock.advanceTo(5)).toThrow();
    clock.maxTicksPerAdvance = 100;
    clock.attach({ tick: () => clock.wake(0) });
    clock.wake(0);
    expect(() => clock.advance(1)).toThrow(/too many/);
  });

  it("runAll delivers until idle", () => {
    const { clock, queue, rec, entry } = setup();
    queue.start(entry("a"), 100);
    queue.start(entry("b"), 64_000);
    expect(clock.runAll()).toBe(64_000);
    expect(rec.fired).toEqual(["a@1100", "b@65000"]);
    expect(clock.wakeAt).toBeNull();
  });
});

// The hot-path rule, checked on the real engine: after construction, starting,
// stopping and firing timers (and writing ids) allocate no slot and no chunk.
describe("under XS (hosts/xs harness)", () => {
  const entry = "test/support/xs-core-fixtures.ts";
  beforeAll(async () => {
    await ensureWorker({ log: () => {} });
  }, 300_000);

  it.each([
    ["startStop", [0]],
    ["startStop", [16]],
    ["fireAndRestart", [16]],
    ["writeIds", []],
  ] as const)("%s(%j) allocates nothing", async (exportName, args) => {
    const m = await measure({ entry, exportName, args: [...args], iterations: 1000 });
    expect(m).toMatchObject({ slots: 0, chunkBytes: 0, exact: true });
    expect(m.compute).toBeGreaterThan(0);
  });
});
