/*
 * Linphone (Debian's linphone-cli: liblinphone 5.1, belle-sip,
 * mediastreamer2) as the softphone that answers the door, beside baresip.
 * linphone-daemon runs headless on 127.0.0.1 (startLinphone in
 * support/peers.ts: a linphonerc and HOME in a temp dir, commands on its
 * stdin), registers at kamailio as the desk phone (100), and talks to the
 * door registered at the same kamailio as door: written once for a
 * DoorKind (test/support/interop-scenarios.ts), run against the Node door
 * (NodeIntercom, test/interop-linphone.test.ts) and the XS door (the same
 * core inside XS, test/interop-xs-peers.test.ts). The call's RTP figures
 * (packets, RFC 4733 digits, latching) are the core's media slots, read
 * through DoorRuntime.mediaStats() (inside XS, the worker's status).
 *
 * Linphone differs from baresip where a door can trip: its offer lists
 * opus, speex and G.729 before G.711, with a session-level a=rtcp-xr and
 * a=rtcp-fb lines; its DTMF is RFC 4733 by default or SIP INFO
 * (application/dtmf-relay); it holds a call with a re-INVITE whose SDP is
 * sendonly, and its registered Contact carries ;transport=udp. With its
 * defaults it registers a +sip.instance and asks for a GRUU (RFC 5627), so
 * its Contact in calls is the GRUU kamailio granted it,
 * sip:100@doorsip.test;gr=urn:uuid:..., not its address: the door must keep
 * that URI as the remote target as it came (RFC 3261 §12.1.2) and send its
 * ACK and BYE there, and kamailio resolves it to the registered contact
 * (interop/kamailio.cfg, route[GRUU]). Without a sound card
 * it sends no RTP of its own: `incall-player-start` plays a WAV into the
 * call, and the RTP statistics its log prints when a stream stops show what it
 * sent and received.
 *
 * Scenarios: the doorbell calls Linphone (auto-answer), Linphone types the
 * door code (RFC 4733, SIP INFO, both at once), the door opens, confirms (an RFC
 * 4733 "#" that Linphone reports) and hangs up; Linphone calls the door,
 * audio flows both ways, Linphone holds and resumes the call and hangs up.
 * After each call the door's tables drain.
 *
 * With both INFO and RFC 2833 on, Linphone sends every key twice; the door
 * counted both until Call.dtmfCopy (test/interop/README.md, "Linphone"):
 * the "both" scenario checks each key counts once.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeWav } from "../../hosts/node/audio/wav";
import type { SlotMedia } from "../../hosts/node/runtime";
import { IntercomEvent } from "../../src/app/intercom";
import {
  bodyOf, firstLine, headerValue, requirePeers, sleep, startLinphone, tempDir, until, REALM, USERS,
  type DoorBase, type Kamailio, type Linphone, type LinphoneDtmf, type TraceEntry,
} from "./peers";
import { ladder, registeredDoor } from "./interop-calls";
import { useKamailio, type DoorKind } from "./interop-scenarios";

/**
 * Short SIP timers at the door (64*T1 = 3.2 s, as in the 200-call burst), and Timer D as long, so that
 * its tables drain soon after a call: the doorbell's first INVITE, answered 407 by kamailio, waits out
 * Timer D (32 s by default on UDP).
 */
const TIMERS = { t1: 50, t2: 400, t4: 500, d: 3200 };
const CODE = "12#";

/** Linphone registered at kamailio as the desk phone (100); a binding left by an earlier test is removed first. */
async function desk(kam: Kamailio, o: { autoAnswer?: boolean; dtmf?: LinphoneDtmf } = {}): Promise<Linphone> {
  await kam.kamcmd("ul.rm", "location", `s:${USERS.desk.user}`);
  const phone = await startLinphone({ registrarPort: kam.port, user: USERS.desk.user, password: USERS.desk.password, ...o });
  // Its Contact: loopback, its own port; with Linphone's defaults its +sip.instance is stored with it (RFC 5627 §4.1).
  expect(await kam.contacts(USERS.desk.user)).toEqual([`sip:100@127.0.0.1:${phone.port};transport=udp`]);
  expect(await instanceOf(kam)).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  return phone;
}

/** The +sip.instance of the desk phone's binding at kamailio, without its angle brackets ("" when none). */
async function instanceOf(kam: Kamailio): Promise<string> {
  return /^\s*Instance: <([^>]*)>\s*$/m.exec(await kam.kamcmd("ul.lookup", "location", `s:${USERS.desk.user}`))?.[1] ?? "";
}

