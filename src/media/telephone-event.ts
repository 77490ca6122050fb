/*
 * RFC 4733 telephone-events (DTMF in RTP). Payload (§2.3):
 *
 *    0                   1                   2                   3
 *   |     event     |E|R| volume    |          duration             |
 *
 * One key press is one event: every packet of it carries the RTP timestamp
 * of its start (§2.5.1.2: "the RTP timestamp ... identifies the beginning"),
 * the duration so far, and, at the end, the E bit, sent three times
 * (§2.5.1.4). An event too long for 16 bits of duration goes on in a new
 * segment whose timestamp is the old one plus the old duration (§2.5.1.3).
 *
 * The receiver reports each digit once, at its first packet (the marker bit
 * is not needed: a lost first packet is made up by the next one with the
 * same timestamp): retransmissions, the duplicated end packets, later
 * segments of a long event and stale packets of an earlier event are all
 * recognised by timestamp.
 *
 * The sender (TelephoneEventSender) sends one event in the RTP stream of
 * the call's audio (same SSRC, sequence numbers and timestamp clock, the
 * negotiated telephone-event payload type): the first packet with the
 * marker bit, then an update with the duration so far every
 * 50 ms (§2.5.1.2: "a value of 50 ms RECOMMENDED"; our media clock ticks
 * every 20 ms, so an update goes out on the first frame at or after each
 * 50 ms of the event), then the end packet three times (§2.5.1.4), all
 * with the event's start timestamp. A frame that carries an event packet
 * carries no audio packet: the stream stays at one packet per 20 ms, and
 * the audio's timestamps jump over the frame as over a lost packet.
 */
import type { UdpHost } from "../host";
import { FRAME_SAMPLES } from "./g711";
import { MediaNumber as N, mediaNumbers } from "./media-numbers";
import { RTP_HEADER, writeRtpHeader } from "./rtp-packet";

/** Event codes 0-15 as DTMF characters (§3.2, Table 3): 0-9, *, #, A-D. */
const DTMF_CHARS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 42, 35, 65, 66, 67, 68]);

/** The DTMF character code of an event, or -1 (flash, 16, and the tones of §3.3-3.4 are not digits). */
export function eventDigit(event: number): number {
  return event >= 0 && event < 16 ? DTMF_CHARS[event]! : -1;
}

/** The event code of a DTMF character code, or -1. */
export function digitEvent(digit: number): number {
  for (let i = 0; i < 16; i++) if (DTMF_CHARS[i] === digit) return i;
  return -1;
}

export const TELEPHONE_EVENT_BYTES = 4;

/** Write one event block at `at` (§2.3); volume is -dBm0, 0..63. Returns the end offset. */
export function writeTelephoneEvent(buf: Uint8Array, at: number, event: number, end: boolean, volume: number, duration: number): number {
  buf[at] = event & 0xff;
  buf[at + 1] = (end ? 0x80 : 0) | (volume & 0x3f);
  buf[at + 2] = (duration >>> 8) & 0xff;
  buf[at + 3] = duration & 0xff;
  return at + TELEPHONE_EVENT_BYTES;
}

/** The receiver's numbers are in the media's table (media-numbers.ts), read by name through the accessors. */
export class TelephoneEventReceiver {
  private readonly n: Uint32Array;

  constructor(numbers?: Uint32Array) {
    this.n = numbers !== undefined ? numbers : mediaNumbers();
    this.reset();
  }

  /** The current (or last) event: its code, start timestamp, duration so far, ended. */
  get event(): number {
    return this.n[N.RxEvent]! | 0;
  }
  get timestamp(): number {
    return this.n[N.RxTimestamp]!;
  }
  get duration(): number {
    return this.n[N.RxDuration]!;
  }
  get ended(): boolean {
    return this.n[N.RxEnded] !== 0;
  }
  /** Events seen (including non-digits), and packets that were too short. */
  get events(): number {
    return this.n[N.RxEvents]!;
  }
  get malformed(): number {
    return this.n[N.RxMalformed]!;
  }

