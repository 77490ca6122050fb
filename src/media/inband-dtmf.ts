/*
 * In-band DTMF: the keys a callee types heard as tones in the call's audio
 * (ITU-T Q.23's frequency pairs), for calls whose keys come neither as RFC
 * 4733 events nor as SIP INFO: a mobile phone behind a gateway that does
 * not convert them, an analogue line, a PBX set to in-band. With it the
 * callee can open the door from any phone.
 *
 * classifyDtmf() looks at one 20 ms frame (160 samples at 8 kHz, the frame
 * the media clock plays) with eight Goertzel filters, one per Q.23
 * frequency, and the frame's energy, and names the key when (as ITU-T Q.24
 * and the usual receivers check, e.g. spandsp's dtmf.c):
 *   - one row and one column tone each reach about -32 dBm0;
 *   - each stands above the other three of its group by 8 dB;
 *   - the twist is within 8 dB with the row tone louder, 4 dB with the
 *     column tone louder;
 *   - the two tones hold 78% of the frame's energy or more (speech and
 *     music spread theirs, which is what keeps voices from typing keys).
 * The last check takes both tones within 1% of their frequencies (a row
 * tone alone up to about 2%, a column tone alone 1.2%), not Q.24's 1.5%
 * for both: that margin was for analogue generators, while phones,
 * gateways and mobile networks make the tones digitally, within a fraction
 * of that; at 1.5% a 20 ms frame can no longer tell a key from a voiced
 * vowel whose harmonics sit near a row and a column
 * (test/media-inband-dtmf.test.ts). A false key is not harmless: wrong
 * entries end the call and lock the door code for a while
 * (door-opener.ts), which is why the application takes A-D only when the
 * code uses them, CallMedia does not listen while the call is on hold,
 * and the opener forgets a partial entry after 10 s.
 * InbandDtmf then takes a key once it has lasted two frames in a row
 * (40 ms, Q.24's shortest key) and takes the next only after a frame
 * without it, so one long press is one key.
 *
 * Two guards, since these tones are sound and not signalling:
 *   - CallMedia plays the speaker a frame late while it listens, and a
 *     frame that holds a key, or whose neighbour does, as silence (a key's
 *     partial edge frames too): the door's speaker would otherwise sound
 *     the door code to whoever stands there;
 *   - keys are not taken for a second after the door's own microphone heard
 *     DTMF: tones played into the door would come back from a callee's
 *     speakerphone as if typed (MIC_GUARD_FRAMES).
 *
 * Allocation-free: the filters run on locals; the state is a few numbers of
 * the media's table (media-numbers.ts).
 */
import { ascii } from "../sip/message/bytes";
import { FRAME_SAMPLES } from "./g711";
import { MediaNumber as N } from "./media-numbers";

/** The keys by row (697, 770, 852, 941 Hz) and column (1209, 1336, 1477, 1633 Hz), as character codes (bytes: a string's would be a property access, which allocates in XS). */
const KEYS = ascii("123A456B789C*0#D");

/** 2 cos(2π f / 8000): the Goertzel coefficient of each Q.23 frequency. */
const R0 = 2 * Math.cos((2 * Math.PI * 697) / 8000);
const R1 = 2 * Math.cos((2 * Math.PI * 770) / 8000);
const R2 = 2 * Math.cos((2 * Math.PI * 852) / 8000);
const R3 = 2 * Math.cos((2 * Math.PI * 941) / 8000);
const C0 = 2 * Math.cos((2 * Math.PI * 1209) / 8000);
const C1 = 2 * Math.cos((2 * Math.PI * 1336) / 8000);
const C2 = 2 * Math.cos((2 * Math.PI * 1477) / 8000);
const C3 = 2 * Math.cos((2 * Math.PI * 1633) / 8000);

