/*
 * The audio of the intercom's calls. Each call slot has its own RTP port
 * (CallConfig.rtpPort + 2 * index, advertised in its SDP) and sockets
 * (MediaSlot), but the station has one RtpSession, one jitter buffer and
 * one set of packet buffers: the door has one microphone and one speaker,
 * so audio flows in one call at a time (a second call slot is there for
 * signalling: a second INVITE while busy, a hunt group's forks, a
 * transfer). The session is bound to the first call that is up, opened
 * from what it negotiated (Call.codec, codecPt, telephoneEventPt,
 * remoteRtpAddress/Port, remoteRtcpIp4/Port (RFC 3605 a=rtcp) and the
 * two directions, RFC 3264), and stopped
 * when that call is no longer up; a re-INVITE or UPDATE that changes the
 * media is picked up on the next frame. A call that comes up while another
 * has the audio gets no RTP (its port's datagrams are dropped and counted)
 * until that call ends; then it takes the session over. This halves the
 * media's memory with two call slots (issue #9: in XS every typed array
 * costs 7 slots besides its bytes, and a session holds several).
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
 * Tones:
 * ringback on the door's speaker while a doorbell call rings, the
 * door-open confirmation on the speaker and into the call, and busy tone on
 * the speaker when a doorbell call reached nobody (unanswered()), ended by
 * a call that rings the door or comes up.
 */
import type { AudioHost, ClockHost, LogHost, RandomHost, UdpHost, UdpReceiver } from "../host";
import { LogLevel, logEnabled } from "../host";
import { Codec } from "../sip/sdp/codec";
import { canReceive, canSend } from "../sip/sdp/direction";
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";
import type { Call } from "../ua/call/call";
import { CallDirection, CallState } from "../ua/call/call-types";
import { FRAME_SAMPLES } from "./g711";
import { classifyDtmf, InbandDtmf, InbandDtmfMode, NO_AUDIO } from "./inband-dtmf";
import type { JitterBufferOptions } from "./jitter-buffer";
import { MEDIA_NUMBERS_BYTES, MediaNumber as N, MediaTime, ToneField } from "./media-numbers";
import { RtpSession, type RtpSessionListener } from "./rtp-session";
import { EVENT_PACKET_BYTES, eventDigit, TelephoneEventSender } from "./telephone-event";
import { Tone, ToneGenerator } from "./tone";

/** One frame, ms. */
export const FRAME_MS = 20;
/** Late frames sent at once after a late wake-up; more are skipped. */
const MAX_CATCH_UP = 5;
/**
 * The door opening is also confirmed with an RFC 4733 event (telephone-event.ts),
 * when the call agreed telephone-event: "#" (event 11, §3.2) for 200 ms, sent
 * after the 800 ms door-open tone (tone.ts) so that its packets, which take
 * the place of audio frames, do not cut the tone.
 */
export const CONFIRM_EVENT = 11;
const CONFIRM_EVENT_SAMPLES = 1600;
const CONFIRM_AFTER_FRAMES = 40;
/**
 * A received RFC 4733 key that equals the door's own event is its echo until
 * this many frames (1 s) after the door's last event packet: a peer that
 * loops RTP back (an echo test, a PBX's Echo(), Net::SIP's recv_echo) would
 * otherwise hand the door its own "#" as a key, and with a door code that is
 * or ends in "#" open the door again, confirm again, and so on for the whole
 * call (test/interop-netsip.test.ts found it). One second covers the round
 * trip through a PBX and a jitter buffer; the door has just opened, so a
 * callee's own "#" in it is not needed.
 */
export const ECHO_GUARD_FRAMES = 50;

export interface CallMediaListener {
  /** A key press (DTMF character code) from an RFC 4733 event in `call`. */
  onTelephoneEvent(call: Call, digit: number): void;
  /** A key press heard as DTMF tones in `call`'s audio (inband-dtmf.ts). */
  onInbandDtmf?(call: Call, digit: number): void;
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
  /** When keys are listened for as tones in the call's audio (default Auto: in calls that agreed no telephone-event). */
  inbandDtmf?: InbandDtmfMode;
  jitter?: JitterBufferOptions;
}

