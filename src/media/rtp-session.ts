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
 * address. Only the peer may latch: a source at the SDP's address (any
 * port), or, when the SDP names a private address (the peer is behind a
 * NAT), a public address (the NAT's). A stranger on the door's own network
 * spraying its RTP port when a call starts (or after a re-INVITE, or during
 * a hold with c=0.0.0.0) would otherwise take the stream: hear the door's
 * microphone, play into its speaker and type keys into a trusted call
 * (Asterisk's "RTP bleed", CVE-2017-14099). Once latched, packets from
 * other sources are dropped unless the latched source has been silent for
 * RELATCH_MS, when another port of the same address (a NAT rebinding) or
 * the SDP's address may take over.
 *
 * Receiving: the header is checked (§5.1, A.1), the source's statistics
 * kept (A.1, A.3, A.8), audio goes to the jitter buffer, telephone-events to
 * the RFC 4733 receiver. Play-out takes one frame per tick from the jitter
 * buffer, decoded, or concealed when lost.
 *
 * RTCP (§6): a report every 5 s on average, randomised to 0.5-1.5 times
 * that (§6.3.1); a BYE at the end. Sent to where the peer's SDP says
 * (RFC 3605 a=rtcp: a port, maybe an address of its own), else to its RTP
 * port + 1 (§11), until the peer's own RTCP comes: then to where that comes
 * from (symmetric RTCP, RFC 4961), which behind a NAT is the only place
 * that reaches it. Only RTCP from the peer's address (the RTP latch's, or
 * one its SDP named) counts: anyone else's is dropped (receiveRtcp). An
 * SDP that names another RTCP destination than the last
 * one (a re-INVITE or UPDATE with a new a=rtcp, or without one after one)
 * is followed at once, until the peer's RTCP comes again; an SDP that names
 * the same keeps what was learned. Until the peer's RTCP comes, RTCP
 * follows the RTP latch: when the peer's RTP comes from an address the SDP
 * did not name (a NAT), RTCP goes there too, to the a=rtcp port if the NAT
 * kept the RTP port (a port-preserving NAT keeps both), else to the RTP
 * source's port + 1, and a rebinding moves it along (rtcpFor).
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
import { writeHex32 } from "../util/hex";
import { ipv4Text } from "../sip/sdp/ipv4";
import { isLocalIpv4, parseIpv4 } from "../ua/trust/ipv4";
import { MEDIA_NUMBERS_BYTES, MediaNumber as N, mediaNumbers, MediaTime as T, mediaTimes } from "./media-numbers";
import { RtpReceiveStats } from "./rtp-stats";
import { type EventStream, TelephoneEventReceiver } from "./telephone-event";

/** RTCP report interval, ms (§6.2: the recommended minimum). */
export const RTCP_INTERVAL_MS = 5000;
/** A latched source silent this long may be replaced by another one. */
export const RELATCH_MS = 2000;
/** CNAME bytes kept: "doorsip-" and eight hex digits of the SSRC. */
const CNAME_LENGTH = 16;
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
  /**
   * CallMedia's buffer, shared with the rest of the media: the media's
   * tables at its head (mediaNumbers, mediaTimes), the session's bytes
   * (bytesFor(jitter) of them) from MEDIA_NUMBERS_BYTES. Without it the
   * session makes one of its own, laid out the same way.
   */
  store?: ArrayBuffer;
}

/** Bytes of the session's own buffers after its jitter buffer's: the concealment's last frame and the packet. */
const OWN_BYTES = CONCEALMENT_BYTES + RTP_HEADER + FRAME_SAMPLES;
/**
 * The CNAME is written into the packet's tail just before a report: a report
 * with one block and the SDES ends 84 + CNAME_LENGTH bytes in, far before it.
 */
const CNAME_AT = RTP_HEADER + FRAME_SAMPLES - CNAME_LENGTH;

