/*
 * The loopback PBX (hosts/node/pbx) over real UDP on 127.0.0.1: a scripted
 * client socket plays the door, the PBX's own desk phone (extension 100)
 * answers and calls. Every wait is bounded.
 * Rules checked: RFC 3261 §10.3 (registrar: 401, bindings with expires,
 * Expires 0, retransmissions), §22 (digest, 403 on wrong credentials, 407
 * for INVITE), §16 (proxy: 100 Trying, Via added/stripped, Max-Forwards,
 * Record-Route ;lr, loose routing of ACK/INFO/BYE, 404/480, CANCEL),
 * RFC 3581 (received/rport), §13/§14 (the phone's 180/200/ACK/INFO/BYE),
 * and the door's own core Registration and Keepalive against the PBX.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NodeClock } from "../hosts/node/clock";
import { NodeHash } from "../hosts/node/hash";
import { NodeRandom } from "../hosts/node/random";
import { NodeUdp } from "../hosts/node/udp";
import { LoopbackPbx, type LoopbackPbxOptions, type PacketEvent } from "../hosts/node/pbx/index";
import { parseNameAddr, parseVia, param, SipMsg, tagOf } from "../hosts/node/pbx/sip";
import type { ServerTransactionUser } from "../src/sip/transaction/api";
import { TransactionLayer } from "../src/sip/transaction/layer";
import { TimerQueue } from "../src/sip/timer/timer-queue";
import { Keepalive } from "../src/ua/keepalive";
import { RegState, Registration } from "../src/ua/registration";
import { answer, challengeParams, credentials, DOOR_SDP, hex, PbxClient } from "./support/pbx-client";
import { MemoryLog } from "./support/registrar-setup";
import { ROOT } from "./support/cli";
import { until } from "./support/wait";

const FAST: LoopbackPbxOptions = { answerMs: 80, dtmfDelayMs: 30, dtmfGapMs: 5, hangupMs: 60, callHoldMs: 60 };

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startPbx(options: LoopbackPbxOptions = {}): Promise<{ pbx: LoopbackPbx; events: PacketEvent[] }> {
  const events: PacketEvent[] = [];
  const pbx = await LoopbackPbx.start({ ...FAST, ...options, tap: (ev) => events.push(ev) });
  cleanups.push(() => pbx.stop());
  return { pbx, events };
}

async function client(): Promise<PbxClient> {
  const c = await PbxClient.open();
  cleanups.push(() => c.close());
  return c;
}

interface Reg {
  callId: string;
  cseq: number;
}

function register(c: PbxClient, pbx: LoopbackPbx, o: { user?: string; expires?: number; auth?: string; reg: Reg; branch?: string; contact?: string }): SipMsg {
  const user = o.user ?? "door";
  const req = SipMsg.request("REGISTER", `sip:${pbx.domain}`);
  req.add("Via", c.via(o.branch));
  req.add("Max-Forwards", "70");
  req.add("From", `<sip:${user}@${pbx.domain}>;tag=${hex(4)}`);
  req.add("To", `<sip:${user}@${pbx.domain}>`);
  req.add("Call-ID", o.reg.callId);
  req.add("CSeq", `${++o.reg.cseq} REGISTER`);
  req.add("Contact", o.contact ?? `<sip:${user}@${c.hostPort}>`);
  req.add("Expires", String(o.expires ?? 3600));
  if (o.auth !== undefined) req.add("Authorization", o.auth);
  c.send(req, pbx.port);
  return req;
}

/** REGISTER, answer the 401, expect 200. */
async function registerDoor(c: PbxClient, pbx: LoopbackPbx, user = "door", password = "doorpass"): Promise<void> {
  const reg: Reg = { callId: `${hex(8)}@test`, cseq: 0 };
  register(c, pbx, { user, reg });
  const challenge = (await c.response("REGISTER", 401)).msg.get("WWW-Authenticate")!;
  register(c, pbx, { user, reg, auth: credentials(challenge, user, password, "REGISTER", `sip:${pbx.domain}`) });
  await c.response("REGISTER", 200);
}

interface Dialog {
  callId: string;
  fromTag: string;
  invite: SipMsg;
}

function invite(c: PbxClient, pbx: LoopbackPbx, o: { to?: string; cseq: number; auth?: string; callId: string; fromTag: string; branch?: string }): SipMsg {
  const uri = `sip:${o.to ?? "100"}@${pbx.domain}`;
  const req = SipMsg.request("INVITE", uri);
  req.add("Via", c.via(o.branch));
  req.add("Max-Forwards", "70");
  req.add("From", `"Front door" <sip:door@${pbx.domain}>;tag=${o.fromTag}`);
  req.add("To", `<${uri}>`);
  req.add("Call-ID", o.callId);
  req.add("CSeq", `${o.cseq} INVITE`);
  req.add("Contact", `<sip:door@${c.hostPort}>`);
  if (o.auth !== undefined) req.add("Proxy-Authorization", o.auth);
  req.setBody("application/sdp", DOOR_SDP);
  c.send(req, pbx.port);
  return req;
}

