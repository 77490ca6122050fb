/*
 * The PBX of the long-run test (test/longrun.test.ts), in process and on
 * the virtual clock: a registrar (the scripted one of registrar.ts, with its
 * own Digest checks and nonces) that can be taken down, rebooted (bindings
 * and nonces forgotten), and made to change its mind (short grants, 423,
 * 503 with Retry-After, 403, 404), plus the desk phone behind it: it
 * answers the doorbell's INVITE (180, then 200 with G.711), calls the
 * door's registered Contact, and hangs up with BYE. Everything it says is
 * plain text written here, independent of the core's writer.
 *
 * It only answers; time is the world's (longrun-world.ts): `send` queues a
 * datagram for the door after the link's latency.
 */
import { ScriptedRegistrar, header, parseRequest, type ParsedRequest } from "./registrar";
import { phoneSdp } from "./phone-sdp";

export const PBX = "198.51.100.7";
export const PBX_PORT = 5070;
export const PBX_REALM = "doorsip.test";

/** What the registrar does with a REGISTER, besides answering normally. */
export const enum RegMode {
  Normal = 0,
  /** Every REGISTER with credentials gets 403 (a wrong password at the door, or on the PBX). */
  Forbidden = 1,
  /** Every REGISTER gets 503 with Retry-After (overload, maintenance). */
  Unavailable = 2,
  /** Every REGISTER gets 404 (the PBX rebooted and has not loaded its users yet); OPTIONS too. */
  NotFound = 3,
}

/** A binding granted, as the PBX granted it: the door must never believe it is registered past `end`. */
export interface Grant {
  contact: string;
  at: number;
  end: number;
}

export interface PbxCall {
  callId: string;
  /** "out": the doorbell's call (the door's INVITE); "in": the PBX called the door. */
  way: "in" | "out";
  at: number;
  /** 200 seen (in) / ACK seen (out). */
  up: boolean;
  ended: boolean;
}

interface Dialog {
  call: PbxCall;
  /** The door's Contact URI (where in-dialog requests go). */
  target: string;
  /** The PBX side's From/To values for requests it sends in the dialog. */
  from: string;
  to: string;
  cseq: number;
  /** Last response sent to the door's INVITE (resent on a retransmission). */
  last: string;
}

/** Nonces from a counter, not Math.random (registrar.ts): the same seed gives the same run, byte for byte. */
let nonces = 0;
class SeededNonces extends ScriptedRegistrar {
  override newNonce(): void {
    super.newNonce();
    this.nonce = `${this.nonce.slice(0, this.nonce.indexOf("-"))}-${(Math.imul(++nonces, 2654435761) >>> 0).toString(16).padStart(8, "0")}`;
  }
}

export class LongrunPbx {
  registrar: ScriptedRegistrar;
  mode = RegMode.Normal;
  retryAfter = 60;
  /** No answers at all (down, rebooting, unplugged). */
  down = false;
  /** Contact URI -> end of its binding (ms); forgotten on reboot. */
  readonly bindings = new Map<string, number>();
  /** Every grant ever made (the invariant's truth: never forgotten). */
  readonly grantEnd = new Map<string, number>();
  readonly calls: PbxCall[] = [];
  private readonly dialogs = new Map<string, Dialog>();
  private branch = 0;
  private callSeq = 0;
  private readonly password: string;

  constructor(
    private readonly now: () => number,
    /** Queue a datagram for the door (the world drops it when the door's network is down). */
    private readonly send: (text: string, address: string, port: number) => void,
    /** Run `fn` after `ms` of virtual time. */
    private readonly after: (ms: number, fn: () => void) => void,
    password: string,
  ) {
    this.password = password;
    this.registrar = this.fresh();
  }

  private fresh(): ScriptedRegistrar {
    return new SeededNonces({ realm: PBX_REALM, username: "door", password: this.password });
  }

  /** Forget every binding and every nonce (a reboot without persistence): the next REGISTER with the old nonce gets a plain 401, no stale=true. */
  rebootForgetting(): void {
    const o = this.registrar.o;
    this.registrar = this.fresh();
    this.registrar.o.maxExpires = o.maxExpires;
    this.registrar.o.minExpires = o.minExpires;
    this.bindings.clear();
  }

