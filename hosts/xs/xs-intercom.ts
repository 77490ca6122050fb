/*
 * XsIntercom: the door intercom with the core running inside the real XS
 * engine (the doorsip-xs worker), for `doorsip run --xs`. This is the Node
 * side of the bridge (protocol: hosts/xs/bridge-protocol.ts): it owns the
 * dgram socket, the single timer, the randomness seed and the terminal; the
 * worker runs hosts/xs/intercom-worker.ts bundled with the unmodified core.
 *
 *   const door = await XsIntercom.create({ settings, onEvent: (e, detail) => ... });
 *   door.start(); door.press(); ...; await door.stop();
 *
 * It implements the same DoorRuntime as NodeIntercom, so `doorsip run` and
 * its --demo tour drive either. Calls carry audio as with NodeIntercom: an
 * RTP and an RTCP socket per call slot, bound here and bridged, and the
 * door's microphone and speaker (`audio`: WAV files, a tone) here, their
 * frames bridged.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type AudioHost, LogLevel, type ResolverHost, type UdpReceiver } from "../../src/host";
import { IntercomEvent, intercomEventName } from "../../src/app/intercom";
import { timeoutDelay } from "../node/clock";
import { NodeUdp } from "../node/udp";
import { NodeResolver } from "../node/resolver";
import { firstHop, LoggedPins, TappedUdp, type DoorRuntime, type DoorRuntimeOptions, type SlotMedia } from "../node/runtime";
import { FileAudio } from "../node/audio/file-audio";
import { bindMediaPairs, closeMediaSockets, type MediaSocketPair } from "../node/audio/rtp-sockets";
import {
  BRIDGE_VERSION, FRAME_BYTES, FRAME_SAMPLES, MIC_LEAD, isRtcpSocket, rtcpSocket, rtpSocket, socketSlot,
  type FromXs, type ToXs, type XsHeap, type XsMedia, type XsTrust,
} from "./bridge-protocol";
import { bundleForXs } from "./xs-bundle";

export interface XsIntercomOptions extends DoorRuntimeOptions {
  /** The project root (holding hosts/xs); default: found upwards from this module. */
  root?: string;
  /** The worker's initial heap (default: the worker's, 1 Mi slots and 64 MiB of chunks). */
  heap?: { slots?: number; chunkBytes?: number };
  /** The worker died, or could not be talked to: the intercom is gone. */
  onFatal?: (error: Error) => void;
  /** How the core's lookups of the server's name are answered (default NodeResolver: the system's resolver). */
  resolver?: ResolverHost & { close?(): void };
  /** How long to wait for the worker to build the intercom (default 30 s; building the worker itself is not counted). */
  readyTimeoutMs?: number;
  /** Log lines above this level are not sent over the bridge (default: debug when there is a log). */
  logLevel?: LogLevel;
  /** Progress of the worker's build, when it has to be built (default: the log, at info level). */
  buildLog?: (line: string) => void;
}

/** The XS side's status, on request. */
export interface XsStatus {
  registered: boolean;
  activeCalls: number;
  relay: boolean;
  heap: XsHeap;
  /** Transactions in the layer's server and client tables. */
  serverCount: number;
  clientCount: number;
  /** Exceptions the core caught at its boundary. */
  coreErrors: number;
  /** The calls' media inside XS: the media clock, each slot's RTP session, the bridged audio. */
  media: XsMedia;
  /** The trust policy's counters inside XS: requests turned away (403, dropped), scanners dropped, untrusted let in. */
  trust: XsTrust;
}

/** The nearest directory upwards from `from` that holds hosts/xs/build-worker.mjs. */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "hosts", "xs", "build-worker.mjs"))) return dir;
    if (dirname(dir) === dir) throw new Error(`doorsip: cannot find the project (hosts/xs/build-worker.mjs) above ${from}`);
  }
}

type BuildWorker = typeof import("./build-worker.mjs");

/**
 * The worker's path, built on first use. build-worker.mjs finds the C sources
 * from its own location, so it is imported where it is (never bundled into
 * the CLI): the specifier is computed.
 */
