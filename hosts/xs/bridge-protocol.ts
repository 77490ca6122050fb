/*
 * The bridge between `doorsip run --xs`'s two halves: the Node side
 * (hosts/xs/xs-intercom.ts: the real UDP socket, the one timer, node:crypto
 * randomness, the terminal) and the XS side (hosts/xs/intercom-worker.ts: the
 * unmodified core's Intercom inside the doorsip-xs worker).
 *
 * Framing is the worker's own: one JSON object per line, Node -> XS on the
 * worker's stdin (handleCommand(line)), XS -> Node on its stdout (send(line)).
 * Datagram bytes travel as lower-case hex. Every Node -> XS message carries
 * `t`, Node's monotonic clock (ms since the bridge started): it is the core's
 * ClockHost.now() until the next message, so the Node side owns time as it
 * owns the timer. Nothing here may import Node: both sides use this file.
 */
import type { IntercomSettings } from "../../src/app/intercom";

/** Raised when an incompatible change is made to the messages below. */
export const BRIDGE_VERSION = 1;

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
    }
  | { op: "start"; t: number }
  /** A datagram from the socket. */
  | { op: "rx"; t: number; address: string; port: number; data: string }
  /** The wake-up the XS side asked for is due. */
  | { op: "tick"; t: number }
  /** The doorbell button (debounced press). */
  | { op: "press"; t: number }
  /** Hang up every call. */
  | { op: "hangup"; t: number }
  /** Orderly shutdown: Intercom.stop() (unregistration follows, as events). */
  | { op: "stop"; t: number }
  /** Answered by a "status" message. */
  | { op: "status"; t: number };

/** XS -> Node. */
export type FromXs =
  /** The intercom is built (after "init"). */
  | { op: "ready" }
  /** Send a datagram (UdpHost.send). */
  | { op: "tx"; address: string; port: number; data: string }
  /** Call tick in `delay` ms; replaces any earlier request (ClockHost.wake). */
  | { op: "wake"; delay: number }
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
    }
  /** A command threw inside XS: the error as XS prints it, and its stack when XS has one. */
  | { op: "error"; command: string; message: string; stack: string };

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

const HEX = "0123456789abcdef";

/** data[0..length) as lower-case hex. */
export function toHex(data: Uint8Array, length: number = data.length): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    const b = data[i]!;
    s += HEX.charAt(b >>> 4) + HEX.charAt(b & 15);
  }
  return s;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Hex into `out` (from 0); returns the byte count, or -1 for bad hex or too little room. */
export function fromHex(text: string, out: Uint8Array): number {
  const n = text.length >>> 1;
  if ((text.length & 1) !== 0 || n > out.length) return -1;
  for (let i = 0; i < n; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return -1;
    out[i] = (hi << 4) | lo;
  }
  return n;
}
