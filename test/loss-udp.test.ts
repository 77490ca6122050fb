/*
 * Loss, duplication and reordering between the door and its PBX (issue #10):
 * the whole Intercom on the virtual clock, its real UDP socket on 127.0.0.1
 * behind LossyUdp (test/support/lossy-udp.ts: drop / duplicate / reorder in
 * both directions, seeded), and the built-in loopback PBX (hosts/node/pbx:
 * registrar with digest auth, record-routing proxy, desk phone 100) on real
 * sockets and real time.
 *
 * The door's timers run on the virtual clock, pumped in small steps with a
 * short real wait between them so that the PBX and the phone (their own
 * RFC 3261 retransmissions on real time) can answer. Every wait is bounded
 * in virtual and in real time.
 *
 * Shown:
 * - 30% loss both ways, several seeds: registration (401 challenge, then
 *   200), a call from the phone to the door (door code as INFO, the door
 *   opens, BYE) and a doorbell call (407 challenge, the phone answers, types
 *   the code, hangs up) all complete through retransmissions (RFC 3261
 *   §17.1.1.2 Timer A, §17.1.2.2 Timer E, §13.3.1.4 the 2xx resent until the
 *   ACK, §17.2.1/§17.2.2 retransmitted requests answered again; a
 *   doorbell INVITE none of whose four copies in 8*T1 got an answer
 *   through is given up, "no response", and the doorbell pressed again);
 * - every datagram 2-3 times, and reordered: nothing is done twice
 *   (§17.2.3 retransmissions absorbed by their server transaction, §12.2.2
 *   in-dialog CSeq): one registration, one call each way, one door opening
 *   each, the code's digits once each.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Intercom, IntercomEvent, intercomEventName, type IntercomSettings } from "../src/app/intercom";
import type { LogLevel } from "../src/host";
import { NodeHash } from "../hosts/node/hash";
import { NodeUdp } from "../hosts/node/udp";
import { LoopbackPbx, type CallResult, type PacketEvent } from "../hosts/node/pbx/index";
import { PinsRecorder } from "./support/call-harness";
import { LossyUdp, type LossyOptions } from "./support/lossy-udp";
import { SeededRandom } from "./support/seeded-random";
import { VirtualClock } from "./support/virtual-clock";

/** The door code, typed by the desk phone as one INFO per digit: a digit handled twice makes it wrong. */
const CODE = "12#";
/** Virtual ms per pump step, and the real wait between steps (the door runs a few times faster than real time). */
const STEP_MS = 10;
const REAL_WAIT_MS = 2;

interface DoorEvent {
  name: string;
  detail: string;
  at: number;
}

interface Rig {
  pbx: LoopbackPbx;
  clock: VirtualClock;
  lossy: LossyUdp;
  udp: NodeUdp;
  intercom: Intercom;
  pins: PinsRecorder;
  events: DoorEvent[];
  errors: string[];
  log: string[];
  /** Datagrams the PBX exchanged with the door (tap of the PBX's socket). */
  wire: PacketEvent[];
  /** PBX registrations of the door. */
  doorRegistrations: number;
}

const open: Rig[] = [];

afterEach(async () => {
  for (const r of open.splice(0)) {
    r.intercom.stop();
    r.lossy.flush();
    await r.udp.close();
    await r.pbx.stop();
  }
});