  reset(): void {
    const n = this.n;
    n[N.RxEvent] = -1;
    n[N.RxTimestamp] = n[N.RxDuration] = 0;
    n[N.RxEnded] = 1;
    n[N.RxEvents] = n[N.RxMalformed] = 0;
    n[N.RxHave] = 0;
  }

  /**
   * A telephone-event packet's payload (`length` bytes from `start`) with
   * its RTP timestamp. Returns the DTMF character code when this packet
   * begins a new key press, else -1.
   */
  receive(buf: Uint8Array, start: number, length: number, ts: number): number {
    const n = this.n;
    if (length < TELEPHONE_EVENT_BYTES) {
      n[N.RxMalformed]++;
      return -1;
    }
    ts = ts >>> 0;
    const event = buf[start]!;
    const end = (buf[start + 1]! & 0x80) !== 0;
    const duration = (buf[start + 2]! << 8) | buf[start + 3]!;
    if (n[N.RxHave] !== 0) {
      const current = n[N.RxTimestamp]!;
      const d = (ts - current) | 0;
      if (d === 0) {
        // The same event: an update, its end, or a repeated end packet.
        if (event === n[N.RxEvent]) {
          if (duration > n[N.RxDuration]!) n[N.RxDuration] = duration;
          if (end) n[N.RxEnded] = 1;
        }
        return -1;
      }
      // A packet of an event older than the current one: stale, reordered.
      if (d < 0) return -1;
      // §2.5.1.3: the next segment of a long event that has not ended.
      if (n[N.RxEnded] === 0 && event === n[N.RxEvent] && ts === ((current + n[N.RxDuration]!) >>> 0)) {
        n[N.RxTimestamp] = ts;
        n[N.RxDuration] = duration;
        n[N.RxEnded] = end ? 1 : 0;
        return -1;
      }
    }
    n[N.RxHave] = 1;
    n[N.RxEvent] = event;
    n[N.RxTimestamp] = ts;
    n[N.RxDuration] = duration;
    n[N.RxEnded] = end ? 1 : 0;
    n[N.RxEvents]++;
    return eventDigit(event);
  }
}

/** §2.5.1.2: an update every 50 ms, in timestamp units (8 kHz). */
export const EVENT_UPDATE_SAMPLES = 400;
/** §2.5.1.4: the end packet is sent three times. */
export const EVENT_END_PACKETS = 3;
/** An RTP packet with one event block. */
export const EVENT_PACKET_BYTES = RTP_HEADER + TELEPHONE_EVENT_BYTES;
/** The longest event in one segment: the 16-bit duration, in whole frames. */
const MAX_EVENT_SAMPLES = 0xffff - (0xffff % FRAME_SAMPLES);

/**
 * What the sender needs of the RTP stream it shares with the audio
 * (RtpSession has these): where and how to send, and the counters that a
 * packet sent moves on (§5.1 sequence number and timestamp, the RTCP
 * sender's packet and octet counts, §6.4.1).
 */
export interface EventStream {
  readonly active: boolean;
  readonly sending: boolean;
  /** telephone-event's payload type, -1 when the peer did not take it. */
  readonly eventPayloadType: number;
  readonly ssrc: number;
  readonly rtp: UdpHost | null;
  readonly remoteAddress: string;
  readonly remotePort: number;
  sequence: number;
  timestamp: number;
  packetsSent: number;
  octetsSent: number;
  sentSinceReport: boolean;
}

export const enum EventSenderState {
  Idle = 0,
  /** begin() was called: the next frame starts the event. */
  Pending = 1,
  /** Started; updates every 50 ms until the duration is reached. */
  Running = 2,
  /** The end packet goes out on this and the next frames, three times in all. */
  Ending = 3,
}