/** Until no call is up and no transaction is left at the door (bounded): Timers J and L end at 64*T1. */
async function drained(d: DoorBase): Promise<void> {
  const t = await d.waitTables((x) => x.activeCalls === 0 && x.serverCount === 0 && x.clientCount === 0, "the tables to drain", 6000, 50);
  expect(t).toEqual({ activeCalls: 0, serverCount: 0, clientCount: 0, relay: false });
}

/**
 * Linphone types `digits` one by one, each after the door took the previous one (bounded), at a
 * person's pace: the door takes an RFC 4733 digit as the event starts, while Linphone
 * sends the event for about 100 ms and drops a key pressed meanwhile ("MSRtpSend: already sending
 * a dtmf" in its log).
 */
async function typeCode(phone: Linphone, d: DoorBase, digits: string): Promise<void> {
  const dtmf = (): number => d.events.filter((e) => e.event === IntercomEvent.Dtmf).length;
  const before = dtmf();
  for (let i = 0; i < digits.length; i++) {
    if (i > 0) await sleep(250);
    expect((await phone.command(`dtmf ${digits[i]}`)).ok).toBe(true);
    await until(() => dtmf() >= before + i + 1, `the door to take digit ${i + 1} (${digits[i]})`, 3000);
  }
}

/**
 * `entries` without repeats (the same way, start line, Call-ID and CSeq as an earlier one): with T1
 * at 50 ms the door resends its 2xx before Linphone's ACK arrives (about 55 ms through kamailio),
 * and Linphone ACKs each copy (§13.3.1.4, §13.2.2.4).
 */
function firstCopies(entries: TraceEntry[]): TraceEntry[] {
  const key = (e: TraceEntry): string => `${e.dir} ${firstLine(e.text)} ${headerValue(e.text, "Call-ID", "i")} ${headerValue(e.text, "CSeq")}`;
  return entries.filter((e, i) => !entries.slice(0, i).some((x) => key(x) === key(e)));
}

/** The door's INVITE 2xx (sent or received) among `entries`. */
function inviteOk(entries: TraceEntry[], dir: "in" | "out"): TraceEntry {
  const ok = entries.find((e) => e.dir === dir && e.text.startsWith("SIP/2.0 200 ") && / INVITE$/.test(headerValue(e.text, "CSeq") ?? ""));
  if (ok === undefined) throw new Error(`no 200 for INVITE ${dir === "in" ? "received" : "sent"} by the door`);
  return ok;
}

/** Poll the first call slot's RTP session at the door until `cond` holds (bounded: 10 s, room for a loaded 2-core CI with the XS bridge); returns it. */
async function slotUntil(d: DoorBase, cond: (s: SlotMedia) => boolean, what: string, ms = 10_000): Promise<SlotMedia> {
  const end = Date.now() + ms;
  for (;;) {
    const s = (await d.runtime.mediaStats())[0]!;
    if (cond(s)) return s;
    if (Date.now() >= end) throw new Error(`${d.label}: no ${what} within ${ms} ms (call slot 0: ${JSON.stringify(s)})`);
    await sleep(50);
  }
}