/**
 * A call slot's media port: the host's RTP and RTCP sockets of the slot and
 * what the host delivers their datagrams to (made once). Datagrams go to
 * the session only while it is bound to this slot. For the hosts' status it
 * shows the session's counters while the session serves, or last served,
 * this slot, and zeros otherwise.
 */
export class MediaSlot implements UdpReceiver {
  rtp: UdpHost | null = null;
  rtcp: UdpHost | null = null;
  /** What the host binds the slot's RTCP socket to. */
  readonly rtcpReceiver: UdpReceiver;
  /** Datagrams (RTP or RTCP) that came while the session was bound to another slot (serving, or last serving, another call). */
  stray = 0;

  constructor(
    readonly slot: number,
    private readonly session: RtpSession,
  ) {
    this.rtcpReceiver = new MediaSlotRtcp(this);
  }

  /** The session serves this slot now, or served it last. */
  get bound(): boolean {
    // Per datagram: the session's table read directly (its `slot` accessor is a call in XS).
    return this.session.numbers[N.SessionSlot] === this.slot;
  }

  get active(): boolean {
    return this.bound && this.session.active;
  }

  get packetsSent(): number {
    return this.bound ? this.session.packetsSent : 0;
  }

  get packetsReceived(): number {
    return this.bound ? this.session.packetsReceived : 0;
  }

  get digits(): number {
    return this.bound ? this.session.digits : 0;
  }

  get latched(): boolean {
    return this.bound && this.session.latched;
  }

  /** An RTP datagram on the slot's port (UdpReceiver). */
  receive(data: Uint8Array, length: number, address: string, port: number): void {
    if (this.bound) this.session.receive(data, length, address, port);
    else this.stray++;
  }

  receiveRtcp(data: Uint8Array, length: number, address: string, port: number): void {
    if (this.bound) this.session.receiveRtcp(data, length, address, port);
    else this.stray++;
  }
}

/** The RTCP socket's receiver of a slot: a fixed object, made once. */
class MediaSlotRtcp implements UdpReceiver {
  constructor(private readonly port: MediaSlot) {}
  receive(data: Uint8Array, length: number, address: string, port: number): void {
    this.port.receiveRtcp(data, length, address, port);
  }
}

/**
 * The media clock's queue entry is the CallMedia itself (a TimerNode, as a
 * call or a transaction is: no entry object of its own). Its numbers, and
 * those of every part of the media, are in one table (media-numbers.ts; the
 * clock times in a second), views of the one ArrayBuffer that also holds
 * the session's buffers and the audio frame; it reaches them through the
 * session (`session.numbers`, `session.times`) rather than a property of
 * its own (issue #9: each property is a slot).
 */
export class CallMedia extends TimerNode implements RtpSessionListener {
  /** The station's one RTP session, bound to the call that has the audio. */
  readonly session: RtpSession;
  /** Per call slot: its sockets and receivers. */
  readonly slots: MediaSlot[];
  /** Played on the door's speaker (ringback, confirmation). */
  readonly localTone: ToneGenerator;
  /** Mixed into what the call hears (confirmation). */
  readonly remoteTone: ToneGenerator;
  /** RFC 4733 events into the call (the confirmation); `confirmEvent` -1 sends none. */
  readonly events: TelephoneEventSender;
  listener: CallMediaListener | undefined;
  audio: AudioHost | undefined;

  private readonly calls: readonly Call[];
  private readonly timers: TimerQueue;
  private readonly log: LogHost | undefined;
  /**
   * The microphone's frame, then the speaker's: the captured frame is spent
   * once it is sent (encoded into the packet), before the frame to play is
   * decoded into it, and AudioSink.play() copies what it keeps.
   */
  private pcm: Int16Array;
  /**
   * While keys are listened for in the call's audio, the received frame is
   * played one frame late: it is kept here, and this and `pcm` swap roles
   * (inbandFrame). A key's first frame, which holds it only in part (no key
   * to classifyDtmf), is known to be next to a key when the next frame comes.
   */
  private held: Int16Array;
  /** Keys heard as tones in the call's audio. */
  readonly inband: InbandDtmf;

