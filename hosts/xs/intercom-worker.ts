/*
 * The XS side of `doorsip run --xs`: this file runs INSIDE the doorsip-xs
 * worker, bundled (esbuild, one classic script) with the unmodified core.
 * It builds the core's Intercom over host adapters that speak the bridge
 * protocol (hosts/xs/bridge-protocol.ts) to the Node side, which owns the
 * UDP socket and the timer:
 *
 *   UdpHost.send      -> {"op":"tx"}        rx datagrams  <- {"op":"rx"}
 *   ClockHost.wake    -> {"op":"wake"}      tick          <- {"op":"tick"}
 *   ClockHost.now     =  `t` of the last message from Node
 *   LogHost.log       -> {"op":"log"}       PinsHost      -> {"op":"pin"}
 *   listener events   -> {"op":"event"}     press/hangup/stop <- commands
 *   HashHost          =  MD5 / SHA-256 in script (hosts/xs/digest.ts)
 *   RandomHost        =  xoshiro128** seeded from node:crypto at "init"
 *   RTP/RTCP sockets  -> {"op":"tx","sock"} rx  <- {"op":"rx","sock"} (per call slot, after "media")
 *   AudioHost         -> {"op":"audio"}, {"op":"play"}   mic frames <- {"op":"mic"} (hosts/xs/worker-media.ts)
 *   ResolverHost      -> {"op":"resolve"}   answer        <- {"op":"resolved"}
 *
 * Everything one command makes the core post goes to Node as one write.
 *
 * It must not import anything from Node.
 */
import { LogLevel, type ClockHost, type LogHost, type PinsHost, type RandomHost, type ResolverHost, type UdpHost, type UdpReceiver } from "../../src/host";
import { Intercom, type IntercomEvent, type IntercomListener } from "../../src/app/intercom";
import type { Call } from "../../src/ua/call/call";
import { RegState } from "../../src/ua/registration";
import { BRIDGE_VERSION, isRtcpSocket, rtcpSocket, rtpSocket, socketSlot, toHex, type FromXs, type ToXs, type XsMedia } from "./bridge-protocol";
import { BridgeAudio } from "./worker-media";
import { ScriptHash } from "./digest";
import { meterChunksSize, meterCompute, meterGCCount, meterHeapCount, meterPeakChunksSize, meterPeakHeapCount, send } from "./worker-globals";

/** Lines posted while a command runs, sent as one write when it returns (null: outside a command). */
let pending: string[] | null = null;

function out(message: FromXs): void {
  const line = JSON.stringify(message);
  if (pending !== null) pending.push(line);
  else send(line);
}

