/*
 * One RTP session (RFC 3550) of a call slot: G.711 audio both ways in 20 ms
 * packets, RFC 4733 telephone-events received, RTCP reports.
 *
 * Sending (§5.1): 160 samples per packet; the sequence number starts at a
 * random value and counts packets; the timestamp starts at a random value
 * and counts samples (8 kHz, RFC 3551 §4.5.14), and keeps counting across
 * frames the clock skipped, so it follows real time; the SSRC is random
 * (§8.1). The marker bit is set on the first packet of a talkspurt (RFC 3551
 * §4.1): we send continuously, so that is the first packet of the session
 * and the first after a pause (hold, resume).
 *
 * Symmetric RTP (RFC 4961): we send from the port we advertised (the host
 * binds one socket per slot and sends on it), and we send to where the
 * peer's RTP comes from once it has come ("latching", for peers behind
 * NAT, whose SDP names a private address). Until then we send to the SDP's
 * address. Once latched, packets from other sources are dropped (no
 * hijacking of the stream) unless the latched source has been silent for
 * RELATCH_MS, when another port of the same address (a NAT rebinding) or
 * the SDP's address may take over.
 *
 * Receiving: the header is checked (§5.1, A.1), the source's statistics
 * kept (A.1, A.3, A.8), audio goes to the jitter buffer, telephone-events to
 * the RFC 4733 receiver. Play-out takes one frame per tick from the jitter
 * buffer, decoded, or concealed when lost.
 *
 * RTCP (§6): a report every 5 s on average, randomised to 0.5-1.5 times
 * that (§6.3.1), sent to the RTP port + 1 of the peer (§11) or where its
 * RTCP comes from; a BYE at the end.
 *
 * Nothing here allocates per packet: the packet buffer, header reader,
 * statistics and jitter buffer are made at construction.
 *
 * The station has one RtpSession (a door has one microphone and one
 * speaker, so audio flows in one call at a time): CallMedia binds it to the
 * call slot whose call is up, with that slot's sockets.
 */
import type { ClockHost, LogHost, RandomHost, UdpHost, UdpReceiver } from "../host";
import { LogLevel, logEnabled } from "../host";
import { ALAW_SILENCE, decodeG711, encodeG711, FRAME_SAMPLES, ULAW_SILENCE } from "./g711";
import { CONCEALMENT_BYTES, Concealment } from "./concealment";
import { JitterBuffer, type JitterBufferOptions, JitterPut } from "./jitter-buffer";
import { RtcpReader, type RtcpSource, writeBye, writeReport } from "./rtcp";
import { RTP_HEADER, RtpCheck, RtpHeader, writeRtpHeader } from "./rtp-packet";
import { RtpReceiveStats } from "./rtp-stats";
import { TelephoneEventReceiver } from "./telephone-event";

/** RTCP report interval, ms (§6.2: the recommended minimum). */
export const RTCP_INTERVAL_MS = 5000;
/** A latched source silent this long may be replaced by another one. */
export const RELATCH_MS = 2000;
/** CNAME bytes kept: "doorsip-" and eight hex digits of the SSRC. */
const CNAME_LENGTH = 16;
const HEX = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);
const CNAME_PREFIX = new Uint8Array([100, 111, 111, 114, 115, 105, 112, 45]); // "doorsip-"

export interface RtpSessionListener {
  /** A key press (DTMF character code) from an RFC 4733 event. */
  onTelephoneEvent(session: RtpSession, digit: number): void;
}

export interface RtpSessionOptions {
  /** The call slot served first (default 0); CallMedia moves the session to the slot whose call has the audio. */
  slot?: number;
  clock: ClockHost;
  random: RandomHost;
  log?: LogHost;
  listener?: RtpSessionListener;
  jitter?: JitterBufferOptions;
}

export class RtpSession implements UdpReceiver, RtcpSource {
  /** The call slot served now, or last (its counters stay until the next start). */
  slot: number;
  /** That slot's sockets: RTP (even port) and RTCP (the next one). */
  rtp: UdpHost | null = null;
  rtcp: UdpHost | null = null;
  listener: RtpSessionListener | undefined;

