/*
 * One-off capture of fuzz seeds from real peers (see seeds/README.md): a
 * plain UDP socket of ours on 127.0.0.1 talks to kamailio, SIPp and baresip
 * and writes what they send, byte for byte as received, to seeds/*.sip.
 * Not part of the test suite (the seeds are committed); re-run with
 *
 *   npx esbuild test/fuzz/capture-seeds.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=test/fuzz/capture.tmp.mjs && node test/fuzz/capture.tmp.mjs
 *   rm test/fuzz/capture.tmp.mjs
 *
 * (the bundle must sit one level below test/, where peers.ts finds test/interop/).
 * Peers are started and stopped by PID through test/support/peers.ts.
 */
import { createSocket, type Socket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { binary, freeUdpPort, startBaresip, startKamailio, startPeer, stopAllPeers, tempDir, udpBound, until } from "../support/peers";

/** Run from the project root. */
const OUT = join(process.cwd(), "test", "fuzz", "seeds");

interface Rx {
  text: string;
  bytes: Buffer;
  port: number;
}

class Recorder {
  readonly got: Rx[] = [];
  private constructor(readonly s: Socket, readonly port: number) {
    s.on("message", (data, rinfo) => this.got.push({ text: data.toString("latin1"), bytes: data, port: rinfo.port }));
  }
  static async open(): Promise<Recorder> {
    const s = createSocket("udp4");
    await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
    return new Recorder(s, s.address().port);
  }
  send(text: string, port: number): void {
    this.s.send(Buffer.from(text.replace(/\r?\n/g, "\r\n"), "latin1"), port, "127.0.0.1");
  }
  async next(what: (r: Rx) => boolean, label: string, ms = 8000): Promise<Rx> {
    let found: Rx | undefined;
    await until(() => (found = this.got.find(what)) !== undefined, label, ms);
    this.got.splice(this.got.indexOf(found!), 1);
    return found!;
  }
  close(): void {
    this.s.close();
  }
}

function save(name: string, r: Rx): void {
  writeFileSync(join(OUT, name), r.bytes);
  console.log(`${name}: ${r.bytes.length} bytes: ${r.text.slice(0, r.text.indexOf("\r\n"))}`);
}

const header = (text: string, name: string): string => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(text)?.[1]?.trim() ?? "";
const isRequest = (m: string) => (r: Rx) => r.text.startsWith(`${m} `);
const isStatus = (code: number) => (r: Rx) => r.text.startsWith(`SIP/2.0 ${code} `);

/** A response to `req` with our own text appended (To tag added, body optional). */
function respond(req: string, status: string, extra: string[] = [], body = ""): string {
  const lines = [`SIP/2.0 ${status}`];
  for (const m of req.matchAll(/^Via:.*$/gim)) lines.push(m[0]);
  lines.push(`From: ${header(req, "From")}`);
  const to = header(req, "To");
  lines.push(`To: ${to}${/;tag=/.test(to) ? "" : ";tag=rec1"}`, `Call-ID: ${header(req, "Call-ID")}`, `CSeq: ${header(req, "CSeq")}`, ...extra);
  if (body !== "") lines.push("Content-Type: application/sdp");
  lines.push(`Content-Length: ${Buffer.byteLength(body.replace(/\r?\n/g, "\r\n"), "latin1")}`, "", body);
  return lines.join("\r\n");
}

const SDP = ["v=0", "o=rec 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", "m=audio 40000 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", ""].join("\r\n");

function request(method: string, uri: string, rec: Recorder, n: number, body = ""): string {
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${rec.port};branch=z9hG4bKrec${n};rport`,
    "Max-Forwards: 70",
    `From: <sip:rec@127.0.0.1:${rec.port}>;tag=rec${n}`,
    `To: <${uri}>`,
    `Call-ID: rec-${n}-${rec.port}@127.0.0.1`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:rec@127.0.0.1:${rec.port}>`,
  ];
  if (body !== "") lines.push("Content-Type: application/sdp");
  lines.push(`Content-Length: ${Buffer.byteLength(body, "latin1")}`, "", body);
  return lines.join("\r\n");
}

async function kamailio(rec: Recorder): Promise<void> {
  const kam = await startKamailio();
  rec.send(request("REGISTER", "sip:doorsip.test", rec, 1).replace(`To: <sip:doorsip.test>`, "To: <sip:door@doorsip.test>").replace(`From: <sip:rec@127.0.0.1:${rec.port}>`, "From: <sip:door@doorsip.test>"), kam.port);
  save("kamailio-401-register.sip", await rec.next(isStatus(401), "kamailio's 401"));
  rec.send(request("OPTIONS", `sip:127.0.0.1:${kam.port}`, rec, 2), kam.port);
  save("kamailio-200-options.sip", await rec.next(isStatus(200), "kamailio's 200 to OPTIONS"));
  rec.send(request("INVITE", "sip:nobody@doorsip.test", rec, 3, SDP), kam.port);
  save("kamailio-invite-reply.sip", await rec.next((r) => r.text.startsWith("SIP/2.0 ") && !r.text.startsWith("SIP/2.0 100 "), "kamailio's final answer to INVITE"));
}