/** The ACK of a non-2xx final response (§17.1.1.3): same branch, To from the response. */
function ackFor(req: SipMsg, res: SipMsg): SipMsg {
  const ack = SipMsg.request("ACK", req.uri);
  ack.add("Via", req.get("Via")!);
  ack.add("Max-Forwards", "70");
  ack.add("From", req.get("From")!);
  ack.add("To", res.get("To")!);
  ack.add("Call-ID", req.callId);
  ack.add("CSeq", `${req.cseq.seq} ACK`);
  return ack;
}

/** INVITE 100 from the door: 407 answered, returns the dialog and the INVITE that got through. */
async function callPhone(c: PbxClient, pbx: LoopbackPbx, to = "100"): Promise<Dialog & { first: SipMsg }> {
  const callId = `${hex(8)}@door`;
  const fromTag = hex(4);
  const first = invite(c, pbx, { to, cseq: 1, callId, fromTag });
  const r407 = (await c.response("INVITE", 407)).msg;
  c.send(ackFor(first, r407), pbx.port);
  const auth = credentials(r407.get("Proxy-Authenticate")!, "door", "doorpass", "INVITE", first.uri);
  const second = invite(c, pbx, { to, cseq: 2, callId, fromTag, auth });
  return { callId, fromTag, invite: second, first };
}

/** A request inside the door's dialog, through the route set (§12.2.1.1). */
function inDialog(c: PbxClient, method: string, d: Dialog, ok: SipMsg, cseq: number): SipMsg {
  const target = parseNameAddr(ok.get("Contact")!).uri;
  const req = SipMsg.request(method, target);
  req.add("Via", c.via());
  req.add("Max-Forwards", "70");
  for (const rr of ok.all("Record-Route")) req.add("Route", rr);
  req.add("From", d.invite.get("From")!);
  req.add("To", ok.get("To")!);
  req.add("Call-ID", d.callId);
  req.add("CSeq", `${cseq} ${method}`);
  return req;
}

function label(ev: PacketEvent, pbx: LoopbackPbx): string {
  return `${pbx.label(ev.from)}>${pbx.label(ev.to)}`;
}

