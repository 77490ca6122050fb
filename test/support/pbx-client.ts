/*
 * A scripted SIP client on a real UDP socket (127.0.0.1) for the loopback
 * PBX tests: it sends what the test writes and queues what arrives, parsed;
 * next() takes the first queued message a predicate accepts, waiting a
 * bounded time for it. The digest answer is computed here with node:crypto
 * (RFC 2617 §3.2.2), independently of the PBX's own code.
 */
import { createHash, randomBytes } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { parseSip, SipMsg } from "../../hosts/node/pbx/sip";

export interface Received {
  msg: SipMsg;
  address: string;
  port: number;
  raw: Uint8Array;
}

function md5(s: string): string {
  return createHash("md5").update(s, "utf8").digest("hex");
}

/** Unquoted parameters of a Digest challenge. */
export function challengeParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)/g;
  for (const m of value.replace(/^\s*Digest\s+/i, "").matchAll(re)) out[m[1]!.toLowerCase()] = m[3] ?? m[2]!;
  return out;
}

/** Credentials answering `challenge` (qop=auth, nc as given). */
export function credentials(challenge: string, user: string, password: string, method: string, uri: string, nc = 1): string {
  const c = challengeParams(challenge);
  const cnonce = randomBytes(4).toString("hex");
  const ncs = nc.toString(16).padStart(8, "0");
  const ha1 = md5(`${user}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${c.nonce}:${ncs}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="${cnonce}", opaque="${c.opaque ?? ""}", qop=auth, nc=${ncs}`;
}

export function hex(n: number): string {
  return randomBytes(n).toString("hex");
}

export class PbxClient {
  readonly address = "127.0.0.1";
  port = 0;
  readonly queue: Received[] = [];
  /** Everything received, in order (never consumed). */
  readonly all: Received[] = [];
  private readonly socket: Socket;
  private wake: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  static async open(): Promise<PbxClient> {
    const socket = createSocket("udp4");
    const c = new PbxClient(socket);
    socket.on("message", (data, rinfo) => {
      const raw = new Uint8Array(data);
      const p = parseSip(raw);
      if (!p.ok) return;
      const r = { msg: p.msg, address: rinfo.address, port: rinfo.port, raw };
      c.queue.push(r);
      c.all.push(r);
      c.wake?.();
    });
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    c.port = socket.address().port;
    return c;
  }

  get hostPort(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A Via of ours with a fresh branch. */
  via(branch = `z9hG4bK${hex(6)}`): string {
    return `SIP/2.0/UDP ${this.hostPort};branch=${branch};rport`;
  }

  send(msg: SipMsg | string, port: number, address = "127.0.0.1"): void {
    const bytes = typeof msg === "string" ? Buffer.from(msg, "utf8") : Buffer.from(msg.toBytes());
    this.socket.send(bytes, port, address);
  }

  /** The first queued message `match` accepts (removed from the queue), waiting at most timeoutMs. */
  async next(match: (m: SipMsg) => boolean, what: string, timeoutMs = 3000): Promise<Received> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((r) => match(r.msg));
      if (i >= 0) return this.queue.splice(i, 1)[0]!;
      const left = end - Date.now();
      if (left <= 0) {
        const seen = this.queue.map((r) => (r.msg.isRequest ? r.msg.method : `${r.msg.status} ${r.msg.cseq.method}`)).join(", ");
        throw new Error(`timed out waiting for ${what} (queued: ${seen || "nothing"})`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  /** A response to a request with this CSeq method (and status, if given). */
  response(method: string, status?: number, timeoutMs?: number): Promise<Received> {
    return this.next((m) => !m.isRequest && m.cseq.method === method && (status === undefined || m.status === status), `${status ?? "a response"} to ${method}`, timeoutMs);
  }

  request(method: string, timeoutMs?: number): Promise<Received> {
    return this.next((m) => m.isRequest && m.method === method, `a ${method}`, timeoutMs);
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** A response to `req` built by hand (§8.2.6): Vias, From, To (+tag), Call-ID, CSeq copied. */
export function answer(req: SipMsg, status: number, reason: string, toTag: string, extra: [string, string][] = [], body?: { type: string; text: string }): SipMsg {
  const r = SipMsg.response(status, reason);
  for (const v of req.all("Via")) r.add("Via", v);
  r.add("From", req.get("From")!);
  const to = req.get("To")!;
  r.add("To", /;tag=/.test(to) || status === 100 ? to : `${to};tag=${toTag}`);
  r.add("Call-ID", req.callId);
  r.add("CSeq", req.get("CSeq")!);
  for (const [k, v] of extra) r.add(k, v);
  if (body !== undefined) r.setBody(body.type, body.text);
  return r;
}

export const DOOR_SDP = [
  "v=0",
  "o=door 1 1 IN IP4 127.0.0.1",
  "s=door",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 40000 RTP/AVP 8 0 101",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:101 telephone-event/8000",
  "a=fmtp:101 0-15",
  "",
].join("\r\n");
