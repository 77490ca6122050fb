/*
 * Net::SIP (Debian's libnet-sip-perl 0.835), a SIP stack of its own in Perl
 * (parser, transactions, digest, a registrar and a stateless proxy, RTP and
 * RFC 2833 events), as the door's PBX and as the phones, through
 * test/interop/netsip/peer.pl on 127.0.0.1. Written once for a DoorKind
 * (test/support/interop-scenarios.ts): the Node door in
 * test/interop-netsip.test.ts, the XS door in test/interop-xs-peers.test.ts.
 *
 * Net::SIP's registrar asks every request but ACK and CANCEL for Digest
 * credentials (Net::SIP::Authorize), the door's OPTIONS keepalives too, and
 * grants at most the interval it is set up with; its phones answer with
 * Net::SIP's `recv_echo`, which sends back every RTP packet it gets, the
 * door's own RFC 4733 events included. That echo made the door take its own
 * '#' confirmation for a key, and with a code ending in '#' open again and
 * again; the door now drops a key equal to its own event within 1 s of it
 * (src/media/call-media.ts, ECHO_GUARD_FRAMES), and these scenarios show it
 * with a real peer: the code's keys and nothing else, one opening, and the
 * echo counted (CallMedia.echoes).
 *
 * Every peer ends by itself after its time limit and is stopped by PID
 * (startPeer in test/support/peers.ts).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IntercomEvent } from "../../src/app/intercom";
import {
  binary, firstLine, freeUdpPort, headerValue, requirePeers, startPeer, statusOf, until, INTEROP_DIR, REALM, USERS,
  type DoorBase, type Peer, type TraceEntry,
} from "./peers";
import { ladder } from "./interop-calls";
import type { DoorKind } from "./interop-scenarios";

const PEER = join(INTEROP_DIR, "netsip", "peer.pl");
/** The door code: ends in '#', the key the door confirms with (RFC 4733 event 11). */
const CODE = "42#";
const PHONE = USERS.desk;
/** Short RFC 3261 timers at the door, so that its tables drain within the test (Timers D, J, K, M). */
const TIMERS = { t1: 50, t2: 400, t4: 500, d: 3200 };

/** Net::SIP's registrar and proxy on a port of its own, granting MIN..MAX seconds; ends after `seconds`. */
async function registrar(min: number, max: number, seconds = 60): Promise<{ peer: Peer; port: number }> {
  const port = await freeUdpPort();
  const users = [`${USERS.door.user}:${USERS.door.password}`, `${PHONE.user}:${PHONE.password}`];
  const peer = await startPeer({
    name: "Net::SIP registrar", command: binary("perl"), args: [PEER, "registrar", String(port), REALM, String(seconds), String(min), String(max), ...users],
    ready: /^ready \d+$/m,
  });
  return { peer, port };
}

/** A Net::SIP phone (callee or caller) registered at the registrar as the desk phone. */
async function phone(mode: "callee" | "caller", port: number, rest: string[]): Promise<Peer> {
  const peer = await startPeer({
    name: `Net::SIP ${mode}`, command: binary("perl"), args: [PEER, mode, String(port), REALM, PHONE.user, PHONE.password, ...rest],
  });
  await peer.waitFor(/^registered \d+$/m, { timeoutMs: 5000 });
  return peer;
}

/** The first copy of each message (retransmissions over loopback are rare, but the ladder is about the exchange). */
function firstCopies(entries: TraceEntry[]): TraceEntry[] {
  const key = (e: TraceEntry): string => `${e.dir} ${firstLine(e.text)} ${headerValue(e.text, "Call-ID", "i")} ${headerValue(e.text, "CSeq")}`;
  return entries.filter((e, i) => !entries.slice(0, i).some((x) => key(x) === key(e)));
}

async function drained(d: DoorBase): Promise<void> {
  const t = await d.waitTables((x) => x.activeCalls === 0 && x.serverCount === 0 && x.clientCount === 0, "the tables to drain", 8000, 50);
  expect(t).toEqual({ activeCalls: 0, serverCount: 0, clientCount: 0, relay: false });
}

