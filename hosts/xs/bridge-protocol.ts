/*
 * The bridge between `doorsip run --xs`'s two halves: the Node side
 * (hosts/xs/xs-intercom.ts: the real UDP socket, the one timer, node:crypto
 * randomness, the terminal) and the XS side (hosts/xs/intercom-worker.ts: the
 * unmodified core's Intercom inside the doorsip-xs worker).
 *
 * Framing is the worker's own: one JSON object per line, Node -> XS on the
 * worker's stdin (handleCommand(line)), XS -> Node on its stdout (send(line)).
 * Bytes and samples travel to XS as JSON arrays of numbers (JSON.parse reads
 * them in one native pass; XS strings are UTF-8 inside, so reading hex back
 * with charCodeAt would rescan the string for every character), and from XS
 * as lower-case hex (one String.fromCharCode per datagram; Node reads hex
 * natively). Every Node -> XS message carries
 * `t`, Node's monotonic clock (ms since the bridge started): it is the core's
 * ClockHost.now() until the next message, so the Node side owns time as it
 * owns the timer. Nothing here may import Node: both sides use this file.
 *
 * Media (issue #8): each call slot has an RTP and an RTCP socket on the Node
 * side; datagrams name their socket (`sock`: SIP_SOCKET, rtpSocket(slot),
 * rtcpSocket(slot)). The door's microphone and speaker stay on the Node side
 * (WAV files, a tone): the XS side's AudioHost receives microphone frames
 * ahead of need ("mic", credit-based: each "play" says how many frames were
 * captured since the last one, and Node sends as many) and posts every
 * played frame ("play"). A frame is 160 signed 16-bit samples (20 ms at
 * 8 kHz); to Node as hex of the little-endian bytes. The XS side posts everything one command
 * produced as one write (lines joined), so a 20 ms media tick costs one
 * write each way.
 *
 * DNS: the core's ResolverHost (src/ua/server-name.ts looks the server's
 * name up again when the server stops answering) asks Node ("resolve", with
 * an id), which answers with the address ("resolved", "" when the name does
 * not resolve).
 */
import type { IntercomSettings } from "../../src/app/intercom";

/** Raised when an incompatible change is made to the messages below. */
export const BRIDGE_VERSION = 3;

/** The `sock` of a datagram: the SIP socket, and the RTP (RFC 3550 §11: even port) and RTCP socket of each call slot. */
export const SIP_SOCKET = 0;
export function rtpSocket(slot: number): number {
  return 1 + 2 * slot;
}
export function rtcpSocket(slot: number): number {
  return 2 + 2 * slot;
}
/** The call slot of a media socket id (> 0), and whether it is the RTCP one. */
export function socketSlot(sock: number): number {
  return (sock - 1) >>> 1;
}
export function isRtcpSocket(sock: number): boolean {
  return sock > 0 && (sock & 1) === 0;
}

/** Samples per audio frame (20 ms at 8 kHz), and its bytes on the bridge. */
export const FRAME_SAMPLES = 160;
export const FRAME_BYTES = 2 * FRAME_SAMPLES;
/**
 * Microphone frames Node sends when the media clock starts, and so keeps
 * queued on the XS side: 100 ms, as many as the media clock catches up at
 * once after a late wake-up (src/media/call-media.ts MAX_CATCH_UP), so a
 * late tick finds them there. (Node's microphone is a file or a tone: being
 * read ahead costs it no latency.)
 */
export const MIC_LEAD = 5;

/** Node -> XS. */
export type ToXs =
  | {
      op: "init";
      t: number;
      version: number;
      settings: IntercomSettings;
      /** The Node socket's bound address and port (the core's UdpHost.localAddress/localPort). */
      localAddress: string;
      localPort: number;
      /** 4 random unsigned 32-bit words from node:crypto: the seed of the XS side's RandomHost. */
      seed: number[];
      /** Log lines above this level are not sent over (LogLevel: 0 error .. 3 debug). */
      logLevel: number;
      /** The door's microphone and speaker live on the Node side; absent: none (calls send silence). */
      audio?: { mic: boolean; speaker: boolean };
      /** DNS servers for the core's own DNS client (IntercomHosts.dnsServers): its queries go out of the SIP socket, as on the device. */
      dnsServers?: Array<{ address: string; port: number }>;
    }
  /** The RTP/RTCP sockets Node bound for each call slot (after "ready", before "start"); the XS side attaches them. */
  | { op: "media"; t: number; address: string; slots: Array<{ rtp: number; rtcp: number }> }
  /** Microphone frames (one or more, FRAME_SAMPLES samples each), queued ahead of the media clock. */
  | { op: "mic"; t: number; samples: number[] }
  | { op: "start"; t: number }
  /** A datagram from a socket (`sock`: absent or SIP_SOCKET, rtpSocket(slot), rtcpSocket(slot)); `data`: its bytes. */
  | { op: "rx"; t: number; address: string; port: number; data: number[]; sock?: number }
  /** The wake-up the XS side asked for is due. */
  | { op: "tick"; t: number }
  /** The doorbell button (debounced press). */
  | { op: "press"; t: number }
  /** Hang up every call. */
  | { op: "hangup"; t: number }
  /** Orderly shutdown: Intercom.stop() (unregistration follows, as events). */
  | { op: "stop"; t: number }
  /** Answered by a "status" message. */
  | { op: "status"; t: number }
  /** The answer to the XS side's "resolve" `id`: an IPv4 address, "" when the name does not resolve. */
  | { op: "resolved"; t: number; id: number; address: string };