/**
 * The sender's numbers are in the media's table (media-numbers.ts), read
 * by name through the accessors; its packet is written into `packet`
 * (CallMedia lends it the RTP session's packet buffer, free between two
 * sends: the host copies what it sends before send() returns).
 */
export class TelephoneEventSender {
  /** The packet written last: the RTP header and one event block (its first EVENT_PACKET_BYTES bytes). */
  readonly packet: Uint8Array;
  private readonly n: Uint32Array;

  constructor(packet?: Uint8Array, numbers?: Uint32Array) {
    this.packet = packet !== undefined && packet.length >= EVENT_PACKET_BYTES ? packet : new Uint8Array(EVENT_PACKET_BYTES);
    const n = numbers !== undefined ? numbers : mediaNumbers();
    this.n = n;
    n[N.TxState] = EventSenderState.Idle;
    n[N.TxEvent] = -1;
    n[N.TxVolume] = 10;
    n[N.TxLength] = n[N.TxTimestamp] = n[N.TxDuration] = n[N.TxMarker] = n[N.TxEnd] = 0;
    n[N.TxPackets] = n[N.TxEvents] = n[N.TxNextUpdate] = n[N.TxEndsLeft] = n[N.TxWait] = 0;
  }

  get state(): EventSenderState {
    return this.n[N.TxState]!;
  }
  /** The event being sent (§3.2 code), its volume (-dBm0) and length (samples). */
  get event(): number {
    return this.n[N.TxEvent]! | 0;
  }
  get volume(): number {
    return this.n[N.TxVolume]!;
  }
  get length(): number {
    return this.n[N.TxLength]!;
  }
  /** Its start timestamp and the duration in the last packet written. */
  get timestamp(): number {
    return this.n[N.TxTimestamp]!;
  }
  get duration(): number {
    return this.n[N.TxDuration]!;
  }
  /** The last packet written carried the marker bit / the E bit. */
  get marker(): boolean {
    return this.n[N.TxMarker] !== 0;
  }
  get end(): boolean {
    return this.n[N.TxEnd] !== 0;
  }
  /** Packets written, and events that were finished (their three end packets written). */
  get packets(): number {
    return this.n[N.TxPackets]!;
  }
  get events(): number {
    return this.n[N.TxEvents]!;
  }

  get busy(): boolean {
    return this.n[N.TxState] !== EventSenderState.Idle;
  }

  /**
   * Send event `event` (0-255; 0-15 are the DTMF digits of §3.2) for
   * `samples` (8 kHz; rounded up to whole 20 ms frames, at most one 16-bit
   * segment, 8.19 s), starting `afterFrames` frames from now (0: the next
   * frame). An event still being sent is replaced (it gets no end packets).
   * False when the event is out of range.
   */
  begin(event: number, samples: number, volume = 10, afterFrames = 0): boolean {
    if (!(event >= 0 && event <= 255) || event !== Math.floor(event)) return false;
    let length = Math.ceil(samples / FRAME_SAMPLES) * FRAME_SAMPLES;
    if (!(length >= FRAME_SAMPLES)) length = FRAME_SAMPLES;
    if (length > MAX_EVENT_SAMPLES) length = MAX_EVENT_SAMPLES;
    const n = this.n;
    n[N.TxEvent] = event;
    n[N.TxVolume] = volume & 0x3f;
    n[N.TxLength] = length;
    n[N.TxWait] = afterFrames > 0 ? Math.ceil(afterFrames) : 0;
    n[N.TxState] = EventSenderState.Pending;
    return true;
  }

  /** Give up the event (the call ended, or cannot carry it). */
  cancel(): void {
    this.n[N.TxState] = EventSenderState.Idle;
  }

