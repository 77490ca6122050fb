/*
 * The door under test with its core inside the real XS engine: XsIntercom
 * (hosts/xs/xs-intercom.ts: the unmodified core's Intercom in a doorsip-xs
 * worker, UDP and timers bridged from Node) wrapped as a DoorBase, so the
 * interop tests drive and check it exactly as the Node door of
 * startDoor() (test/support/peers.ts): same defaults, SipTrace from the
 * runtime's packet tap, events, relay changes, log, bounded waits, stopped
 * by usePeers' afterAll, everything printed on failure. Calls and table
 * sizes come from the XS side's `status` reply.
 */
import { LogLevel, type LogHost } from "../../src/host";
import { XsIntercom, type XsStatus } from "../../hosts/xs/xs-intercom";
import { DoorBase, doorSettings, trackDoor, type DoorOptions, type DoorTables } from "./peers";

export interface XsDoorOptions extends DoorOptions {
  /** The worker's initial heap (default: the worker's own). */
  heap?: { slots?: number; chunkBytes?: number };
  /** Log lines above this level are not sent over the bridge (default: debug). */
  logLevel?: LogLevel;
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
      `clientCount ${s.clientCount}, registered ${s.registered}, relay ${s.relay}, coreErrors ${s.coreErrors}, heap ${JSON.stringify(s.heap)}`;
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