/** XS -> Node. */
export type FromXs =
  /** The intercom is built (after "init"); it has this many call slots (each wants an RTP/RTCP pair). */
  | { op: "ready"; callSlots: number }
  /** Send a datagram (UdpHost.send) from socket `sock` (absent: SIP_SOCKET). */
  | { op: "tx"; address: string; port: number; data: string; sock?: number }
  /** The media clock started (AudioHost.start: Node sends microphone frames ahead) or stopped. */
  | { op: "audio"; on: boolean }
  /** A frame for the speaker (hex; "" when Node has no speaker), and the microphone frames captured since the last "play". */
  | { op: "play"; data: string; took: number }
  /** Call tick in `delay` ms; replaces any earlier request (ClockHost.wake). */
  | { op: "wake"; delay: number }
  /** Look `name` up (ResolverHost.resolve); Node answers with "resolved" and the same `id`. */
  | { op: "resolve"; id: number; name: string }
  | { op: "log"; level: number; text: string }
  | { op: "pin"; pin: "relay" | "led"; on: boolean }
  /** An IntercomEvent (its number) with the core's detail text, and the call's Call-ID when there is a call. */
  | { op: "event"; event: number; detail: string; callId: string }
  /** Reply to "stop": whether a registration is bound (then an Unregistered event will follow). */
  | { op: "stopping"; bound: boolean }
  | {
      op: "status"; registered: boolean; activeCalls: number; relay: boolean; heap: XsHeap;
      /** Transactions in the layer's server and client tables. */
      serverCount: number; clientCount: number;
      /** Exceptions the core caught at its boundary (UserAgent.errors, TransactionLayer counters.userErrors). */
      coreErrors: number;
      media: XsMedia;
      trust: XsTrust;
    }
  /** A command threw inside XS: the error as XS prints it, and its stack when XS has one. */
  | { op: "error"; command: string; message: string; stack: string };

/** The calls' media inside XS, for "status". */
export interface XsMedia {
  /** 20 ms frames the media clock ran, and frames it skipped after late wake-ups. */
  frames: number;
  skipped: number;
  /** Received RFC 4733 keys dropped as the echo of the door's own event (CallMedia.echoes). */
  echoes: number;
  /** Each call slot's RTP session: running, packets sent and received, RFC 4733 digits, latched onto the peer's source. */
  slots: Array<{ active: boolean; sent: number; received: number; digits: number; latched: boolean }>;
  /** Bridged audio: microphone frames captured (from Node's queue), frames played, captures that found the queue empty. */
  captured: number;
  played: number;
  underruns: number;
}

/** The trust policy's counters inside XS (src/ua/trust/trust-policy.ts TrustCounters), for "status". */
export interface XsTrust {
  /** Requests from untrusted sources answered 403, and dropped (untrusted=drop). */
  rejected: number;
  dropped: number;
  /** Requests from SIP scanners dropped (by User-Agent). */
  scanners: number;
  /** Requests from untrusted sources let in because accept_from=any. */
  acceptedUntrusted: number;
}

/** The worker's heap, from its meters (hosts/xs/native/doorsip-meter.c). */
export interface XsHeap {
  /** Slots in use, and the high-water mark. */
  slots: number;
  peakSlots: number;
  /** Chunk bytes in use, and the high-water mark. */
  chunkBytes: number;
  peakChunkBytes: number;
  /** Garbage collections so far (16 bits). */
  gcs: number;
  /** XS meter ticks so far (32 bits). */
  compute: number;
}

/* Hex for the XS side's datagrams and speaker frames (Node uses Buffer's):
 * one string per call built by String.fromCharCode from a reused array of
 * char codes (string += would copy the string once per byte). Measured in
 * XS for 320 bytes: 18,300 ticks, 0 slots, one 664-byte string (was 14,800
 * ticks, 1,280 slots and 132 KB of chunks with +=). */
const HEX_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
/** Bytes per fromCharCode call: its arguments go on the XS stack. */
const HEX_BLOCK = 1024;
const codes: number[] = [];

/** data[0..length) as lower-case hex. */
export function toHex(data: Uint8Array, length: number = data.length): string {
  let s = "";
  for (let at = 0; at < length; at += HEX_BLOCK) {
    const n = length - at < HEX_BLOCK ? length - at : HEX_BLOCK;
    codes.length = 2 * n;
    for (let i = 0; i < n; i++) {
      const b = data[at + i]!;
      codes[2 * i] = HEX_CODES[b >>> 4]!;
      codes[2 * i + 1] = HEX_CODES[b & 15]!;
    }
    const part = String.fromCharCode.apply(null, codes);
    s = at === 0 ? part : s + part;
  }
  return s;
}

/** 160 samples as FRAME_BYTES little-endian bytes into `bytes` (the bridge's frame layout). */
export function frameToBytes(frame: Int16Array, bytes: Uint8Array): void {
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const v = frame[i]!;
    bytes[2 * i] = v & 255;
    bytes[2 * i + 1] = (v >> 8) & 255;
  }
}