  /** Forget the bindings, keep the nonce history: the old nonce gets 401 with stale=true (RFC 2617 §3.2.1). */
  rebootStale(): void {
    this.registrar.newNonce();
    this.registrar.bindings.clear();
    this.bindings.clear();
  }

  /** Does the PBX hold a live binding for `contact` (it would route a call there)? */
  bound(contact: string): boolean {
    const end = this.bindings.get(contact);
    return end !== undefined && end > this.now();
  }

  /** The newest live binding (where an incoming call goes), or undefined. */
  liveContact(): string | undefined {
    let best: string | undefined;
    let bestEnd = this.now();
    for (const [c, end] of this.bindings) if (end > bestEnd) { best = c; bestEnd = end; }
    return best;
  }

  /** A datagram from the door at `src`:`srcPort`. */
  receive(text: string, src: string, srcPort: number): void {
    if (this.down) return;
    const req = parseRequest(text);
    if (req.method === "SIP/2.0") {
      this.response(req, Number(req.uri));
      return;
    }
    switch (req.method) {
      case "REGISTER":
        this.register(text, req, src, srcPort);
        return;
      case "OPTIONS":
        this.send(this.registrar.respond(req, src, srcPort, this.mode === RegMode.NotFound ? 404 : 200, []), src, srcPort);
        return;
      case "INVITE":
        this.invite(req, src, srcPort);
        return;
      case "ACK": {
        const d = this.dialogs.get(header(req, "Call-ID")!);
        if (d !== undefined && d.call.way === "out") d.call.up = true;
        return;
      }
      case "BYE": {
        const d = this.dialogs.get(header(req, "Call-ID")!);
        if (d !== undefined) d.call.ended = true;
        this.send(this.registrar.respond(req, src, srcPort, d !== undefined ? 200 : 481, []), src, srcPort);
        return;
      }
      case "CANCEL":
        this.send(this.registrar.respond(req, src, srcPort, 200, []), src, srcPort);
        return;
      default:
        this.send(this.registrar.respond(req, src, srcPort, 501, []), src, srcPort);
    }
  }

  private register(text: string, req: ParsedRequest, src: string, srcPort: number): void {
    const credentials = header(req, "Authorization") !== undefined;
    let out: string | null;
    if (this.mode === RegMode.Unavailable) out = this.registrar.respond(req, src, srcPort, 503, [`Retry-After: ${this.retryAfter}`]);
    else if (this.mode === RegMode.NotFound) out = this.registrar.respond(req, src, srcPort, 404, []);
    else if (this.mode === RegMode.Forbidden && credentials) out = this.registrar.respond(req, src, srcPort, 403, []);
    else out = this.registrar.handle(text, src, srcPort);
    if (out === null) return;
    if (out.startsWith("SIP/2.0 200")) this.granted(req);
    this.send(out, src, srcPort);
  }

  /** Mirror the scripted registrar's bindings with their ends in virtual time. */
  private granted(req: ParsedRequest): void {
    const now = this.now();
    const wanted = req.headers.get("contact") ?? [];
    const expiresHeader = header(req, "Expires");
    for (const c of wanted) {
      const uri = /<([^>]*)>/.exec(c)![1]!;
      const asked = /;\s*expires=(\d+)/i.exec(c);
      const seconds = asked !== null ? Number(asked[1]) : expiresHeader !== undefined ? Number(expiresHeader) : 3600;
      if (seconds === 0) {
        this.bindings.delete(uri);
        this.grantEnd.set(uri, now);
        continue;
      }
      const end = now + Math.min(seconds, this.registrar.o.maxExpires) * 1000;
      this.bindings.set(uri, end);
      this.grantEnd.set(uri, end);
    }
  }

  // ---- the desk phone behind the PBX ------------------------------------------