export async function xsWorkerPath(root: string, log?: (line: string) => void): Promise<string> {
  const url = pathToFileURL(join(root, "hosts", "xs", "build-worker.mjs")).href;
  const mod = (await import(url)) as BuildWorker;
  return mod.ensureWorker(log !== undefined ? { log } : {});
}

/** hosts/xs/intercom-worker.ts and the core, bundled as one classic script for doorsip-xs. */
export function bundleIntercomWorker(root: string): Promise<string> {
  return bundleForXs(root, { kind: "module", path: join(root, "hosts", "xs", "intercom-worker.ts") });
}

function isFromXs(v: unknown): v is FromXs {
  return typeof v === "object" && v !== null && typeof (v as { op?: unknown }).op === "string";
}

export class XsIntercom implements DoorRuntime {
  readonly pins: LoggedPins;
  readonly udp: NodeUdp;
  /** The worker's process id. */
  readonly pid: number;
  /** Lines the worker wrote to stderr (its print() and XS's own reports), the last 200. */
  readonly workerStderr: string[] = [];
  /** Messages over the bridge, both ways. */
  readonly counts = { toXs: 0, fromXs: 0, datagramsIn: 0, datagramsOut: 0, rtpIn: 0, rtpOut: 0, micFrames: 0, playFrames: 0, writes: 0 };
  /** RTP and RTCP sockets per call slot (bound after the worker said how many slots it has). */
  readonly media: MediaSocketPair[] = [];
  /** Exceptions thrown inside XS while handling a command (each also logged at error level). */
  readonly xsErrors: string[] = [];

  private readonly child: ChildProcessWithoutNullStreams;
  private readonly o: XsIntercomOptions;
  private readonly tapped: TappedUdp | null;
  private timer: NodeJS.Timeout | null = null;
  private alive = true;
  private initialised = false;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waiting for the next reply of each kind. */
  private readonly waiting = new Map<string, Array<(m: FromXs) => void>>();
  private readonly eventWaiters = new Set<(event: IntercomEvent) => void>();
  private readonly errorListeners = new Set<(e: Error) => void>();
  private readonly audio: (AudioHost & { close?(): void }) | undefined;
  private readonly resolver: ResolverHost & { close?(): void };
  /** Whether the XS side wants microphone frames / sends speaker frames. */
  private readonly mic: boolean;
  private readonly speaker: boolean;
  private readonly micFrame = new Int16Array(FRAME_SAMPLES);
  private readonly playFrame = new Int16Array(FRAME_SAMPLES);
  /** Lines for the worker, written together at the end of this turn of the event loop (or with the next tick). */
  private outbox: string[] = [];
  private flushQueued = false;
  private lazyTimer: NodeJS.Timeout | null = null;

  private constructor(o: XsIntercomOptions, child: ChildProcessWithoutNullStreams, udp: NodeUdp, tapped: TappedUdp | null, pins: LoggedPins) {
    this.o = o;
    this.child = child;
    this.udp = udp;
    this.tapped = tapped;
    this.pins = pins;
    this.pid = child.pid ?? -1;
    this.audio = o.audio;
    this.resolver = o.resolver ?? new NodeResolver();
    this.mic = o.audio !== undefined && !(o.audio instanceof FileAudio && o.audio.mic === null);
    this.speaker = o.audio !== undefined && !(o.audio instanceof FileAudio && o.audio.speaker === null);
    this.exited = new Promise((resolvePromise) => child.once("exit", (code, signal) => resolvePromise({ code, signal })));
  }

  /** Build (on first use) and start the worker, bind the socket, and build the intercom inside XS (not started: call start()). */
  static async create(o: XsIntercomOptions): Promise<XsIntercom> {
    const root = o.root ?? findProjectRoot();
    const log = o.log;
    const worker = await xsWorkerPath(root, o.buildLog ?? ((line) => log?.log(LogLevel.Info, line)));
    const script = await bundleIntercomWorker(root);
    const dir = await mkdtemp(join(tmpdir(), "doorsip-xs-run-"));
    try {
      return await XsIntercom.launch(o, worker, script, dir);
    } finally {
      // The worker has read its script (it answered, or is gone).
      await rm(dir, { recursive: true, force: true });
    }
  }