  constructor(o: CallMediaOptions) {
    super(TimerKind.User);
    this.calls = o.calls;
    this.timers = o.timers;
    this.log = o.log;
    this.audio = o.audio;
    this.listener = o.listener;
    // One buffer for the whole media: the tables, the session's buffers (jitter, concealment, packet), the audio frame.
    const sessionBytes = RtpSession.bytesFor(o.jitter);
    const store = new ArrayBuffer(MEDIA_NUMBERS_BYTES + sessionBytes + 4 * FRAME_SAMPLES);
    this.session = new RtpSession({ slot: 0, clock: o.clock, random: o.random, log: o.log, listener: this, jitter: o.jitter, store });
    const n = this.session.numbers;
    this.pcm = new Int16Array(store, MEDIA_NUMBERS_BYTES + sessionBytes, FRAME_SAMPLES);
    this.held = new Int16Array(store, MEDIA_NUMBERS_BYTES + sessionBytes + 2 * FRAME_SAMPLES, FRAME_SAMPLES);
    this.localTone = new ToneGenerator(n, N.LocalTone);
    this.remoteTone = new ToneGenerator(n, N.RemoteTone);
    // The sender writes into the head of the session's packet buffer, through a view exactly one
    // event packet long: a host socket sends a view whose length is the datagram's as it is, and
    // would otherwise cut a subarray (an allocation) per packet (hosts/moddable/udp.ts).
    const packet = this.session.packet;
    this.events = new TelephoneEventSender(new Uint8Array(packet.buffer, packet.byteOffset, EVENT_PACKET_BYTES), n);
    n[N.MediaConfirmEvent] = CONFIRM_EVENT;
    n[N.MediaRingback] = o.ringback ?? Tone.Ringback;
    n[N.MediaInbandMode] = o.inbandDtmf ?? InbandDtmfMode.Auto;
    this.inband = new InbandDtmf(n);
    const slots: MediaSlot[] = [];
    for (let i = 0; i < o.calls.length; i++) slots.push(new MediaSlot(i, this.session));
    this.slots = slots;
  }

  /** The RFC 4733 event that confirms the door opening (default CONFIRM_EVENT), -1 for none. */
  get confirmEvent(): number {
    return this.session.numbers[N.MediaConfirmEvent]! | 0;
  }
  set confirmEvent(v: number) {
    this.session.numbers[N.MediaConfirmEvent] = v;
  }
  /** Frames the clock ran, and frames it had to skip (late wake-ups). */
  get frames(): number {
    return this.session.numbers[N.MediaFrames]!;
  }
  /** Received keys dropped as the echo of the door's own RFC 4733 event (ECHO_GUARD_FRAMES). */
  get echoes(): number {
    return this.session.numbers[N.MediaEchoes]!;
  }
  get skipped(): number {
    return this.session.numbers[N.MediaSkipped]!;
  }

  /** The host's RTP and RTCP sockets of call slot `slot`; the call's SDP advertises the RTP socket's port. */
  attach(slot: number, rtp: UdpHost, rtcp: UdpHost | null): void {
    const port = this.slots[slot];
    const call = this.calls[slot];
    if (port === undefined || call === undefined) return;
    port.rtp = rtp;
    port.rtcp = rtcp;
    if (this.session.slot === slot) {
      this.session.rtp = rtp;
      this.session.rtcp = rtcp;
    }
    if (rtp.localPort > 0) call.media.rtpPort = rtp.localPort;
  }

  /** What the host's RTP socket of `slot` delivers to. */
  rtpReceiver(slot: number): UdpReceiver | null {
    return this.slots[slot] ?? null;
  }

  rtcpReceiver(slot: number): UdpReceiver | null {
    const port = this.slots[slot];
    return port !== undefined ? port.rtcpReceiver : null;
  }

