/*
 * The door under test with its core inside the real XS engine: XsIntercom
 * (hosts/xs/xs-intercom.ts: the unmodified core's Intercom in a doorsip-xs
 * worker, UDP and timers bridged from Node) wrapped as a DoorBase, so the
 * interop tests drive and check it exactly as the Node door of
 * startDoor() (test/support/peers.ts): same defaults, SipTrace from the
 * runtime's packet tap, events, relay changes, log, bounded waits, stopped
 * by usePeers' afterAll, everything printed on failure. Calls, table
 * sizes, trust counters and each call slot's RTP figures come from the XS
 * side's `status` reply.
 */
import { expect } from "vitest";
import { LogLevel, type LogHost, type ResolverHost } from "../../src/host";
import { XsIntercom, type XsStatus } from "../../hosts/xs/xs-intercom";
import { DoorBase, doorSettings, trackDoor, type DoorOptions, type DoorTables } from "./peers";
import { expectNoErrorLines, type DoorKind } from "./interop-scenarios";

export interface XsDoorOptions extends DoorOptions {
  /** The worker's initial heap (default: the worker's own). */
  heap?: { slots?: number; chunkBytes?: number };
  /** Log lines above this level are not sent over the bridge (default: debug). */
  logLevel?: LogLevel;
  /** How the core's lookups of the server's name are answered (default: the system's resolver). */
  resolver?: ResolverHost;
}

export class XsDoor extends DoorBase<XsIntercom> {
  /** The last status the XS side gave (for diagnostics, which cannot wait). */
  last: XsStatus | null = null;

  /** Ask the XS side for its state (bounded). */
  async status(timeoutMs = 5000): Promise<XsStatus> {
    this.last = await this.runtime.status(timeoutMs);
    return this.last;
  }

  async tables(): Promise<DoorTables> {
    const s = await this.status();
    return { activeCalls: s.activeCalls, serverCount: s.serverCount, clientCount: s.clientCount, relay: s.relay };
  }

  /** What the worker last reported, its exceptions, and the tail of its stderr. */
  state(): string {
    const r = this.runtime;
    const s = this.last;
    const status = s === null ? "no status asked yet" : `last status: activeCalls ${s.activeCalls}, serverCount ${s.serverCount}, ` +
      `clientCount ${s.clientCount}, registered ${s.registered}, relay ${s.relay}, coreErrors ${s.coreErrors}, trust ${JSON.stringify(s.trust)}, ` +
      `media ${JSON.stringify(s.media.slots)}, heap ${JSON.stringify(s.heap)}`;
    return `doorsip-xs pid ${r.pid} ${r.running ? "running" : "gone"}; ${status}; bridge ${JSON.stringify(r.counts)}` +
      `${r.xsErrors.length > 0 ? `\nerrors inside XS:\n${r.xsErrors.join("\n")}` : ""}` +
      `${r.workerStderr.length > 0 ? `\nworker stderr:\n${r.workerStderr.slice(-20).join("\n")}` : ""}`;
  }
}

/**
 * startDoor() with the core inside XS: the same defaults (account door/doorpass
 * at 127.0.0.1:9, domain doorsip.test, no registration, no keepalive), on
 * 127.0.0.1:<port chosen by the OS>, started.
 */
export async function startXsDoor(o: XsDoorOptions = {}): Promise<XsDoor> {
  const door = new XsDoor(o.label ?? "door (XS)");
  const settings = doorSettings(o);
  const log: LogHost = { log: (level, text) => door.logLine(level, text) };
  const runtime = await XsIntercom.create({
    settings,
    address: "127.0.0.1",
    port: 0,
    log,
    logLevel: o.logLevel ?? LogLevel.Debug,
    heap: o.heap,
    resolver: o.resolver,
    tap: (ev) => door.tap(ev.from, ev.to, ev.bytes),
    onEvent: (event, detail) => door.event(event, detail),
    onPin: (what, on) => door.pin(what, on),
    buildLog: () => {},
    onFatal: (e) => door.logLine(LogLevel.Error, `the XS worker is gone: ${e.message}`),
  });
  door.attach(runtime);
  trackDoor(door, () => door.state());
  runtime.start();
  return door;
}

/** No exception inside XS, none caught by the core, nothing on the worker's stderr, no error line in the log. */
export async function expectCleanXs(door: XsDoor): Promise<void> {
  const s = await door.status();
  expect(door.runtime.xsErrors).toEqual([]);
  expect(door.runtime.workerStderr).toEqual([]);
  expect(s.coreErrors).toBe(0);
  expectNoErrorLines(door);
}

/**
 * The XS door for the scenarios of test/support/interop-scenarios.ts (test/interop-xs.test.ts) and
 * test/support/interop-{linphone,twinkle,sipvicious}-scenarios.ts (test/interop-xs-peers.test.ts).
 */
export const XS_DOOR: DoorKind<XsDoor> = {
  suite: "interop inside XS",
  label: "XS door",
  start: startXsDoor,
  exactInterleaving: false,
  expectClean: expectCleanXs,
  trust: async (door) => (await door.status()).trust,
  // The worker starts on its smallest heap, so XS collects garbage (and grows the heap) while the calls run; the
  // burst's debug lines need not cross the bridge.
  startBurst: (o) => startXsDoor({ ...o, heap: { slots: 4096, chunkBytes: 65536 }, logLevel: LogLevel.Info }),
  async measureBurst(door) {
    const before = await door.status();
    return async (calls, ms) => {
      const after = await door.status();
      expect(after.heap.gcs).toBeGreaterThan(before.heap.gcs);
      return `${calls} calls through the XS door in ${ms} ms; XS heap ${after.heap.slots} slots (peak ${after.heap.peakSlots}), ` +
        `${after.heap.chunkBytes} chunk bytes (peak ${after.heap.peakChunkBytes}), ${after.heap.gcs - before.heap.gcs} collections; ` +
        `bridge ${JSON.stringify(door.runtime.counts)}`;
    };
  },
};
