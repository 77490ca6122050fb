/*
 * The receive path under fuzz: the whole Intercom (transactions, user agent,
 * calls, trust screening, application) on a virtual clock and a recording
 * UDP host, registered at a scripted server. Mutated datagrams from the
 * server's address (so that they pass the trusted-source screen and reach
 * the calls) go into Intercom.receiver; none may throw, and every few of
 * them an OPTIONS must still be answered 200 with the registration still
 * up. Platform-free apart from the hash host the caller passes.
 */
import { Intercom } from "../../src/app/intercom";
import type { HashHost, UdpHost } from "../../src/host";
import { H } from "../../src/sip/message/header";
import { SipMessage } from "../../src/sip/message/message";
import { SipParser } from "../../src/sip/message/parser";
import { SeededRandom } from "../support/seeded-random";
import { VirtualClock } from "../support/virtual-clock";
import { mutate } from "./mutate";
import { escapeBytes, hex } from "./properties";
import { Prng, runSeed } from "./prng";

export const SERVER = "198.51.100.7";
export const SERVER_PORT = 5070;
const DOOR = "192.0.2.10";

function bytesOf(s: string): Uint8Array {
  const t = s.replace(/\r?\n/g, "\r\n");
  const out = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = t.charCodeAt(i) & 0xff;
  return out;
}

function textOf(b: Uint8Array, n = b.length): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const OFFER = "v=0\no=phone 1 1 IN IP4 198.51.100.7\ns=-\nc=IN IP4 198.51.100.7\nt=0 0\nm=audio 49170 RTP/AVP 0 8 101\na=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15\na=sendrecv\n";

function request(method: string, n: number, extra: string[] = [], body = ""): Uint8Array {
  const b = body.replace(/\r?\n/g, "\r\n");
  const lines = [
    `${method} sip:door@${DOOR}:5060 SIP/2.0`,
    `Via: SIP/2.0/UDP ${SERVER}:${SERVER_PORT};branch=z9hG4bK${method.toLowerCase()}${n};rport`,
    "Max-Forwards: 70",
    `From: "Desk" <sip:100@pbx.test>;tag=phone-${n}`,
    "To: <sip:door@pbx.test>",
    `Call-ID: call-${n}@phone`,
    `CSeq: ${n} ${method}`,
    `Contact: <sip:100@${SERVER}:${SERVER_PORT}>`,
    ...extra,
  ];
  if (b !== "") lines.push(method === "INFO" ? "Content-Type: application/dtmf-relay" : method === "MESSAGE" ? "Content-Type: text/plain" : "Content-Type: application/sdp");
  lines.push(`Content-Length: ${b.length}`, "", b);
  return bytesOf(lines.join("\n"));
}

/** What the door is sent: requests of every method it handles, with and without bodies. */
export function receiveSeeds(): Uint8Array[] {
  return [
    request("INVITE", 1, ["Supported: 100rel"], OFFER),
    request("INVITE", 2, [], ""),
    request("OPTIONS", 3),
    request("BYE", 4),
    request("CANCEL", 1),
    request("ACK", 1),
    request("INFO", 5, [], "Signal=#\nDuration=160\n"),
    request("MESSAGE", 6, [], "hello door"),
    request("NOTIFY", 7, ["Event: refer", "Subscription-State: active;expires=60"], ""),
    request("SUBSCRIBE", 8, ["Event: presence", "Expires: 60"]),
    request("REFER", 9, ["Refer-To: <sip:200@pbx.test>"]),
    request("UPDATE", 10, [], OFFER),
    request("PRACK", 11, ["RAck: 1 1 INVITE"]),
    request("REGISTER", 12),
    request("PUBLISH", 13, ["Event: presence"]),
    bytesOf(`SIP/2.0 200 OK\nVia: SIP/2.0/UDP ${DOOR}:5060;branch=z9hG4bKstray\nFrom: <sip:door@pbx.test>;tag=d1\nTo: <sip:door@pbx.test>;tag=s1\nCall-ID: stray@door\nCSeq: 1 REGISTER\nContent-Length: 0\n\n`),
  ];
}

class Recorder implements UdpHost {
  readonly localAddress = DOOR;
  readonly localPort = 5060;
  sent: Uint8Array[] = [];
  send(data: Uint8Array, length: number): boolean {
    this.sent.push(data.slice(0, length));
    return true;
  }
}