/**
 * The session's numbers are in the media's table (media-numbers.ts): the
 * accessors below read and write them by name for other code (the RFC 4733
 * sender through EventStream, RTCP through RtcpSource, the hosts' status);
 * the per-packet methods read the table itself.
 */
export class RtpSession implements UdpReceiver, RtcpSource, EventStream {
  /** That slot's sockets: RTP (even port) and RTCP (the next one). */
  rtp: UdpHost | null = null;
  rtcp: UdpHost | null = null;
  listener: RtpSessionListener | undefined;
  /** Where RTP goes: the SDP's address until the peer's RTP latches it. */
  remoteAddress = "";
  remoteRtcpAddress = "";

  // Receiving
  readonly header: RtpHeader;
  readonly stats: RtpReceiveStats;
  readonly jitter: JitterBuffer;
  readonly events: TelephoneEventReceiver;
  readonly concealment: Concealment;
  readonly rtcpIn: RtcpReader;

  /** The media's table (media-numbers.ts), shared with the parts above and, in CallMedia, with the rest of the media. */
  readonly numbers: Uint32Array;
  /** The media's clock times (media-numbers.ts MediaTime), shared with CallMedia. */
  readonly times: Float64Array;
  /**
   * One buffer for the RTP packet sent, the RTCP packet sent and the G.711
   * frame played out: the host copies what it sends before send() returns
   * (UdpHost.send), and each use ends before the next begins (in XS each
   * typed array costs 7 slots besides its bytes). CallMedia also lends it to
   * the RFC 4733 sender.
   */
  readonly packet: Uint8Array;
  private sdpAddress = "";
  /**
   * The last SDP address classified, its verdict in SessionSdpPrivate (peerSource), and the last source address
   * other than the SDP's that asked to latch, its verdict in SessionForeignPublic: each parsed once (reading a
   * string allocates in XS). Both start as sdpAddress's "": a literal of their own would be a string each in XS.
   */
  private sdpClassified: string;
  private foreignAddress: string;
  /**
   * The address the call's SIP goes to (its dialog's next hop: the PBX, the proxy, or the phone itself), set by
   * CallMedia; "" for none. It may latch too (peerSource): a PBX's RTP often comes from its signalling address while
   * its SDP names another (Asterisk's external_media_address, FreeSWITCH's ext-rtp-ip, a PBX on the LAN whose SDP
   * names its public address), and the call's own signalling peer is no stranger.
   */
  signalAddress: string;
  /**
   * The text of the last a=rtcp address other than the RTP's (SessionRtcpIp4Text is its number): made
   * when that address changes, so the same peer call after call costs no string.
   */
  private rtcpIp4Text = "";
  private readonly clock: ClockHost;
  private readonly random: RandomHost;
  private readonly log: LogHost | undefined;

  /** With `o.store`, the session's tables and buffers are views of it (RtpSessionOptions.store): CallMedia's one buffer for the whole media. */
  constructor(o: RtpSessionOptions) {
    this.clock = o.clock;
    this.random = o.random;
    this.log = o.log;
    this.listener = o.listener;
    this.sdpClassified = this.sdpAddress;
    this.foreignAddress = this.sdpAddress;
    this.signalAddress = this.sdpAddress;
    // Every buffer of the session in one: the jitter buffer's, the concealment's last frame, the packet (views: see JitterBuffer).
    const jb = JitterBuffer.bytesFor(o.jitter);
    const store = o.store !== undefined ? o.store : new ArrayBuffer(MEDIA_NUMBERS_BYTES + jb + OWN_BYTES);
    const at = MEDIA_NUMBERS_BYTES;
    const n = mediaNumbers(store);
    this.numbers = n;
    this.times = mediaTimes(store);
    this.header = new RtpHeader(n);
    this.stats = new RtpReceiveStats(n);
    this.jitter = new JitterBuffer(o.jitter, store, at, n);
    this.events = new TelephoneEventReceiver(n);
    this.concealment = new Concealment(store, at + jb, n);
    this.rtcpIn = new RtcpReader(n);
    this.packet = new Uint8Array(store, at + jb + CONCEALMENT_BYTES, RTP_HEADER + FRAME_SAMPLES);
    n[N.SessionSlot] = o.slot !== undefined ? o.slot : 0;
    n[N.SessionEventPayloadType] = -1;
    n[N.SessionMarker] = 1;
    this.times[T.SessionLastSrAt] = -1;
  }