  /** Running (between start and stop). */
  active = false;
  alaw = false;
  payloadType = 0;
  /** Payload type of telephone-event/8000, -1 when not negotiated. */
  eventPayloadType = -1;
  sending = false;
  receiving = false;
  /** Where RTP goes: the SDP's address until the peer's RTP latches it. */
  remoteAddress = "";
  remotePort = 0;
  remoteRtcpAddress = "";
  remoteRtcpPort = 0;
  latched = false;

  // Sending (RtcpSource)
  ssrc = 0;
  sequence = 0;
  timestamp = 0;
  packetsSent = 0;
  octetsSent = 0;
  sentSinceReport = false;
  private marker = true;

  // Receiving
  readonly header = new RtpHeader();
  readonly stats = new RtpReceiveStats();
  readonly jitter: JitterBuffer;
  readonly events = new TelephoneEventReceiver();
  readonly concealment: Concealment;
  readonly rtcpIn = new RtcpReader();
  lastSr = 0;
  lastSrAt = -1;
  packetsReceived = 0;
  /** Datagrams dropped: malformed, an unknown payload type, a foreign source, or RTP while not receiving. */
  dropped = 0;
  /** Digits reported from telephone-events. */
  digits = 0;
  rtcpSent = 0;
  rtcpReceived = 0;
  private lastRtpAt = 0;
  private startedAt = 0;
  private nextReportAt = 0;

  private readonly clock: ClockHost;
  private readonly random: RandomHost;
  private readonly log: LogHost | undefined;
  /**
   * One buffer for the RTP packet sent, the RTCP packet sent and the G.711
   * frame played out: the host copies what it sends before send() returns
   * (UdpHost.send), and each use ends before the next begins (in XS each
   * typed array costs 7 slots besides its bytes).
   */
  private readonly packet: Uint8Array;
  private readonly cname: Uint8Array;

  constructor(o: RtpSessionOptions) {
    this.slot = o.slot !== undefined ? o.slot : 0;
    this.clock = o.clock;
    this.random = o.random;
    this.log = o.log;
    this.listener = o.listener;
    // Every buffer of the session in one: the jitter buffer's, the concealment's last frame, the packet, the CNAME (views: see JitterBuffer).
    const jb = JitterBuffer.bytesFor(o.jitter);
    const store = new ArrayBuffer(jb + CONCEALMENT_BYTES + RTP_HEADER + FRAME_SAMPLES + CNAME_LENGTH);
    this.jitter = new JitterBuffer(o.jitter, store, 0);
    this.concealment = new Concealment(store, jb);
    this.packet = new Uint8Array(store, jb + CONCEALMENT_BYTES, RTP_HEADER + FRAME_SAMPLES);
    this.cname = new Uint8Array(store, jb + CONCEALMENT_BYTES + RTP_HEADER + FRAME_SAMPLES, CNAME_LENGTH);
  }

  /** The local RTP port the host bound, 0 when none. */
  get localPort(): number {
    return this.rtp !== null ? this.rtp.localPort : 0;
  }

  /** The RTP timestamp of now (RtcpSource): the last frame's timestamp. */
  get rtpNow(): number {
    return this.timestamp;
  }

  /**
   * Start with what offer/answer agreed (RFC 3264): the law, the payload
   * types, where to send, and which ways media flows.
   */
  start(alaw: boolean, payloadType: number, eventPayloadType: number, address: string, port: number, send: boolean, receive: boolean): void {
    const now = this.clock.now();
    this.active = true;
    this.alaw = alaw;
    this.payloadType = payloadType;
    this.eventPayloadType = eventPayloadType;
    this.latched = false;
    this.setRemote(address, port);
    this.sending = send;
    this.receiving = receive;
    // §5.1, §8.1: random initial sequence number, timestamp and SSRC.
    this.ssrc = this.random.u32() >>> 0;
    this.sequence = this.random.u32() & 0xffff;
    this.timestamp = this.random.u32() >>> 0;
    this.marker = true;
    this.packetsSent = this.octetsSent = 0;
    this.sentSinceReport = false;
    this.stats.reset();
    this.jitter.reset();
    this.events.reset();
    this.concealment.reset();
    this.lastSr = 0;
    this.lastSrAt = -1;
    this.packetsReceived = this.dropped = this.digits = this.rtcpSent = this.rtcpReceived = 0;
    this.lastRtpAt = now;
    this.startedAt = now;
    this.writeCname();
    this.scheduleReport(now);
  }