async function baresip(rec: Recorder): Promise<void> {
  const phone = await startBaresip({ registrarPort: rec.port, user: "100", password: "pw100", waitRegistered: false, accountParams: ";answermode=auto" });
  const reg1 = await rec.next(isRequest("REGISTER"), "baresip's REGISTER");
  save("baresip-register.sip", reg1);
  rec.send(respond(reg1.text, "401 Unauthorized", ['WWW-Authenticate: Digest realm="doorsip.test", nonce="5f2c0a3b1d", qop="auth", algorithm=MD5']), reg1.port);
  const reg2 = await rec.next(isRequest("REGISTER"), "baresip's REGISTER with credentials");
  save("baresip-register-auth.sip", reg2);
  rec.send(respond(reg2.text, "200 OK", [`Contact: ${header(reg2.text, "Contact")};expires=60`]), reg2.port);
  rec.send(request("OPTIONS", `sip:100@127.0.0.1:${phone.port}`, rec, 4), phone.port);
  save("baresip-200-options.sip", await rec.next(isStatus(200), "baresip's 200 to OPTIONS"));
  rec.send(request("INVITE", `sip:100@127.0.0.1:${phone.port}`, rec, 5, SDP), phone.port);
  const ok = await rec.next(isStatus(200), "baresip's 200 to INVITE");
  save("baresip-200-invite.sip", ok);
  const to = header(ok.text, "To");
  const ack = request("ACK", `sip:100@127.0.0.1:${phone.port}`, rec, 5).replace(/^To: .*$/m, `To: ${to}`).replace(/^CSeq: .*$/m, "CSeq: 1 ACK").replace(/z9hG4bKrec5/, "z9hG4bKrec5a");
  rec.send(ack, phone.port);
  const bye = request("BYE", `sip:100@127.0.0.1:${phone.port}`, rec, 5).replace(/^To: .*$/m, `To: ${to}`).replace(/^CSeq: .*$/m, "CSeq: 2 BYE").replace(/z9hG4bKrec5/, "z9hG4bKrec5b");
  rec.send(bye, phone.port);
  await rec.next(isStatus(200), "baresip's 200 to BYE");
}

async function sipp(rec: Recorder): Promise<void> {
  // SIPp's built-in UAC (-sn uac) calls us: INVITE with SDP, ACK, BYE.
  const bin = binary("sipp");
  const dir = tempDir("sipp-capture");
  const uacPort = await freeUdpPort();
  const uac = await startPeer({ name: "sipp uac", command: bin, args: [`127.0.0.1:${rec.port}`, "-sn", "uac", "-i", "127.0.0.1", "-p", String(uacPort), "-m", "1", "-d", "100", "-timeout", "10s", "-timeout_error", "-nostdin"], cwd: dir });
  const invite = await rec.next(isRequest("INVITE"), "SIPp's INVITE");
  save("sipp-invite.sip", invite);
  rec.send(respond(invite.text, "180 Ringing"), invite.port);
  rec.send(respond(invite.text, "200 OK", [`Contact: <sip:rec@127.0.0.1:${rec.port}>`], SDP), invite.port);
  save("sipp-ack.sip", await rec.next(isRequest("ACK"), "SIPp's ACK"));
  const bye = await rec.next(isRequest("BYE"), "SIPp's BYE");
  save("sipp-bye.sip", bye);
  rec.send(respond(bye.text, "200 OK"), bye.port);
  await uac.waitExit(10_000);
  // SIPp's built-in UAS (-sn uas) answers our INVITE: 180, then 200 with SDP.
  const uasPort = await freeUdpPort();
  await startPeer({ name: "sipp uas", command: bin, args: ["-sn", "uas", "-i", "127.0.0.1", "-p", String(uasPort), "-m", "1", "-timeout", "10s", "-timeout_error", "-nostdin"], cwd: dir });
  await until(() => udpBound(uasPort), "SIPp's UAS port", 5000);
  rec.send(request("INVITE", `sip:service@127.0.0.1:${uasPort}`, rec, 6, SDP), uasPort);
  save("sipp-180-invite.sip", await rec.next(isStatus(180), "SIPp's 180"));
  const ok = await rec.next(isStatus(200), "SIPp's 200");
  save("sipp-200-invite.sip", ok);
  const to = header(ok.text, "To");
  rec.send(request("ACK", `sip:service@127.0.0.1:${uasPort}`, rec, 6).replace(/^To: .*$/m, `To: ${to}`).replace(/^CSeq: .*$/m, "CSeq: 1 ACK"), uasPort);
  rec.send(request("BYE", `sip:service@127.0.0.1:${uasPort}`, rec, 6).replace(/^To: .*$/m, `To: ${to}`).replace(/^CSeq: .*$/m, "CSeq: 2 BYE").replace(/z9hG4bKrec6/, "z9hG4bKrec6b"), uasPort);
  await rec.next(isStatus(200), "SIPp's 200 to BYE").catch(() => undefined);
}

async function main(): Promise<void> {
  const rec = await Recorder.open();
  try {
    await kamailio(rec);
    await baresip(rec);
    await sipp(rec);
  } finally {
    rec.close();
    await stopAllPeers();
  }
}

await main();
