/*
 * The SIPp scenarios of test/interop/sipp/, run by the real SIPp (Debian's
 * sip-tester) so that their syntax and flows are known good before the
 * intercom's calls are wired to them:
 * - the UAC scenarios against a small scripted UA on a socket of ours (it
 *   answers the way the door station will: 100/180/200 with G.711 SDP,
 *   CANCEL -> 200 + 487, BYE/INFO/OPTIONS -> 200, unknown method -> 501
 *   with Allow, junk dropped or answered 400/505), which records what SIPp
 *   sent so that the scenario's messages are checked too;
 * - uas-answer.xml against a scripted caller, both endings (caller's BYE,
 *   and SIPp's own BYE after its 4 s);
 * - against kamailio: uac-options (kamailio answers OPTIONS itself), and a
 *   whole authenticated call through the proxy: uac-register puts a SIPp
 *   port in the location table, uas-answer answers there, uac-invite-auth
 *   calls it (407 -> credentials -> routed with Record-Route -> BYE).
 * A scenario that fails prints SIPp's message trace (see usePeers).
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  bodyOf, firstLine, headerValue, headerValues, requirePeers, runSipp, sippMessages, startKamailio, startSipp, statusOf,
  until, usePeers, USERS, type Kamailio, type SippResult,
} from "./support/peers";

usePeers();
const sippCheck = requirePeers("sipp");
const kamCheck = requirePeers("sipp", "kamailio", "kamcmd");

const SDP_ANSWER =
  "v=0\r\no=door 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
  "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";
const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY";

interface Received {
  text: string;
  port: number;
}

/** A SIP UDP endpoint on 127.0.0.1 that records what it receives. */
class Endpoint {
  readonly received: Received[] = [];
  port = 0;
  protected readonly socket: Socket = createSocket("udp4");

  async bind(): Promise<this> {
    this.socket.on("message", (data, rinfo) => {
      const text = data.toString("latin1");
      this.received.push({ text, port: rinfo.port });
      this.onMessage(text, rinfo.port);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, "127.0.0.1", () => resolve()));
    this.port = this.socket.address().port;
    return this;
  }

  protected onMessage(_text: string, _port: number): void {}

  send(text: string, port: number): void {
    this.socket.send(Buffer.from(text, "latin1"), port, "127.0.0.1");
  }

  /** Requests received, as "METHOD" list in order. */
  methods(): string[] {
    return this.received.filter((r) => statusOf(r.text) === 0).map((r) => firstLine(r.text).split(" ")[0]!);
  }