  /**
   * The session changed in the dialog (re-INVITE, UPDATE): a new address
   * (which drops the latch), direction or payload type. A pause in sending
   * makes the next packet start a talkspurt.
   */
  update(alaw: boolean, payloadType: number, eventPayloadType: number, address: string, port: number, send: boolean, receive: boolean): void {
    if (!this.active) {
      this.start(alaw, payloadType, eventPayloadType, address, port, send, receive);
      return;
    }
    this.alaw = alaw;
    this.payloadType = payloadType;
    this.eventPayloadType = eventPayloadType;
    if (address !== this.sdpAddress || port !== this.sdpPort) {
      this.latched = false;
      this.setRemote(address, port);
    }
    if (send && !this.sending) this.marker = true;
    this.sending = send;
    if (receive !== this.receiving) this.jitter.reset();
    this.receiving = receive;
  }

  private sdpAddress = "";
  private sdpPort = 0;

  private setRemote(address: string, port: number): void {
    this.sdpAddress = address;
    this.sdpPort = port;
    // No address (c=0.0.0.0, RFC 3264 §8.4 hold of RFC 2543): nowhere to send, marked by port 0 so the per-packet checks compare numbers only.
    const valid = port > 0 && address !== "";
    this.remoteAddress = address;
    this.remotePort = valid ? port : 0;
    this.remoteRtcpAddress = address;
    this.remoteRtcpPort = valid ? port + 1 : 0;
  }

