/*
 * Setup functions for hosts/xs/harness.ts measuring the timer queue and the
 * id writers under real XS: each returns the function to measure. All
 * entries, buffers and targets are made here, once, so the measured calls
 * must allocate nothing (the core's hot-path rule).
 */
import { TimerEntry, TimerQueue, type TimerTarget } from "../../src/sip/timer/timer-queue";
import { TimerKind } from "../../src/sip/timer/timer-kind";
import { TimerValues } from "../../src/sip/timer/timers";
import { writeBranch, writeCallId, writeTag } from "../../src/sip/ids";
import { VirtualClock } from "./virtual-clock";
import { SeededRandom } from "./seeded-random";

class Retransmitter implements TimerTarget {
  fired = 0;
  queue: TimerQueue | null = null;
  readonly timers = new TimerValues();
  /** The last delay (a transaction keeps it as its retransmitInterval). */
  interval = 0;
  onTimer(entry: TimerEntry): void {
    this.fired++;
    // Timer E style: restart from the callback with the interval doubled up to T2.
    this.interval = this.timers.nextCapped(this.interval);
    this.queue!.start(entry, this.interval);
  }
}

function makeQueue(others: number) {
  const clock = new VirtualClock(0);
  const queue = new TimerQueue(clock);
  clock.attach(queue);
  const target = new Retransmitter();
  target.queue = queue;
  // Background timers (Timer F, far away) so insertion has something to walk past.
  const bg: TimerEntry[] = [];
  for (let i = 0; i < others; i++) {
    const e = new TimerEntry(target, TimerKind.F);
    bg.push(e);
    queue.start(e, 1_000_000_000 + i);
  }
  return { clock, queue, target };
}

/** start + stop of one entry among `others` armed ones. */
export function startStop(others: number): () => void {
  const { queue, target } = makeQueue(others);
  const e = new TimerEntry(target, TimerKind.A);
  return () => {
    queue.start(e, 500, TimerKind.A);
    queue.stop(e);
  };
}

/** One Timer E firing per call: advance the virtual clock, tick, restart from the callback. */
export function fireAndRestart(others: number): () => void {
  const { clock, queue, target } = makeQueue(others);
  const e = new TimerEntry(target, TimerKind.E);
  target.interval = 500;
  queue.start(e, target.interval);
  return () => {
    clock.advance(4000);
  };
}

/** Branch, tag and Call-ID written into one preallocated buffer. */
export function writeIds(): () => void {
  const random = new SeededRandom(7);
  const out = new Uint8Array(128);
  return () => {
    let o = writeBranch(random, out, 0);
    o = writeTag(random, out, o);
    writeCallId(random, out, o);
  };
}