/** Node's clock as of the last message; the wake-up goes back to Node. */
class BridgeClock implements ClockHost {
  t = 0;
  now(): number {
    return this.t;
  }
  wake(delayMs: number): void {
    out({ op: "wake", delay: delayMs > 0 ? delayMs : 0 });
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** xoshiro128** (Blackman & Vigna), seeded with 128 bits from node:crypto. */
class SeededXoshiro implements RandomHost {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: readonly number[]) {
    // Each word through murmur3's finaliser, so that even a poor seed starts from a well-mixed state.
    this.a = fmix32((seed[0] ?? 0) ^ 0x243f6a88);
    this.b = fmix32((seed[1] ?? 0) ^ 0x85a308d3);
    this.c = fmix32((seed[2] ?? 0) ^ 0x13198a2e);
    this.d = fmix32((seed[3] ?? 0) ^ 0x03707344);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 0x9e3779b9 | 0; // the all-zero state is a fixed point
  }
  u32(): number {
    const r = Math.imul(this.b, 5);
    const rot = (r << 7) | (r >>> 25);
    const result = Math.imul(rot, 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = (this.d << 11) | (this.d >>> 21);
    return result;
  }
}

class BridgeUdp implements UdpHost {
  /** `sock`: which of Node's sockets sends (bridge-protocol.ts: SIP_SOCKET, rtpSocket(slot), rtcpSocket(slot)). */
  constructor(readonly localAddress: string, readonly localPort: number, private readonly sock = 0) {}
  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    if (length < 0 || length > data.length) return false;
    const hex = toHex(data, length);
    out(this.sock === 0 ? { op: "tx", address, port, data: hex } : { op: "tx", address, port, data: hex, sock: this.sock });
    return true;
  }
}

class BridgeLog implements LogHost {
  /** Lines above this level are dropped here, and the core builds none (LogHost.level). */
  constructor(readonly level: LogLevel) {}
  log(level: LogLevel, text: string): void {
    if (level > this.level) return;
    out({ op: "log", level, text });
  }
}

class BridgePins implements PinsHost {
  relay = false;
  led = false;
  setRelay(on: boolean): void {
    this.relay = on;
    out({ op: "pin", pin: "relay", on });
  }
  setLed(on: boolean): void {
    if (on === this.led) return; // the LED blinks: only changes go over
    this.led = on;
    out({ op: "pin", pin: "led", on });
  }
}

/** DNS on the Node side: each lookup has an id; its answer comes back as "resolved". */
class BridgeResolver implements ResolverHost {
  private next = 1;
  private readonly pending = new Map<number, (address: string) => void>();
  resolve(name: string, done: (address: string) => void): void {
    const id = this.next++;
    this.pending.set(id, done);
    out({ op: "resolve", id, name });
  }
  answer(id: number, address: string): void {
    const done = this.pending.get(id);
    if (done === undefined) return;
    this.pending.delete(id);
    done(address);
  }
}

const EVENTS: IntercomListener = {
  onIntercomEvent(event: IntercomEvent, call: Call | null, detail: string): void {
    out({ op: "event", event, detail, callId: call !== null ? call.callIdString() : "" });
  },
};

const clock = new BridgeClock();
let intercom: Intercom | null = null;
let pins: BridgePins | null = null;
let audio: BridgeAudio | null = null;
const resolver = new BridgeResolver();
/** The receivers of the media sockets, by socket id (index 0, the SIP socket, unused). */
const mediaReceivers: UdpReceiver[] = [];
const rxBuffer = new Uint8Array(65536);

function need(): Intercom {
  if (intercom === null) throw new Error("the intercom is not initialised (no init message)");
  return intercom;
}

function handle(m: ToXs): void {
  if (typeof m.t === "number" && m.t > clock.t) clock.t = m.t;
  switch (m.op) {
    case "init": {
      if (m.version !== BRIDGE_VERSION) throw new Error(`bridge version ${m.version}, expected ${BRIDGE_VERSION}`);
      if (intercom !== null) throw new Error("init twice");
      const log = new BridgeLog(m.logLevel);
      pins = new BridgePins();
      audio = m.audio !== undefined ? new BridgeAudio(out, m.audio.mic, m.audio.speaker) : null;
      const ic = new Intercom(
        { clock, random: new SeededXoshiro(m.seed), hash: new ScriptHash(), log, pins, udp: new BridgeUdp(m.localAddress, m.localPort), audio: audio ?? undefined, resolver, dnsServers: m.dnsServers },
        m.settings,
      );
      ic.listener = EVENTS;
      intercom = ic;
      out({ op: "ready", callSlots: ic.ua.calls.length });
      return;
    }
    case "media": {
      const ic = need();
      for (let slot = 0; slot < m.slots.length; slot++) {
        const pair = m.slots[slot]!;
        const rtp = ic.rtpReceiver(slot);
        const rtcp = ic.rtcpReceiver(slot);
        if (rtp === null || rtcp === null) break;
        mediaReceivers[rtpSocket(slot)] = rtp;
        mediaReceivers[rtcpSocket(slot)] = rtcp;
        ic.attachMedia(slot, new BridgeUdp(m.address, pair.rtp, rtpSocket(slot)), new BridgeUdp(m.address, pair.rtcp, rtcpSocket(slot)));
      }
      return;
    }
    case "mic":
      if (audio === null || !Array.isArray(m.samples) || !audio.receive(m.samples)) throw new Error(`microphone frames refused (${audio === null ? "no audio" : "not whole frames"})`);
      return;
    case "start":
      need().start();
      return;
    case "rx": {
      const data = m.data;
      const n = Array.isArray(data) ? data.length : -1;
      if (n < 0 || n > rxBuffer.length) throw new Error(`bad datagram from ${m.address}:${m.port}`);
      for (let i = 0; i < n; i++) rxBuffer[i] = data[i]!;
      const sock = m.sock ?? 0;
      if (sock === 0) {
        need().receiver.receive(rxBuffer, n, m.address, m.port);
        return;
      }
      const media = mediaReceivers[sock];
      if (media === undefined) throw new Error(`a datagram for socket ${sock} (call slot ${socketSlot(sock)} ${isRtcpSocket(sock) ? "RTCP" : "RTP"}), which is not attached`);
      media.receive(rxBuffer, n, m.address, m.port);
      return;
    }
    case "tick":
      need().timers.tick();
      return;
    case "resolved":
      resolver.answer(m.id, m.address);
      return;
    case "press":
      need().press();
      return;
    case "hangup":
      need().ua.hangupAll();
      return;
    case "stop": {
      const ic = need();
      const reg = ic.registration;
      const bound = reg !== null && reg.state !== RegState.Unregistered;
      ic.stop();
      out({ op: "stopping", bound });
      return;
    }
    case "status": {
      const ic = need();
      const heap = {
        slots: meterHeapCount(), peakSlots: meterPeakHeapCount(), chunkBytes: meterChunksSize(), peakChunkBytes: meterPeakChunksSize(),
        gcs: meterGCCount(), compute: meterCompute(),
      };
      const trust = ic.trust.counters;
      out({
        op: "status", registered: ic.registered, activeCalls: ic.ua.activeCalls, relay: pins !== null && pins.relay, heap,
        serverCount: ic.layer.serverCount, clientCount: ic.layer.clientCount, coreErrors: ic.ua.errors + ic.layer.counters.userErrors,
        media: mediaStatus(ic),
        trust: { rejected: trust.rejected, dropped: trust.dropped, scanners: trust.scanners, acceptedUntrusted: trust.acceptedUntrusted },
      });
      return;
    }
    default:
      throw new Error(`unknown command ${(m as { op?: unknown }).op}`);
  }
}

/** The media clock, each call slot's media (counters of its last or current call) and the bridged audio. */
function mediaStatus(ic: Intercom): XsMedia {
  const media = ic.media.slots;
  const slots: XsMedia["slots"] = [];
  for (let i = 0; i < media.length; i++) {
    const s = media[i]!;
    slots.push({ active: s.active, sent: s.packetsSent, received: s.packetsReceived, digits: s.digits, latched: s.latched });
  }
  return {
    frames: ic.media.frames, skipped: ic.media.skipped, echoes: ic.media.echoes, slots,
    captured: audio !== null ? audio.captured : 0, played: audio !== null ? audio.played : 0, underruns: audio !== null ? audio.underruns : 0,
  };
}

/** The worker calls this for each line on stdin. Errors are reported to Node, not thrown (the worker would only print them). */
function handleCommand(line: string): void {
  if (line === "") return;
  let op = "?";
  const lines: string[] = [];
  pending = lines;
  try {
    const m = JSON.parse(line) as ToXs;
    op = String(m.op);
    handle(m);
  } catch (e) {
    const stack = e instanceof Error && typeof e.stack === "string" ? e.stack : "";
    out({ op: "error", command: op, message: String(e), stack });
  } finally {
    pending = null;
    // One write for all of it (Node's readline splits the lines again).
    if (lines.length === 1) send(lines[0]!);
    else if (lines.length > 1) send(lines.join("\n"));
  }
}

(globalThis as { handleCommand?: (line: string) => void }).handleCommand = handleCommand;