/**
 * The least Goertzel power of either tone: a tone of amplitude A over N
 * samples gives (A N / 2)^2 at its frequency. A = 560 (16-bit linear) is
 * about -32 dBm0 (G.711's 0 dBm0 sine peaks near 22,700); a tone 1.5% off
 * its frequency loses up to 2 dB more.
 */
const MIN_TONE_POWER = (560 * FRAME_SAMPLES) / 2 * ((560 * FRAME_SAMPLES) / 2);
/** 8 dB (power ratio): how far a group's tone stands above the group's others, and the most the row tone may exceed the column tone. */
const DB8 = 6.31;
/** 4 dB: the most the column tone may exceed the row tone (reverse twist). */
const DB4 = 2.51;
/**
 * The share of the frame's energy the two tones must hold. Two pure tones
 * hold all of it: the Goertzel power P of a tone with energy E over N
 * samples is N E / 2, so 2 (Prow + Pcol) / (N E) is 1; with both tones 1%
 * off their frequencies and G.711's quantisation noise it is 0.79 at worst
 * (0.60 at 1.5%), a steady vowel with harmonics near a key 0.77 at most.
 */
const MIN_SHARE = 0.78;

/** Half a frame: the row filters are looked at there first. */
const HALF = FRAME_SAMPLES / 2;

/**
 * Halfway through the frame: could a row tone of a key be there? Looser
 * than the full checks, so that no frame fails here that the whole frame
 * would take: the strongest row at a quarter of the full level (the half's
 * share of a tone's Goertzel power), and holding half the share a key's
 * row tone holds at least (with the column tone 4 dB louder). No
 * stand-out test: over half a frame a bin is 150 Hz wide for a key that
 * starts 30 samples in, and the rows are 73-89 Hz apart, so the row tone
 * of a frame the whole-frame checks take may stand only 1 dB above its
 * neighbour here (test/media-inband-dtmf.test.ts, 40 ms keys).
 */
function rowStandsOut(w0: number, w1: number, w2: number, w3: number, energy: number): boolean {
  let best = w0;
  if (w1 > best) best = w1;
  if (w2 > best) best = w2;
  if (w3 > best) best = w3;
  if (best < MIN_TONE_POWER / 4 / 2) return false;
  return 2 * best * (1 + DB4) * 2 >= MIN_SHARE * HALF * energy;
}