  request(method: string, nth = 0): string {
    const all = this.received.filter((r) => firstLine(r.text).startsWith(method + " "));
    const r = all[nth];
    if (r === undefined) throw new Error(`no ${method} #${nth} received; got: ${this.methods().join(", ")}`);
    return r.text;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** A response to `req` (§8.2.6): Vias, From, To (+ tag), Call-ID, CSeq copied. */
function response(req: string, status: number, reason: string, toTag: string, extra: string[] = [], body = "", contentType = "application/sdp"): string {
  const to = headerValue(req, "To", "t")!;
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    ...headerValues(req, "Via", "v").map((v) => `Via: ${v}`),
    `From: ${headerValue(req, "From", "f")}`,
    `To: ${status > 100 && !/;tag=/i.test(to) ? `${to};tag=${toTag}` : to}`,
    `Call-ID: ${headerValue(req, "Call-ID", "i")}`,
    `CSeq: ${headerValue(req, "CSeq")}`,
    ...extra,
    ...(body !== "" ? [`Content-Type: ${contentType}`] : []),
    `Content-Length: ${Buffer.byteLength(body, "latin1")}`,
  ];
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

function branchOf(text: string): string {
  return /;branch=([^;,\s]+)/.exec(headerValue(text, "Via", "v") ?? "")?.[1] ?? "";
}

function tagOf(value: string | undefined): string {
  return /;tag=([^;\s]+)/.exec(value ?? "")?.[1] ?? "";
}

interface UasBehaviour {
  /** "answer": 100, 180, 200; "ring": 100, 180 and wait for CANCEL. */
  invite: "answer" | "ring";
  /** Which comes first after a CANCEL: its 200 or the INVITE's 487. */
  cancelOrder: "200-first" | "487-first";
  /** The Allow header of answers (OPTIONS 200, 501). */
  allow: string;
}

/**
 * Stands in for the door station: answers like a UA core (RFC 3261 §8.2,
 * §9.2, §13.3, §15.1.2, §11), drops what it cannot parse.
 */
class ScriptedUas extends Endpoint {
  readonly tag = "doortag1";
  readonly behaviour: UasBehaviour;
  /** Datagrams dropped as unparseable, and answered 400/505. */
  dropped = 0;
  rejected: number[] = [];
  private pendingInvite: string | null = null;

  constructor(behaviour: Partial<UasBehaviour> = {}) {
    super();
    this.behaviour = { invite: "answer", cancelOrder: "200-first", allow: ALLOW, ...behaviour };
  }

  get contact(): string {
    return `<sip:door@127.0.0.1:${this.port}>`;
  }

  protected override onMessage(text: string, port: number): void {
    const head = firstLine(text);
    const m = /^([A-Z]+) (sip:\S+) SIP\/(\d\.\d)$/.exec(head);
    if (m === null) {
      this.dropped++;
      return;
    }
    const method = m[1]!;
    const cseq = headerValue(text, "CSeq");
    if (headerValues(text, "Via", "v").length === 0 || cseq === undefined || headerValue(text, "Call-ID", "i") === undefined ||
      headerValue(text, "From", "f") === undefined || headerValue(text, "To", "t") === undefined) {
      this.dropped++; // nothing reliable to answer to
      return;
    }
    const reject = (status: number, reason: string): void => {
      this.rejected.push(status);
      if (method !== "ACK") this.send(response(text, status, reason, this.tag), port);
    };
    if (m[3] !== "2.0") return reject(505, "Version Not Supported");
    const declared = Number(headerValue(text, "Content-Length", "l") ?? "0");
    if (Buffer.byteLength(bodyOf(text), "latin1") < declared) return reject(400, "Bad Request (Content-Length)");
    if (cseq.split(/\s+/)[1] !== method) return reject(400, "Bad Request (CSeq method)");
    switch (method) {
      case "INVITE": {
        const reinvite = tagOf(headerValue(text, "To", "t")) !== "";
        if (reinvite) {
          this.send(response(text, 200, "OK", this.tag, [`Contact: ${this.contact}`], SDP_ANSWER), port);
          return;
        }
        this.send(response(text, 100, "Trying", this.tag), port);
        this.send(response(text, 180, "Ringing", this.tag, [`Contact: ${this.contact}`]), port);
        if (this.behaviour.invite === "answer") {
          this.send(response(text, 200, "OK", this.tag, [`Contact: ${this.contact}`, `Allow: ${this.behaviour.allow}`], SDP_ANSWER), port);
        } else {
          this.pendingInvite = text;
        }
        return;
      }
      case "CANCEL": {
        const invite = this.pendingInvite;
        const ok = response(text, 200, "OK", this.tag);
        if (invite === null || branchOf(invite) !== branchOf(text)) {
          this.send(response(text, 481, "Call/Transaction Does Not Exist", this.tag), port);
          return;
        }
        this.pendingInvite = null;
        const terminated = response(invite, 487, "Request Terminated", this.tag);
        if (this.behaviour.cancelOrder === "200-first") {
          this.send(ok, port);
          this.send(terminated, port);
        } else {
          this.send(terminated, port);
          setTimeout(() => this.send(ok, port), 20);
        }
        return;
      }
      case "ACK":
        return;
      case "BYE":
      case "INFO":
        this.send(response(text, 200, "OK", this.tag), port);
        return;
      case "OPTIONS":
        this.send(response(text, 200, "OK", this.tag, [`Allow: ${this.behaviour.allow}`, "Accept: application/sdp"]), port);
        return;
      default:
        this.send(response(text, 501, "Not Implemented", this.tag, [`Allow: ${this.behaviour.allow}`]), port);
    }
  }
}

const endpoints: Endpoint[] = [];
async function endpoint<T extends Endpoint>(e: T): Promise<T> {
  endpoints.push(e);
  return e.bind();
}

afterEach(async () => {
  for (const e of endpoints.splice(0)) await e.close();
});

function expectOk(r: SippResult): void {
  if (!r.ok) throw new Error(`SIPp failed (exit ${r.code ?? r.signal})\n--- errors ---\n${r.errors}\n--- output ---\n${r.output.slice(-4000)}`);
}

async function uac(scenario: string, uas: ScriptedUas, extra: Partial<Parameters<typeof runSipp>[0]> = {}): Promise<SippResult> {
  return runSipp({ scenario, remote: `127.0.0.1:${uas.port}`, service: "door", timeoutS: 10, pauseMs: 100, ...extra });
}

describe.skipIf(sippCheck.skip)("interop: SIPp UAC scenarios against a scripted door", () => {
  it("uac-invite-bye.xml: INVITE, 100, 180, 200 (G.711), ACK, BYE, 200", async () => {
    const uas = await endpoint(new ScriptedUas());
    const r = await uac("uac-invite-bye.xml", uas);
    expectOk(r);
    expect(uas.methods()).toEqual(["INVITE", "ACK", "BYE"]);
    const invite = uas.request("INVITE");
    expect(firstLine(invite)).toBe(`INVITE sip:door@127.0.0.1:${uas.port} SIP/2.0`);
    expect(headerValue(invite, "Content-Type")).toBe("application/sdp");
    expect(bodyOf(invite)).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101\r$/m);
    expect(bodyOf(invite)).toContain("a=rtpmap:8 PCMA/8000");
    const ack = uas.request("ACK");
    expect(firstLine(ack)).toBe(`ACK sip:door@127.0.0.1:${uas.port} SIP/2.0`); // the 200's Contact
    expect(tagOf(headerValue(ack, "To"))).toBe(uas.tag);
    expect(branchOf(ack)).not.toBe(branchOf(invite)); // ACK for 2xx: a new transaction (§17.1.1.3)
    const bye = uas.request("BYE");
    expect(headerValue(bye, "CSeq")).toBe("2 BYE");
    expect(tagOf(headerValue(bye, "To"))).toBe(uas.tag);
    expect(headerValue(bye, "Call-ID")).toBe(headerValue(invite, "Call-ID"));
  });

  it("uac-invite-bye.xml fails when the answer has no G.711", async () => {
    const uas = await endpoint(new ScriptedUas());
    // Same UAS, but its SDP offers only a dynamic codec: the scenario's check must bite.
    const original = SDP_ANSWER;
    const patched = original.replace("RTP/AVP 0 101", "RTP/AVP 96 101").replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2");
    (uas as unknown as { onMessage: (t: string, p: number) => void }).onMessage = function (this: ScriptedUas, text: string, port: number) {
      if (firstLine(text).startsWith("INVITE ")) {
        this.send(response(text, 200, "OK", this.tag, [`Contact: ${this.contact}`], patched), port);
        return;
      }
      if (firstLine(text).startsWith("BYE ")) this.send(response(text, 200, "OK", this.tag), port);
    };
    const r = await uac("uac-invite-bye.xml", uas);
    expect(r.ok).toBe(false);
    expect(r.errors).toMatch(/regexp/i);
  });

  for (const order of ["200-first", "487-first"] as const) {
    it(`uac-invite-cancel.xml: INVITE, 180, CANCEL, 200 + 487 (${order}), ACK`, async () => {
      const uas = await endpoint(new ScriptedUas({ invite: "ring", cancelOrder: order }));
      const r = await uac("uac-invite-cancel.xml", uas);
      expectOk(r);
      expect(uas.methods()).toEqual(["INVITE", "CANCEL", "ACK"]);
      const invite = uas.request("INVITE");
      const cancel = uas.request("CANCEL");
      const ack = uas.request("ACK");
      // §9.1: same Request-URI, Call-ID, From, To (no tag), CSeq number and branch as the INVITE.
      expect(firstLine(cancel)).toBe(`CANCEL sip:door@127.0.0.1:${uas.port} SIP/2.0`);
      expect(branchOf(cancel)).toBe(branchOf(invite));
      expect(headerValue(cancel, "CSeq")).toBe("1 CANCEL");
      expect(headerValue(cancel, "To")).toBe(headerValue(invite, "To"));
      expect(headerValue(cancel, "From")).toBe(headerValue(invite, "From"));
      // §17.1.1.3: the ACK for the 487 is in the INVITE's transaction, with the 487's To tag.
      expect(branchOf(ack)).toBe(branchOf(invite));
      expect(headerValue(ack, "CSeq")).toBe("1 ACK");
      expect(tagOf(headerValue(ack, "To"))).toBe(uas.tag);
    });
  }

  it("uac-options.xml: 200 with an Allow that lists the door's methods", async () => {
    const uas = await endpoint(new ScriptedUas());
    expectOk(await uac("uac-options.xml", uas));
    expect(firstLine(uas.request("OPTIONS"))).toBe(`OPTIONS sip:127.0.0.1:${uas.port} SIP/2.0`);
  });

  it("uac-options.xml fails when Allow lacks INFO", async () => {
    const uas = await endpoint(new ScriptedUas({ allow: "INVITE, ACK, CANCEL, BYE, OPTIONS" }));
    const r = await uac("uac-options.xml", uas);
    expect(r.ok).toBe(false);
    expect(r.errors).toContain("INFO");
  });

  it("uac-unknown-method.xml: FOO gets 501 with Allow", async () => {
    const uas = await endpoint(new ScriptedUas());
    expectOk(await uac("uac-unknown-method.xml", uas));
    expect(uas.methods()).toEqual(["FOO"]);
  });

  it("uac-malformed.xml: five junk datagrams, then OPTIONS answered", async () => {
    const uas = await endpoint(new ScriptedUas());
    expectOk(await uac("uac-malformed.xml", uas));
    expect(uas.received.length).toBe(6);
    expect(uas.dropped).toBe(3); // not SIP; no Call-ID/CSeq; "SIP/2.1 200 OK"
    expect(uas.rejected).toEqual([400, 505]); // short body; SIP/7.0
    expect(firstLine(uas.received[5]!.text)).toBe(`OPTIONS sip:127.0.0.1:${uas.port} SIP/2.0`);
  });

  it("uac-reinvite.xml: call, re-INVITE (new SDP version, sendonly), 200, ACK, BYE", async () => {
    const uas = await endpoint(new ScriptedUas());
    expectOk(await uac("uac-reinvite.xml", uas));
    expect(uas.methods()).toEqual(["INVITE", "ACK", "INVITE", "ACK", "BYE"]);
    const re = uas.request("INVITE", 1);
    expect(firstLine(re)).toBe(`INVITE sip:door@127.0.0.1:${uas.port} SIP/2.0`);
    expect(headerValue(re, "CSeq")).toBe("2 INVITE");
    expect(tagOf(headerValue(re, "To"))).toBe(uas.tag);
    expect(bodyOf(re)).toMatch(/^o=sipp 53655765 2 IN IP4 127\.0\.0\.1\r$/m);
    expect(bodyOf(re)).toContain("a=sendonly");
    expect(headerValue(uas.request("ACK", 1), "CSeq")).toBe("2 ACK");
    expect(headerValue(uas.request("BYE"), "CSeq")).toBe("3 BYE");
  });

  it("uac-info-dtmf.xml: call, INFO application/dtmf-relay Signal=#, BYE", async () => {
    const uas = await endpoint(new ScriptedUas());
    expectOk(await uac("uac-info-dtmf.xml", uas));
    expect(uas.methods()).toEqual(["INVITE", "ACK", "INFO", "BYE"]);
    const info = uas.request("INFO");
    expect(headerValue(info, "Content-Type")).toBe("application/dtmf-relay");
    expect(headerValue(info, "CSeq")).toBe("2 INFO");
    expect(tagOf(headerValue(info, "To"))).toBe(uas.tag);
    expect(bodyOf(info)).toBe("Signal=#\r\nDuration=160\r\n");
    expect(Number(headerValue(info, "Content-Length"))).toBe(Buffer.byteLength(bodyOf(info)));
  });
});

/** A caller for uas-answer.xml. */
class ScriptedUac extends Endpoint {
  readonly tag = "callertag1";
  readonly callId = `scripted-${process.pid}-${Date.now()}@127.0.0.1`;
  inviteText = "";

