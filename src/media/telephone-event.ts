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
 */

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

export class TelephoneEventReceiver {
  /** The current (or last) event: its code, start timestamp, duration so far, ended. */
  event = -1;
  timestamp = 0;
  duration = 0;
  ended = true;
  /** Events seen (including non-digits), and packets that were too short. */
  events = 0;
  malformed = 0;
  private have = false;

  reset(): void {
    this.event = -1;
    this.timestamp = this.duration = 0;
    this.ended = true;
    this.events = this.malformed = 0;
    this.have = false;
  }

  /**
   * A telephone-event packet's payload (`length` bytes from `start`) with
   * its RTP timestamp. Returns the DTMF character code when this packet
   * begins a new key press, else -1.
   */
  receive(buf: Uint8Array, start: number, length: number, ts: number): number {
    if (length < TELEPHONE_EVENT_BYTES) {
      this.malformed++;
      return -1;
    }
    ts = ts >>> 0;
    const event = buf[start]!;
    const end = (buf[start + 1]! & 0x80) !== 0;
    const duration = (buf[start + 2]! << 8) | buf[start + 3]!;
    if (this.have) {
      const d = (ts - this.timestamp) | 0;
      if (d === 0) {
        // The same event: an update, its end, or a repeated end packet.
        if (event === this.event) {
          if (duration > this.duration) this.duration = duration;
          if (end) this.ended = true;
        }
        return -1;
      }
      // A packet of an event older than the current one: stale, reordered.
      if (d < 0) return -1;
      // §2.5.1.3: the next segment of a long event that has not ended.
      if (!this.ended && event === this.event && ts === ((this.timestamp + this.duration) >>> 0)) {
        this.timestamp = ts;
        this.duration = duration;
        this.ended = end;
        return -1;
      }
    }
    this.have = true;
    this.event = event;
    this.timestamp = ts;
    this.duration = duration;
    this.ended = end;
    this.events++;
    return eventDigit(event);
  }
}