/** The Goertzel power after N samples, from the filter's last two states. */
function power(s1: number, s2: number, coeff: number): number {
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/**
 * The key (its character code: 0-9 * # A-D) whose tone pair fills this
 * frame, or -1. `pcm` holds FRAME_SAMPLES samples from `at`.
 */
export function classifyDtmf(pcm: Int16Array, at: number): number {
  const mid = at + HALF;
  const end = at + FRAME_SAMPLES;
  // Every other sample's energy, for a first look: too quiet for two tones of the least level ends here (silence,
  // low speech: most frames), at an eighth of the work. At 4 kHz no Q.23 frequency comes near 0 or 2 kHz, so the
  // samples taken hold about half a tone's energy whatever its phase; the margin of 2 covers the rest.
  let sampled = 0;
  for (let i = at; i < end; i += 2) {
    const x = pcm[i]!;
    sampled += x * x;
  }
  if (2 * sampled * FRAME_SAMPLES * 2 < 4 * MIN_TONE_POWER) return -1;
  // The row filters, looked at halfway: a frame whose row tone does not stand out there (most loud frames: speech)
  // ends after a quarter of the work; the others go on over the second half, the columns after them. Two samples
  // a turn: each filter's two states take the newest value in turn, so neither is copied to the other (in XS each
  // copy is byte codes). After an even count, p0..p3 hold the newest. The energy is summed on the way.
  let energy = 0;
  let p0 = 0, p0p = 0, p1 = 0, p1p = 0, p2 = 0, p2p = 0, p3 = 0, p3p = 0;
  for (let i = at; i < end; i += 2) {
    const x = pcm[i]!;
    p0p = x + R0 * p0 - p0p;
    p1p = x + R1 * p1 - p1p;
    p2p = x + R2 * p2 - p2p;
    p3p = x + R3 * p3 - p3p;
    const y = pcm[i + 1]!;
    p0 = y + R0 * p0p - p0;
    p1 = y + R1 * p1p - p1;
    p2 = y + R2 * p2p - p2;
    p3 = y + R3 * p3p - p3;
    energy += x * x + y * y;
    if (i + 2 === mid && !rowStandsOut(power(p0, p0p, R0), power(p1, p1p, R1), power(p2, p2p, R2), power(p3, p3p, R3), energy)) return -1;
  }
  const w0 = power(p0, p0p, R0), w1 = power(p1, p1p, R1), w2 = power(p2, p2p, R2), w3 = power(p3, p3p, R3);
  // The strongest row, and the strongest of the others.
  let row = 0, rowPower = w0, rowNext = 0;
  if (w1 > rowPower) { rowNext = rowPower; row = 1; rowPower = w1; } else rowNext = w1;
  if (w2 > rowPower) { rowNext = rowPower; row = 2; rowPower = w2; } else if (w2 > rowNext) rowNext = w2;
  if (w3 > rowPower) { rowNext = rowPower; row = 3; rowPower = w3; } else if (w3 > rowNext) rowNext = w3;
  if (rowPower < MIN_TONE_POWER || rowPower < DB8 * rowNext) return -1;
  // A key's row tone holds at least MIN_SHARE / (1 + DB4) of the energy (the column tone 4 dB louder at most).
  if (2 * rowPower * (1 + DB4) < MIN_SHARE * FRAME_SAMPLES * energy) return -1;
  let q0 = 0, q0p = 0, q1 = 0, q1p = 0, q2 = 0, q2p = 0, q3 = 0, q3p = 0;
  for (let i = at; i < end; i += 2) {
    const x = pcm[i]!;
    q0p = x + C0 * q0 - q0p;
    q1p = x + C1 * q1 - q1p;
    q2p = x + C2 * q2 - q2p;
    q3p = x + C3 * q3 - q3p;
    const y = pcm[i + 1]!;
    q0 = y + C0 * q0p - q0;
    q1 = y + C1 * q1p - q1;
    q2 = y + C2 * q2p - q2;
    q3 = y + C3 * q3p - q3;
  }
  const v0 = power(q0, q0p, C0), v1 = power(q1, q1p, C1), v2 = power(q2, q2p, C2), v3 = power(q3, q3p, C3);
  let col = 0, colPower = v0, colNext = 0;
  if (v1 > colPower) { colNext = colPower; col = 1; colPower = v1; } else colNext = v1;
  if (v2 > colPower) { colNext = colPower; col = 2; colPower = v2; } else if (v2 > colNext) colNext = v2;
  if (v3 > colPower) { colNext = colPower; col = 3; colPower = v3; } else if (v3 > colNext) colNext = v3;
  if (colPower < MIN_TONE_POWER || colPower < DB8 * colNext) return -1;
  if (rowPower > DB8 * colPower || colPower > DB4 * rowPower) return -1;
  if (2 * (rowPower + colPower) < MIN_SHARE * FRAME_SAMPLES * energy) return -1;
  return KEYS[row * 4 + col]!;
}

/** When CallMedia listens for keys as tones in a call's audio. */
export const enum InbandDtmfMode {
  Off = 0,
  /** In calls that agreed no telephone-event (RFC 4733): their keys can only come as tones (or INFO). */
  Auto = 1,
  /** In every call (a PBX that agrees telephone-event and still sends tones). */
  On = 2,
}

/**
 * InbandDtmf.frame()'s key for a frame with no audio of the call's own: its
 * packet was lost or is late (the jitter buffer ran dry, or concealed it).
 */
export const NO_AUDIO = -2;

/**
 * Frames without audio (NO_AUDIO) that hold a press under way: 5 (100 ms, a
 * Wi-Fi stall). Such a frame says nothing about the key, so it neither goes
 * on with the press nor ends it; after more of them the press is over.
 */
const MAX_GAP_FRAMES = 5;

/** Frames (20 ms) after the door's microphone heard DTMF during which no key is taken from the call: 1 s. */
export const MIC_GUARD_FRAMES = 50;

/**
 * The keys of a call's received audio, frame by frame (CallMedia's media
 * clock). Its numbers live in the media's table: the last frame's key
 * (-1: none; read with `| 0`), how many frames in a row it has lasted, up
 * to 2 (the key is taken as it reaches 2, so 2 means taken; 3: taken, and
 * one frame without it since, which a second ends) in its two low bits and
 * the frames without audio since the last one with (NO_AUDIO) above them,
 * and the frame count when the microphone last heard DTMF.
 */
export class InbandDtmf {
  constructor(private readonly n: Uint32Array) {
    this.restart();
  }

  /** A new session: nothing under way, nothing heard at the microphone. */
  restart(): void {
    this.reset();
    this.n[N.InbandMicHeard] = 0;
  }

  /** Forget the key under way (a new call, the audio stopped). */
  reset(): void {
    const n = this.n;
    n[N.InbandKey] = -1 >>> 0;
    n[N.InbandFrames] = 0;
  }

  /** The microphone's frame number `frame` held DTMF (classifyDtmf of the captured frame). */
  heardAtMic(frame: number): void {
    this.n[N.InbandMicAt] = frame >>> 0;
    this.n[N.InbandMicHeard] = 1;
  }

  /** A press is under way (its key seen in the last frames with audio): a frame without audio now may be its middle. */
  get pressing(): boolean {
    return (this.n[N.InbandFrames]! & 3) !== 0;
  }

  /**
   * The key of the received frame number `frame` (classifyDtmf, -1, or
   * NO_AUDIO): the key's character code when it is taken now, else -1.
   */
  frame(key: number, frame: number): number {
    const n = this.n;
    if (n[N.InbandMicHeard] !== 0 && ((frame - n[N.InbandMicAt]!) >>> 0) < MIC_GUARD_FRAMES) {
      // The door's own sound may be coming back: nothing under way counts.
      this.reset();
      return -1;
    }
    const held = n[N.InbandFrames]!;
    const state = held & 3;
    if (key === NO_AUDIO) {
      // A lost or late packet: two of them in the middle of a key would otherwise end its press, and the key's rest
      // count again (a wrong digit in the door code). Held for MAX_GAP_FRAMES, then the press is over.
      if (state === 0) return -1;
      const gap = (held >>> 2) + 1;
      if (gap > MAX_GAP_FRAMES) this.reset();
      else n[N.InbandFrames] = state | (gap << 2);
      return -1;
    }
    if (key >= 0 && key === (n[N.InbandKey]! | 0)) {
      // The same press goes on: taken already (2), or back after one frame without it (3: a dropout, not a pause).
      if (state !== 1) {
        n[N.InbandFrames] = 2;
        return -1;
      }
      // The second frame in a row takes the key.
      n[N.InbandFrames] = 2;
      n[N.InbandKeys]++;
      return key;
    }
    if (key < 0 && state === 2) {
      // One frame without the key taken does not end its press: a lost or late packet (silence, or a concealed
      // frame at half level) in the middle of a key would otherwise count it twice, a wrong digit in the door code.
      // Two frames do (40 ms: a pause between keys is longer, ITU-T Q.24); until then the key is held (3).
      n[N.InbandFrames] = 3;
      return -1;
    }
    n[N.InbandKey] = key >>> 0;
    n[N.InbandFrames] = key < 0 ? 0 : 1;
    return -1;
  }

  /** Keys taken (diagnostics). */
  get keys(): number {
    return this.n[N.InbandKeys]!;
  }
}