  /** The bytes a session keeps in a shared store (RtpSessionOptions.store) with jitter options `jitter`. */
  static bytesFor(jitter?: JitterBufferOptions): number {
    return JitterBuffer.bytesFor(jitter) + OWN_BYTES;
  }

  /** The call slot served now, or last (its counters stay until the next start). */
  get slot(): number {
    return this.numbers[N.SessionSlot]!;
  }
  set slot(v: number) {
    this.numbers[N.SessionSlot] = v;
  }
  /** Running (between start and stop). */
  get active(): boolean {
    return this.numbers[N.SessionActive] !== 0;
  }
  get alaw(): boolean {
    return this.numbers[N.SessionAlaw] !== 0;
  }
  get payloadType(): number {
    return this.numbers[N.SessionPayloadType]!;
  }
  /** Payload type of telephone-event/8000, -1 when not negotiated. */
  get eventPayloadType(): number {
    return this.numbers[N.SessionEventPayloadType]! | 0;
  }
  get sending(): boolean {
    return this.numbers[N.SessionSending] !== 0;
  }
  get receiving(): boolean {
    return this.numbers[N.SessionReceiving] !== 0;
  }
  get remotePort(): number {
    return this.numbers[N.SessionRemotePort]!;
  }
  get remoteRtcpPort(): number {
    return this.numbers[N.SessionRemoteRtcpPort]!;
  }
  get latched(): boolean {
    return this.numbers[N.SessionLatched] !== 0;
  }

  // Sending (RtcpSource, EventStream)
  get ssrc(): number {
    return this.numbers[N.SessionSsrc]!;
  }
  get sequence(): number {
    return this.numbers[N.SessionSequence]!;
  }
  set sequence(v: number) {
    this.numbers[N.SessionSequence] = v;
  }
  get timestamp(): number {
    return this.numbers[N.SessionTimestamp]!;
  }
  set timestamp(v: number) {
    this.numbers[N.SessionTimestamp] = v;
  }
  get packetsSent(): number {
    return this.numbers[N.SessionPacketsSent]!;
  }
  set packetsSent(v: number) {
    this.numbers[N.SessionPacketsSent] = v;
  }
  get octetsSent(): number {
    return this.numbers[N.SessionOctetsSent]!;
  }
  set octetsSent(v: number) {
    this.numbers[N.SessionOctetsSent] = v;
  }
  get sentSinceReport(): boolean {
    return this.numbers[N.SessionSentSinceReport] !== 0;
  }
  set sentSinceReport(v: boolean) {
    this.numbers[N.SessionSentSinceReport] = v ? 1 : 0;
  }

  // Receiving (RtcpSource)
  get lastSr(): number {
    return this.numbers[N.SessionLastSr]!;
  }
  get lastSrAt(): number {
    return this.times[T.SessionLastSrAt]!;
  }
  get packetsReceived(): number {
    return this.numbers[N.SessionPacketsReceived]!;
  }
  /** Datagrams dropped: malformed, an unknown payload type, a foreign source (RTP or RTCP), or RTP while not receiving. */
  get dropped(): number {
    return this.numbers[N.SessionDropped]!;
  }
  /** Digits reported from telephone-events. */
  get digits(): number {
    return this.numbers[N.SessionDigits]!;
  }
  get rtcpSent(): number {
    return this.numbers[N.SessionRtcpSent]!;
  }
  get rtcpReceived(): number {
    return this.numbers[N.SessionRtcpReceived]!;
  }

