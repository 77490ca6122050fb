/*
 * The audio of the intercom's calls: one RtpSession per call slot (each
 * slot has its own RTP port, CallConfig.rtpPort + 2 * index), opened from
 * what the call negotiated (Call.codec, codecPt, telephoneEventPt,
 * remoteRtpAddress/Port and the two directions, RFC 3264) when the call is
 * up and stopped when it is not; a re-INVITE or UPDATE that changes the
 * media is picked up on the next frame.
 *
 * One media clock drives everything: a TimerEntry of the core's timer queue
 * every 20 ms, so the host still needs only its single wake-up. Each frame
 * the microphone (AudioSource) is captured, the outgoing tone mixed in, and
 * the frame sent; the jitter buffer's frame is played (AudioSink) with the
 * local tone mixed in; RTCP goes out when due. The clock counts frames from
 * its start, so a late wake-up sends the missed frames at once (up to
 * MAX_CATCH_UP, beyond that the timestamps skip ahead) and the stream keeps
 * real time.
 *
 * The door has one microphone and one speaker: they belong to the first
 * session that is up (parallel hunting leaves only one call up). Tones:
 * ringback on the door's speaker while a doorbell call rings, and the
 * door-open confirmation on the speaker and into the call.
 */
import type { AudioHost, ClockHost, LogHost, RandomHost, UdpHost, UdpReceiver } from "../host";
import { LogLevel, logEnabled } from "../host";
import { Codec } from "../sip/sdp/codec";
import { canReceive, canSend } from "../sip/sdp/direction";
import { TimerEntry, type TimerQueue, type TimerTarget } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";
import type { Call } from "../ua/call/call";
import { CallDirection, CallState } from "../ua/call/call-types";
import { FRAME_SAMPLES } from "./g711";
import type { JitterBufferOptions } from "./jitter-buffer";
import { RtpSession, type RtpSessionListener } from "./rtp-session";
import { Tone, ToneGenerator } from "./tone";

/** One frame, ms. */
export const FRAME_MS = 20;
/** Late frames sent at once after a late wake-up; more are skipped. */
const MAX_CATCH_UP = 5;

export interface CallMediaListener {
  /** A key press (DTMF character code) from an RFC 4733 event in `call`. */
  onTelephoneEvent(call: Call, digit: number): void;
}

export interface CallMediaOptions {
  calls: readonly Call[];
  timers: TimerQueue;
  clock: ClockHost;
  random: RandomHost;
  log?: LogHost;
  audio?: AudioHost;
  listener?: CallMediaListener;
  /** The ringback played at the door while a doorbell call rings (default the European 425 Hz). */
  ringback?: Tone;
  jitter?: JitterBufferOptions;
}

export class CallMedia implements TimerTarget, RtpSessionListener {
  readonly sessions: RtpSession[];
  /** Played on the door's speaker (ringback, confirmation). */
  readonly localTone = new ToneGenerator();
  /** Mixed into what the call hears (confirmation). */
  readonly remoteTone = new ToneGenerator();
  listener: CallMediaListener | undefined;
  audio: AudioHost | undefined;
  /** Frames the clock ran, and frames it had to skip (late wake-ups). */
  frames = 0;
  skipped = 0;

  private readonly calls: readonly Call[];
  private readonly timers: TimerQueue;
  private readonly clock: ClockHost;
  private readonly log: LogHost | undefined;
  private readonly ringbackTone: Tone;
  private readonly entry: TimerEntry;
  private readonly capture = new Int16Array(FRAME_SAMPLES);
  private readonly output = new Int16Array(FRAME_SAMPLES);
  private running = false;
  private clockStart = 0;
  private clockFrames = 0;

  constructor(o: CallMediaOptions) {
    this.calls = o.calls;
    this.timers = o.timers;
    this.clock = o.clock;
    this.log = o.log;
    this.audio = o.audio;
    this.listener = o.listener;
    this.ringbackTone = o.ringback ?? Tone.Ringback;
    this.entry = new TimerEntry(this, TimerKind.User);
    const sessions: RtpSession[] = [];
    for (let i = 0; i < o.calls.length; i++) {
      sessions.push(new RtpSession({ slot: i, clock: o.clock, random: o.random, log: o.log, listener: this, jitter: o.jitter }));
    }
    this.sessions = sessions;
  }

  /** The host's RTP and RTCP sockets of call slot `slot`; the call's SDP advertises the RTP socket's port. */
  attach(slot: number, rtp: UdpHost, rtcp: UdpHost | null): void {
    const s = this.sessions[slot];
    const call = this.calls[slot];
    if (s === undefined || call === undefined) return;
    s.rtp = rtp;
    s.rtcp = rtcp;
    if (rtp.localPort > 0) call.media.rtpPort = rtp.localPort;
  }

  /** What the host's RTP socket of `slot` delivers to. */
  rtpReceiver(slot: number): UdpReceiver | null {
    return this.sessions[slot] ?? null;
  }

  rtcpReceiver(slot: number): UdpReceiver | null {
    const s = this.sessions[slot];
    return s !== undefined ? s.rtcpReceiver : null;
  }

  /** A call changed state: its session starts when it is up, stops otherwise; ringback follows the ringing calls. */
  callState(call: Call): void {
    const s = this.sessions[call.index];
    if (s !== undefined) {
      if (call.state === CallState.Up) {
        if (!s.active && this.follow(call, s) && logEnabled(this.log, LogLevel.Info)) {
          this.info("media: call " + call.index + ": RTP to " + s.remoteAddress + ":" + s.remotePort + " (" + (s.alaw ? "PCMA" : "PCMU") + ", pt " + s.payloadType + ", events " + s.eventPayloadType + ") from port " + s.localPort);
        }
      } else if (s.active) {
        s.stop();
        if (logEnabled(this.log, LogLevel.Info)) this.info("media: call " + call.index + ": " + s.packetsSent + " packets sent, " + s.packetsReceived + " received, " + s.jitter.missing + " lost/concealed, " + s.jitter.late + " late");
      }
    }
    this.refreshRingback();
    this.runClock();
  }