  /** End the session: a BYE (§6.6) when we ever sent, then silence. */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    if (this.packetsSent > 0) {
      const n = writeBye(this.packet, this.ssrc);
      this.sendRtcp(n);
    }
    this.sending = this.receiving = false;
    this.jitter.reset();
  }

  /** Frames the clock could not send in time: the timestamp moves on as if they had been sent (§5.1: it follows the sampling clock). */
  skip(frames: number): void {
    this.timestamp = (this.timestamp + frames * FRAME_SAMPLES) >>> 0;
  }

  /** Encode and send one frame of 160 samples. False when nothing was sent (not sending, nowhere to send, no socket). */
  sendFrame(pcm: Int16Array): boolean {
    if (!this.active) return false;
    const ts = this.timestamp;
    this.timestamp = (ts + FRAME_SAMPLES) >>> 0;
    const udp = this.rtp;
    if (!this.sending || udp === null || this.remotePort <= 0) {
      // Not sending: the next packet that goes out starts a talkspurt.
      this.marker = true;
      return false;
    }
    const buf = this.packet;
    const at = writeRtpHeader(buf, 0, this.payloadType, this.marker, this.sequence, ts, this.ssrc);
    encodeG711(this.alaw, pcm, 0, buf, at, FRAME_SAMPLES);
    if (!udp.send(buf, at + FRAME_SAMPLES, this.remoteAddress, this.remotePort)) return false;
    this.marker = false;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.packetsSent++;
    this.octetsSent += FRAME_SAMPLES;
    this.sentSinceReport = true;
    return true;
  }

  /**
   * The next frame to play into `pcm`. True when it holds received audio or
   * its concealment; false (and `pcm` silent) when nothing plays.
   */
  playFrame(pcm: Int16Array): boolean {
    if (!this.active || !this.receiving) {
      for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = 0;
      return false;
    }
    const frame = this.packet;
    const n = this.jitter.get(frame, 0, this.alaw ? ALAW_SILENCE : ULAW_SILENCE);
    if (n < 0) {
      for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = 0;
      return false;
    }
    if (n === 0) {
      this.concealment.conceal(pcm);
      return true;
    }
    decodeG711(this.alaw, frame, 0, pcm, 0, FRAME_SAMPLES);
    this.concealment.good(pcm);
    return true;
  }

  /** An RTP datagram on our port (UdpReceiver). */
  receive(data: Uint8Array, length: number, address: string, port: number): void {
    if (!this.active) return;
    const h = this.header;
    if (h.read(data, length) !== RtpCheck.Ok) {
      this.dropped++;
      return;
    }
    const pt = h.payloadType;
    if (pt !== this.payloadType && (pt !== this.eventPayloadType || this.eventPayloadType < 0)) {
      this.dropped++;
      return;
    }
    const now = this.clock.now();
    if (!this.acceptSource(address, port, now)) {
      this.dropped++;
      return;
    }
    this.lastRtpAt = now;
    this.packetsReceived++;
    // A new source (the PBX switched the media, a transfer): its timeline is its own, start the play-out again.
    if (this.stats.started && h.ssrc !== this.stats.ssrc) this.jitter.reset();
    if (!this.stats.update(h.ssrc, h.sequence)) return;
    if (pt === this.eventPayloadType) {
      const digit = this.events.receive(data, h.payloadStart, h.payloadLength, h.timestamp);
      if (digit >= 0) {
        this.digits++;
        const l = this.listener;
        if (l !== undefined) l.onTelephoneEvent(this, digit);
      }
      return;
    }
    // A.8: arrival time in timestamp units (8 kHz: 8 per ms).
    this.stats.arrival(h.timestamp, Math.floor((now - this.startedAt) * 8));
    if (!this.receiving) return;
    if (this.jitter.put(h.timestamp, data, h.payloadStart, h.payloadLength, h.marker) === JitterPut.Restarted) {
      this.logDebug("rtp: stream restarted (timestamp jump)");
    }
  }

  /**
   * Symmetric RTP: latch on the first source and keep it. After RELATCH_MS of
   * silence (a NAT rebinding gives the same address a new port) another port
   * of the latched address, or the SDP's own address, may take over; any
   * other address needs a new SDP (update()), so a stranger cannot take the
   * stream of a call on hold.
   */
  private acceptSource(address: string, port: number, now: number): boolean {
    if (this.latched) {
      if (port === this.remotePort && address === this.remoteAddress) return true;
      if (now - this.lastRtpAt < RELATCH_MS) return false;
      if (address !== this.remoteAddress && address !== this.sdpAddress) return false;
    }
    this.latched = true;
    this.remoteAddress = address;
    this.remotePort = port;
    if (this.remoteRtcpAddress !== address) {
      this.remoteRtcpAddress = address;
      this.remoteRtcpPort = port + 1;
    }
    return true;
  }

  /** An RTCP datagram on our RTCP port. */
  receiveRtcp(data: Uint8Array, length: number, address: string, port: number): void {
    if (!this.active) return;
    const r = this.rtcpIn;
    if (!r.read(data, length, this.ssrc)) {
      this.dropped++;
      return;
    }
    this.rtcpReceived++;
    // Symmetric RTCP: answer where it comes from.
    this.remoteRtcpAddress = address;
    this.remoteRtcpPort = port;
    if (r.sr) {
      this.lastSr = r.srMiddle;
      this.lastSrAt = this.clock.now();
    }
  }

  /** Send a report when one is due (the media clock calls this every frame). */
  tickRtcp(now: number): void {
    if (!this.active || now < this.nextReportAt) return;
    const n = writeReport(this.packet, this, now, this.cname, CNAME_LENGTH);
    this.sentSinceReport = false;
    this.sendRtcp(n);
    this.scheduleReport(now);
  }

  private sendRtcp(length: number): void {
    const udp = this.rtcp;
    // (In XS a string literal such as "" in a per-packet function is a new chunk each time: compare numbers.)
    if (udp === null || this.remoteRtcpPort <= 0) return;
    if (udp.send(this.packet, length, this.remoteRtcpAddress, this.remoteRtcpPort)) this.rtcpSent++;
  }

  /** §6.3.1: the interval times a random factor in [0.5, 1.5]. */
  private scheduleReport(now: number): void {
    this.nextReportAt = now + RTCP_INTERVAL_MS / 2 + (this.random.u32() % RTCP_INTERVAL_MS);
  }

  /** "doorsip-" and the SSRC in hex: unique per session (§6.5.1 allows any unique name when there is no user@host). */
  private writeCname(): void {
    const c = this.cname;
    for (let i = 0; i < 8; i++) c[i] = CNAME_PREFIX[i]!;
    for (let i = 0; i < 8; i++) c[8 + i] = HEX[(this.ssrc >>> (28 - 4 * i)) & 15]!;
  }

  private logDebug(text: string): void {
    if (logEnabled(this.log, LogLevel.Debug)) this.log.log(LogLevel.Debug, text);
  }
}