describe("loopback PBX: registrar", () => {
  it("starts with the phone registered and hands out the door's settings", async () => {
    const { pbx, events } = await startPbx();
    expect(pbx.address).toBe("127.0.0.1");
    expect(pbx.port).toBeGreaterThan(0);
    expect(pbx.domain).toBe("127.0.0.1");
    expect(pbx.door).toMatchObject({
      serverHost: "127.0.0.1", serverPort: pbx.port, server: `127.0.0.1:${pbx.port}`, domain: "127.0.0.1",
      user: "door", password: "doorpass", target: "sip:100@127.0.0.1", extension: "100",
      account: { registrarHost: "127.0.0.1", registrarPort: pbx.port, domain: "127.0.0.1", user: "door", password: "doorpass" },
    });
    expect(pbx.phone!.registered).toBe(true);
    expect(pbx.server.lookup("100")).toEqual([{ contact: pbx.phone!.contact, expires: 3600, source: pbx.phone!.endpoint }]);
    // The phone's REGISTER, 401, REGISTER, 200 were tapped once each.
    expect(events.map((e) => label(e, pbx))).toEqual(["phone>pbx", "pbx>phone", "phone>pbx", "pbx>phone"]);
    expect(events.every((e) => e.time >= 0)).toBe(true);
    expect(pbx.phone!.history.map((h) => h.type)).toEqual(["registered"]);
  });

  it("REGISTER: 401 with a fresh nonce, 200 with correct credentials, 403 with a wrong password, Expires 0 removes", async () => {
    const { pbx } = await startPbx();
    const c = await client();
    const reg: Reg = { callId: `${hex(8)}@test`, cseq: 0 };
    register(c, pbx, { reg });
    const r401 = (await c.response("REGISTER", 401)).msg;
    expect(r401.reason).toBe("Unauthorized");
    const ch = challengeParams(r401.get("WWW-Authenticate")!);
    expect(ch).toMatchObject({ realm: "127.0.0.1", algorithm: "MD5", qop: "auth" });
    expect(ch.nonce).toMatch(/^[0-9a-f]{32}$/);
    // RFC 3581: received and rport on the top Via.
    const via = parseVia(r401.get("Via")!)!;
    expect(param(via.params, "rport")).toBe(String(c.port));
    expect(param(via.params, "received")).toBe("127.0.0.1");
    expect(tagOf(r401.get("To"))).not.toBe("");

    // Wrong password: 403, and no binding.
    register(c, pbx, { reg, auth: credentials(r401.get("WWW-Authenticate")!, "door", "wrong", "REGISTER", `sip:${pbx.domain}`) });
    expect((await c.response("REGISTER")).msg.status).toBe(403);
    expect(pbx.server.lookup("door")).toEqual([]);
    // Unknown user: 403 as well.
    register(c, pbx, { reg, user: "mallory", auth: credentials(r401.get("WWW-Authenticate")!, "mallory", "x", "REGISTER", `sip:${pbx.domain}`) });
    expect((await c.response("REGISTER")).msg.status).toBe(403);
    // Someone else's AOR with the door's credentials: 403.
    register(c, pbx, { reg, user: "100", auth: credentials(r401.get("WWW-Authenticate")!, "door", "doorpass", "REGISTER", `sip:${pbx.domain}`) });
    expect((await c.response("REGISTER")).msg.status).toBe(403);

    // Right credentials: 200 listing the binding with its expires.
    const challenge = (register(c, pbx, { reg }), (await c.response("REGISTER", 401)).msg.get("WWW-Authenticate")!);
    const branch = `z9hG4bK${hex(6)}`;
    register(c, pbx, { reg, expires: 120, branch, auth: credentials(challenge, "door", "doorpass", "REGISTER", `sip:${pbx.domain}`) });
    const ok = await c.response("REGISTER", 200);
    expect(ok.msg.all("Contact")).toEqual([`<sip:door@${c.hostPort}>;expires=120`]);
    expect(pbx.server.lookup("door")).toEqual([{ contact: `sip:door@${c.hostPort}`, expires: 120, source: c.hostPort }]);
    expect(pbx.server.registeredUsers().sort()).toEqual(["100", "door"]);

    // A retransmission (same branch) gets the same response, not a new one.
    reg.cseq--;
    register(c, pbx, { reg, expires: 120, branch, auth: "Digest nonsense=1" });
    const again = await c.response("REGISTER", 200);
    expect(Buffer.from(again.raw).equals(Buffer.from(ok.raw))).toBe(true);

    // The nonce stays good for the next request with a higher nonce-count (a refresh).
    register(c, pbx, { reg, expires: 0, auth: credentials(challenge, "door", "doorpass", "REGISTER", `sip:${pbx.domain}`, 2) });
    const removed = await c.response("REGISTER", 200);
    expect(removed.msg.all("Contact")).toEqual([]);
    expect(pbx.server.lookup("door")).toEqual([]);
  });

  it("an account with an authentication ID (3CX's form): only those credentials register the extension", async () => {
    const { pbx } = await startPbx({ users: [{ user: "door", password: "doorpass", authId: "Gt5sK2x" }, { user: "100", password: "deskpass" }] });
    expect(pbx.door.authUser).toBe("Gt5sK2x");
    expect(pbx.door.account.authUser).toBe("Gt5sK2x");
    const c = await client();
    const reg: Reg = { callId: `${hex(8)}@test`, cseq: 0 };
    register(c, pbx, { reg });
    const challenge = (await c.response("REGISTER", 401)).msg.get("WWW-Authenticate")!;
    // The extension's own name is no credential here.
    register(c, pbx, { reg, auth: credentials(challenge, "door", "doorpass", "REGISTER", `sip:${pbx.domain}`) });
    expect((await c.response("REGISTER")).msg.status).toBe(403);
    // The authentication ID acts for its extension only.
    register(c, pbx, { reg, user: "100", auth: credentials(challenge, "Gt5sK2x", "doorpass", "REGISTER", `sip:${pbx.domain}`) });
    expect((await c.response("REGISTER")).msg.status).toBe(403);
    expect(pbx.server.lookup("door")).toEqual([]);
    register(c, pbx, { reg, auth: credentials(challenge, "Gt5sK2x", "doorpass", "REGISTER", `sip:${pbx.domain}`, 2) });
    expect((await c.response("REGISTER")).msg.status).toBe(200);
    expect(pbx.server.lookup("door")).toEqual([{ contact: `sip:door@${c.hostPort}`, expires: 3600, source: c.hostPort }]);
  });

  it("Contact * with Expires 0 removes every binding; 423 below minExpires is not asked by default; expires clamped", async () => {
    const { pbx } = await startPbx({ maxExpires: 600 });
    const c = await client();
    const reg: Reg = { callId: `${hex(8)}@test`, cseq: 0 };
    register(c, pbx, { reg });
    const challenge = (await c.response("REGISTER", 401)).msg.get("WWW-Authenticate")!;
    const auth = (nc: number): string => credentials(challenge, "door", "doorpass", "REGISTER", `sip:${pbx.domain}`, nc);
    register(c, pbx, { reg, expires: 7200, auth: auth(1) });
    expect((await c.response("REGISTER", 200)).msg.all("Contact")).toEqual([`<sip:door@${c.hostPort}>;expires=600`]);
    register(c, pbx, { reg, expires: 300, auth: auth(2), contact: `<sip:door@127.0.0.1:9>` });
    const two = (await c.response("REGISTER", 200)).msg.all("Contact");
    expect(two).toHaveLength(2);
    expect(pbx.server.lookup("door")[0]!.contact).toBe("sip:door@127.0.0.1:9");
    register(c, pbx, { reg, expires: 0, auth: auth(3), contact: "*" });
    expect((await c.response("REGISTER", 200)).msg.all("Contact")).toEqual([]);
    expect(pbx.server.lookup("door")).toEqual([]);
  });

  it("OPTIONS to the PBX: 200 with Allow; a datagram it cannot parse is answered 400 or dropped", async () => {
    const { pbx } = await startPbx();
    const c = await client();
    const req = SipMsg.request("OPTIONS", `sip:${pbx.door.server}`);
    req.add("Via", c.via()).add("Max-Forwards", "70").add("From", `<sip:door@${pbx.domain}>;tag=1`)
      .add("To", `<sip:${pbx.door.server}>`).add("Call-ID", "opt1").add("CSeq", "1 OPTIONS");
    c.send(req, pbx.port);
    const ok = (await c.response("OPTIONS", 200)).msg;
    expect(ok.get("Allow")).toContain("INVITE");
    expect(ok.get("Allow")).toContain("REGISTER");

    c.send(`OPTIONS sip:${pbx.domain} SIP/2.0\r\nVia: SIP/2.0/UDP ${c.hostPort};branch=z9hG4bKbad;rport\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: many\r\nContent-Length: 0\r\n\r\n`, pbx.port);
    const bad = (await c.response("OPTIONS")).msg;
    expect(bad.status).toBe(400);
    expect(bad.reason).toBe("Bad Request - Invalid Max-Forwards");
    const base = pbx.server.stats.received;
    c.send("\x00\x01garbage", pbx.port);
    c.send("\r\n\r\n", pbx.port);
    await until(() => pbx.server.stats.received >= base + 2, "the garbage to arrive");
    expect(pbx.server.stats.unparseable).toBe(2); // the bad OPTIONS and the garbage; the CRLFs are a keep-alive
  });
});