  /** The local RTP port the host bound, 0 when none. */
  get localPort(): number {
    return this.rtp !== null ? this.rtp.localPort : 0;
  }

  /** The RTP timestamp of now (RtcpSource): the last frame's timestamp. */
  get rtpNow(): number {
    return this.numbers[N.SessionTimestamp]!;
  }

  /**
   * Start with what offer/answer agreed (RFC 3264): the law, the payload
   * types, where to send, and which ways media flows. RTCP goes to the
   * IPv4 address `rtcpIp4` (a 32-bit number; 0 or not given: `address`) at
   * `rtcpPort` (RFC 3605 a=rtcp), or at `port` + 1 when that is 0 or not
   * given (RFC 3550 §11).
   */
  start(alaw: boolean, payloadType: number, eventPayloadType: number, address: string, port: number, send: boolean, receive: boolean, rtcpIp4 = 0, rtcpPort = 0): void {
    const n = this.numbers;
    const now = this.clock.now();
    n[N.SessionActive] = 1;
    n[N.SessionAlaw] = alaw ? 1 : 0;
    n[N.SessionPayloadType] = payloadType;
    n[N.SessionEventPayloadType] = eventPayloadType;
    n[N.SessionLatched] = 0;
    this.setRemote(address, port, rtcpIp4, rtcpPort);
    n[N.SessionSending] = send ? 1 : 0;
    n[N.SessionReceiving] = receive ? 1 : 0;
    // §5.1, §8.1: random initial sequence number, timestamp and SSRC.
    n[N.SessionSsrc] = this.random.u32() >>> 0;
    n[N.SessionSequence] = this.random.u32() & 0xffff;
    n[N.SessionTimestamp] = this.random.u32() >>> 0;
    n[N.SessionMarker] = 1;
    n[N.SessionPacketsSent] = n[N.SessionOctetsSent] = 0;
    n[N.SessionSentSinceReport] = 0;
    this.stats.reset();
    this.jitter.reset();
    this.events.reset();
    this.concealment.reset();
    n[N.SessionLastSr] = 0;
    const times = this.times;
    times[T.SessionLastSrAt] = -1;
    n[N.SessionPacketsReceived] = n[N.SessionDropped] = n[N.SessionDigits] = n[N.SessionRtcpSent] = n[N.SessionRtcpReceived] = 0;
    times[T.SessionLastRtpAt] = now;
    times[T.SessionStartedAt] = now;
    this.scheduleReport(now);
  }

  /**
   * The session changed in the dialog (re-INVITE, UPDATE): a new address
   * (which drops the latch), RTCP destination (which drops what the peer's
   * RTCP taught), direction or payload type. A pause in sending makes the
   * next packet start a talkspurt. CallMedia calls this every frame.
   */
  update(alaw: boolean, payloadType: number, eventPayloadType: number, address: string, port: number, send: boolean, receive: boolean, rtcpIp4 = 0, rtcpPort = 0): void {
    const n = this.numbers;
    if (n[N.SessionActive] === 0) {
      this.start(alaw, payloadType, eventPayloadType, address, port, send, receive, rtcpIp4, rtcpPort);
      return;
    }
    n[N.SessionAlaw] = alaw ? 1 : 0;
    n[N.SessionPayloadType] = payloadType;
    n[N.SessionEventPayloadType] = eventPayloadType;
    if (address !== this.sdpAddress || port !== n[N.SessionSdpPort]) {
      n[N.SessionLatched] = 0;
      this.setRemote(address, port, rtcpIp4, rtcpPort);
    } else if (rtcpIp4 !== n[N.SessionSdpRtcpIp4] || rtcpPort !== n[N.SessionSdpRtcpPort]) {
      this.setRemoteRtcp(rtcpIp4, rtcpPort);
    }
    if (send && n[N.SessionSending] === 0) n[N.SessionMarker] = 1;
    n[N.SessionSending] = send ? 1 : 0;
    if (receive !== (n[N.SessionReceiving] !== 0)) this.jitter.reset();
    n[N.SessionReceiving] = receive ? 1 : 0;
  }