async function rig(loss: LossyOptions, settings: Partial<IntercomSettings> = {}): Promise<Rig> {
  const wire: PacketEvent[] = [];
  let doorEndpoint = "";
  const pbx = await LoopbackPbx.start({
    // The phone's own timers (real time): T1 100 ms, so its transactions last 6.4 s; T2 400 ms, so that
    // within them it retransmits at least as often as an RFC 3261 UA does in 32 s (11 times).
    t1Ms: 100, t2Ms: 400, answerMs: 40, dtmfDelayMs: 30, dtmfGapMs: 10, hangupMs: 150, callHoldMs: 150, doorCode: CODE,
    tap: (ev) => {
      if (ev.from === doorEndpoint || ev.to === doorEndpoint) wire.push(ev);
    },
  });
  const clock = new VirtualClock(0);
  const lossy = new LossyUdp(loss);
  const udp = await NodeUdp.bind({ receiver: lossy, address: "127.0.0.1", port: 0 });
  lossy.inner = udp;
  doorEndpoint = `127.0.0.1:${udp.localPort}`;
  const pins = new PinsRecorder();
  const errors: string[] = [];
  const log: string[] = [];
  const intercom = new Intercom(
    {
      clock, random: new SeededRandom(loss.seed), hash: new NodeHash(), pins, udp: lossy,
      log: { log: (level: LogLevel, text: string) => {
        log.push(`+${clock.now()} ${text}`);
        if (level === 0) errors.push(text);
      } },
    },
    {
      account: pbx.door.account,
      targets: [pbx.door.target],
      doorCode: CODE,
      doorOpenMs: 1000,
      keepaliveSeconds: 5,
      ...settings,
    },
  );
  lossy.target = intercom.receiver;
  clock.attach(intercom.timers);
  const events: DoorEvent[] = [];
  intercom.listener = {
    onIntercomEvent: (e: IntercomEvent, _call, detail: string) => void events.push({ name: intercomEventName(e), detail, at: clock.now() }),
  };
  const r: Rig = { pbx, clock, lossy, udp, intercom, pins, events, errors, log, wire, doorRegistrations: 0 };
  pbx.server.on("registered", (e) => {
    if (e.user === "door") r.doorRegistrations++;
  });
  open.push(r);
  return r;
}

function describeRig(r: Rig): string {
  const ic = r.intercom;
  return `events: ${r.events.map((e) => `+${e.at} ${e.name}${e.detail !== "" ? ` (${e.detail})` : ""}`).join(", ")}\n` +
    `phone: ${r.pbx.phone!.history.map((h) => h.type).join(", ")}\n` +
    `lossy: ${r.lossy.summary()}\n` +
    `tables: server ${ic.layer.serverCount}, client ${ic.layer.clientCount}, calls ${ic.ua.activeCalls}\n` +
    `door log (last 30):\n${r.log.slice(-30).join("\n")}`;
}

/** Advance the door's clock step by step, letting real time pass for the peers, until cond holds (bounded both ways). */
async function pump(r: Rig, cond: () => boolean, what: string, o: { virtualMs?: number; realMs?: number; stepMs?: number } = {}): Promise<void> {
  const virtualEnd = r.clock.now() + (o.virtualMs ?? 120_000);
  const realEnd = Date.now() + (o.realMs ?? 30_000);
  const step = o.stepMs ?? STEP_MS;
  while (!cond()) {
    if (r.clock.now() >= virtualEnd || Date.now() > realEnd) throw new Error(`timed out waiting for ${what}\n${describeRig(r)}`);
    r.clock.advance(step);
    r.lossy.tick();
    await new Promise((resolve) => setTimeout(resolve, REAL_WAIT_MS));
  }
}

function count(r: Rig, name: string, from = 0): number {
  return r.events.slice(from).filter((e) => e.name === name).length;
}

function names(r: Rig, from = 0): string[] {
  return r.events.slice(from).map((e) => e.name);
}

/** Start lines of what crossed the door's link at the PBX ("REGISTER", "401 REGISTER", ...). */
function ladder(r: Rig): string[] {
  return r.wire.map((ev) => {
    const text = Buffer.from(ev.bytes).toString("latin1");
    const first = text.slice(0, text.indexOf("\r\n"));
    const m = /^SIP\/2\.0 (\d{3})/.exec(first);
    const cseq = /\r\nCSeq:\s*\d+\s+(\S+)/i.exec(text)?.[1] ?? "";
    return m !== null ? `${m[1]} ${cseq}` : first.split(" ")[0]!;
  });
}