describe("loopback PBX: proxy and desk phone", () => {
  it("door calls 100: 407, 100 Trying, 180 and 200 with Record-Route, ACK through the PBX, the code as INFO, BYE from the phone", async () => {
    const { pbx, events } = await startPbx({ doorCode: "12#" });
    const phone = pbx.phone!;
    const c = await client();
    await registerDoor(c, pbx);
    const d = await callPhone(c, pbx);
    // The ACK of the 407 stays at the PBX (hop by hop).
    await until(() => pbx.server.stats.absorbed === 1, "the ACK of the 407 absorbed");

    const trying = (await c.response("INVITE", 100)).msg;
    expect(tagOf(trying.get("To"))).toBe("");
    expect(trying.all("Via")).toHaveLength(1);
    const ringing = (await c.response("INVITE", 180)).msg;
    const rr = `<sip:127.0.0.1:${pbx.port};lr>`;
    expect(ringing.all("Record-Route")).toEqual([rr]);
    // The PBX's Via is gone; ours carries received/rport.
    expect(ringing.all("Via")).toHaveLength(1);
    expect(ringing.get("Via")).toContain(`;rport=${c.port};received=127.0.0.1`);
    const ok = (await c.response("INVITE", 200, 3000)).msg;
    expect(ok.all("Record-Route")).toEqual([rr]);
    expect(ok.get("Contact")).toBe(`<${phone.contact}>`);
    expect(tagOf(ok.get("To"))).toBe(tagOf(ringing.get("To")));
    expect(ok.get("Content-Type")).toBe("application/sdp");
    // PCMU chosen from an offer listing PCMA first, telephone-event kept.
    expect(ok.bodyText()).toContain(`m=audio ${phone.rtpPort} RTP/AVP 0 101`);

    c.send(inDialog(c, "ACK", d, ok, 2), pbx.port);
    await phone.waitFor("answered", { timeoutMs: 3000 });

    // The code, one INFO per digit, each answered before the next.
    const digits: string[] = [];
    for (let i = 0; i < 3; i++) {
      const info = await c.request("INFO");
      const m = info.msg;
      expect(m.uri).toBe(`sip:door@${c.hostPort}`);
      expect(m.get("Route")).toBeUndefined(); // popped by the PBX
      expect(m.all("Via")).toHaveLength(2);
      expect(parseVia(m.all("Via")[0]!)!.port).toBe(pbx.port);
      expect(branchOk(m.all("Via")[0]!)).toBe(true);
      expect(m.get("Max-Forwards")).toBe("69");
      expect(m.get("Content-Type")).toBe("application/dtmf-relay");
      expect(m.callId).toBe(d.callId);
      expect(tagOf(m.get("To"))).toBe(d.fromTag);
      digits.push(/Signal=(.)/.exec(m.bodyText())![1]!);
      expect(m.bodyText()).toMatch(/^Signal=.\r\nDuration=160\r\n$/);
      // No second INFO before this one is answered.
      expect(c.queue.some((r) => r.msg.method === "INFO")).toBe(false);
      c.send(answer(m, 200, "OK", ""), info.port);
    }
    expect(digits).toEqual(["1", "2", "#"]);

    const bye = await c.request("BYE", 3000);
    expect(bye.msg.uri).toBe(`sip:door@${c.hostPort}`);
    c.send(answer(bye.msg, 200, "OK", ""), bye.port);
    const ended = await phone.waitFor("ended", { timeoutMs: 3000 });
    expect(ended).toMatchObject({ callId: d.callId, direction: "incoming", reason: "local-bye", status: 200 });
    expect(phone.history.map((h) => h.type)).toEqual(["registered", "incoming", "ringing", "answered", "dtmf", "dtmf", "dtmf", "ended"]);
    expect(phone.history.filter((h) => h.type === "dtmf").map((h) => (h as { digit: string; status: number }).status)).toEqual([200, 200, 200]);

    // Every step went through the PBX: nothing between the door and the phone directly.
    const pairs = new Set(events.map((e) => label(e, pbx)));
    expect([...pairs].sort()).toEqual(["door>pbx", "pbx>door", "pbx>phone", "phone>pbx"]);
    expect(phone.inCall).toBe(false);
  });

  it("hangup 'wait': the door's BYE goes through the PBX and the phone answers 200", async () => {
    const { pbx } = await startPbx({ doorCode: "", hangup: "wait" });
    const phone = pbx.phone!;
    const c = await client();
    await registerDoor(c, pbx);
    const d = await callPhone(c, pbx);
    const ok = (await c.response("INVITE", 200, 3000)).msg;
    c.send(inDialog(c, "ACK", d, ok, 2), pbx.port);
    await phone.waitFor("answered", { timeoutMs: 3000 });
    // A re-INVITE-free INFO from the door is answered too.
    c.send(inDialog(c, "INFO", d, ok, 3), pbx.port);
    expect((await c.response("INFO")).msg.status).toBe(200);
    await new Promise((r) => setTimeout(r, 150)); // the phone waits: no BYE of its own
    expect(c.queue.some((r) => r.msg.method === "BYE")).toBe(false);
    c.send(inDialog(c, "BYE", d, ok, 4), pbx.port);
    const r = (await c.response("BYE")).msg;
    expect(r.status).toBe(200);
    expect(r.all("Via")).toHaveLength(1);
    expect(await phone.waitFor("ended")).toMatchObject({ reason: "remote-bye", direction: "incoming" });
    // A BYE for a dialog that is gone: 481.
    c.send(inDialog(c, "BYE", d, ok, 5), pbx.port);
    expect((await c.response("BYE")).msg.status).toBe(481);
  });

  it("CANCEL while ringing: forwarded to the phone, 200 for the CANCEL, 487 for the INVITE", async () => {
    const { pbx } = await startPbx({ incoming: "ring" });
    const phone = pbx.phone!;
    const c = await client();
    const d = await callPhone(c, pbx);
    await c.response("INVITE", 180);
    const cancel = SipMsg.request("CANCEL", d.invite.uri);
    cancel.add("Via", d.invite.get("Via")!).add("Max-Forwards", "70").add("From", d.invite.get("From")!)
      .add("To", d.invite.get("To")!).add("Call-ID", d.callId).add("CSeq", "2 CANCEL");
    c.send(cancel, pbx.port);
    expect((await c.response("CANCEL")).msg.status).toBe(200);
    const r487 = (await c.response("INVITE", 487)).msg;
    c.send(ackFor(d.invite, r487), pbx.port);
    expect(await phone.waitFor("ended")).toMatchObject({ reason: "cancelled", status: 487 });
    // The ACK of the 487 was forwarded to the phone, which absorbed it quietly.
    await until(() => pbx.server.stats.forwardedRequests >= 3, "INVITE, CANCEL and ACK forwarded");
    expect(phone.history.some((h) => h.type === "warning")).toBe(false);
  });

  it("a retransmitted INVITE is not forwarded twice: the PBX repeats its last response", async () => {
    const { pbx } = await startPbx({ incoming: "ring" });
    const c = await client();
    const d = await callPhone(c, pbx);
    await c.response("INVITE", 180);
    const before = pbx.server.stats.forwardedRequests;
    c.send(d.invite, pbx.port);
    const again = (await c.response("INVITE", 180)).msg;
    expect(again.callId).toBe(d.callId);
    expect(pbx.server.stats.forwardedRequests).toBe(before);
  });

  it("unknown user 404, known but not registered 480, wrong INVITE credentials 403, busy phone 486", async () => {
    const { pbx } = await startPbx({ users: { door: "doorpass", "100": "deskpass", "200": "twohundred" } });
    const c = await client();
    await callPhone(c, pbx, "999");
    expect((await c.response("INVITE", 404)).msg.reason).toBe("Not Found");
    await callPhone(c, pbx, "200");
    expect((await c.response("INVITE", 480)).msg.reason).toBe("Temporarily Unavailable");

    const callId = `${hex(8)}@door`;
    const first = invite(c, pbx, { cseq: 1, callId, fromTag: "x1" });
    const r407 = (await c.response("INVITE", 407)).msg;
    invite(c, pbx, { cseq: 2, callId, fromTag: "x1", auth: credentials(r407.get("Proxy-Authenticate")!, "door", "nope", "INVITE", first.uri) });
    expect((await c.response("INVITE", 403)).msg.reason).toBe("Forbidden");

    pbx.phone!.behaviour.incoming = "busy";
    const b = await callPhone(c, pbx);
    const busy = (await c.response("INVITE", 486)).msg;
    c.send(ackFor(b.invite, busy), pbx.port);
    expect(await pbx.phone!.waitFor("ended", { match: (e) => e.callId === b.callId })).toMatchObject({ reason: "busy", status: 486 });
  });

  it("phone.call('door') reaches the registered door: 407 answered, INVITE with Record-Route, ACK, INFO and BYE through the PBX", async () => {
    const { pbx } = await startPbx();
    const phone = pbx.phone!;
    const c = await client();
    await registerDoor(c, pbx);
    const result = phone.call("door", { code: "5#", holdMs: 50 });

    const inv = await c.request("INVITE", 3000);
    const m = inv.msg;
    expect(inv.port).toBe(pbx.port);
    expect(m.uri).toBe(`sip:door@${c.hostPort}`);
    expect(m.get("To")).toBe(`<sip:door@${pbx.domain}>`);
    expect(m.get("Record-Route")).toBe(`<sip:127.0.0.1:${pbx.port};lr>`);
    expect(m.get("Max-Forwards")).toBe("69");
    expect(m.get("Proxy-Authorization")).toMatch(/^Digest username="100"/);
    const vias = m.all("Via");
    expect(vias).toHaveLength(2);
    expect(branchOk(vias[0]!)).toBe(true);
    expect(vias[1]).toContain(`${phone.endpoint};`);
    expect(vias[1]).toContain(`;rport=${phone.port};received=127.0.0.1`);
    const sdp = m.bodyText();
    expect(sdp).toContain(`m=audio ${phone.rtpPort} RTP/AVP 0 8 101`);
    expect(sdp).toContain("a=rtpmap:101 telephone-event/8000");

    const toTag = hex(4);
    c.send(answer(m, 180, "Ringing", toTag, [["Record-Route", m.get("Record-Route")!], ["Contact", `<sip:door@${c.hostPort}>`]]), inv.port);
    await phone.waitFor("ringing", { match: (e) => e.direction === "outgoing" });
    c.send(answer(m, 200, "OK", toTag, [["Record-Route", m.get("Record-Route")!], ["Contact", `<sip:door@${c.hostPort}>`]], { type: "application/sdp", text: DOOR_SDP }), inv.port);

    const ack = (await c.request("ACK")).msg;
    expect(ack.uri).toBe(`sip:door@${c.hostPort}`);
    expect(ack.cseq).toEqual({ seq: m.cseq.seq, method: "ACK" });
    expect(tagOf(ack.get("To"))).toBe(toTag);
    expect(ack.all("Via")).toHaveLength(2);
    for (const digit of ["5", "#"]) {
      const info = (await c.request("INFO")).msg;
      expect(info.bodyText()).toBe(`Signal=${digit}\r\nDuration=160\r\n`);
      c.send(answer(info, 200, "OK", ""), pbx.port);
    }
    const bye = (await c.request("BYE", 3000)).msg;
    expect(bye.cseq.seq).toBeGreaterThan(m.cseq.seq);
    c.send(answer(bye, 200, "OK", ""), pbx.port);
    expect(await result).toEqual({ callId: m.callId, direction: "outgoing", reason: "local-bye", status: 200 });
    const types = phone.history.map((h) => h.type);
    expect(types.slice(1)).toEqual(["ringing", "answered", "dtmf", "dtmf", "ended"]);
  });

  it("phone.call to a door that is not registered ends 480; hangup() while ringing sends CANCEL", async () => {
    const { pbx } = await startPbx();
    const phone = pbx.phone!;
    expect(await phone.call("door")).toMatchObject({ reason: "rejected", status: 480 });

    const c = await client();
    await registerDoor(c, pbx);
    const result = phone.call("door");
    const inv = await c.request("INVITE", 3000);
    c.send(answer(inv.msg, 180, "Ringing", "t1"), inv.port);
    await phone.waitFor("ringing", { match: (e) => e.direction === "outgoing" });
    phone.hangup();
    const cancel = await c.request("CANCEL");
    expect(cancel.msg.get("Via")).toBe(inv.msg.get("Via")); // same branch, hop by hop
    c.send(answer(cancel.msg, 200, "OK", "t1"), inv.port);
    c.send(answer(inv.msg, 487, "Request Terminated", "t1"), inv.port);
    const ack = (await c.request("ACK")).msg;
    expect(ack.get("Via")).toBe(inv.msg.get("Via"));
    expect(await result).toMatchObject({ reason: "cancelled", status: 487 });
  });

  it("the phone retransmits its 200 until the ACK (T1 doubling), and without one sends BYE and ends 'no-ack'", async () => {
    const { pbx } = await startPbx({ t1Ms: 20, doorCode: "" });
    const phone = pbx.phone!;
    const c = await client();
    const d = await callPhone(c, pbx);
    const ok = await c.response("INVITE", 200, 3000);
    const first = Date.now();
    const again = await c.response("INVITE", 200, 1000);
    expect(Buffer.from(again.raw).equals(Buffer.from(ok.raw))).toBe(true);
    await c.response("INVITE", 200, 1000);
    expect(Date.now() - first).toBeGreaterThanOrEqual(40); // 20 ms, then 40 ms
    const bye = await c.request("BYE", 3000);
    expect(bye.msg.callId).toBe(d.callId);
    c.send(answer(bye.msg, 200, "OK", ""), bye.port);
    expect(await phone.waitFor("ended")).toMatchObject({ reason: "no-ack" });
    expect(phone.history.some((h) => h.type === "answered")).toBe(false);
  });

  it("the phone retransmits an INVITE on Timer A until a response, and ACKs a failure", async () => {
    const { TapHub } = await import("../hosts/node/pbx/tap");
    const { DeskPhone } = await import("../hosts/node/pbx/phone");
    const silent = await client(); // a PBX that answers late
    const phone = await DeskPhone.create({ hub: new TapHub(undefined, () => {}), pbx: { address: "127.0.0.1", port: silent.port }, domain: "example.test", password: "x", t1Ms: 20 });
    cleanups.push(() => phone.stop());
    const result = phone.call("door");
    const a = await silent.request("INVITE");
    const t0 = Date.now();
    await silent.request("INVITE");
    await silent.request("INVITE");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30); // 20 ms, then 40 ms
    expect(a.msg.uri).toBe("sip:door@example.test");
    silent.send(answer(a.msg, 100, "Trying", ""), a.port);
    await new Promise((r) => setTimeout(r, 200));
    silent.queue.splice(0).forEach((r) => expect(r.msg.method).toBe("INVITE")); // those sent before the 100 arrived
    await new Promise((r) => setTimeout(r, 150));
    expect(silent.queue).toEqual([]); // none after the 100
    silent.send(answer(a.msg, 486, "Busy Here", "b1"), a.port);
    const ack = (await silent.request("ACK")).msg;
    expect(ack.get("Via")).toBe(a.msg.get("Via"));
    expect(tagOf(ack.get("To"))).toBe("b1");
    expect(await result).toMatchObject({ reason: "busy", status: 486 });
  });

  it("a named domain: the door's account uses it, calls to sip:door@<domain> are routed", async () => {
    const { pbx } = await startPbx({ domain: "doorsip.test", users: [{ user: "door", password: "d00r" }, { user: "100", password: "desk" }] });
    expect(pbx.door).toMatchObject({ domain: "doorsip.test", target: "sip:100@doorsip.test", password: "d00r", serverHost: "127.0.0.1" });
    expect(pbx.server.lookup("100")).toHaveLength(1);
    const c = await client();
    await registerDoor(c, pbx, "door", "d00r");
    const result = pbx.phone!.call("door", { code: "", holdMs: 10 });
    const inv = (await c.request("INVITE")).msg;
    expect(inv.get("To")).toBe("<sip:door@doorsip.test>");
    c.send(answer(inv, 603, "Decline", "z"), pbx.port);
    expect(await result).toMatchObject({ reason: "rejected", status: 603 });
    await c.request("ACK"); // the ACK of the 603 came through the PBX
  });

  it("the door's own core Registration (NodeUdp, TransactionLayer, NodeClock) registers 401 -> 200, keepalive OPTIONS answered, unregisters", async () => {
    const { pbx, events } = await startPbx();
    const clock = new NodeClock();
    const log = new MemoryLog();
    const timers = new TimerQueue(clock, log);
    clock.attach(timers);
    const random = new NodeRandom();
    const noServer: ServerTransactionUser = { onRequest: () => {}, onAck: () => {}, onCancel: () => {}, onServerTimeout: () => {} };
    const layer = new TransactionLayer({ queue: timers, random, user: noServer, log });
    const udp = await NodeUdp.bind({ receiver: layer, address: "127.0.0.1", port: 0 });
    layer.attach(udp);
    const states: RegState[] = [];
    const reg = new Registration({
      account: pbx.door.account, layer, timers, random, hash: new NodeHash(), log,
      listener: { onRegistrationState: (s) => states.push(s) },
    });
    const ka = new Keepalive({ account: pbx.door.account, layer, timers, random, log, listener: reg, intervalSeconds: 1 });
    cleanups.push(async () => {
      ka.stop();
      clock.close();
      await udp.close();
    });
    const from = events.length;
    reg.start();
    await until(() => reg.state === RegState.Registered, "Registered");
    expect(pbx.server.lookup("door")).toEqual([{ contact: `sip:door@127.0.0.1:${udp.localPort}`, expires: 3600, source: `127.0.0.1:${udp.localPort}` }]);
    const doorTraffic = events.slice(from).map((e) => `${label(e, pbx)} ${new TextDecoder().decode(e.bytes).split("\r\n")[0]}`);
    expect(doorTraffic).toEqual([
      "door>pbx REGISTER sip:127.0.0.1 SIP/2.0",
      "pbx>door SIP/2.0 401 Unauthorized",
      "door>pbx REGISTER sip:127.0.0.1 SIP/2.0",
      "pbx>door SIP/2.0 200 OK",
    ]);
    expect(reg.granted).toBe(3600);

    ka.start();
    await until(() => ka.answered >= 1, "an OPTIONS keepalive answered", 4000);
    expect(ka.misses).toBe(0);

    ka.stop();
    reg.stop();
    await until(() => reg.state === RegState.Unregistered, "Unregistered");
    expect(pbx.server.lookup("door")).toEqual([]);
    expect(states).toContain(RegState.Registered);
    expect(layer.counters.userErrors).toBe(0);
    expect(log.errors).toEqual([]);
  });

  it("a throwing tap does not break the PBX", async () => {
    const pbx = await LoopbackPbx.start({ ...FAST, tap: () => { throw new Error("tap bug"); } });
    cleanups.push(() => pbx.stop());
    expect(pbx.phone!.registered).toBe(true);
  });
});

