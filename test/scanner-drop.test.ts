/*
 * SIP scanners (src/ua/trust/scanner.ts): requests whose User-Agent is a
 * known scanning tool's are dropped silently, whatever the method and the
 * source (the registrar's address too), and counted. Case does not matter;
 * sipsak and SIPp, tools administrators use, are not on the list. On real
 * UDP, a scanner's OPTIONS gets nothing while the same socket's ordinary
 * OPTIONS right after it is answered.
 */
import { afterEach, describe, expect, it } from "vitest";
import { NodeIntercom } from "../hosts/node/runtime";
import { OFFER, PEER, request, rig } from "./support/call-harness";
import { hex, PbxClient } from "./support/pbx-client";

const SCANNERS = [
  "friendly-scanner", "sipvicious 0.3.4", "SIPVicious", "sipcli/v1.8", "VaxSIPUserAgent/3.1", "pplsip", "Sundayddr Scanning Tool",
  "iWar", "sip-scan", "Nmap NSE",
];

describe("SIP scanners are dropped", () => {
  it.each(SCANNERS)("User-Agent %s: OPTIONS, REGISTER and INVITE from the registrar itself get nothing", (ua) => {
    const r = rig();
    r.deliver(request("OPTIONS", { contact: "", extra: [`User-Agent: ${ua}`] }));
    r.deliver(request("REGISTER", { extra: [`User-Agent: ${ua}`], callId: "reg" }));
    r.deliver(request("INVITE", { body: OFFER, extra: [`User-Agent: ${ua}`], callId: "inv" }));
    expect(r.take()).toEqual([]);
    expect(r.intercom.trust.counters.scanners).toBe(3);
    expect(r.intercom.layer.serverCount).toBe(0);
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("matches without regard to case, anywhere in the value, in any User-Agent header; logs at a limited rate", () => {
    const r = rig();
    r.deliver(request("OPTIONS", { contact: "", extra: ["User-Agent: Mozilla/5.0 (FRIENDLY-SCANNER)"] }));
    r.deliver(request("OPTIONS", { contact: "", callId: "2", extra: ["User-Agent: softphone", "User-Agent: friendly-Scanner"] }));
    expect(r.take()).toEqual([]);
    expect(r.intercom.trust.counters.scanners).toBe(2);
    expect(r.logs).toContain(`trust: dropped OPTIONS sent by ${PEER}:5070 (SIP scanner, User-Agent friendly-scanner)`);
  });

  it("leaves sipsak, SIPp, and look-alikes alone; dropScanners: false turns the check off", () => {
    const r = rig();
    for (const [i, ua] of ["sipsak 0.9.8", "SIPp/Linux", "friendly scanner", "sip scan", "Grandstream GXV3370"].entries()) {
      r.deliver(request("OPTIONS", { contact: "", callId: `ua-${i}`, extra: [`User-Agent: ${ua}`] }));
      expect(r.takeLines(), ua).toEqual(["SIP/2.0 200 OK"]);
    }
    expect(r.intercom.trust.counters.scanners).toBe(0);
    const off = rig({ trust: { dropScanners: false } });
    off.deliver(request("OPTIONS", { contact: "", extra: ["User-Agent: friendly-scanner"] }));
    expect(off.takeLines()).toEqual(["SIP/2.0 200 OK"]);
  });
});

describe("SIP scanners on real UDP", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("svmap's OPTIONS gets nothing; the next ordinary OPTIONS from the same socket is answered", async () => {
    const door = await NodeIntercom.create({
      settings: { account: { registrarHost: "127.0.0.1", registrarPort: 9, user: "door", password: "" }, register: false, keepaliveSeconds: 0 },
    });
    cleanups.push(() => door.stop(500));
    door.start();
    const c = await PbxClient.open();
    cleanups.push(() => c.close());
    const options = (ua: string): string => [
      `OPTIONS sip:100@127.0.0.1:${door.localPort} SIP/2.0`,
      `Via: ${c.via()}`,
      "Max-Forwards: 70",
      `From: "sipvicious"<sip:100@1.1.1.1>;tag=${hex(4)}`,
      `To: "sipvicious"<sip:100@1.1.1.1>`,
      `Call-ID: ${hex(8)}`,
      "CSeq: 1 OPTIONS",
      "Contact: <sip:100@1.1.1.1>",
      `User-Agent: ${ua}`,
      "Accept: application/sdp",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    c.send(options("friendly-scanner"), door.localPort);
    c.send(options("doorsip-test"), door.localPort);
    await c.response("OPTIONS", 200);
    expect(c.all).toHaveLength(1);
    expect(door.intercom.trust.counters.scanners).toBe(1);
  }, 20_000);
});