/** The code's keys, one opening, no wrong code, the relay on then off, and the door's '#' echoed back and dropped. */
async function expectOpenedOnce(d: DoorBase, from: number): Promise<void> {
  const events = d.events.slice(from);
  expect(events.filter((e) => e.event === IntercomEvent.Dtmf).map((e) => e.detail)).toEqual([...CODE]);
  expect(events.filter((e) => e.event === IntercomEvent.DoorOpened).length).toBe(1);
  expect(events.some((e) => e.event === IntercomEvent.WrongCode)).toBe(false);
  expect(d.relay.map((r) => r.on)).toEqual([true, false]);
  expect(await d.runtime.mediaEchoes()).toBeGreaterThanOrEqual(1);
}

export function netsipScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const peers = requirePeers("Net::SIP", "perl");

  describe.skipIf(peers.skip)(`${kind.suite}: Net::SIP as registrar, proxy and phones`, () => {
    it("the door registers with Net::SIP's digest (401, then 200 for the interval it grants), refreshes before the end, and its keepalives challenged 401 still count as the server alive", async () => {
      const reg = await registrar(5, 6);
      const d = await kind.start({
        label: `${kind.label} (Net::SIP registrar)`,
        settings: { register: true, keepaliveSeconds: 1 },
        account: { registrarPort: reg.port, expires: 3600 },
      });
      await d.waitEvent(IntercomEvent.Registered, 0, 5000);
      const regs = (): TraceEntry[] => d.trace.responses("in", "REGISTER");
      // The grant of 6 s is refreshed at its half: at least two refreshes, each answered 200 in the end.
      await until(() => regs().filter((e) => statusOf(e.text) === 200).length >= 3, "two refreshes granted", 12_000, 20);
      const first = d.trace.requests("out", "REGISTER");
      expect(headerValue(first[0]!.text, "Authorization")).toBeUndefined();
      expect(statusOf(regs()[0]!.text)).toBe(401);
      const www = headerValue(regs()[0]!.text, "WWW-Authenticate")!;
      expect(www).toMatch(/^Digest /);
      expect(www).toContain(`realm="${REALM}"`);
      expect(headerValue(first[1]!.text, "Authorization")).toContain('username="door"');
      for (const ok of regs().filter((e) => statusOf(e.text) === 200)) {
        expect(headerValue(ok.text, "Contact")).toMatch(new RegExp(`^<sip:door@127\\.0\\.0\\.1:${d.port}>;expires=[56]$`));
      }
      // Every REGISTER went to the registrar, and each got its answer: 401 (a fresh challenge) or 200.
      expect(regs().every((e) => [200, 401].includes(statusOf(e.text)))).toBe(true);
      for (const e of d.trace.entries) expect(e.port).toBe(reg.port);
      // The keepalive: OPTIONS every second, each answered 401 by Net::SIP's authorizer, the server alive all along.
      await until(() => d.trace.responses("in", "OPTIONS").length >= 3, "three keepalives answered", 5000, 20);
      expect(d.trace.responses("in", "OPTIONS").map((e) => statusOf(e.text))).toEqual(Array(d.trace.responses("in", "OPTIONS").length).fill(401));
      expect(d.events.some((e) => e.event === IntercomEvent.ServerLost || e.event === IntercomEvent.RegistrationFailed)).toBe(false);
      await kind.expectClean(d);
      // Shutdown removes the binding (§10.2.2): Expires 0, challenged and answered like any REGISTER.
      await d.stop();
      expect(headerValue(d.trace.requests("out", "REGISTER").at(-1)!.text, "Expires")).toBe("0");
      expect(statusOf(regs().at(-1)!.text)).toBe(200);
      await reg.peer.stop();
    });

    it("the doorbell calls a Net::SIP phone through its proxy (INVITE challenged, answered); its RFC 2833 code opens the door once, the door's '#' echoed back by the phone is not a key; the door hangs up", async () => {
      const reg = await registrar(5, 120);
      const callee = await phone("callee", reg.port, [CODE, "30"]);
      const d = await kind.start({
        label: `${kind.label} (calls Net::SIP)`,
        settings: { register: true, targets: [PHONE.user], doorCode: CODE, doorOpenMs: 500, hangupAfterOpenMs: 2500, timers: TIMERS },
        account: { registrarPort: reg.port, expires: 120 },
      });
      await d.waitEvent(IntercomEvent.Registered, 0, 5000);
      const mark = d.trace.entries.length;
      const from = d.events.length;
      d.runtime.press();
      await d.waitEvent(IntercomEvent.CallUp, from, 5000);
      await callee.waitFor(/^dtmf sent$/m, { timeoutMs: 8000 });
      await d.waitEvent(IntercomEvent.DoorOpened, from, 3000);
      await d.waitEvent(IntercomEvent.CallDown, from, 6000);
      await callee.waitFor(/^bye received$/m, { timeoutMs: 3000 });
      await callee.waitFor(/^done ok$/m, { timeoutMs: 3000 });
      await drained(d);

      const entries = firstCopies(d.trace.entries.slice(mark)).filter((e) => !/ OPTIONS$/.test(headerValue(e.text, "CSeq") ?? ""));
      expect(ladder(entries).filter((s) => !/^in 1\d\d /.test(s))).toEqual([
        "out INVITE", "in 401 INVITE", "out ACK", "out INVITE", "in 200 INVITE", "out ACK", "out BYE", "in 200 BYE",
      ]);
      const invites = entries.filter((e) => e.dir === "out" && firstLine(e.text).startsWith("INVITE "));
      expect(headerValue(invites[1]!.text, "Authorization")).toContain('username="door"');
      expect(firstLine(invites[0]!.text)).toBe(`INVITE sip:${PHONE.user}@${REALM} SIP/2.0`);
      await expectOpenedOnce(d, from);
      const media = (await d.runtime.mediaStats())[0]!;
      // The RTP session reads every event, the echoed '#' too; the media dropped that one (echoes) before the call saw it.
      expect(media.digits).toBe(CODE.length + (await d.runtime.mediaEchoes()));
      expect(media.received).toBeGreaterThan(0);
      await kind.expectClean(d);
      await callee.stop();
      await reg.peer.stop();
    });

    it("a Net::SIP phone calls the door through the proxy; the door answers, its RFC 2833 code opens the door once, and the phone hangs up", async () => {
      const reg = await registrar(5, 120);
      const d = await kind.start({
        label: `${kind.label} (called by Net::SIP)`,
        settings: { register: true, doorCode: CODE, doorOpenMs: 500, timers: TIMERS },
        account: { registrarPort: reg.port, expires: 120 },
      });
      await d.waitEvent(IntercomEvent.Registered, 0, 5000);
      const mark = d.trace.entries.length;
      const from = d.events.length;
      const caller = await phone("caller", reg.port, [`sip:${USERS.door.user}@${REALM}`, CODE, "30"]);
      await caller.waitFor(/^answered$/m, { timeoutMs: 5000 });
      await caller.waitFor(/^dtmf sent$/m, { timeoutMs: 8000 });
      await d.waitEvent(IntercomEvent.DoorOpened, from, 3000);
      await caller.waitFor(/^bye sent$/m, { timeoutMs: 5000 });
      await d.waitEvent(IntercomEvent.CallDown, from, 5000);
      await caller.waitFor(/^done ok$/m, { timeoutMs: 3000 });
      await drained(d);

      const entries = firstCopies(d.trace.entries.slice(mark)).filter((e) => !/ OPTIONS$/.test(headerValue(e.text, "CSeq") ?? ""));
      expect(ladder(entries).filter((s) => s !== "out 100 INVITE" && s !== "out 180 INVITE")).toEqual([
        "in INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
      ]);
      // Through the proxy: the INVITE came from the registrar's address (trusted), to the door's registered Contact.
      expect(entries[0]!.port).toBe(reg.port);
      expect(firstLine(entries[0]!.text)).toBe(`INVITE sip:${USERS.door.user}@127.0.0.1:${d.port} SIP/2.0`);
      expect((await kind.trust(d)).rejected).toBe(0);
      await expectOpenedOnce(d, from);
      await kind.expectClean(d);
      await caller.stop();
      await reg.peer.stop();
    });
  });
}