/** A 1000 Hz tone as an 8 kHz mono WAV, longer than any call here: what Linphone plays into the call. */
function toneWav(seconds: number): string {
  const s = new Int16Array(8000 * seconds);
  for (let i = 0; i < s.length; i++) s[i] = Math.round(9000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  const path = join(tempDir("linphone-wav"), "tone-1000.wav");
  writeFileSync(path, encodeWav(s));
  return path;
}

/** The Linphone scenarios against one kind of door, as a describe block named with the kind's suite. */
export function linphoneScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const peers = requirePeers("linphone-daemon", "kamailio", "kamcmd");

  /**
   * The door registered at kamailio; the doorbell calls 100; the code opens the door, which hangs up
   * 1.2 s later, after its confirmation (an 800 ms tone, then an RFC 4733 "#" for 200 ms).
   */
  function door(kam: Kamailio, label: string): Promise<D> {
    return registeredDoor(kam, kind.start, `${kind.label} (${label})`, {
      settings: { targets: [USERS.desk.user], doorCode: CODE, doorOpenMs: 500, hangupAfterOpenMs: 1200, timers: TIMERS },
    });
  }

  describe.skipIf(peers.skip)(`${kind.suite}: Linphone and the intercom through kamailio`, () => {
    const kamailio = useKamailio();

    for (const dtmf of ["rfc4733", "info", "both"] as const) {
      const how = dtmf === "info"
        ? "SIP INFO DTMF code opens the door"
        : dtmf === "both"
          ? 'code, each key sent both by SIP INFO and by RFC 4733, is counted once and opens the door, which confirms with an RFC 4733 "#"'
          : 'RFC 4733 DTMF code opens the door, which confirms with an RFC 4733 "#"';
      it(`the doorbell calls Linphone (auto-answer); its ${how} and hangs up; tables drain`, async () => {
        const kam = kamailio();
        const phone = await desk(kam, { autoAnswer: true, dtmf });
        // kamailio's public GRUU for Linphone's binding (RFC 5627 §5.4: the AOR with gr=<its instance>).
        const gruu = `sip:${USERS.desk.user}@${REALM};gr=${await instanceOf(kam)}`;
        const d = await door(kam, `calls Linphone, ${dtmf}`);
        const mark = d.trace.entries.length;
        const from = d.events.length;
        const log = phone.peer.mark();

        d.runtime.press();
        await d.waitEvent(IntercomEvent.CallUp, from, 5000);
        await phone.waitCallState("LinphoneCallStreamsRunning", log, 5000);
        await typeCode(phone, d, CODE);
        await d.waitEvent(IntercomEvent.DoorOpened, from, 3000);
        // hangupAfterOpenMs: the door's BYE, answered by Linphone.
        await d.waitEvent(IntercomEvent.CallDown, from, 5000);
        await phone.waitCallState("LinphoneCallReleased", log, 5000);
        await drained(d);

        const entries = firstCopies(d.trace.entries.slice(mark));
        const info = dtmf !== "rfc4733" ? ["in INFO", "out 200 INFO", "in INFO", "out 200 INFO", "in INFO", "out 200 INFO"] : [];
        expect(ladder(entries).filter((s) => s !== "in 180 INVITE")).toEqual([
          "out INVITE", "in 407 INVITE", "out ACK", "out INVITE", "in 100 INVITE", "in 200 INVITE", "out ACK", ...info, "out BYE", "in 200 BYE",
        ]);
        for (const e of entries) expect(e.port).toBe(kam.port);
        // Linphone's answer: G.711 (PCMU first), telephone-event unless use_rfc2833=0, from loopback;
        // its Contact is its GRUU (RFC 5627 §4.4), not its address.
        const ok = inviteOk(entries, "in");
        const sdp = bodyOf(ok.text);
        expect(sdp).toMatch(/^c=IN IP4 127\.0\.0\.1\r?$/m);
        expect(sdp).toMatch(dtmf !== "info" ? /^m=audio [1-9]\d* RTP\/AVP 0 8 101\r?$/m : /^m=audio [1-9]\d* RTP\/AVP 0 8\r?$/m);
        const target = /^<([^>]*)>/.exec(headerValue(ok.text, "Contact", "m") ?? "")?.[1];
        expect(target).toMatch(/;gr=urn:uuid:/);
        expect(target).toBe(gruu);
        // The door's remote target is that Contact URI as it came, gr parameter and all (RFC 3261 §12.1.2):
        // its ACK and BYE carry it as their Request-URI, through kamailio's Record-Route, which resolves
        // the GRUU to Linphone's registered contact (test/interop/kamailio.cfg, route[GRUU]).
        const cseq = (e: TraceEntry): string => headerValue(e.text, "CSeq") ?? "";
        const ack = entries.find((e) => e.dir === "out" && firstLine(e.text).startsWith("ACK ") && cseq(e).split(" ")[0] === cseq(ok).split(" ")[0])!;
        const bye = entries.find((e) => e.dir === "out" && firstLine(e.text).startsWith("BYE "))!;
        expect(firstLine(ack.text)).toBe(`ACK ${gruu} SIP/2.0`);
        expect(firstLine(bye.text)).toBe(`BYE ${gruu} SIP/2.0`);
        for (const m of [ack, bye]) expect(headerValue(m.text, "Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));

        // The code, digit by digit, and one door opening.
        const events = d.events.slice(from);
        expect(events.filter((e) => e.event === IntercomEvent.Dtmf).map((e) => e.detail)).toEqual([...CODE]);
        expect(events.filter((e) => e.event === IntercomEvent.DoorOpened).length).toBe(1);
        expect(events.some((e) => e.event === IntercomEvent.WrongCode)).toBe(false);
        expect(d.relay.map((r) => r.on)).toEqual([true, false]);
        // RFC 4733 digits reach the door through the call's RTP session; INFO digits do not. With both
        // ways each key came twice, and the call took the second copy for what it is (Call.dtmfCopy).
        expect((await d.runtime.mediaStats())[0]!.digits).toBe(dtmf !== "info" ? CODE.length : 0);
        if (dtmf !== "rfc4733") {
          const infos = entries.filter((e) => e.dir === "in" && firstLine(e.text).startsWith("INFO "));
          expect(infos.map((e) => headerValue(e.text, "Content-Type", "c"))).toEqual(Array(3).fill("application/dtmf-relay"));
          expect(infos.map((e) => /^Signal=(.)/m.exec(bodyOf(e.text))?.[1])).toEqual([...CODE]);
        }
        expect(phone.callStates(log)).toEqual(expect.arrayContaining(["LinphoneCallIncomingReceived", "LinphoneCallConnected", "LinphoneCallEnd"]));
        // The door confirms the opening with an RFC 4733 "#" (800 ms after it, when the call agreed
        // telephone-event): Linphone reports it; without telephone-event (use_rfc2833=0) nothing.
        expect(phone.tones(log)).toEqual(dtmf !== "info" ? ["#"] : []);
        await kind.expectClean(d);

        // On quit Linphone removes its binding.
        expect((await phone.quit()).code).toBe(0);
        expect(await kam.contacts(USERS.desk.user)).toEqual([]);
        // Linphone's side: kamailio gave it that GRUU in its REGISTER 200 (pub-gruu, RFC 5627 §5.2), and
        // the door's ACK and BYE reached it with its registered contact as their Request-URI.
        const linphone = phone.sipMessages();
        const regOk = linphone.find((m) => m.dir === "received" && m.text.startsWith("SIP/2.0 200 ") && / REGISTER$/.test(headerValue(m.text, "CSeq") ?? ""));
        expect(headerValue(regOk?.text ?? "", "Contact", "m")).toContain(`pub-gruu="${gruu}"`);
        const callId = headerValue(ok.text, "Call-ID", "i");
        const got = linphone.filter((m) => m.dir === "received" && headerValue(m.text, "Call-ID", "i") === callId).map((m) => firstLine(m.text));
        const contact = `sip:${USERS.desk.user}@127.0.0.1:${phone.port};transport=udp`;
        // (Once each unless Linphone resent its 200 before the ACK came: then the door ACKs each copy.)
        expect([...new Set(got.filter((l) => /^(ACK|BYE) /.test(l)))]).toEqual([`ACK ${contact} SIP/2.0`, `BYE ${contact} SIP/2.0`]);
        await d.stop();
      });
    }

    it("Linphone calls the door: its opus/speex/G.711 offer gets PCMU, audio flows both ways, it holds (sendonly) and resumes, then hangs up", async () => {
      const kam = kamailio();
      const phone = await desk(kam);
      const d = await door(kam, "called by Linphone");
      const mark = d.trace.entries.length;
      const from = d.events.length;
      const log = phone.peer.mark();

      expect((await phone.command(`call sip:door@${REALM}`)).ok).toBe(true);
      await d.waitEvent(IntercomEvent.CallUp, from, 5000);
      await phone.waitCallState("LinphoneCallStreamsRunning", log, 5000);
      // Linphone's microphone: a WAV file played into the call.
      const wav = toneWav(30);
      expect((await phone.command(`incall-player-start ${wav}`)).ok).toBe(true);
      const slot = await slotUntil(d, (s) => s.received >= 50 && s.sent >= 50, "1 s of RTP each way at the door");
      expect(slot.latched).toBe(true);

      // Hold: a re-INVITE with a=sendonly; the door mirrors it (recvonly). Resume: sendrecv again.
      const held = phone.peer.mark();
      expect((await phone.command("call-pause 1")).ok).toBe(true);
      await phone.waitCallState("LinphoneCallPaused", held, 5000);
      const resumed = phone.peer.mark();
      expect((await phone.command("call-resume 1")).ok).toBe(true);
      await phone.waitCallState("LinphoneCallStreamsRunning", resumed, 5000);
      // The resumed call has new streams: the file is played again.
      expect((await phone.command(`incall-player-start ${wav}`)).ok).toBe(true);
      const afterResume = (await d.runtime.mediaStats())[0]!.received;
      await slotUntil(d, (s) => s.received >= afterResume + 25, "RTP from Linphone after the resume");

      expect((await phone.command("terminate 1")).ok).toBe(true);
      await d.waitEvent(IntercomEvent.CallDown, from, 5000);
      await phone.waitCallState("LinphoneCallReleased", log, 5000);
      await drained(d);

      const entries = firstCopies(d.trace.entries.slice(mark));
      expect(ladder(entries).filter((s) => s !== "out 100 INVITE")).toEqual([
        "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK",
        "in INVITE", "out 200 INVITE", "in ACK",
        "in INVITE", "out 200 INVITE", "in ACK",
        "in BYE", "out 200 BYE",
      ]);
      for (const e of entries) expect(e.port).toBe(kam.port);
      const invites = entries.filter((e) => e.dir === "in" && firstLine(e.text).startsWith("INVITE "));
      const oks = entries.filter((e) => e.dir === "out" && e.text.startsWith("SIP/2.0 200 ") && / INVITE$/.test(headerValue(e.text, "CSeq") ?? ""));
      // Linphone's offer: G.711 after wide-band codecs, telephone-event at three clock rates, its RTCP
      // port apart from RTP+1 (a=rtcp, RFC 3605), RTCP XR and feedback attributes the door does not use.
      const offer = bodyOf(invites[0]!.text);
      expect(offer).toMatch(/^m=audio \d+ RTP\/AVP 96 97 98 0 8 (?:\d+ )*101\r?$/m);
      expect(offer).toMatch(/^a=rtpmap:96 opus\/48000\/2\r?$/m);
      expect(offer).toMatch(/^a=rtpmap:100 telephone-event\/16000\r?$/m);
      expect(offer).toMatch(/^a=rtpmap:101 telephone-event\/8000\r?$/m);
      expect(offer).toMatch(/^a=rtcp:\d+\r?$/m);
      expect(offer).toMatch(/^a=rtcp-xr:/m);
      expect(offer).toMatch(/^a=rtcp-fb:/m);
      // The door's RTCP goes to that port (RFC 3605) from the session's start, before any RTCP of Linphone's
      // could teach it (symmetric RTCP): the media's log line when the session started says where.
      const rtcpPort = /^a=rtcp:(\d+)\r?$/m.exec(offer)![1];
      expect(d.log.filter((l) => / media: call \d+: RTCP to /.test(l))).toEqual([expect.stringMatching(new RegExp(`: RTCP to 127\\.0\\.0\\.1:${rtcpPort} \\(a=rtcp\\)$`))]);
      // The door answers PCMU (the first G.711 in the offer) with the 8 kHz telephone-event, sendrecv.
      expect(bodyOf(oks[0]!.text)).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 101\r?$/m);
      expect(bodyOf(oks[0]!.text)).toMatch(/^a=rtpmap:101 telephone-event\/8000\r?$/m);
      // Hold and resume (RFC 3264 §8.4): sendonly is answered recvonly, then sendrecv again, each a new o= version.
      expect(bodyOf(invites[1]!.text)).toMatch(/^a=sendonly\r?$/m);
      expect(bodyOf(oks[1]!.text)).toMatch(/^a=recvonly\r?$/m);
      expect(bodyOf(invites[2]!.text)).not.toMatch(/^a=(sendonly|inactive)\r?$/m);
      expect(bodyOf(oks[2]!.text)).toMatch(/^a=sendrecv\r?$/m);
      const version = (text: string): number => Number(/^o=\S+ \S+ (\d+) /m.exec(bodyOf(text))?.[1]);
      expect(version(oks[1]!.text)).toBe(version(oks[0]!.text) + 1);
      expect(version(oks[2]!.text)).toBe(version(oks[1]!.text) + 1);
      expect(phone.callStates(log)).toEqual(expect.arrayContaining(["LinphoneCallOutgoingInit", "LinphoneCallConnected", "LinphoneCallPausing", "LinphoneCallPaused", "LinphoneCallResuming", "LinphoneCallEnd"]));
      await kind.expectClean(d);

      // Linphone's side, from its log once it has quit: it was challenged by kamailio (407), then got the door's 200;
      // and it sent and received RTP (oRTP's packet counts, printed when each stream stopped: at least the 0.5 s the
      // door counted after the resume; the door's own counts are checked above).
      expect((await phone.quit()).code).toBe(0);
      const received = phone.sipMessages().filter((m) => m.dir === "received");
      expect(received.map((m) => firstLine(m.text))).toEqual(expect.arrayContaining(["SIP/2.0 407 Proxy Authentication Required"]));
      expect(received.some((m) => m.text.startsWith("SIP/2.0 200 ") && /^doorsip/.test(headerValue(m.text, "Server") ?? ""))).toBe(true);
      const packets = phone.rtpPackets();
      expect(packets.received).toBeGreaterThanOrEqual(25);
      expect(packets.sent).toBeGreaterThanOrEqual(25);
      await d.stop();
    });
  });
}