  private static async launch(o: XsIntercomOptions, worker: string, script: string, dir: string): Promise<XsIntercom> {
    const log = o.log;
    const path = join(dir, "intercom.js");
    await writeFile(path, script);

    const pins = new LoggedPins(o.onPin ?? (() => {}));
    const tapped = o.tap !== undefined ? new TappedUdp(o.tap, o.t0 ?? performance.now()) : null;
    let door: XsIntercom | null = null;
    const toCore: UdpReceiver = { receive: (d, l, a, p) => door?.datagram(d, l, a, p) };
    if (tapped !== null) tapped.target = toCore;
    // The core's DNS queries share the SIP socket (as on the device): the ladder and pcap show SIP only.
    if (tapped !== null && o.dnsServers !== undefined) for (const d of o.dnsServers) tapped.quiet.add(`${d.address}:${d.port}`);
    const address = o.address ?? "127.0.0.1";
    const udp = await NodeUdp.bind({
      receiver: tapped ?? toCore, address, port: o.port ?? 0, type: address.includes(":") ? "udp6" : "udp4", routeTo: firstHop(o.settings),
      onError: (e) => log?.log(LogLevel.Debug, `udp: ${e.message}`),
    });
    if (tapped !== null) tapped.inner = udp;

    const args: string[] = [];
    if (o.heap?.slots !== undefined) args.push("--slots", String(o.heap.slots));
    if (o.heap?.chunkBytes !== undefined) args.push("--chunks", String(o.heap.chunkBytes));
    args.push(path);
    // Its own process group: a Ctrl-C on the terminal goes to doorsip, which then
    // unregisters through the worker, rather than killing the worker first. It
    // still ends with doorsip: its stdin closes and it exits at end of input.
    const child = spawn(worker, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
    door = new XsIntercom(o, child, udp, tapped, pins);
    const self = door;
    try {
      await self.attach();
      const seed = Array.from(randomFillSync(new Uint32Array(4)));
      const ready = self.reply("ready", o.readyTimeoutMs ?? 30_000);
      self.initialised = true;
      self.post({
        op: "init", t: performance.now(), version: BRIDGE_VERSION, settings: o.settings,
        localAddress: udp.localAddress, localPort: udp.localPort, seed,
        logLevel: log === undefined ? LogLevel.Error : o.logLevel ?? LogLevel.Debug,
        ...(o.audio !== undefined ? { audio: { mic: self.mic, speaker: self.speaker } } : {}),
        ...(o.dnsServers !== undefined && o.dnsServers.length > 0 ? { dnsServers: o.dnsServers.map((d) => ({ address: d.address, port: d.port })) } : {}),
      });
      const answer = await ready;
      if (answer.op === "error") throw new Error(`the XS intercom could not be built: ${answer.message}`);
      if (answer.op === "ready") await self.bindMedia(answer.callSlots, address);
    } catch (e) {
      await self.close();
      throw e;
    }
    return self;
  }

  /** An RTP/RTCP pair per call slot, as NodeIntercom binds them, forwarding into XS; the XS side attaches them. */
  private async bindMedia(slots: number, address: string): Promise<void> {
    const pairs = await bindMediaPairs(slots, (slot) => ({
      rtp: { receive: (d, l, a, p) => this.mediaDatagram(rtpSocket(slot), d, l, a, p) },
      rtcp: { receive: (d, l, a, p) => this.mediaDatagram(rtcpSocket(slot), d, l, a, p) },
    }), address, this.o.rtpPort ?? this.o.settings.calls?.rtpPort ?? 0, this.o.log);
    this.media.push(...pairs);
    this.post({ op: "media", t: performance.now(), address, slots: pairs.map((p) => ({ rtp: p.rtp.localPort, rtcp: p.rtcp.localPort })) });
  }

  get localAddress(): string {
    return this.udp.localAddress;
  }

  get localPort(): number {
    return this.udp.localPort;
  }

  /** Whether the worker is running. */
  get running(): boolean {
    return this.alive;
  }

  start(): void {
    this.post({ op: "start", t: performance.now() });
  }

  press(): void {
    this.post({ op: "press", t: performance.now() });
  }

  hangupAll(): void {
    this.post({ op: "hangup", t: performance.now() });
  }

  /** Ask the XS side for its state. */
  status(timeoutMs = 5000): Promise<XsStatus> {
    const r = this.reply("status", timeoutMs);
    this.post({ op: "status", t: performance.now() });
    return r.then((m) => {
      const s = m as Extract<FromXs, { op: "status" }>;
      return {
        registered: s.registered, activeCalls: s.activeCalls, relay: s.relay, heap: s.heap,
        serverCount: s.serverCount, clientCount: s.clientCount, coreErrors: s.coreErrors, media: s.media, trust: s.trust,
      };
    });
  }

  /** Each call slot's RTP session inside XS. */
  async mediaStats(): Promise<SlotMedia[]> {
    return (await this.status()).media.slots;
  }

  /** Received RFC 4733 keys the core inside XS dropped as the echo of its own event. */
  async mediaEchoes(): Promise<number> {
    return (await this.status()).media.echoes;
  }

  /** Resolve on the next `event` from the XS side (rejects after timeoutMs). */
  nextEvent(event: IntercomEvent, timeoutMs = 15_000): Promise<void> {
    return this.waitEvent(event, timeoutMs).done;
  }

  /** nextEvent, and a way to stop waiting (then `done` never settles and holds no timer). */
  private waitEvent(event: IntercomEvent, timeoutMs: number): { done: Promise<void>; cancel: () => void } {
    let cancel = (): void => {};
    const done = new Promise<void>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.eventWaiters.delete(check);
        reject(new Error(`no "${intercomEventName(event)}" event from XS within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (e: IntercomEvent): void => {
        if (e !== event) return;
        clearTimeout(timer);
        this.eventWaiters.delete(check);
        resolvePromise();
      };
      this.eventWaiters.add(check);
      cancel = () => {
        clearTimeout(timer);
        this.eventWaiters.delete(check);
      };
    });
    return { done, cancel };
  }

  /** Unregister (waiting at most `timeoutMs` for the registrar), then end the worker and close the socket. */
  stop(timeoutMs = 3000): Promise<void> {
    this.stopped ??= this.shutdown(timeoutMs);
    return this.stopped;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.alive) {
      const unregistered = this.waitEvent(IntercomEvent.Unregistered, timeoutMs);
      unregistered.done.catch(() => {}); // may time out before it is awaited
      try {
        const stopping = this.reply("stopping", timeoutMs);
        this.post({ op: "stop", t: performance.now() });
        const m = (await stopping) as Extract<FromXs, { op: "stopping" }>;
        if (m.bound) await unregistered.done;
      } catch {
        // the worker did not answer, or the registrar did not: close it anyway
      } finally {
        unregistered.cancel();
      }
    }
    await this.close();
  }

  // ---- the bridge ---------------------------------------------------------------

  private attach(): Promise<void> {
    const child = this.child;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => this.fromXs(line));
    const errLines = createInterface({ input: child.stderr });
    errLines.on("line", (line) => {
      this.workerStderr.push(line);
      if (this.workerStderr.length > 200) this.workerStderr.shift();
      this.o.log?.log(LogLevel.Error, `xs: ${line}`);
    });
    child.stdin.on("error", () => {}); // EPIPE when the worker is gone: reported by "exit"
    void this.exited.then(({ code, signal }) => {
      this.alive = false;
      this.clearTimer();
      if (this.stopping && code === 0) return;
      const tail = this.workerStderr.slice(-10).join("\n");
      const e = new Error(`the XS worker (doorsip-xs) exited ${signal !== null ? `on ${signal}` : `with code ${code}`}${tail !== "" ? `:\n${tail}` : ""}`);
      for (const f of this.errorListeners) f(e);
      if (!this.stopping) this.o.onFatal?.(e);
    });
    return new Promise<void>((resolvePromise, reject) => {
      child.once("spawn", () => resolvePromise());
      child.once("error", (e) => {
        this.alive = false;
        reject(e);
      });
    });
  }

  /**
   * Queue a line for the worker; the lines of one turn of the event loop go
   * in one write. `lazy` (media: RTP in, microphone frames) waits for the
   * next other line, in practice the media clock's tick, or at most one
   * frame (20 ms): the microphone is queued ahead and the jitter buffer
   * holds 40 ms, and the datagram's arrival time is in `t`, so a 20 ms call
   * costs one write to the worker instead of three.
   */
  private post(m: ToXs, lazy = false): void {
    if (!this.alive) return;
    this.counts.toXs++;
    this.outbox.push(JSON.stringify(m));
    if (lazy) {
      this.lazyTimer ??= setTimeout(() => {
        this.lazyTimer = null;
        this.flush();
      }, 20);
      return;
    }
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.lazyTimer !== null) clearTimeout(this.lazyTimer);
    this.lazyTimer = null;
    if (this.outbox.length === 0 || !this.alive) return;
    const text = this.outbox.join("\n") + "\n";
    this.outbox = [];
    this.counts.writes++;
    this.child.stdin.write(text);
  }

  /** A datagram from the socket (after the tap). */
  private datagram(data: Uint8Array, length: number, address: string, port: number): void {
    if (!this.initialised) return; // nobody knows this port yet: a stray
    this.counts.datagramsIn++;
    this.post({ op: "rx", t: performance.now(), address, port, data: Array.from(data.subarray(0, length)) });
  }

  /** A datagram on a call slot's RTP or RTCP socket. */
  private mediaDatagram(sock: number, data: Uint8Array, length: number, address: string, port: number): void {
    this.counts.rtpIn++;
    this.post({ op: "rx", t: performance.now(), address, port, data: Array.from(data.subarray(0, length)), sock }, true);
  }

  /** `count` microphone frames for the XS side's queue (the mic's silence when it has none: the credit must go back). */
  private sendMic(count: number): void {
    if (!this.mic || this.audio === undefined) return;
    if (count <= 0) return;
    const samples: number[] = [];
    const frame = this.micFrame;
    for (let f = 0; f < count; f++) {
      if (!this.audio.capture(frame)) frame.fill(0);
      for (let i = 0; i < FRAME_SAMPLES; i++) samples.push(frame[i]!);
    }
    this.counts.micFrames += count;
    this.post({ op: "mic", t: performance.now(), samples }, true);
  }

  /** A speaker frame from XS: to the audio host's play(). */
  private play(data: string): void {
    if (data === "" || this.audio === undefined) return;
    const bytes = Buffer.from(data, "hex");
    if (bytes.length !== FRAME_BYTES) {
      this.o.log?.log(LogLevel.Error, `xs: a speaker frame of ${bytes.length} bytes`);
      return;
    }
    const frame = this.playFrame;
    for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = bytes.readInt16LE(2 * i);
    this.counts.playFrames++;
    this.audio.play(frame);
  }

  /** The next message with this op (rejects after timeoutMs, or when the worker exits). */
  private reply(op: FromXs["op"], timeoutMs: number): Promise<FromXs> {
    return new Promise<FromXs>((resolvePromise, reject) => {
      const list = this.waiting.get(op) ?? [];
      this.waiting.set(op, list);
      const done = (m: FromXs): void => {
        clearTimeout(timer);
        this.errorListeners.delete(fail);
        resolvePromise(m);
      };
      const fail = (e: Error): void => {
        clearTimeout(timer);
        const i = list.indexOf(done);
        if (i >= 0) list.splice(i, 1);
        this.errorListeners.delete(fail);
        reject(e);
      };
      const timer = setTimeout(() => fail(new Error(`the XS worker did not answer "${op}" within ${timeoutMs} ms`)), timeoutMs);
      list.push(done);
      this.errorListeners.add(fail);
      if (!this.alive) fail(new Error("the XS worker is not running"));
    });
  }

  private fromXs(line: string): void {
    let m: unknown;
    try {
      m = JSON.parse(line);
    } catch {
      this.o.log?.log(LogLevel.Error, `xs: not a bridge message: ${line.slice(0, 200)}`);
      return;
    }
    if (!isFromXs(m)) return;
    this.counts.fromXs++;
    switch (m.op) {
      case "tx": {
        const bytes = Buffer.from(m.data, "hex");
        const sock = m.sock ?? 0;
        if (sock !== 0) {
          // RTP and RTCP are not tapped: the ladder and the pcap show signalling, as with NodeIntercom.
          this.counts.rtpOut++;
          const pair = this.media[socketSlot(sock)];
          const socket = pair === undefined ? undefined : isRtcpSocket(sock) ? pair.rtcp : pair.rtp;
          socket?.send(bytes, bytes.length, m.address, m.port);
          break;
        }
        this.counts.datagramsOut++;
        if (this.tapped !== null) this.tapped.send(bytes, bytes.length, m.address, m.port);
        else this.udp.send(bytes, bytes.length, m.address, m.port);
        break;
      }
      case "audio":
        if (m.on) {
          this.audio?.start?.();
          this.sendMic(MIC_LEAD);
        } else {
          this.audio?.stop?.();
        }
        break;
      case "play":
        this.play(m.data);
        this.sendMic(m.took);
        break;
      case "wake": {
        this.clearTimer();
        if (this.stopping && !this.alive) break;
        // As NodeClock: whole milliseconds, rounded up, so the queue does not see an early tick, and capped where
        // Node's setTimeout would otherwise fire at once.
        this.timer = setTimeout(() => {
          this.timer = null;
          this.post({ op: "tick", t: performance.now() });
        }, timeoutDelay(m.delay));
        break;
      }
      case "log":
        this.o.log?.log(m.level as LogLevel, m.text);
        break;
      case "resolve": {
        const id = m.id;
        this.resolver.resolve(m.name, (address) => this.post({ op: "resolved", t: performance.now(), id, address }));
        break;
      }
      case "pin":
        if (m.pin === "relay") this.pins.setRelay(m.on);
        else this.pins.setLed(m.on);
        break;
      case "event": {
        const event = m.event as IntercomEvent;
        try {
          this.o.onEvent?.(event, m.detail);
        } catch (e) {
          this.o.log?.log(LogLevel.Error, `xs: event listener threw: ${String(e)}`);
        }
        for (const f of [...this.eventWaiters]) f(event);
        break;
      }
      case "error":
        this.xsErrors.push(`${m.command}: ${m.message}`);
        this.o.log?.log(LogLevel.Error, `xs: "${m.command}" threw inside XS: ${m.message}${m.stack !== "" ? `\n${m.stack}` : ""}`);
        break;
      default:
        break;
    }
    // A failed "init" answers whoever waits for "ready".
    const list = this.waiting.get(m.op === "error" && m.command === "init" ? "ready" : m.op);
    const f = list?.shift();
    if (f !== undefined) f(m);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.lazyTimer !== null) clearTimeout(this.lazyTimer);
    this.lazyTimer = null;
  }

  /** End the worker (end of input makes it exit 0; killed if it lingers) and close the socket. */
  private async close(): Promise<void> {
    this.stopping = true;
    this.clearTimer();
    if (this.alive) {
      this.flush();
      this.child.stdin.end();
      const killer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
      await this.exited;
      clearTimeout(killer);
    }
    this.alive = false;
    this.audio?.close?.();
    this.resolver.close?.();
    await closeMediaSockets(this.media);
    await this.udp.close();
  }
}

