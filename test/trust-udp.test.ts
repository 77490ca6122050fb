/*
 * Trusted sources on real UDP (127.0.0.1): the intercom (NodeIntercom)
 * registered at the built-in loopback PBX. A second socket that is not the
 * PBX sends INVITEs: they get "403 Forbidden - Untrusted Source" (or, with
 * untrusted=drop, nothing), take no server transaction, and are counted;
 * meanwhile the door stays registered, keeps alive, and still takes the
 * calls its server sends, and its doorbell call still opens the door.
 */
import { afterEach, describe, expect, it } from "vitest";
import { IntercomEvent } from "../src/app/intercom";
import type { CallOptions } from "../src/ua/call/config";
import { UntrustedAction, type TrustSettings } from "../src/ua/trust/trust-settings";
import { LoopbackPbx, type PacketEvent } from "../hosts/node/pbx/index";
import { summarize } from "../hosts/node/ladder";
import { NodeIntercom } from "../hosts/node/runtime";
import { DOOR_SDP, hex, PbxClient } from "./support/pbx-client";
import { until } from "./support/wait";

const CODE = "2468#";
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Setup {
  pbx: LoopbackPbx;
  door: NodeIntercom;
  events: IntercomEvent[];
  packets: PacketEvent[];
  stranger: PbxClient;
}

async function setup(trust?: TrustSettings, calls?: CallOptions): Promise<Setup> {
  const packets: PacketEvent[] = [];
  const pbx = await LoopbackPbx.start({ answerMs: 80, dtmfDelayMs: 30, dtmfGapMs: 5, hangupMs: 200, callHoldMs: 200, doorCode: CODE, tap: (ev) => packets.push(ev) });
  cleanups.push(() => pbx.stop());
  const events: IntercomEvent[] = [];
  const door = await NodeIntercom.create({
    settings: { account: pbx.door.account, targets: [pbx.door.extension], doorCode: CODE, doorOpenMs: 100, keepaliveSeconds: 1, trust, calls },
    onEvent: (e) => events.push(e),
  });
  cleanups.push(() => door.stop(1000));
  door.start();
  await until(() => events.includes(IntercomEvent.Registered), "registration");
  const stranger = await PbxClient.open();
  cleanups.push(() => stranger.close());
  return { pbx, door, events, packets, stranger };
}

function invite(c: PbxClient, doorPort: number, callId = `${hex(8)}@stranger`, via = c.via()): string {
  const body = DOOR_SDP;
  return [
    `INVITE sip:door@127.0.0.1:${doorPort} SIP/2.0`,
    `Via: ${via}`,
    "Max-Forwards: 70",
    `From: <sip:ghost@${c.hostPort}>;tag=${hex(4)}`,
    `To: <sip:door@127.0.0.1:${doorPort}>`,
    `Call-ID: ${callId}`,
    "CSeq: 1 INVITE",
    `Contact: <sip:ghost@${c.hostPort}>`,
    "Content-Type: application/sdp",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "",
    body,
  ].join("\r\n");
}