  private setRemote(address: string, port: number, rtcpIp4: number, rtcpPort: number): void {
    const n = this.numbers;
    this.sdpAddress = address;
    n[N.SessionSdpPort] = port;
    // No address (c=0.0.0.0, RFC 3264 §8.4 hold of RFC 2543): nowhere to send, marked by port 0 so the per-packet checks compare numbers only.
    const valid = port > 0 && address !== "";
    // Classified only when the SDP names another address than the last one classified (the same peer call after call, a
    // hold and its resume, cost nothing): reading a string's characters allocates in XS.
    if (valid && address !== this.sdpClassified) {
      this.sdpClassified = address;
      n[N.SessionSdpPrivate] = isLocalIpv4(parseIpv4(address)) ? 1 : 0;
    }
    this.remoteAddress = address;
    n[N.SessionRemotePort] = valid ? port : 0;
    this.setRemoteRtcp(rtcpIp4, rtcpPort);
  }

  /**
   * A new RTCP destination from the SDP (a=rtcp, RFC 3605, or none): it
   * replaces what the peer's RTCP taught, and applies at once, through the
   * NAT rule (rtcpFor) when RTP is latched.
   */
  private setRemoteRtcp(ip4: number, port: number): void {
    const n = this.numbers;
    n[N.SessionSdpRtcpIp4] = ip4;
    n[N.SessionSdpRtcpPort] = port;
    if (ip4 !== 0 && ip4 !== n[N.SessionRtcpIp4Text]) {
      this.rtcpIp4Text = ipv4Text(ip4);
      n[N.SessionRtcpIp4Text] = ip4;
    }
    n[N.SessionRtcpLearned] = 0;
    if (n[N.SessionLatched] !== 0) this.rtcpFor(this.remoteAddress, n[N.SessionRemotePort]!);
    else this.sdpRtcp();
  }

  /**
   * RTCP to where the SDP says: a=rtcp's address and port (RFC 3605), else
   * the RTP address and its port + 1 (RFC 3550 §11); nowhere while the SDP
   * gives RTP nowhere to go.
   */
  private sdpRtcp(): void {
    const n = this.numbers;
    const port = n[N.SessionSdpRtcpPort]!;
    const sdpPort = n[N.SessionSdpPort]!;
    this.remoteRtcpAddress = n[N.SessionSdpRtcpIp4] !== 0 ? this.rtcpIp4Text : this.sdpAddress;
    // RemotePort 0: the SDP gave RTP nowhere to go (setRemote; a latched stream has a source, so never 0). A number, not
    // `sdpAddress === ""`: comparing with a string literal allocates in XS.
    n[N.SessionRemoteRtcpPort] = n[N.SessionRemotePort] === 0 ? 0 : port > 0 ? port : sdpPort + 1;
  }

  /**
   * Where RTCP goes, until the peer's own RTCP comes, when its RTP comes from
   * address:port. From an address the SDP named (its c= or its a=rtcp
   * address): where the SDP says. From any other (a NAT): there too, at the
   * a=rtcp port if the NAT kept the RTP port (a port-preserving NAT keeps
   * both), else at the RTP source's port + 1; a rebinding that gives the
   * same address a new port moves it along.
   */
  private rtcpFor(address: string, port: number): void {
    const n = this.numbers;
    if (address === this.sdpAddress || (n[N.SessionSdpRtcpIp4] !== 0 && address === this.rtcpIp4Text)) {
      this.sdpRtcp();
      return;
    }
    const rtcpPort = n[N.SessionSdpRtcpPort]!;
    this.remoteRtcpAddress = address;
    n[N.SessionRemoteRtcpPort] = rtcpPort > 0 && port === n[N.SessionSdpPort] ? rtcpPort : port + 1;
  }