describe("loopback PBX: shutdown", () => {
  it("stop() in the middle of a call closes every socket and timer (in process)", async () => {
    const count = (kind: string): number => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    // dgram reports "close" a tick before libuv has released the handle: let earlier tests' sockets go.
    await new Promise((r) => setTimeout(r, 20));
    const sockets = count("UDPWrap");
    const timeouts = count("Timeout");
    const pbx = await LoopbackPbx.start({ ...FAST, answerMs: 10_000 });
    const c = await PbxClient.open();
    expect(count("UDPWrap")).toBe(sockets + 4); // PBX, phone SIP, phone RTP, client
    await callPhone(c, pbx);
    await c.response("INVITE", 180);
    expect(count("Timeout")).toBeGreaterThan(timeouts);
    await pbx.stop();
    await c.close();
    await until(() => count("UDPWrap") === sockets, "every socket released", 1000);
    expect(count("Timeout")).toBeLessThanOrEqual(timeouts);
    expect(pbx.phone!.history.at(-1)).toMatchObject({ type: "ended", reason: "stopped" });
    await pbx.stop(); // twice is fine
  });

  it("a process that starts the PBX, calls, and stops exits by itself", async () => {
    const esbuild = await import("esbuild");
    const dir = mkdtempSync(join(tmpdir(), "doorsip-pbx-exit-"));
    try {
      const out = join(dir, "script.mjs");
      await esbuild.build({
        entryPoints: [join(ROOT, "test", "support", "pbx-exit-script.ts")],
        bundle: true, platform: "node", format: "esm", target: "node20", outfile: out, logLevel: "error",
      });
      writeFileSync(join(dir, "package.json"), "{\"type\":\"module\"}");
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string; killed: boolean }>((resolve) => {
        const child = spawn(process.execPath, [out], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        let killed = false;
        const timer = setTimeout(() => {
          killed = true;
          child.kill("SIGKILL");
        }, 15_000);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr, killed });
        });
      });
      expect(run.killed, `the process did not exit by itself:\n${run.stdout}\n${run.stderr}`).toBe(false);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("registered door");
      expect(run.stdout).toContain("phone ringing");
      expect(run.stdout).toContain("stopped");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function branchOk(via: string): boolean {
  const b = param(parseVia(via)!.params, "branch");
  return typeof b === "string" && /^z9hG4bK[0-9a-f]{20}$/.test(b);
}
