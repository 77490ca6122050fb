/*
 * A periodic debug line with the XS heap use, from the SDK's
 * `instrumentation` module (modules/base/instrumentation): slot heap and
 * chunk heap in use (bytes), keys in use, and the counters of the app
 * (datagrams, clock wake-ups) that the caller adds. (Collections and stack
 * peak are not shown: the SDK's once-a-second instrumentation sample resets
 * them, modInstrumentMachineReset in xs/platforms/mc/xsHosts.c.)
 *
 * The figures exist only in instrumented builds (mcconfig -d, or -i): a
 * release build compiles modInstrumentation.c without MODINSTRUMENTATION and
 * Instrumentation.map() returns undefined, so this says so once and stops.
 * Compare with `creation` in manifest.json: slots are 16 bytes on the ESP32
 * (32 in the 64-bit simulator), so "slots" / 16 against heap.initial and
 * "chunks" against chunk.initial.
 *
 * Each line is taken right after a garbage collection (the SDK's `debug`
 * module, Debug.gc()), so that it shows what the app keeps alive rather than
 * how much garbage happened to wait for the next collection. One collection
 * a minute costs nothing that matters; the interval is `heap_ms` (tests ask
 * for one a second to see the heap once a call is over).
 */
import Debug from "debug";
import Instrumentation from "instrumentation";
import Timer from "timer";
import { LogLevel } from "../../src/host";
import type { TraceLog } from "./log";

export const HEAP_REPORT_MS = 60000;

export class HeapReport {
  private readonly log: TraceLog;
  private readonly slots: number | undefined;
  private readonly chunks: number | undefined;
  private readonly keys: number | undefined;
  private timer: Timer | null = null;
  /** Text appended to each line (the app's counters); called only when the line is written. */
  extra: (() => string) | null = null;

  constructor(log: TraceLog) {
    this.log = log;
    this.slots = Instrumentation.map("XS Slot Heap Used");
    this.chunks = Instrumentation.map("XS Chunk Heap Used");
    this.keys = Instrumentation.map("XS Keys Used");
  }

  get available(): boolean {
    return this.slots !== undefined && this.chunks !== undefined;
  }

  /** Report now and then every `intervalMs`, when the log is at Debug (no timer otherwise). */
  start(intervalMs: number = HEAP_REPORT_MS): void {
    if (this.log.level < LogLevel.Debug) return;
    if (!this.available) {
      this.log.log(LogLevel.Debug, "heap: no figures in this build (instrumentation is in debug and -i builds)");
      return;
    }
    this.report();
    if (this.timer === null) this.timer = Timer.repeat(() => this.report(), intervalMs);
  }

  stop(): void {
    if (this.timer !== null) Timer.clear(this.timer);
    this.timer = null;
  }

  /** One line now (at Debug; nothing is formatted when the log is above that). */
  report(): void {
    if (!this.available || this.log.level < LogLevel.Debug) return;
    Debug.gc();
    const extra = this.extra !== null ? "; " + this.extra() : "";
    this.log.log(LogLevel.Debug,
      `heap: slots ${String(Instrumentation.get(this.slots))} B, chunks ${String(Instrumentation.get(this.chunks))} B` +
      `, keys ${String(Instrumentation.get(this.keys))}${extra}`);
  }
}