  /** End the session: a BYE (§6.6) when we ever sent, then silence. */
  stop(): void {
    const n = this.numbers;
    if (n[N.SessionActive] === 0) return;
    n[N.SessionActive] = 0;
    if (n[N.SessionPacketsSent]! > 0) {
      const len = writeBye(this.packet, n[N.SessionSsrc]!);
      this.sendRtcp(len);
    }
    n[N.SessionSending] = n[N.SessionReceiving] = 0;
    this.jitter.reset();
  }

  /** Frames the clock could not send in time: the timestamp moves on as if they had been sent (§5.1: it follows the sampling clock). */
  skip(frames: number): void {
    const n = this.numbers;
    n[N.SessionTimestamp] = (n[N.SessionTimestamp]! + frames * FRAME_SAMPLES) >>> 0;
  }

  /** Encode and send one frame of 160 samples. False when nothing was sent (not sending, nowhere to send, no socket). */
  sendFrame(pcm: Int16Array): boolean {
    const n = this.numbers;
    if (n[N.SessionActive] === 0) return false;
    const ts = n[N.SessionTimestamp]!;
    n[N.SessionTimestamp] = (ts + FRAME_SAMPLES) >>> 0;
    const udp = this.rtp;
    const port = n[N.SessionRemotePort]!;
    if (n[N.SessionSending] === 0 || udp === null || port <= 0) {
      // Not sending: the next packet that goes out starts a talkspurt.
      n[N.SessionMarker] = 1;
      return false;
    }
    const buf = this.packet;
    const seq = n[N.SessionSequence]!;
    const alaw = n[N.SessionAlaw] !== 0;
    const at = writeRtpHeader(buf, 0, n[N.SessionPayloadType]!, n[N.SessionMarker] !== 0, seq, ts, n[N.SessionSsrc]!);
    encodeG711(alaw, pcm, 0, buf, at, FRAME_SAMPLES);
    if (!udp.send(buf, at + FRAME_SAMPLES, this.remoteAddress, port)) return false;
    n[N.SessionMarker] = 0;
    n[N.SessionSequence] = (seq + 1) & 0xffff;
    n[N.SessionPacketsSent]++;
    n[N.SessionOctetsSent] += FRAME_SAMPLES;
    n[N.SessionSentSinceReport] = 1;
    return true;
  }

  /**
   * The next frame to play into `pcm`. True when it holds received audio or
   * its concealment; false (and `pcm` silent) when nothing plays.
   */
  playFrame(pcm: Int16Array): boolean {
    const n = this.numbers;
    if (n[N.SessionActive] === 0 || n[N.SessionReceiving] === 0) {
      for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = 0;
      return false;
    }
    const frame = this.packet;
    const alaw = n[N.SessionAlaw] !== 0;
    const got = this.jitter.get(frame, 0, alaw ? ALAW_SILENCE : ULAW_SILENCE);
    if (got < 0) {
      for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = 0;
      return false;
    }
    if (got === 0) {
      this.concealment.conceal(pcm);
      return true;
    }
    decodeG711(alaw, frame, 0, pcm, 0, FRAME_SAMPLES);
    this.concealment.good(pcm);
    return true;
  }