/** `toTag`: as if inside a dialog (then it reaches the user agent even with untrusted=drop, and gets 481). */
function options(c: PbxClient, doorPort: number, toTag = ""): string {
  return [
    `OPTIONS sip:door@127.0.0.1:${doorPort} SIP/2.0`,
    `Via: ${c.via()}`,
    "Max-Forwards: 70",
    `From: <sip:ghost@${c.hostPort}>;tag=${hex(4)}`,
    `To: <sip:door@127.0.0.1:${doorPort}>${toTag !== "" ? `;tag=${toTag}` : ""}`,
    `Call-ID: ${hex(8)}@stranger`,
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
}

describe("trusted sources on real UDP", () => {
  it("an INVITE from a socket that is not the server gets 403, takes no slot, is counted; the door stays registered and still takes its server's calls", async () => {
    const { pbx, door, events, packets, stranger } = await setup();
    const ic = door.intercom;
    stranger.send(invite(stranger, door.localPort), door.localPort);
    const r = await stranger.response("INVITE", 403);
    expect(r.msg.reason).toBe("Forbidden - Untrusted Source");
    expect(r.port).toBe(door.localPort);
    expect(ic.trust.counters.rejected).toBe(1);
    expect(ic.layer.serverCount).toBe(0);
    expect(events).not.toContain(IntercomEvent.Incoming);

    // Ghost calls in bursts of 25 (paced so that no socket buffer overflows): every one answered 403, none kept.
    const burst = 300;
    const answered = (): number => stranger.all.filter((m) => m.msg.status === 403).length;
    for (let sent = 0; sent < burst; sent += 25) {
      for (let i = 0; i < 25; i++) stranger.send(invite(stranger, door.localPort), door.localPort);
      await until(() => answered() === sent + 26, "403 to every INVITE of the burst");
      expect(ic.layer.serverCount).toBe(0);
    }
    expect(ic.trust.counters.rejected).toBe(burst + 1);
    expect(ic.layer.serverCount).toBe(0);
    expect(ic.ua.activeCalls).toBe(0);

    // Still registered, still keeping alive, and the server's call (the desk phone through the PBX) is answered.
    expect(ic.registered).toBe(true);
    const p0 = packets.length;
    await until(() => packets.slice(p0).some((p) => summarize(p.bytes).label.startsWith("OPTIONS") && p.to === pbx.door.server), "a keepalive after the burst");
    const e0 = events.length;
    const result = await pbx.phone!.call(`sip:door@${pbx.domain}`, { code: CODE, holdMs: 300 });
    expect(result.reason).toBe("local-bye");
    expect(events.slice(e0)).toEqual(expect.arrayContaining([IntercomEvent.Incoming, IntercomEvent.CallUp, IntercomEvent.DoorOpened, IntercomEvent.CallDown]));
    expect(ic.trust.counters.rejected).toBe(burst + 1);
  }, 30_000);

  it("untrusted=drop: the INVITE, an OPTIONS probe and one with a made-up To tag get nothing, counted as dropped", async () => {
    const { door, stranger } = await setup({ untrusted: UntrustedAction.Drop });
    const ic = door.intercom;
    stranger.send(invite(stranger, door.localPort), door.localPort);
    stranger.send(options(stranger, door.localPort), door.localPort);
    // A To tag that names no live dialog: a 481 would tell the stranger a SIP device is here.
    stranger.send(options(stranger, door.localPort, "nosuchdialog"), door.localPort);
    await until(() => ic.trust.counters.dropped >= 3, "the door to drop all three");
    // A barrier: a datagram the stranger sends itself on loopback arrives after anything the door sent it before.
    stranger.send(options(stranger, stranger.port), stranger.port);
    await until(() => stranger.all.some((m) => m.msg.isRequest), "the stranger's own datagram");
    expect(stranger.all.filter((m) => !m.msg.isRequest).map((m) => `${m.msg.status} ${m.msg.cseq.method}`)).toEqual([]);
    expect(ic.trust.counters).toMatchObject({ dropped: 3, rejected: 0 });
    expect(ic.layer.serverCount).toBe(0);
    expect(ic.ua.activeCalls).toBe(0);
  }, 30_000);

  it("untrusted=drop: a CANCEL of a ringing call from another socket than its INVITE (a proxy farm) ends the call; a CANCEL of nothing gets nothing", async () => {
    const proxy = await PbxClient.open();
    const farm = await PbxClient.open();
    cleanups.push(() => proxy.close(), () => farm.close());
    // The door rings 10 s before it answers; only the proxy's socket is trusted.
    const { door, events } = await setup({ untrusted: UntrustedAction.Drop, allow: [`127.0.0.1:${proxy.port}`] }, { autoAnswerMs: 10_000 });
    const ic = door.intercom;
    const via = proxy.via();
    const callId = `${hex(8)}@proxy`;
    const inv = invite(proxy, door.localPort, callId, via);
    proxy.send(inv, door.localPort);
    await proxy.response("INVITE", 180);
    expect(events).toContain(IntercomEvent.Incoming);
    // §9.1: the CANCEL has the INVITE's Request-URI, Call-ID, To, From, CSeq number and top Via; here from another socket.
    const head = inv.split("\r\n");
    const cancel = [
      head[0]!.replace("INVITE", "CANCEL"), `Via: ${via}`, "Max-Forwards: 70", head.find((l) => l.startsWith("From:"))!,
      head.find((l) => l.startsWith("To:"))!, `Call-ID: ${callId}`, "CSeq: 1 CANCEL", "Content-Length: 0", "", "",
    ].join("\r\n");
    farm.send(cancel, door.localPort);
    // rport: the CANCEL's answer goes where the CANCEL came from, the INVITE's 487 where the INVITE came from.
    await farm.response("CANCEL", 200);
    await proxy.response("INVITE", 487);
    await until(() => ic.ua.activeCalls === 0, "the call to end");
    expect(events).not.toContain(IntercomEvent.CallUp);
    expect(ic.trust.counters.dropped).toBe(0);
    // A CANCEL of no INVITE the door holds, from the untrusted socket: dropped (a 481 would tell it a SIP device is here).
    farm.send(cancel.replace(via, farm.via()), door.localPort);
    await until(() => ic.trust.counters.dropped === 1, "the stray CANCEL to be dropped");
    farm.send(options(farm, farm.port), farm.port);
    await until(() => farm.all.some((m) => m.msg.isRequest), "the stranger's own datagram");
    expect(farm.all.filter((m) => !m.msg.isRequest).map((m) => `${m.msg.status} ${m.msg.cseq.method}`)).toEqual(["200 CANCEL"]);
  }, 30_000);

  it("an allowlisted socket may call the door", async () => {
    const stranger = await PbxClient.open();
    cleanups.push(() => stranger.close());
    const { door, events } = await setup({ allow: [`127.0.0.1:${stranger.port}`] });
    stranger.send(invite(stranger, door.localPort), door.localPort);
    await stranger.response("INVITE", 200);
    expect(events).toContain(IntercomEvent.Incoming);
    expect(door.intercom.trust.counters.rejected).toBe(0);
    door.hangupAll();
  }, 30_000);
});