  /** The door opened: the confirmation tone at the door and in the call. */
  confirm(): void {
    this.localTone.play(Tone.DoorOpen);
    this.remoteTone.play(Tone.DoorOpen);
    this.runClock();
  }

  /** Stop every session and tone (shutdown). */
  stopAll(): void {
    for (let i = 0; i < this.sessions.length; i++) this.sessions[i]!.stop();
    this.localTone.stop();
    this.remoteTone.stop();
    this.runClock();
  }

  /** The session of call slot `slot` as the call now describes it; false when there is nothing to run. */
  private follow(call: Call, s: RtpSession): boolean {
    if (call.state !== CallState.Up || call.codec === Codec.None) {
      if (s.active) s.stop();
      return false;
    }
    const alaw = call.codec === Codec.PCMA;
    // Directions: what the peer allows (its SDP, from its side) and what we answered.
    const send = canReceive(call.remoteDirection) && canSend(call.localDirection);
    const receive = canSend(call.remoteDirection) && canReceive(call.localDirection);
    if (!s.active) {
      s.start(alaw, call.codecPt, call.telephoneEventPt, call.remoteRtpAddress, call.remoteRtpPort, send, receive);
      return true;
    }
    s.update(alaw, call.codecPt, call.telephoneEventPt, call.remoteRtpAddress, call.remoteRtpPort, send, receive);
    return true;
  }

  private refreshRingback(): void {
    let ringing = false;
    let up = false;
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      if (c.state === CallState.Up) up = true;
      else if (c.direction === CallDirection.Outbound && (c.state === CallState.Dialing || c.state === CallState.Ringing)) ringing = true;
    }
    const tone = this.localTone;
    if (ringing && !up) {
      if (tone.tone !== this.ringbackTone) tone.play(this.ringbackTone);
    } else if (tone.tone === this.ringbackTone) {
      tone.stop();
    }
  }

  private anySocket(): boolean {
    const sessions = this.sessions;
    for (let i = 0; i < sessions.length; i++) if (sessions[i]!.active && sessions[i]!.rtp !== null) return true;
    return false;
  }

  private anyActive(): boolean {
    const sessions = this.sessions;
    for (let i = 0; i < sessions.length; i++) if (sessions[i]!.active) return true;
    return false;
  }

  /**
   * Start or stop the media clock as needed: while a session runs on a
   * socket, or a tone plays on a speaker. A host with neither (the XS
   * bridge today) gets no 20 ms wake-ups at all.
   */
  private runClock(): void {
    const audio0 = this.audio !== undefined;
    const needed = (this.anyActive() && (audio0 || this.anySocket())) || (this.localTone.playing && audio0);
    if (needed === this.running) return;
    const audio = this.audio;
    if (needed) {
      this.running = true;
      this.clockStart = this.clock.now();
      this.clockFrames = 0;
      if (audio !== undefined && audio.start !== undefined) audio.start();
      this.timers.start(this.entry, 0, TimerKind.User);
    } else {
      this.running = false;
      this.timers.stop(this.entry);
      if (audio !== undefined && audio.stop !== undefined) audio.stop();
    }
  }

  onTimer(entry: TimerEntry): void {
    if (entry !== this.entry || !this.running) return;
    const now = this.clock.now();
    // Frame k is due at clockStart + k * FRAME_MS.
    let due = Math.floor((now - this.clockStart) / FRAME_MS) + 1 - this.clockFrames;
    if (due > MAX_CATCH_UP) {
      const skip = due - 1;
      const sessions = this.sessions;
      for (let i = 0; i < sessions.length; i++) sessions[i]!.skip(skip);
      this.clockFrames += skip;
      this.skipped += skip;
      due = 1;
    }
    for (let k = 0; k < due; k++) this.frame(now);
    this.clockFrames += due > 0 ? due : 0;
    this.runClock();
    if (this.running) this.timers.start(this.entry, this.clockStart + this.clockFrames * FRAME_MS - this.clock.now(), TimerKind.User);
  }

  /** One 20 ms frame for every session. */
  private frame(now: number): void {
    this.frames++;
    const sessions = this.sessions;
    const calls = this.calls;
    const audio = this.audio;
    const capture = this.capture;
    const output = this.output;
    let audioUsed = false;
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i]!;
      if (!s.active) continue;
      const call = calls[i]!;
      if (!this.follow(call, s)) continue;
      const mine = !audioUsed;
      audioUsed = true;
      if (!mine || audio === undefined || !audio.capture(capture)) {
        for (let j = 0; j < FRAME_SAMPLES; j++) capture[j] = 0;
      }
      if (mine) this.remoteTone.fill(capture, true);
      s.sendFrame(capture);
      s.playFrame(output);
      if (mine) {
        this.localTone.fill(output, true);
        if (audio !== undefined) audio.play(output);
      }
      s.tickRtcp(now);
    }
    if (!audioUsed) {
      this.remoteTone.stop();
      if (this.localTone.playing) {
        for (let j = 0; j < FRAME_SAMPLES; j++) output[j] = 0;
        this.localTone.fill(output, true);
        if (audio !== undefined) audio.play(output);
      }
    }
  }

  // ---- RtpSessionListener ---------------------------------------------------

  onTelephoneEvent(session: RtpSession, digit: number): void {
    const call = this.calls[session.slot];
    const l = this.listener;
    if (call !== undefined && l !== undefined) l.onTelephoneEvent(call, digit);
  }

  private info(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }
}
