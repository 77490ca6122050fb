/*
 * The XS side of the media bridge (runs INSIDE the doorsip-xs worker, with
 * hosts/xs/intercom-worker.ts): the door's microphone and speaker as an
 * AudioHost whose samples come from and go to the Node side, where the WAV
 * files and tones are (hosts/node/audio). Protocol: hosts/xs/bridge-protocol.ts.
 *
 * The core's media clock calls capture() and play() synchronously every
 * 20 ms, and nothing can wait for Node in between, so microphone frames
 * are sent ahead: when the clock starts ("audio" on) Node sends MIC_LEAD
 * frames, and each "play" tells Node how many frames were captured since
 * the last one, which Node sends next (credit-based: the queue stays at
 * about MIC_LEAD frames, whatever Node's pace). A capture with the
 * queue empty is an underrun: false, so the core sends silence, and the
 * credit still goes back, so the queue refills.
 *
 * It must not import anything from Node.
 */
import type { AudioHost } from "../../src/host";
import { FRAME_BYTES, FRAME_SAMPLES, toHex, type FromXs, frameToBytes } from "./bridge-protocol";

/** Frames the queue holds at most; beyond that the oldest are dropped. */
const MIC_QUEUE = 10;

export class BridgeAudio implements AudioHost {
  /** Underruns (a capture with no frame queued) and frames dropped on overflow, for "status". */
  underruns = 0;
  overflows = 0;
  captured = 0;
  played = 0;
  private readonly queue = new Int16Array(MIC_QUEUE * FRAME_SAMPLES);
  private head = 0;
  private count = 0;
  private took = 0;
  private readonly bytes = new Uint8Array(FRAME_BYTES);

  constructor(
    private readonly out: (m: FromXs) => void,
    readonly mic: boolean,
    readonly speaker: boolean,
  ) {}

  start(): void {
    this.head = 0;
    this.count = 0;
    this.took = 0;
    this.out({ op: "audio", on: true });
  }

  stop(): void {
    this.count = 0;
    this.out({ op: "audio", on: false });
  }

  capture(frame: Int16Array): boolean {
    if (!this.mic) return false;
    this.took++;
    if (this.count === 0) {
      this.underruns++;
      return false;
    }
    const at = this.head * FRAME_SAMPLES;
    const q = this.queue;
    for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = q[at + i]!;
    this.head = (this.head + 1) % MIC_QUEUE;
    this.count--;
    this.captured++;
    return true;
  }

  play(frame: Int16Array): void {
    this.played++;
    let data = "";
    if (this.speaker) {
      frameToBytes(frame, this.bytes);
      data = toHex(this.bytes, FRAME_BYTES);
    }
    const took = this.took;
    this.took = 0;
    this.out({ op: "play", data, took });
  }

  /** A "mic" message: frames appended to the queue (false: not whole frames). */
  receive(samples: readonly number[]): boolean {
    const n = samples.length;
    if (n % FRAME_SAMPLES !== 0) return false;
    const q = this.queue;
    for (let at = 0; at < n; at += FRAME_SAMPLES) {
      if (this.count === MIC_QUEUE) {
        this.head = (this.head + 1) % MIC_QUEUE;
        this.count--;
        this.overflows++;
      }
      const to = ((this.head + this.count) % MIC_QUEUE) * FRAME_SAMPLES;
      for (let i = 0; i < FRAME_SAMPLES; i++) q[to + i] = samples[at + i]!;
      this.count++;
    }
    return true;
  }
}