  /** The doorbell's INVITE: 180 at once, 200 with G.711 after `ringMs`, BYE after `talkMs`. */
  private invite(req: ParsedRequest, src: string, srcPort: number): void {
    const callId = header(req, "Call-ID")!;
    const known = this.dialogs.get(callId);
    if (known !== undefined) {
      // A retransmission (§17.2.1): the last response again.
      if (known.last !== "") this.send(known.last, src, srcPort);
      return;
    }
    const call: PbxCall = { callId, way: "out", at: this.now(), up: false, ended: false };
    this.calls.push(call);
    const tag = `desk${++this.callSeq}`;
    const contact = /<([^>]*)>/.exec(header(req, "Contact") ?? "")?.[1] ?? `sip:door@${src}:${srcPort}`;
    const to = `${header(req, "To")!};tag=${tag}`;
    const d: Dialog = { call, target: contact, from: to, to: header(req, "From")!, cseq: 0, last: "" };
    this.dialogs.set(callId, d);
    const respond = (status: number, extra: string[], body: string): string => {
      const r = this.registrar.respond(req, src, srcPort, status, [`Contact: <sip:100@${PBX}:${PBX_PORT}>`, ...extra]);
      // respond() tags To itself; ours must be the dialog's.
      const text = r.replace(/^To: .*$/m, `To: ${to}`);
      return body === "" ? text : text.replace("Content-Length: 0\r\n\r\n", `Content-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    };
    d.last = respond(180, [], "");
    this.send(d.last, src, srcPort);
    this.after(2_000, () => {
      if (this.down || call.ended) return;
      d.last = respond(200, [], phoneSdp(PBX));
      this.send(d.last, src, srcPort);
    });
    this.after(2_000 + 5_000 + (this.callSeq % 20) * 1_000, () => this.bye(d));
  }

  /** Call the door at its newest binding: INVITE with G.711; ACK its 200; BYE later. False: no binding to call. */
  callDoor(talkMs: number): PbxCall | null {
    const contact = this.liveContact();
    if (contact === undefined || this.down) return null;
    const n = ++this.callSeq;
    const callId = `pbx-call-${n}@${PBX}`;
    const call: PbxCall = { callId, way: "in", at: this.now(), up: false, ended: false };
    this.calls.push(call);
    const from = `"Desk" <sip:100@${PBX_REALM}>;tag=pbx${n}`;
    const to = `<sip:door@${PBX_REALM}>`;
    const d: Dialog = { call, target: contact, from, to, cseq: 1, last: "" };
    this.dialogs.set(callId, d);
    const body = phoneSdp(PBX);
    this.request(d, "INVITE", 1, [`Contact: <sip:100@${PBX}:${PBX_PORT}>`, "Content-Type: application/sdp"], body);
    this.after(talkMs, () => this.bye(d));
    return call;
  }

  private bye(d: Dialog): void {
    if (this.down || d.call.ended || !d.call.up) return;
    d.call.ended = true;
    this.request(d, "BYE", ++d.cseq, [], "");
  }

  private request(d: Dialog, method: string, cseq: number, extra: string[], body: string): void {
    const { host, port } = hostPort(d.target);
    const lines = [
      `${method} ${d.target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${PBX}:${PBX_PORT};branch=z9hG4bKpbx${++this.branch};rport`,
      "Max-Forwards: 70",
      `From: ${d.from}`,
      `To: ${d.to}`,
      `Call-ID: ${d.call.callId}`,
      `CSeq: ${cseq} ${method}`,
      ...extra,
      `Content-Length: ${body.length}`,
      "",
      body,
    ];
    this.send(lines.join("\r\n"), host, port);
  }

  /** A response from the door: the 200 to our INVITE is acknowledged (each retransmission too, §13.2.2.4). */
  private response(res: ParsedRequest, status: number): void {
    const callId = header(res, "Call-ID");
    const d = callId !== undefined ? this.dialogs.get(callId) : undefined;
    if (d === undefined || d.call.way !== "in" || !/INVITE/.test(header(res, "CSeq") ?? "")) return;
    if (status >= 200 && status < 300) {
      d.call.up = true;
      if (!/;tag=/.test(d.to)) d.to = header(res, "To")!;
      const contact = /<([^>]*)>/.exec(header(res, "Contact") ?? "")?.[1];
      if (contact !== undefined) d.target = contact;
      this.request(d, "ACK", 1, [], "");
    } else if (status >= 300) {
      d.call.ended = true;
    }
  }
}

function hostPort(uri: string): { host: string; port: number } {
  const m = /^sips?:(?:[^@]*@)?([^:;>]+)(?::(\d+))?/.exec(uri);
  return { host: m?.[1] ?? PBX, port: m?.[2] !== undefined ? Number(m[2]) : 5060 };
}
