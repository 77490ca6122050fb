/*
 * Call-flow tests on the virtual clock: the whole Intercom (transaction
 * layer, user agent, calls, application) with a recording UDP host. A test
 * plays the peer: it delivers requests and responses as text and checks
 * every datagram the door sent, in order.
 */
import type { LogLevel, PinsHost } from "../../src/host";
import { H } from "../../src/sip/message/header";
import type { SipMessage } from "../../src/sip/message/message";
import { Intercom, type IntercomEvent, type IntercomHosts, type IntercomSettings, intercomEventName } from "../../src/app/intercom";
import { NodeHash } from "../../hosts/node/hash";
import { bytes, crlf, parse } from "./transaction-harness";
import { phoneSdp } from "./phone-sdp";
import { SeededRandom } from "./seeded-random";
import { UdpRecorder, type SentDatagram } from "./udp-recorder";
import { VirtualClock } from "./virtual-clock";

export const PEER = "198.51.100.7";
export const PEER_PORT = 5070;
export const DOOR = "192.0.2.10";

/** The peer phone's offer (phone-sdp.ts: the same SDP the XS scripted peer sends). */
export const OFFER = phoneSdp(PEER);

export function offer(direction = "sendrecv", codecs = "0 8 101"): string {
  return OFFER.replace("a=sendrecv", `a=${direction}`).replace("RTP/AVP 0 8 101", `RTP/AVP ${codecs}`);
}

export class PinsRecorder implements PinsHost {
  relay = false;
  led = false;
  relayChanges: boolean[] = [];
  setRelay(on: boolean): void {
    this.relay = on;
    this.relayChanges.push(on);
  }
  setLed(on: boolean): void {
    this.led = on;
  }
}

export interface Event {
  name: string;
  detail: string;
  at: number;
}

export interface Msg {
  text: string;
  /** "INVITE" for requests, "200" for responses. */
  kind: string;
  msg: SipMessage;
  address: string;
  port: number;
  at: number;
}

/** A header value of a message text (first occurrence), or undefined. */
export function hdr(m: Msg, id: H): string | undefined {
  return m.msg.getString(id);
}

export function startLine(text: string): string {
  return text.slice(0, text.indexOf("\r\n"));
}

export interface Rig {
  clock: VirtualClock;
  udp: UdpRecorder;
  pins: PinsRecorder;
  intercom: Intercom;
  events: Event[];
  logs: string[];
  deliver(text: string, port?: number, address?: string): void;
  /** Everything the door sent since the last take(), parsed. */
  take(): Msg[];
  /** Start lines of take(): "SIP/2.0 180 Ringing", "BYE sip:... SIP/2.0". */
  takeLines(): string[];
  advance(ms: number): void;
  eventNames(): string[];
}

export function rig(settings: Partial<IntercomSettings> = {}, hosts: Partial<IntercomHosts> = {}): Rig {
  const clock = new VirtualClock(0);
  const udp = new UdpRecorder(() => clock.now());
  udp.localAddress = DOOR;
  udp.localPort = 5060;
  const pins = new PinsRecorder();
  const logs: string[] = [];
  const log = { log: (_l: LogLevel, text: string) => void logs.push(text) };
  const intercom = new Intercom(
    { clock, random: new SeededRandom(11), hash: new NodeHash(), log, pins, udp, ...hosts },
    {
      account: { registrarHost: PEER, registrarPort: PEER_PORT, domain: "pbx.test", user: "door", password: "doorpass" },
      register: false,
      keepaliveSeconds: 0,
      ...settings,
    },
  );
  clock.attach(intercom.timers);
  const events: Event[] = [];
  intercom.listener = {
    onIntercomEvent: (e: IntercomEvent, _call, detail: string) => void events.push({ name: intercomEventName(e), detail, at: clock.now() }),
  };
  const take = (): Msg[] =>
    udp.take().map((d: SentDatagram) => {
      const msg = parse(d.text);
      return { text: d.text, kind: msg.status > 0 ? String(msg.status) : msg.methodString(), msg, address: d.address, port: d.port, at: d.at };
    });
  return {
    clock,
    udp,
    pins,
    intercom,
    events,
    logs,
    deliver(text: string, port = PEER_PORT, address = PEER): void {
      const b = bytes(crlf(text));
      intercom.receiver.receive(b, b.length, address, port);
    },
    take,
    takeLines: () => take().map((m) => startLine(m.text)),
    advance: (ms: number) => clock.advance(ms),
    eventNames: () => events.map((e) => e.name),
  };
}