  /** An RTP datagram on our port (UdpReceiver). */
  receive(data: Uint8Array, length: number, address: string, port: number): void {
    const n = this.numbers;
    if (n[N.SessionActive] === 0) return;
    if (this.header.read(data, length) !== RtpCheck.Ok) {
      n[N.SessionDropped]++;
      return;
    }
    // The header's fields, read from the table (they share it).
    const pt = n[N.HeaderPayloadType]!;
    const eventPt = n[N.SessionEventPayloadType]! | 0;
    if (pt !== n[N.SessionPayloadType] && (pt !== eventPt || eventPt < 0)) {
      n[N.SessionDropped]++;
      return;
    }
    const now = this.clock.now();
    if (!this.acceptSource(n, address, port, now)) {
      n[N.SessionDropped]++;
      return;
    }
    const times = this.times;
    times[T.SessionLastRtpAt] = now;
    n[N.SessionPacketsReceived]++;
    const ssrc = n[N.HeaderSsrc]!;
    // A new source (the PBX switched the media, a transfer): its timeline is its own, start the play-out again.
    if (n[N.StatsStarted] !== 0 && ssrc !== n[N.StatsSsrc]) this.jitter.reset();
    if (!this.stats.update(ssrc, n[N.HeaderSequence]!)) return;
    const ts = n[N.HeaderTimestamp]!;
    if (pt === eventPt) {
      const digit = this.events.receive(data, n[N.HeaderPayloadStart]!, n[N.HeaderPayloadLength]!, ts);
      if (digit >= 0) {
        n[N.SessionDigits]++;
        const l = this.listener;
        if (l !== undefined) l.onTelephoneEvent(this, digit);
      }
      return;
    }
    // A.8: arrival time in timestamp units (8 kHz: 8 per ms).
    this.stats.arrival(ts, Math.floor((now - times[T.SessionStartedAt]!) * 8));
    if (n[N.SessionReceiving] === 0) return;
    if (this.jitter.put(ts, data, n[N.HeaderPayloadStart]!, n[N.HeaderPayloadLength]!, n[N.HeaderMarker] !== 0) === JitterPut.Restarted) {
      this.logDebug("rtp: stream restarted (timestamp jump)");
    }
  }

  /**
   * Symmetric RTP: latch on the first source and keep it. After RELATCH_MS of
   * silence (a NAT rebinding gives the same address a new port) another port
   * of the latched address, or the SDP's own address, may take over; any
   * other address needs a new SDP (update()), so a stranger cannot take the
   * stream of a call on hold. The first latch (and the one after a new SDP)
   * takes only the peer (peerSource).
   */
  private acceptSource(n: Uint32Array, address: string, port: number, now: number): boolean {
    if (n[N.SessionLatched] !== 0) {
      if (port === n[N.SessionRemotePort] && address === this.remoteAddress) return true;
      if (now - this.times[T.SessionLastRtpAt]! < RELATCH_MS) return false;
      if (address !== this.remoteAddress && address !== this.sdpAddress) return false;
    } else if (!this.peerSource(n, address)) {
      return false;
    }
    n[N.SessionLatched] = 1;
    this.remoteAddress = address;
    n[N.SessionRemotePort] = port;
    // RTCP follows the latch (a NAT's mapping) until the peer's own RTCP comes, which then wins.
    if (n[N.SessionRtcpLearned] === 0) this.rtcpFor(address, port);
    return true;
  }

  /**
   * May `address` latch the stream? The SDP's address, from any port (a
   * firewall that changes ports); another address only when the SDP names a
   * private one and this one is public: the peer is behind a NAT, and what
   * comes is its NAT's mapping (RFC 4961 §4, symmetric RTP's reason). A
   * private source that is not the SDP's is a stranger on a local network.
   * The call's signalling peer (signalAddress) may too, whatever the SDP.
   * No SDP address (c=0.0.0.0 hold, RFC 3264 §8.4): nobody.
   */
  private peerSource(n: Uint32Array, address: string): boolean {
    if (address === this.sdpAddress) return n[N.SessionSdpPort] !== 0;
    // The call's signalling peer (the PBX sending from its own address what its SDP says comes from another); not while
    // the SDP gives no address (a c=0.0.0.0 hold). signalAddress "" never equals a source.
    if (address === this.signalAddress) return n[N.SessionRemotePort] !== 0;
    if (this.sdpAddress !== this.sdpClassified || n[N.SessionSdpPrivate] === 0) return false;
    if (address !== this.foreignAddress) {
      this.foreignAddress = address;
      const v4 = parseIpv4(address);
      n[N.SessionForeignPublic] = v4 >= 0 && !isLocalIpv4(v4) ? 1 : 0;
    }
    return n[N.SessionForeignPublic] !== 0;
  }