export interface ReceiveFailure {
  run: number;
  runSeed: number;
  property: string;
  hex: string;
  text: string;
}

export interface ReceiveResult {
  runs: number;
  /** OPTIONS probes answered 200 (one every `probeEvery` runs, and one at the end). */
  probes: number;
  /** Probes answered 503 at first (every server transaction busy), then 200. */
  busy: number;
  /** Datagrams the door sent in all (answers, retransmissions, requests of its calls). */
  sent: number;
  /** What it sent, by kind: "200 INVITE" for responses, "BYE" for requests. */
  kinds: Record<string, number>;
  failures: ReceiveFailure[];
}

export interface ReceiveOptions {
  seeds: readonly Uint8Array[];
  runs: number;
  seed: number;
  hash: HashHost;
  probeEvery?: number;
  /** The transaction layer's message buffer (IntercomSettings.messageBuffer); default the intercom's. */
  messageBuffer?: number;
  /** Cut longer inputs to this many bytes. */
  maxLength?: number;
}

/** A door registered at SERVER, answering the registrar's side itself. */
class Rig {
  readonly clock = new VirtualClock(0);
  readonly udp = new Recorder();
  readonly intercom: Intercom;
  private readonly parser = new SipParser();
  private readonly msg = new SipMessage();
  totalSent = 0;
  readonly kinds: Record<string, number> = {};
  private probe = 0;

  constructor(hash: HashHost, seed: number, messageBuffer: number | undefined) {
    this.intercom = new Intercom(
      { clock: this.clock, random: new SeededRandom(seed), hash, udp: this.udp },
      {
        account: { registrarHost: SERVER, registrarPort: SERVER_PORT, domain: "pbx.test", user: "door", password: "doorpass", expires: 3600 },
        keepaliveSeconds: 0,
        messageBuffer,
        doorCode: "1234#",
        targets: ["100"],
      },
    );
    this.clock.attach(this.intercom.timers);
  }

  /** Answer what the door sent to the server: its REGISTERs with 200. Returns the texts sent. */
  serve(): string[] {
    const out: string[] = [];
    const sent = this.udp.sent;
    this.udp.sent = [];
    this.totalSent += sent.length;
    for (const d of sent) {
      out.push(textOf(d));
      if (!this.parser.parse(d, d.length, this.msg)) continue;
      const m = this.msg;
      const kind = m.status > 0 ? `${m.status} ${m.cseqMethodLen > 0 ? textOf(m.buf.subarray(m.cseqMethodStart, m.cseqMethodStart + m.cseqMethodLen)) : ""}` : m.methodString();
      this.kinds[kind] = (this.kinds[kind] ?? 0) + 1;
      if (m.method !== 6 /* REGISTER */ || m.status !== 0) continue;
      const lines = ["SIP/2.0 200 OK"];
      for (let h = m.first[H.Via]!; h >= 0; h = m.hNext[h]!) lines.push(`Via: ${m.valueString(h)}`);
      lines.push(`From: ${m.getString(H.From)}`, `To: ${m.getString(H.To)};tag=reg`, `Call-ID: ${m.getString(H.CallId)}`, `CSeq: ${m.getString(H.CSeq)}`);
      const contact = m.getString(H.Contact);
      if (contact !== undefined && m.expires !== 0) lines.push(`Contact: ${contact.replace(/;expires=\d+/, "")};expires=3600`);
      lines.push("Content-Length: 0", "", "");
      this.deliver(bytesOf(lines.join("\n")));
    }
    return out;
  }

  deliver(b: Uint8Array): void {
    this.intercom.receiver.receive(b, b.length, SERVER, SERVER_PORT);
  }

  /**
   * An OPTIONS out of any dialog: "" when it is answered 200, else what
   * happened. A door whose server transactions are all busy answers 503 by
   * design (the fuzzer sends faster than calls end): then, once the
   * transaction timers have run (64*T1), it must answer 200.
   */
  probeOptions(): string {
    const first = this.probeOnce();
    if (first !== "503") return first;
    this.busy++;
    this.clock.advance(64 * 500);
    const again = this.probeOnce();
    return again === "503" ? `an OPTIONS was answered 503 even after every transaction timer ran out (${this.tables()})` : again;
  }