export interface RequestOptions {
  callId?: string;
  fromTag?: string;
  toTag?: string;
  branch?: string;
  cseq?: number;
  body?: string;
  contentType?: string;
  extra?: string[];
  requestUri?: string;
  contact?: string;
}

/** A request from the peer phone (sip:100@pbx.test at 198.51.100.7:5070) to the door. */
export function request(method: string, o: RequestOptions = {}): string {
  const body = o.body ?? "";
  const lines = [
    `${method} ${o.requestUri ?? `sip:door@${DOOR}:5060`} SIP/2.0`,
    `Via: SIP/2.0/UDP ${PEER}:${PEER_PORT};branch=${o.branch ?? `z9hG4bK${method.toLowerCase()}1`};rport`,
    "Max-Forwards: 70",
    `From: "Desk" <sip:100@pbx.test>;tag=${o.fromTag ?? "phone-tag"}`,
    `To: <sip:door@pbx.test>${o.toTag !== undefined ? `;tag=${o.toTag}` : ""}`,
    `Call-ID: ${o.callId ?? "call-1@phone"}`,
    `CSeq: ${o.cseq ?? 1} ${method}`,
  ];
  if (o.contact !== "") lines.push(`Contact: ${o.contact ?? `<sip:100@${PEER}:${PEER_PORT}>`}`);
  for (const e of o.extra ?? []) lines.push(e);
  if (body !== "") lines.push(`Content-Type: ${o.contentType ?? "application/sdp"}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body, "latin1")}`, "", body);
  return lines.join("\r\n");
}

/**
 * An incoming call from the phone (or from `address`:`port`), answered and
 * acknowledged: returns the door's 200 (for its To tag). Throws when the
 * door did not answer 200 or the call did not come up.
 */
export function answeredCall(r: Rig, port?: number, address?: string): Msg {
  r.deliver(request("INVITE", { body: OFFER }), port, address);
  const ok = r.take().find((m) => m.kind === "200");
  if (ok === undefined) throw new Error(`the door did not answer the INVITE 200; events: ${r.eventNames().join(", ")}`);
  r.deliver(ackFor(ok), port, address);
  if (!r.eventNames().includes("call up")) throw new Error(`the call did not come up; events: ${r.eventNames().join(", ")}`);
  return ok;
}

/** The To tag the door put in a response. */
export function toTag(m: Msg): string {
  const to = m.msg.to;
  return Buffer.from(m.msg.buf.subarray(to.tagStart, to.tagStart + to.tagLen)).toString("latin1");
}

/** A response from the peer to a request the door sent: Via, From, To, Call-ID, CSeq copied; To tag added. */
export function reply(req: Msg, status: number, reason: string, o: { toTag?: string | null; extra?: string[]; body?: string; contact?: string | null } = {}): string {
  const m = req.msg;
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (let h = m.first[H.Via]!; h >= 0; h = m.hNext[h]!) lines.push(`Via: ${m.valueString(h)}`);
  lines.push(`From: ${m.getString(H.From)}`);
  const tag = o.toTag === undefined ? "callee-tag" : o.toTag;
  const to = m.getString(H.To)!;
  lines.push(`To: ${to}${tag !== null && !/;tag=/.test(to) ? `;tag=${tag}` : ""}`);
  lines.push(`Call-ID: ${m.getString(H.CallId)}`, `CSeq: ${m.getString(H.CSeq)}`);
  const contact = o.contact === undefined ? `<sip:100@${PEER}:${PEER_PORT}>` : o.contact;
  if (contact !== null && status > 100 && status < 300) lines.push(`Contact: ${contact}`);
  for (const e of o.extra ?? []) lines.push(e);
  const body = o.body ?? "";
  if (body !== "") lines.push("Content-Type: application/sdp");
  lines.push(`Content-Length: ${Buffer.byteLength(body, "latin1")}`, "", body);
  return lines.join("\r\n");
}

/** The ACK a phone sends for the door's 2xx (§13.2.2.4): in the dialog, new branch. */
export function ackFor(ok: Msg, o: { branch?: string; body?: string } = {}): string {
  const m = ok.msg;
  const cseq = m.cseq;
  return request("ACK", {
    callId: m.getString(H.CallId),
    fromTag: fromTagOf(m),
    toTag: toTag(ok),
    cseq,
    branch: o.branch ?? `z9hG4bKack${cseq}`,
    body: o.body,
  });
}

function fromTagOf(m: SipMessage): string {
  return Buffer.from(m.buf.subarray(m.from.tagStart, m.from.tagStart + m.from.tagLen)).toString("latin1");
}

export { crlf, bytes };