async function registration(r: Rig): Promise<void> {
  r.intercom.start();
  await pump(r, () => r.intercom.registered, "the door to register");
  const steps = ladder(r);
  // §22.2: challenged, then registered with credentials (whatever was lost on the way).
  expect(steps).toContain("401 REGISTER");
  expect(steps).toContain("200 REGISTER");
  expect(steps.indexOf("401 REGISTER")).toBeLessThan(steps.indexOf("200 REGISTER"));
  expect(r.pbx.server.lookup("door").map((b) => b.contact)).toEqual([`sip:door@127.0.0.1:${r.udp.localPort}`]);
}

/** The desk phone calls the door, types the code, hangs up; returns the phone's result. */
async function inboundCall(r: Rig): Promise<CallResult> {
  const from = r.events.length;
  let result: CallResult | undefined;
  void r.pbx.phone!.call("door").then((res) => (result = res));
  await pump(r, () => result !== undefined && r.intercom.ua.activeCalls === 0 && count(r, "call down", from) > 0, "the call from the phone to end");
  // The relay pulse (doorOpenMs, virtual) ends.
  await pump(r, () => !r.pins.relay, "the relay pulse to end");
  return result!;
}

/** The door gave the doorbell call pressed at event `from` up: no response at all to its INVITE (src/ua/call/call.ts NO_RESPONSE_T1). */
function gaveUp(r: Rig, from: number): boolean {
  return r.events.slice(from).some((e) => e.name === "call down" && e.detail.startsWith("no response"));
}

/**
 * The doorbell calls the phone, which answers, types the code, hangs up;
 * returns where that press's events begin. At 30% loss each way all four
 * copies of an INVITE the door sends in 8*T1, or every answer to them, may
 * be lost (about 7% of INVITEs: the PBX answers each copy once): the door
 * then gives the call up ("no response") rather than ring for Timer B's
 * 32 s, and the visitor presses again, at most twice more.
 */
async function doorbellCall(r: Rig): Promise<number> {
  for (let press = 1; ; press++) {
    const from = r.events.length;
    const phoneFrom = r.pbx.phone!.history.length;
    r.intercom.press();
    await pump(r, () => count(r, "hunt over", from) > 0 && r.intercom.ua.activeCalls === 0 &&
      (gaveUp(r, from) || r.pbx.phone!.history.slice(phoneFrom).some((h) => h.type === "ended")), "the doorbell call to end");
    if (gaveUp(r, from) && press < 3) {
      // 8*T1 after the press: long past the button's guard time (src/app/doorbell.ts), so the next press counts.
      console.info(`[loss] doorbell press ${press}: no response to the INVITE, given up; pressing again`);
      continue;
    }
    await pump(r, () => !r.pins.relay, "the relay pulse to end");
    return from;
  }
}

/** After the calls: every transaction ends by its own timers (Timers J, L, K... on the virtual clock). */
async function drain(r: Rig): Promise<void> {
  r.intercom.keepalive.stop();
  await pump(r, () => r.intercom.layer.serverCount === 0 && r.intercom.layer.clientCount === 0 && r.intercom.ua.activeCalls === 0,
    "the tables to drain", { stepMs: 250, virtualMs: 120_000 });
}

const LOSS_SEEDS = [1, 2, 3];

