/*
 * The interfaces a runtime (hosts/node, hosts/xs, hosts/moddable, or a test's
 * virtual host) provides to the core. The core imports nothing else from the
 * outside world: every byte, tick and pin goes through these.
 *
 * Shapes follow the habits of the Moddable SDK's ECMA-419 IO classes: one
 * options object at construction, callbacks bound once, no per-call closures.
 */

/** A datagram socket, already bound by the host. */
export interface UdpHost {
  /**
   * Send `length` bytes of `data` to address:port. The host copies or sends
   * them before returning, so the caller may reuse `data` at once.
   * Returns false when the host could not send (no route, buffer full).
   */
  send(data: Uint8Array, length: number, address: string, port: number): boolean;
  /** The address the socket is bound to, as the host sees it (may be 0.0.0.0). */
  readonly localAddress: string;
  readonly localPort: number;
}

/** The receiving side: the host calls this for every datagram. */
export interface UdpReceiver {
  /** `data` is only valid during the call: the host may reuse it. */
  receive(data: Uint8Array, length: number, address: string, port: number): void;
}

/**
 * Time. `now()` is monotonic milliseconds. The core keeps its own timer queue
 * and asks the host for a single wake-up: `wake(delay)` replaces any earlier
 * request, so the host needs exactly one timer, rescheduled (Timer.schedule on
 * Moddable) rather than reallocated.
 */
export interface ClockHost {
  now(): number;
  wake(delayMs: number): void;
}

/**
 * Name resolution (a DNS A lookup): Net.resolve on the device, the system's
 * resolver on Node. The host resolves the server's name once before the
 * core starts (the UDP socket takes addresses); the core asks again only
 * when the server stops answering (src/ua/server-name.ts).
 */
export interface ResolverHost {
  /** Look `name` up; `done` gets an IPv4 address ("192.0.2.1"), or "" when it does not resolve. Called once, later. */
  resolve(name: string, done: (address: string) => void): void;
}

/** What the host calls when the wake-up it was asked for is due. */
export interface Wakeable {
  tick(): void;
}

/** Hash functions for digest authentication (RFC 7616): Moddable's crypt Digest on the device, node:crypto on Node. */
export type HashAlgorithm = "MD5" | "SHA-256";
export interface HashHost {
  /** Hash data[0..length) and return the lower-case hex digest as a string (auth is rare; a string is fine). */
  hex(algorithm: HashAlgorithm, data: Uint8Array, length: number): string;
}

/** Randomness for tags, branches, Call-IDs, cnonces and jitter. Need not be cryptographic, but should be unpredictable. */
export interface RandomHost {
  /** A uniformly random unsigned 32-bit integer. */
  u32(): number;
}

export const enum LogLevel {
  Error = 0,
  Warn = 1,
  Info = 2,
  Debug = 3,
}

export interface LogHost {
  /**
   * The most verbose level the host writes; lines above it are dropped. The
   * core asks (logEnabled) before it builds a line's text, so a dropped line
   * costs no string. Absent: every line is built and offered.
   */
  readonly level?: LogLevel;
  log(level: LogLevel, text: string): void;
}

/** Would `log` write a line of `level`? Asked before the text is built (string building allocates on the device). */
export function logEnabled(log: LogHost | undefined, level: LogLevel): log is LogHost {
  if (log === undefined) return false;
  const max = log.level;
  return max === undefined || level <= max;
}

/** Pins: the doorbell button input, the door relay and the status LED. */
export interface PinsHost {
  /** Drive the door relay (true = energised, door opens). */
  setRelay(on: boolean): void;
  /** Drive the status LED. */
  setLed(on: boolean): void;
}

/** Persistent settings (Moddable `preference`, a JSON file on Node). */
export interface StorageHost {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

/**
 * The door's microphone and speaker, in frames of 20 ms at 8 kHz: 160
 * signed 16-bit samples (G.711's rate, RFC 3551 §4.5.14), the size of one
 * RTP packet. The core's media clock calls capture() and play() once per
 * frame each while a call is up (or a tone plays); a host that buffers
 * (I2S DMA, a file) keeps its own small queue.
 */
export interface AudioSource {
  /** Fill `frame` (160 samples) with the next captured audio; false when there is none (silence is sent). */
  capture(frame: Int16Array): boolean;
}

export interface AudioSink {
  /** Play `frame` (160 samples); only valid during the call: copy what must be kept. */
  play(frame: Int16Array): void;
}

export interface AudioHost extends AudioSource, AudioSink {
  /** The media clock starts (a call is up, or a tone plays): power up the codec, start I2S. */
  start?(): void;
  /** ... and stops. */
  stop?(): void;
}

/*
 * The media sockets: each call slot has an RTP socket on an even port and an
 * RTCP socket on the next one (RFC 3550 §11), both plain UdpHosts bound by
 * the host, which sends RTP from the port the SDP advertised (symmetric RTP,
 * RFC 4961). The host hands what arrives on them to the receivers the
 * intercom gives out for the slot (Intercom.rtpReceiver / rtcpReceiver) and
 * attaches them with Intercom.attachMedia.
 */