  /**
   * The event's packet for the 20 ms frame that starts at timestamp
   * `frameTs`, written into `packet` with payload type `pt`, sequence
   * number `seq` and `ssrc`. Returns its length, or 0 when this frame
   * carries no event packet (between two updates, or no event).
   */
  write(pt: number, seq: number, ssrc: number, frameTs: number): number {
    frameTs = frameTs >>> 0;
    const n = this.n;
    let marker = false;
    switch (n[N.TxState]) {
      case EventSenderState.Idle:
        return 0;
      case EventSenderState.Pending:
        if (n[N.TxWait]! > 0) {
          n[N.TxWait]--;
          return 0;
        }
        // §2.5.1.2: the first packet has the marker bit and the event's start as its timestamp.
        n[N.TxTimestamp] = frameTs;
        n[N.TxDuration] = FRAME_SAMPLES;
        n[N.TxNextUpdate] = EVENT_UPDATE_SAMPLES;
        marker = true;
        if (FRAME_SAMPLES >= n[N.TxLength]!) this.toEnding(n);
        else n[N.TxState] = EventSenderState.Running;
        break;
      case EventSenderState.Running: {
        // The duration covers the event up to the end of this frame (frames the clock skipped included).
        let d = (frameTs + FRAME_SAMPLES - n[N.TxTimestamp]!) >>> 0;
        if (d > MAX_EVENT_SAMPLES) d = MAX_EVENT_SAMPLES;
        if (d >= n[N.TxLength]!) {
          n[N.TxDuration] = d;
          this.toEnding(n);
        } else {
          let next = n[N.TxNextUpdate]!;
          if (d < next) return 0;
          n[N.TxDuration] = d;
          while (next <= d) next += EVENT_UPDATE_SAMPLES;
          n[N.TxNextUpdate] = next;
        }
        break;
      }
      case EventSenderState.Ending:
        break;
    }
    const end = n[N.TxState] === EventSenderState.Ending;
    const buf = this.packet;
    const at = writeRtpHeader(buf, 0, pt, marker, seq, n[N.TxTimestamp]!, ssrc);
    writeTelephoneEvent(buf, at, n[N.TxEvent]!, end, n[N.TxVolume]!, n[N.TxDuration]!);
    n[N.TxMarker] = marker ? 1 : 0;
    n[N.TxEnd] = end ? 1 : 0;
    n[N.TxPackets]++;
    if (end) {
      const left = n[N.TxEndsLeft]! - 1;
      n[N.TxEndsLeft] = left;
      if (left === 0) {
        n[N.TxState] = EventSenderState.Idle;
        n[N.TxEvents]++;
      }
    }
    return EVENT_PACKET_BYTES;
  }

  /**
   * The media clock's frame for `s`: when this frame carries an event
   * packet, send it in the stream (its sequence number, timestamp clock and
   * SSRC) and return true; the caller then sends no audio for the frame.
   * False (send the audio) otherwise. An event the stream cannot carry
   * (no telephone-event agreed, not sending, nowhere to send) is dropped.
   */
  sendFrame(s: EventStream): boolean {
    if (this.n[N.TxState] === EventSenderState.Idle) return false;
    const udp = s.rtp;
    const pt = s.eventPayloadType;
    const port = s.remotePort;
    if (!s.active || !s.sending || pt < 0 || udp === null || port <= 0) {
      this.cancel();
      return false;
    }
    const ts = s.timestamp;
    const seq = s.sequence;
    const len = this.write(pt, seq, s.ssrc, ts);
    if (len === 0) return false;
    // The frame is spent on the event: the audio clock moves on as after a sent frame (§5.1).
    s.timestamp = (ts + FRAME_SAMPLES) >>> 0;
    if (udp.send(this.packet, len, s.remoteAddress, port)) {
      s.sequence = (seq + 1) & 0xffff;
      s.packetsSent++;
      s.octetsSent += TELEPHONE_EVENT_BYTES;
      s.sentSinceReport = true;
    }
    return true;
  }

  private toEnding(n: Uint32Array): void {
    n[N.TxState] = EventSenderState.Ending;
    n[N.TxEndsLeft] = EVENT_END_PACKETS;
  }
}