  /** The tables, for a failure report. */
  tables(): string {
    const ic = this.intercom;
    const servers = (ic.layer as unknown as { servers: { inUse: boolean; state: number; method: number; due: number }[] }).servers;
    const states = servers.filter((t) => t.inUse).map((t) => `${t.method}/${t.state}/${t.due}`).join(" ");
    return `server transactions ${ic.layer.serverCount}, client transactions ${ic.layer.clientCount}, active calls ${ic.ua.activeCalls}, now ${this.clock.now()}: ${states}`;
  }

  /** How many probes found the door busy (503) at first. */
  busy = 0;

  private probeOnce(): string {
    this.serve();
    this.probe++;
    const callId = `probe-${this.probe}@server`;
    this.deliver(bytesOf(
      `OPTIONS sip:door@${DOOR}:5060 SIP/2.0\nVia: SIP/2.0/UDP ${SERVER}:${SERVER_PORT};branch=z9hG4bKprobe${this.probe}\nMax-Forwards: 70\n` +
        `From: <sip:server@pbx.test>;tag=p${this.probe}\nTo: <sip:door@pbx.test>\nCall-ID: ${callId}\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n`,
    ));
    const answers = this.serve().filter((t) => t.indexOf(`Call-ID: ${callId}\r\n`) >= 0);
    if (answers.length === 0) return "an OPTIONS got no answer";
    const line = answers[0]!.slice(0, answers[0]!.indexOf("\r\n"));
    if (line.startsWith("SIP/2.0 503 ")) return "503";
    if (!line.startsWith("SIP/2.0 200 ")) return `an OPTIONS was answered "${line}"`;
    if (!this.intercom.registered) return "the registration was lost";
    return "";
  }
}

export function runReceive(o: ReceiveOptions): ReceiveResult {
  const rig = new Rig(o.hash, o.seed, o.messageBuffer);
  rig.intercom.start();
  rig.serve();
  const failures: ReceiveFailure[] = [];
  const start = rig.probeOptions();
  if (start !== "") return { runs: 0, probes: 0, busy: 0, sent: rig.totalSent, kinds: rig.kinds, failures: [{ run: -1, runSeed: 0, property: `before fuzzing: ${start}`, hex: "", text: "" }] };
  const probeEvery = o.probeEvery ?? 20;
  let probes = 1;
  let i = 0;
  let last: Uint8Array[] = [];
  for (; i < o.runs && failures.length === 0; i++) {
    const rng = new Prng(runSeed(o.seed, i));
    let input = rng.chance(1, 10) ? rng.pick(o.seeds) : mutate(rng, rng.pick(o.seeds), o.seeds);
    if (o.maxLength !== undefined && input.length > o.maxLength) input = input.subarray(0, o.maxLength);
    last.push(input);
    if (last.length > probeEvery) last = last.slice(-probeEvery);
    let property = "";
    try {
      rig.deliver(input);
      rig.serve();
      // Time moves on a little: retransmissions, ringing, answer delays, transaction timers.
      rig.clock.advance(rng.below(3) === 0 ? rng.below(40000) : rng.below(500));
      rig.serve();
      if ((i + 1) % probeEvery === 0 || i + 1 === o.runs) {
        property = rig.probeOptions();
        if (property === "") probes++;
      }
    } catch (e) {
      property = `threw ${e instanceof Error ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split("\n").slice(1, 6).join("\n")}` : ""}` : String(e)}`;
    }
    if (property === "") continue;
    // The culprit may be any datagram since the last probe: report them all, the last first.
    const shown = property.startsWith("threw") ? [input] : last.slice().reverse();
    failures.push({ run: i, runSeed: runSeed(o.seed, i), property, hex: shown.map(hex).join(" | "), text: shown.map((b) => escapeBytes(b, 2000)).join("\n  --- an earlier one:\n  ") });
  }
  if (failures.length === 0) {
    // Let every call and transaction run out, then the door must still be there.
    rig.clock.advance(300_000);
    const end = rig.probeOptions();
    if (end !== "") failures.push({ run: i, runSeed: 0, property: `after every timer ran out: ${end}`, hex: "", text: "" });
    else probes++;
  }
  return { runs: i, probes, busy: rig.busy, sent: rig.totalSent, kinds: rig.kinds, failures };
}