  /**
   * A call changed state: the session starts for it when it is up and the
   * session is free, stops when the call it serves is no longer up (and
   * goes to another call that is up); ringback follows the ringing calls.
   */
  callState(call: Call): void {
    const s = this.session;
    if (call.state === CallState.Up) {
      if (!s.active) this.take(call);
      else if (s.slot !== call.index && logEnabled(this.log, LogLevel.Info)) {
        this.info("media: call " + call.index + " is up while call " + s.slot + " has the audio: no RTP for it until that call ends");
      }
    } else if (s.active && s.slot === call.index) {
      s.stop();
      this.events.cancel();
      if (logEnabled(this.log, LogLevel.Info)) this.info("media: call " + call.index + ": " + s.packetsSent + " packets sent, " + s.packetsReceived + " received, " + s.jitter.missing + " lost/concealed, " + s.jitter.late + " late");
      // A call that came up meanwhile (answered while this one had the audio) gets it now.
      const calls = this.calls;
      for (let i = 0; i < calls.length; i++) if (i !== call.index && this.take(calls[i]!)) break;
    }
    this.refreshRingback();
    this.runClock();
  }

  /** Bind the session to `call`'s slot and start it as the call describes it; false when the call is not up with media. */
  private take(call: Call): boolean {
    const port = this.slots[call.index];
    if (port === undefined || call.state !== CallState.Up || call.codec === Codec.None) return false;
    const s = this.session;
    s.slot = call.index;
    s.rtp = port.rtp;
    s.rtcp = port.rtcp;
    if (!this.follow(call)) return false;
    if (logEnabled(this.log, LogLevel.Info)) {
      this.info("media: call " + call.index + ": RTP to " + s.remoteAddress + ":" + s.remotePort + " (" + (s.alaw ? "PCMA" : "PCMU") + ", pt " + s.payloadType + ", events " + s.eventPayloadType + ") from port " + s.localPort);
      // Only when the peer named its RTCP destination (RFC 3605): the usual RTP port + 1 needs no line.
      if (call.remoteRtcpPort > 0) this.info("media: call " + call.index + ": RTCP to " + s.remoteRtcpAddress + ":" + s.remoteRtcpPort + " (a=rtcp)");
    }
    return true;
  }

  /** The door opened: the confirmation tone at the door and in the call. */
  confirm(): void {
    this.localTone.play(Tone.DoorOpen);
    this.remoteTone.play(Tone.DoorOpen);
    const event = this.session.numbers[N.MediaConfirmEvent]! | 0;
    if (event >= 0) this.events.begin(event, CONFIRM_EVENT_SAMPLES, 10, CONFIRM_AFTER_FRAMES);
    this.runClock();
  }