  /**
   * An RTCP datagram on our RTCP port. Only the peer's is taken (RFC 4961
   * §4 learns where to send from what arrives, and RFC 3550 §9 leaves the
   * check of who sent it to us): its source address must be the peer's, the
   * RTP latch's or one its SDP named (c=, or a=rtcp's own address, RFC
   * 3605); any port of it (a NAT maps RTCP to its own). Anything else is
   * dropped whole, so a stranger who learns our SSRC and port can neither
   * redirect our reports nor feed our round-trip figures.
   */
  receiveRtcp(data: Uint8Array, length: number, address: string, port: number): void {
    const n = this.numbers;
    if (n[N.SessionActive] === 0) return;
    if (!this.peerAddress(n, address) || !this.rtcpIn.read(data, length, n[N.SessionSsrc]!)) {
      n[N.SessionDropped]++;
      return;
    }
    n[N.SessionRtcpReceived]++;
    // Symmetric RTCP: answer where it comes from, whatever RTP's latch does next (until a new SDP destination).
    this.remoteRtcpAddress = address;
    n[N.SessionRemoteRtcpPort] = port;
    n[N.SessionRtcpLearned] = 1;
    if (n[N.RtcpSr] !== 0) {
      n[N.SessionLastSr] = n[N.RtcpSrMiddle]!;
      this.times[T.SessionLastSrAt] = this.clock.now();
    }
  }

  /**
   * Is `address` the peer's: where its RTP is latched (or, before that, the
   * SDP's RTP address), the SDP's c= address, or a=rtcp's own address? Strings
   * compared as the RTP latch compares them (no copy, no chunk in XS).
   */
  private peerAddress(n: Uint32Array, address: string): boolean {
    return address === this.remoteAddress || address === this.sdpAddress || (n[N.SessionSdpRtcpIp4] !== 0 && address === this.rtcpIp4Text);
  }

  /** Send a report when one is due (the media clock calls this every frame). */
  tickRtcp(now: number): void {
    const n = this.numbers;
    if (n[N.SessionActive] === 0 || now < this.times[T.SessionNextReportAt]!) return;
    const buf = this.packet;
    this.writeCname(buf, CNAME_AT);
    const len = writeReport(buf, this, now, buf, CNAME_LENGTH, CNAME_AT);
    n[N.SessionSentSinceReport] = 0;
    this.sendRtcp(len);
    this.scheduleReport(now);
  }

  private sendRtcp(length: number): void {
    const udp = this.rtcp;
    const port = this.numbers[N.SessionRemoteRtcpPort]!;
    // (In XS a string literal such as "" in a per-packet function is a new chunk each time: compare numbers.)
    if (udp === null || port <= 0) return;
    if (udp.send(this.packet, length, this.remoteRtcpAddress, port)) this.numbers[N.SessionRtcpSent]++;
  }

  /** §6.3.1: the interval times a random factor in [0.5, 1.5]. */
  private scheduleReport(now: number): void {
    this.times[T.SessionNextReportAt] = now + RTCP_INTERVAL_MS / 2 + (this.random.u32() % RTCP_INTERVAL_MS);
  }

  /** "doorsip-" and the SSRC in hex at `at` of `c`: unique per session (§6.5.1 allows any unique name when there is no user@host). */
  private writeCname(c: Uint8Array, at: number): void {
    const ssrc = this.numbers[N.SessionSsrc]!;
    for (let i = 0; i < 8; i++) c[at + i] = CNAME_PREFIX[i]!;
    writeHex32(ssrc, c, at + 8);
  }

  private logDebug(text: string): void {
    if (logEnabled(this.log, LogLevel.Debug)) this.log.log(LogLevel.Debug, text);
  }
}