  invite(port: number): void {
    const sdp =
      "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
      "m=audio 40002 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
    this.inviteText = [
      `INVITE sip:100@127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-inv-${this.port};rport`,
      "Max-Forwards: 70",
      `From: <sip:door@doorsip.test>;tag=${this.tag}`,
      "To: <sip:100@doorsip.test>",
      `Call-ID: ${this.callId}`,
      "CSeq: 1 INVITE",
      `Contact: <sip:door@127.0.0.1:${this.port}>`,
      "Content-Type: application/sdp",
      `Content-Length: ${sdp.length}`,
      "",
      sdp,
    ].join("\r\n");
    this.send(this.inviteText, port);
  }

  inDialog(method: "ACK" | "BYE", cseq: number, ok: string, port: number): void {
    this.send([
      `${method} sip:100@127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-${method.toLowerCase()}-${this.port};rport`,
      "Max-Forwards: 70",
      `From: <sip:door@doorsip.test>;tag=${this.tag}`,
      `To: ${headerValue(ok, "To")}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"), port);
  }

  responses(): string[] {
    return this.received.filter((r) => statusOf(r.text) > 0).map((r) => r.text);
  }
}

describe.skipIf(sippCheck.skip)("interop: SIPp UAS scenario against a scripted caller", () => {
  it("uas-answer.xml: 100, 180, 200 with G.711; the caller hangs up", async () => {
    const sipp = await startSipp({ scenario: "uas-answer.xml", service: "100", timeoutS: 10 });
    const caller = await endpoint(new ScriptedUac());
    caller.invite(sipp.port);
    await until(() => caller.responses().some((t) => statusOf(t) === 200), "200 from SIPp", 5000);
    expect(caller.responses().map(statusOf)).toEqual([100, 180, 200]);
    const ok = caller.responses()[2]!;
    expect(headerValue(ok, "Content-Type")).toBe("application/sdp");
    expect(bodyOf(ok)).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101\r$/m);
    expect(tagOf(headerValue(ok, "To"))).not.toBe("");
    expect(headerValue(ok, "Contact")).toBe(`<sip:100@127.0.0.1:${sipp.port}>`);
    caller.inDialog("ACK", 1, ok, sipp.port);
    caller.inDialog("BYE", 2, ok, sipp.port);
    const r = await sipp.done(8000);
    expectOk(r);
    const byeOk = caller.responses().find((t) => headerValue(t, "CSeq") === "2 BYE");
    expect(byeOk && statusOf(byeOk)).toBe(200);
  });

  it("uas-answer.xml: no BYE from the caller -> SIPp sends BYE after 4 s", async () => {
    const sipp = await startSipp({ scenario: "uas-answer.xml", service: "100", timeoutS: 12 });
    const caller = await endpoint(new ScriptedUac());
    caller.invite(sipp.port);
    await until(() => caller.responses().some((t) => statusOf(t) === 200), "200 from SIPp", 5000);
    const ok = caller.responses().find((t) => statusOf(t) === 200)!;
    caller.inDialog("ACK", 1, ok, sipp.port);
    await until(() => caller.received.some((r) => firstLine(r.text).startsWith("BYE ")), "BYE from SIPp", 8000, 20);
    const bye = caller.request("BYE");
    // §12.2.1.1: to our Contact, in the dialog: From = its To (with its tag), To = our From (with our tag).
    expect(firstLine(bye)).toBe(`BYE sip:door@127.0.0.1:${caller.port} SIP/2.0`);
    expect(headerValue(bye, "Call-ID")).toBe(caller.callId);
    expect(headerValue(bye, "From")).toBe(headerValue(ok, "To"));
    expect(headerValue(bye, "To")).toBe(`<sip:door@doorsip.test>;tag=${caller.tag}`);
    expect(headerValue(bye, "CSeq")).toBe("1 BYE");
    caller.send(response(bye, 200, "OK", caller.tag), sipp.port);
    expectOk(await sipp.done(8000));
  });
});

describe.skipIf(kamCheck.skip)("interop: SIPp through kamailio", () => {
  let kam: Kamailio;

  beforeAll(async () => {
    kam = await startKamailio();
  });

  it("uac-options.xml against kamailio itself: 200 with Allow", async () => {
    expectOk(await runSipp({ scenario: "uac-options.xml", remote: `127.0.0.1:${kam.port}`, timeoutS: 10 }));
  });

  /** uac-register.xml from the port a UAS will then use: user 100's binding points at it. */
  async function registerUasPort(): Promise<number> {
    // A binding left by an earlier test (60 s) would get the INVITE forked to a dead port.
    await kam.kamcmd("ul.rm", "location", `s:${USERS.desk.user}`);
    expect(await kam.contacts(USERS.desk.user)).toEqual([]);
    const reg = await runSipp({
      scenario: "uac-register.xml", remote: `127.0.0.1:${kam.port}`, service: USERS.desk.user,
      authUser: USERS.desk.user, authPassword: USERS.desk.password, timeoutS: 10,
    });
    expectOk(reg);
    expect(sippMessages(reg.messages).filter((m) => m.dir === "received").map((m) => statusOf(m.text))).toEqual([401, 200]);
    const port = Number((/Contact: <sip:100@127\.0\.0\.1:(\d+)>/.exec(reg.messages) ?? [])[1]);
    expect(await kam.contacts(USERS.desk.user)).toEqual([`sip:100@127.0.0.1:${port}`]);
    return port;
  }

  it("uac-register + uas-answer + uac-invite-auth: an authenticated call routed by kamailio", async () => {
    const uasPort = await registerUasPort();
    const uas = await startSipp({ scenario: "uas-answer.xml", service: USERS.desk.user, port: uasPort, timeoutS: 12 });
    const call = await runSipp({
      scenario: "uac-invite-auth.xml", remote: `127.0.0.1:${kam.port}`, service: USERS.desk.user,
      authUser: USERS.sipp.user, authPassword: USERS.sipp.password, pauseMs: 200, timeoutS: 10,
    });
    expectOk(call);
    const uasResult = await uas.done(8000);
    expectOk(uasResult);

    // The caller: 407, then 200 with kamailio's Record-Route; ACK and BYE follow the route set.
    const seen = sippMessages(call.messages);
    const statuses = seen.filter((m) => m.dir === "received").map((m) => statusOf(m.text));
    expect(statuses).toContain(407);
    expect(statuses.at(-1)).toBe(200);
    const sent = seen.filter((m) => m.dir === "sent");
    const authInvite = sent.filter((m) => firstLine(m.text).startsWith("INVITE "))[1]!;
    expect(headerValue(authInvite.text, "Proxy-Authorization")).toMatch(/^Digest .*username="sipp"/);
    const bye = sent.find((m) => firstLine(m.text).startsWith("BYE "))!;
    expect(firstLine(bye.text)).toBe(`BYE sip:100@127.0.0.1:${uasPort} SIP/2.0`);
    expect(headerValue(bye.text, "Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));
    // The callee saw the INVITE with kamailio's Record-Route and the BYE relayed by it.
    const atUas = sippMessages(uasResult.messages).filter((m) => m.dir === "received");
    expect(atUas.map((m) => firstLine(m.text).split(" ")[0])).toEqual(["INVITE", "ACK", "BYE"]);
    expect(headerValue(atUas[0]!.text, "Record-Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));
  });

  it("uac-invite-bye.xml through kamailio from a foreign domain (no auth) to a registered uas-answer", async () => {
    const uasPort = await registerUasPort();
    const uas = await startSipp({ scenario: "uas-answer.xml", service: USERS.desk.user, port: uasPort, timeoutS: 12 });
    const call = await runSipp({ scenario: "uac-invite-bye.xml", remote: `127.0.0.1:${kam.port}`, service: USERS.desk.user, timeoutS: 10 });
    expectOk(call);
    expectOk(await uas.done(8000));
    const statuses = sippMessages(call.messages).filter((m) => m.dir === "received").map((m) => statusOf(m.text));
    expect(statuses).not.toContain(407);
    const bye = sippMessages(call.messages).find((m) => m.dir === "sent" && firstLine(m.text).startsWith("BYE "))!;
    expect(headerValue(bye.text, "Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));
  });
});