  /**
   * A doorbell call reached nobody (the hunt is over and its last call was
   * never answered, a transferred one included): busy tone at the door for
   * 4 s, in the ringback's region (European or North American), so that
   * the visitor knows nobody is coming. Not without a speaker, nor while a
   * call is up or rings the door (someone is there: busyStops).
   */
  unanswered(): void {
    // Without a speaker there is nothing to play (and no media clock to end the tone).
    if (this.audio === undefined) return;
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) if (busyStops(calls[i]!)) return;
    this.localTone.play(this.session.numbers[N.MediaRingback] === Tone.RingbackUs ? Tone.BusyUs : Tone.Busy);
    this.runClock();
  }

  /** Stop the session and every tone (shutdown). */
  stopAll(): void {
    this.session.stop();
    this.localTone.stop();
    this.remoteTone.stop();
    this.runClock();
  }

  /** The session as `call`, which it serves, now describes it; false when there is nothing to run. */
  private follow(call: Call): boolean {
    const s = this.session;
    if (call.state !== CallState.Up || call.codec === Codec.None) {
      s.stop();
      return false;
    }
    const alaw = call.codec === Codec.PCMA;
    // Directions: what the peer allows (its SDP, from its side) and what we answered.
    const send = canReceive(call.remoteDirection) && canSend(call.localDirection);
    const receive = canSend(call.remoteDirection) && canReceive(call.localDirection);
    // The call's signalling peer may latch the RTP too (rtp-session.ts peerSource); the hop's string, no copy.
    s.signalAddress = call.dialog.hop.address;
    if (this.session.numbers[N.SessionActive] === 0) {
      this.inband.restart();
      this.session.numbers[N.InbandHeld] = 0;
      // A new session: an echo of the last call's confirmation is not this call's.
      this.session.numbers[N.MediaEchoUntil] = 0;
      s.start(alaw, call.codecPt, call.telephoneEventPt, call.remoteRtpAddress, call.remoteRtpPort, send, receive, call.remoteRtcpIp4, call.remoteRtcpPort);
      return true;
    }
    s.update(alaw, call.codecPt, call.telephoneEventPt, call.remoteRtpAddress, call.remoteRtpPort, send, receive, call.remoteRtcpIp4, call.remoteRtcpPort);
    return true;
  }

  private refreshRingback(): void {
    let ringing = false;
    let up = false;
    const calls = this.calls;
    let stopsBusy = false;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      if (c.state === CallState.Up) up = true;
      else if (c.direction === CallDirection.Outbound && (c.state === CallState.Dialing || c.state === CallState.Ringing)) ringing = true;
      if (busyStops(c)) stopsBusy = true;
    }
    const tone = this.localTone;
    const ringback: Tone = this.session.numbers[N.MediaRingback]!;
    const playing = tone.tone;
    if (ringing && !up) {
      if (playing !== ringback) tone.play(ringback);
    } else if (playing === ringback || (stopsBusy && (playing === Tone.Busy || playing === Tone.BusyUs))) {
      // Ringback ends with the ringing; a busy tone with a call that comes up or rings the door (someone is there now).
      tone.stop();
    }
  }

  /**
   * Start or stop the media clock as needed: while a session runs on a
   * socket, or a tone plays on a speaker. A host with neither (the XS
   * bridge today) gets no 20 ms wake-ups at all.
   */
  private runClock(): void {
    const audio0 = this.audio !== undefined;
    const s = this.session;
    const n = this.session.numbers;
    // The session's and the local tone's state read from the table (accessors are calls in XS; this runs every frame).
    const needed = (n[N.SessionActive] !== 0 && (audio0 || s.rtp !== null)) || (n[N.LocalTone + ToneField.Tone] !== Tone.None && audio0);
    if (needed === (n[N.MediaRunning] !== 0)) return;
    const audio = this.audio;
    if (needed) {
      n[N.MediaRunning] = 1;
      this.session.times[MediaTime.MediaClockStart] = this.timers.now();
      n[N.MediaClockFrames] = 0;
      if (audio !== undefined && audio.start !== undefined) audio.start();
      this.timers.start(this, 0, TimerKind.User);
    } else {
      n[N.MediaRunning] = 0;
      this.timers.stop(this);
      if (audio !== undefined && audio.stop !== undefined) audio.stop();
    }
  }

  /** The media clock is due (TimerNode): the frames due since it started, then the next wake-up. */
  fire(): void {
    const n = this.session.numbers;
    if (n[N.MediaRunning] === 0) return;
    const timers = this.timers;
    const now = timers.now();
    const start = this.session.times[MediaTime.MediaClockStart]!;
    // Frame k is due at clockStart + k * FRAME_MS.
    let due = Math.floor((now - start) / FRAME_MS) + 1 - n[N.MediaClockFrames]!;
    if (due > MAX_CATCH_UP) {
      const skip = due - 1;
      this.session.skip(skip);
      n[N.MediaClockFrames] += skip;
      n[N.MediaSkipped] += skip;
      due = 1;
    }
    for (let k = 0; k < due; k++) this.frame(now);
    n[N.MediaClockFrames] += due > 0 ? due : 0;
    this.runClock();
    if (n[N.MediaRunning] !== 0) timers.start(this, this.session.times[MediaTime.MediaClockStart]! + n[N.MediaClockFrames]! * FRAME_MS - timers.now(), TimerKind.User);
  }

  /** One 20 ms frame: the session's, or the local tone alone. */
  private frame(now: number): void {
    const n = this.session.numbers;
    n[N.MediaFrames]++;
    const s = this.session;
    const call = this.calls[n[N.SessionSlot]!];
    const audio = this.audio;
    const pcm = this.pcm;
    if (n[N.SessionActive] !== 0 && call !== undefined && this.follow(call)) {
      const mode = n[N.MediaInbandMode]!;
      // Not while the call is on hold either way (the peer sends music on hold, or nothing): a callee types keys in a
      // call that goes both ways, and hold music is where in-band listening hears false keys.
      const inband = (mode === InbandDtmfMode.On || (mode === InbandDtmfMode.Auto && (n[N.SessionEventPayloadType]! | 0) < 0)) &&
        n[N.SessionSending] !== 0 && n[N.SessionReceiving] !== 0;
      if (audio === undefined || !audio.capture(pcm)) {
        for (let j = 0; j < FRAME_SAMPLES; j++) pcm[j] = 0;
      } else if (inband && classifyDtmf(pcm, 0) >= 0) {
        // DTMF at the door's own microphone: what comes back from the call for a while may be its echo. Every
        // frame: a key of 40-55 ms may fill only one, odd or even (test/media-call.test.ts), while its echo fills
        // two of the call's.
        this.inband.heardAtMic(n[N.MediaFrames]!);
      }
      this.remoteTone.fill(pcm, true);
      // A frame that carries an RFC 4733 packet carries no audio (telephone-event.ts).
      if (this.events.sendFrame(s)) n[N.MediaEchoUntil] = n[N.MediaFrames]! + ECHO_GUARD_FRAMES;
      else s.sendFrame(pcm);
      // The captured frame is spent: the same samples now take the frame to play.
      const heard = s.playFrame(pcm);
      // A frame the jitter buffer did not have (lost or late: silence, or concealed from the one before) is no audio
      // of the call's own, and says nothing about a key.
      if (inband) this.inbandFrame(call, heard && n[N.ConcealLost] === 0 ? classifyDtmf(pcm, 0) : NO_AUDIO);
      else n[N.InbandHeld] = 0;
      // The frame to play (the one held back, when listening for keys).
      const out = this.pcm;
      this.localTone.fill(out, true);
      if (audio !== undefined) audio.play(out);
      s.tickRtcp(now);
    } else {
      this.remoteTone.stop();
      this.events.cancel();
      if (this.localTone.playing) {
        for (let j = 0; j < FRAME_SAMPLES; j++) pcm[j] = 0;
        this.localTone.fill(pcm, true);
        if (audio !== undefined) audio.play(pcm);
      }
    }
  }

  /**
   * A received frame's key (classifyDtmf; -1: none) into the key reader,
   * and the frame before it into `pcm` to be played: as silence when it, the
   * frame before it or the one after it (this one) holds a key. The door's
   * speaker would otherwise sound the door code to whoever stands at the
   * door, and a key's first and last frames, which hold it only in part
   * (no key to classifyDtmf), give it away as well as its whole ones
   * (test/media-call.test.ts).
   */
  private inbandFrame(call: Call, key: number): void {
    const n = this.session.numbers;
    // This frame is held back; the one held before is played (into `pcm`: the two buffers swap roles, no copy).
    const play = this.held;
    this.held = this.pcm;
    this.pcm = play;
    const was = n[N.InbandHeld]!;
    // A frame without audio in a press (concealed from a key's frame) counts as one of the key's.
    const keyed = key >= 0 || (key === NO_AUDIO && this.inband.pressing);
    // As silence when a key is next to it or in it; the first frame held back: a frame of silence in its place.
    if (keyed || (was & 3) !== 0 || (was & 4) === 0) {
      for (let j = 0; j < FRAME_SAMPLES; j++) play[j] = 0;
    }
    n[N.InbandHeld] = 4 | ((was & 1) << 1) | (keyed ? 1 : 0);
    const taken = this.inband.frame(key, n[N.MediaFrames]!);
    const l = this.listener;
    if (taken >= 0 && l !== undefined && l.onInbandDtmf !== undefined) l.onInbandDtmf(call, taken);
  }

  // ---- RtpSessionListener ---------------------------------------------------

  onTelephoneEvent(session: RtpSession, digit: number): void {
    const n = session.numbers;
    if (n[N.MediaEchoUntil] !== 0 && n[N.MediaFrames]! <= n[N.MediaEchoUntil]! && digit === eventDigit(n[N.MediaConfirmEvent]! | 0)) {
      n[N.MediaEchoes]++;
      return;
    }
    const call = this.calls[session.slot];
    const l = this.listener;
    if (call !== undefined && l !== undefined) l.onTelephoneEvent(call, digit);
  }

  private info(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }
}

/** A call that ends a busy tone at the door (or keeps one from starting): up, or a call to the door being offered. */
function busyStops(c: Call): boolean {
  const s = c.state;
  return s === CallState.Up || (c.direction === CallDirection.Inbound && (s === CallState.Incoming || s === CallState.Connecting));
}