describe("30% loss in both directions: everything completes through retransmissions", () => {
  it.each(LOSS_SEEDS)("seed %i: registration (401), a call to the door, a doorbell call", async (seed) => {
    const r = await rig({ seed, loss: 0.3 });
    await registration(r);

    const inbound = await inboundCall(r);
    expect(inbound.reason, describeRig(r)).toBe("local-bye");
    const dtmf = r.pbx.phone!.history.filter((h) => h.type === "dtmf");
    expect(dtmf.map((h) => (h.type === "dtmf" ? `${h.digit} ${h.status}` : ""))).toEqual(["1 200", "2 200", "# 200"]);
    expect(names(r).filter((n) => n !== "server alive" && n !== "dtmf"), describeRig(r)).toEqual(["registered", "incoming call", "call up", "door opened", "call down"]);

    const mark = await doorbellCall(r);
    const after = names(r, mark).filter((n) => n !== "server alive" && n !== "dtmf" && n !== "ringing");
    expect(after).toEqual(["button pressed", "call up", "door opened", "call down", "hunt over"]);
    // The PBX challenged the doorbell's INVITE (407) and the door answered it.
    expect(ladder(r)).toContain("407 INVITE");
    expect(r.pins.relayChanges).toEqual([true, false, true, false]);
    // Keepalives (every 5 s virtual) got through the loss too: how many fell in the calls' span depends on how
    // fast the PBX answered in real time, so the door is given up to 60 s more, virtual, for one.
    await pump(r, () => r.intercom.keepalive.answered > 0, "a keepalive to be answered", { virtualMs: 60_000 });

    await drain(r);
    // The shim really lost datagrams both ways, and the door really retransmitted.
    expect(r.lossy.out.stats.dropped).toBeGreaterThan(0);
    expect(r.lossy.in.stats.dropped).toBeGreaterThan(0);
    expect(r.intercom.layer.counters.retransmissions).toBeGreaterThan(0);
    expect(r.intercom.keepalive.answered).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    console.info(`[loss] seed ${seed}: ${r.lossy.summary()}; door retransmissions ${r.intercom.layer.counters.retransmissions}, ` +
      `absorbed ${r.intercom.layer.counters.requestsAbsorbed} requests / ${r.intercom.layer.counters.responsesAbsorbed} responses, ` +
      `virtual ${r.clock.now()} ms`);
  }, 60_000);
});

const DUP_SEEDS = [4, 5];

describe("every datagram 2-3 times, and reordered: nothing is done twice", () => {
  it.each(DUP_SEEDS)("seed %i: one registration, one call each way, one door opening each", async (seed) => {
    const r = await rig({ seed, duplicate: 1, maxCopies: 3, reorder: 0.3, reorderDepth: 2 });
    await registration(r);
    await inboundCall(r);
    await doorbellCall(r);
    await drain(r);

    const ev = names(r).filter((n) => n !== "server alive" && n !== "ringing");
    expect(ev, describeRig(r)).toEqual([
      "registered", "incoming call", "call up", "dtmf", "dtmf", "dtmf", "door opened", "call down",
      "button pressed", "call up", "dtmf", "dtmf", "dtmf", "door opened", "call down", "hunt over",
    ]);
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe(CODE + CODE);
    expect(count(r, "wrong code")).toBe(0);
    expect(r.pins.relayChanges).toEqual([true, false, true, false]);
    expect(r.doorRegistrations).toBe(1);
    // The phone saw one call each way, each answered once.
    const phone = r.pbx.phone!.history;
    expect(phone.filter((h) => h.type === "incoming").length).toBe(1);
    expect(phone.filter((h) => h.type === "answered").length).toBe(2);
    expect(phone.filter((h) => h.type === "ended").length).toBe(2);
    // The duplicates reached the door and its server transactions absorbed them.
    expect(r.lossy.in.stats.duplicated).toBeGreaterThan(0);
    expect(r.lossy.out.stats.duplicated).toBeGreaterThan(0);
    expect(r.lossy.in.stats.reordered + r.lossy.out.stats.reordered).toBeGreaterThan(0);
    expect(r.intercom.layer.counters.requestsAbsorbed).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    console.info(`[loss] duplicates seed ${seed}: ${r.lossy.summary()}; absorbed ${r.intercom.layer.counters.requestsAbsorbed} requests / ` +
      `${r.intercom.layer.counters.responsesAbsorbed} responses`);
  }, 60_000);
});
