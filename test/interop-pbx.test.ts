/*
 * "PBX personalities": the traffic of Asterisk (chan_pjsip), FreeSWITCH
 * (mod_sofia), a FRITZ!Box and 3CX, replayed at the door by the real SIPp
 * (test/support/interop-pbx-scenarios.ts says where each message comes
 * from). For each PBX, against the Node door and the door's core inside XS:
 * - the PBX calls the door (its INVITE, headers and SDP offer), the door
 *   answers with what the PBX needs (G.711 in the offer's order, the
 *   PBX's telephone-event payload type, Contact, Allow with INFO), the door
 *   code comes as the PBX relays it (RFC 4733 events, or SIP INFO), the
 *   door opens, the PBX hangs up (its Reason header) and the call ends;
 * - the PBX's qualify OPTIONS gets 200 with Allow;
 * - the doorbell calls the PBX: its challenge (401 or 407, each worded as
 *   that PBX words it; the door's digest response is recomputed here),
 *   its provisional responses (183 with early media, reliable 183 with
 *   PRACK), its 200 with its Contact, the door code from the PBX's side,
 *   and the door's BYE to that Contact;
 * - what only that PBX does: Asterisk's direct_media and hold re-INVITEs,
 *   connected-line UPDATE (in the call and while the door rings),
 *   unsolicited MWI NOTIFY, Require: timer and a refresh by UPDATE, SHA-256 digests (RFC 8760);
 *   FreeSWITCH's session refresh re-INVITE, its re-INVITE without SDP and
 *   its CANCEL of a ring group's leg; the door's own BYE to a FRITZ!Box
 *   Contact with a uniq= parameter; 3CX's challenge of the door's BYE.
 * The 3CX BYE challenge found a bug (fixed in src/ua/call/call.ts,
 * credentialsProven); the MWI 415 is left as it is (test/interop/README.md,
 * "PBX personalities"). Require: timer, once 420, is now answered with a
 * session timer (RFC 4028, src/ua/call/session-timer.ts).
 * The PBX is the door's registrar (SIPp on the account's registrarPort), so
 * the door trusts it as it trusts its real PBX. Every SIPp and door is
 * stopped by PID (usePeers); a failure prints SIPp's trace and the door's.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { IntercomEvent } from "../src/app/intercom";
import {
  bodyOf, firstLine, freeUdpPort, headerValue, requirePeers, runSipp, startSipp, statusOf, tempDir, usePeers, USERS,
  type DoorBase, type DoorOptions, type SippResult, type TraceEntry,
} from "./support/peers";
import { expectOk, ladder, tagOf } from "./support/interop-calls";
import { NODE_DOOR, type DoorKind } from "./support/interop-scenarios";
import { XS_DOOR } from "./support/interop-xs-door";
import {
  ASTERISK, ASTERISK_SHA256_AND_MD5, ASTERISK_SHA256_ONLY, FREESWITCH, FRITZBOX, mwiNotify, PBXES, pbxAnswersDoorbell, pbxCallsDoor, pbxCancels,
  pbxEarlyUpdate, pbxRequiresTimer, qualify, THREECX,
  type PbxCallOptions, type PbxChallenge, type PbxPersonality,
} from "./support/interop-pbx-scenarios";

usePeers();
const check = requirePeers("sipp");

beforeAll(async () => {
  // The XS worker is built once (about 20 s the first time, then reused), so that the tests time only themselves.
  if (!check.skip) await ensureWorker();
}, 180_000);

/**
 * What crossed the door's socket, compactly, without retransmissions: a datagram identical to an earlier
 * one the same way (the door's 2xx resent until the ACK, SIPp's ACK resent for it) is the same step.
 * Under load, inside XS, an ACK can come after T1.
 */
function steps(entries: TraceEntry[]): string[] {
  return ladder(distinct(entries)).filter((s) => s !== "out 100 INVITE");
}

/** The entries without retransmissions (a datagram identical to an earlier one the same way). */
function distinct(entries: TraceEntry[]): TraceEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const key = `${e.dir} ${e.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const dir = tempDir("pbx-scenarios");
let written = 0;
/** The scenario's XML in a file of its own (SIPp reads files). */
function scenarioFile(name: string, xml: string): string {
  const path = join(dir, `${String(++written).padStart(2, "0")}-${name}.xml`);
  writeFileSync(path, xml, "latin1");
  return path;
}

function hash(algorithm: string, s: string): string {
  return createHash(/^sha-256/i.test(algorithm) ? "sha256" : "md5").update(s, "latin1").digest("hex");
}

function param(header: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[ ,])${name}=(?:"([^"]*)"|([^,\\s]+))`, "i").exec(header);
  return m === null ? undefined : (m[1] ?? m[2]);
}

/**
 * RFC 2617 §3.2.2 (RFC 3261 §22.4): the response the door should have computed for this challenge,
 * recomputed from its own Authorization (cnonce, nc) and the password.
 */
function expectedDigest(auth: string, method: string): string {
  const realm = param(auth, "realm")!;
  const nonce = param(auth, "nonce")!;
  const uri = param(auth, "uri")!;
  const algorithm = param(auth, "algorithm") ?? "MD5";
  const h = (text: string): string => hash(algorithm, text);
  const ha1 = h(`${USERS.door.user}:${realm}:${USERS.door.password}`);
  const ha2 = h(`${method}:${uri}`);
  const qop = param(auth, "qop");
  return qop === undefined ? h(`${ha1}:${nonce}:${ha2}`) : h(`${ha1}:${nonce}:${param(auth, "nc")}:${param(auth, "cnonce")}:${qop}:${ha2}`);
}

/** The door for one PBX: that PBX (SIPp on `pbxPort`) is its registrar; the door code is "#", the doorbell calls the PBX's extension. */
function pbxDoor<D extends DoorBase>(kind: DoorKind<D>, p: PbxPersonality, pbxPort: number, name: string, o: DoorOptions = {}): Promise<D> {
  return kind.start({
    label: `${kind.label} (${p.id}: ${name})`,
    settings: { doorCode: "#", doorOpenMs: 200, targets: [p.extension], ...o.settings },
    account: { registrarPort: pbxPort, ...o.account },
  });
}

/** SIPp as the PBX (UAC) at the door, from the door's registrar port. */
function pbxAt(door: DoorBase, pbxPort: number, file: string): Promise<SippResult> {
  return runSipp({ scenario: file, remote: `127.0.0.1:${door.port}`, service: USERS.door.user, port: pbxPort, timeoutS: 12, pauseMs: 100 });
}

function inviteOk(entries: TraceEntry[], dir: "in" | "out", nth = 0): string {
  // One per INVITE transaction (by CSeq): a 2xx resent until the ACK is not another answer.
  const oks = entries.filter((e, i) => e.dir === dir && statusOf(e.text) === 200 && headerValue(e.text, "CSeq")?.endsWith(" INVITE") === true &&
    !entries.slice(0, i).some((x) => x.dir === dir && statusOf(x.text) === 200 && headerValue(x.text, "CSeq") === headerValue(e.text, "CSeq")));
  const ok = oks[nth];
  if (ok === undefined) throw new Error(`no 200 OK #${nth} for an INVITE ${dir === "out" ? "sent" : "received"} by the door`);
  return ok.text;
}

/** The door's answer to this PBX's offer: its first G.711 (RFC 3264 §6.1), its telephone-event/8000 payload type only. */
function expectAnswerFor(p: PbxPersonality, text: string): void {
  const sdp = bodyOf(text);
  expect(headerValue(text, "Content-Type")).toBe("application/sdp");
  expect(sdp).toMatch(new RegExp(`^m=audio [1-9]\\d* RTP/AVP ${p.g711Pt} ${p.eventPt}\\r$`, "m"));
  expect(sdp).toMatch(new RegExp(`^a=rtpmap:${p.eventPt} telephone-event/8000\\r$`, "m"));
  // Not the 16 or 32 kHz events FreeSWITCH also offers, nor a=rtcp-mux (the door's RTCP is on RTP + 1).
  expect(sdp).not.toMatch(/telephone-event\/(16000|32000)|a=rtcp-mux/);
  expect(headerValue(text, "Contact")).toMatch(/^<sip:door@127\.0\.0\.1:\d+[;>]/);
  // The PBX's INFO DTMF and connected-line UPDATE need them allowed (RFC 3261 §13.3.1.4: a 2xx SHOULD carry Allow).
  expect(headerValue(text, "Allow")).toMatch(/INFO/);
  expect(headerValue(text, "Allow")).toMatch(/UPDATE/);
}

/** The door's BYE at the PBX: once, or challenged and sent again (3CX). */
function byeLadder(p: PbxPersonality): string[] {
  return p.byeChallenge === undefined ? ["out BYE", "in 200 BYE"] : ["out BYE", `in ${p.byeChallenge.status} BYE`, "out BYE", "in 200 BYE"];
}

/** §22.2 for a BYE: the retry answers the PBX's fresh nonce (digest recomputed here), with the next CSeq of the dialog. */
function expectByeCredentials(p: PbxPersonality, byes: string[]): void {
  const c = p.byeChallenge;
  if (c === undefined) {
    expect(byes).toHaveLength(1);
    return;
  }
  expect(byes).toHaveLength(2);
  const auth = headerValue(byes[1]!, c.status === 401 ? "Authorization" : "Proxy-Authorization")!;
  expect(param(auth, "nonce")).toBe(param(c.lines[0]!, "nonce"));
  expect(param(auth, "uri")).toBe(/^BYE (\S+) /.exec(firstLine(byes[1]!))![1]);
  expect(param(auth, "response")).toBe(expectedDigest(auth, "BYE"));
  expect(Number(headerValue(byes[1]!, "CSeq")!.split(" ")[0])).toBe(Number(headerValue(byes[0]!, "CSeq")!.split(" ")[0]) + 1);
  expect(headerValue(byes[1]!, "CSeq")).toMatch(/ BYE$/);
}

/** The door opened once for "#" (relay on, then off) and the call is over. */
async function expectOpenedAndEnded(door: DoorBase, from = 0): Promise<void> {
  await door.waitEvent(IntercomEvent.DoorOpened, from, 4000);
  await door.waitEvent(IntercomEvent.CallDown, from, 6000);
  await door.waitTables((t) => t.activeCalls === 0 && !t.relay, "the call to end and the relay to drop", 4000);
  const names = door.eventNames().slice(from);
  expect(names.filter((n) => n === "door opened")).toEqual(["door opened"]);
  expect(door.events.slice(from).find((e) => e.event === IntercomEvent.Dtmf)?.detail).toBe("#");
  expect(door.relay.map((r) => r.on)).toEqual([true, false]);
}

function pbxSuite<D extends DoorBase>(kind: DoorKind<D>): void {
  describe.skipIf(check.skip)(`${kind.suite}: PBX personalities replayed by SIPp`, () => {
    for (const p of PBXES) {
      describe(p.name, () => {
        async function callsDoor(name: string, o: PbxCallOptions = {}, door: DoorOptions = {}): Promise<{ door: D; entries: TraceEntry[] }> {
          const pbxPort = await freeUdpPort();
          const d = await pbxDoor(kind, p, pbxPort, name, door);
          expectOk(await pbxAt(d, pbxPort, scenarioFile(`${p.id}-calls-door`, pbxCallsDoor(p, o))));
          await expectOpenedAndEnded(d);
          for (const e of d.trace.entries) expect(e.port).toBe(pbxPort);
          return { door: d, entries: d.trace.entries };
        }

        it(`calls the door: answered with G.711 ${p.g711Pt} and telephone-event ${p.eventPt}, the code as ${p.dtmf === "rfc4733" ? "RFC 4733" : "INFO"} opens the door, the PBX hangs up`, async () => {
          const { door, entries } = await callsDoor("calls the door");
          const seen = steps(entries);
          expect(seen).toEqual([
            "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK",
            ...(p.dtmf === "info" ? ["in INFO", "out 200 INFO"] : []),
            "in BYE", "out 200 BYE",
          ]);
          const ok = inviteOk(entries, "out");
          expectAnswerFor(p, ok);
          // The dialog is the PBX's: its From tag kept, a To tag of ours (§12.1.1).
          const invite = entries[0]!.text;
          expect(headerValue(ok, "From")).toBe(headerValue(invite, "From"));
          expect(tagOf(headerValue(ok, "To"))).not.toBe("");
          if (p.dtmf === "rfc4733") expect(entries.some((e) => firstLine(e.text).startsWith("INFO "))).toBe(false);
          expect(door.eventNames()).toEqual(["incoming call", "call up", "dtmf", "door opened", "call down"]);
          await kind.expectClean(door);
        });

        it("qualify OPTIONS: 200 with Allow, outside any call", async () => {
          const pbxPort = await freeUdpPort();
          const door = await pbxDoor(kind, p, pbxPort, "qualify");
          expectOk(await pbxAt(door, pbxPort, scenarioFile(`${p.id}-qualify`, qualify(p))));
          expect(steps(door.trace.entries)).toEqual(["in OPTIONS", "out 200 OPTIONS"]);
          const ok = door.trace.entries[1]!.text;
          expect(headerValue(ok, "Allow")).toMatch(/INVITE.*ACK.*CANCEL.*BYE.*OPTIONS.*INFO/);
          expect(headerValue(ok, "Accept")).toMatch(/application\/sdp/);
          expect(door.eventNames()).toEqual([]);
          expect((await door.tables()).activeCalls).toBe(0);
          await kind.expectClean(door);
        });

        it(`answers the doorbell: ${p.challenge.status} challenge answered, ${p.provisional.join(", ")}, 200; the code opens the door, the door hangs up`, async () => {
          const pbxPort = await freeUdpPort();
          const pbx = await startSipp({ scenario: scenarioFile(`${p.id}-answers-doorbell`, pbxAnswersDoorbell(p)), service: p.extension, port: pbxPort, timeoutS: 14 });
          const door = await pbxDoor(kind, p, pbxPort, "doorbell", { settings: { hangupAfterOpenMs: 300 } });
          door.runtime.press();
          await expectOpenedAndEnded(door);
          expectOk(await pbx.done(8000));

          const entries = door.trace.entries;
          const early = p.provisional.map((pr) => `in ${pr.slice(0, 3)} INVITE`);
          expect(steps(entries)).toEqual([
            "out INVITE", `in ${p.challenge.status} INVITE`, "out ACK", "out INVITE", "in 100 INVITE",
            ...early.flatMap((s, i) => (p.provisional[i] === "183-100rel" ? [s, "out PRACK", "in 200 PRACK"] : [s])),
            "in 200 INVITE", "out ACK",
            ...(p.dtmf === "info" ? ["in INFO", "out 200 INFO"] : []),
            ...byeLadder(p),
          ]);
          const [first, challenge, ack, second] = entries.map((e) => e.text);
          expect(firstLine(first!)).toBe(`INVITE sip:${p.extension}@doorsip.test SIP/2.0`);
          // §17.1.1.3: the ACK of the challenge is the INVITE's transaction (its Via and CSeq number) with the challenge's To
          // tag. A FRITZ!Box (FRITZ!OS 7.20 and later) answers an ACK it cannot match with 481 and blocks a client that keeps
          // sending them (github.com/pquiring/javaforce/issues/4, AVM support's analysis).
          expect(headerValue(ack!, "Via")).toBe(headerValue(first!, "Via"));
          expect(headerValue(ack!, "CSeq")).toBe(`${headerValue(first!, "CSeq")!.split(" ")[0]} ACK`);
          expect(tagOf(headerValue(ack!, "To"))).toBe(tagOf(headerValue(challenge!, "To")));
          expect(firstLine(ack!)).toBe(`ACK sip:${p.extension}@doorsip.test SIP/2.0`);
          // §22.2: the retry answers the challenge in the header the PBX asked for, with the next CSeq.
          const name = p.challenge.status === 401 ? "Authorization" : "Proxy-Authorization";
          const auth = headerValue(second!, name)!;
          expect(auth).toMatch(/^Digest /);
          expect(param(auth, "username")).toBe(USERS.door.user);
          expect(param(auth, "realm")).toBe(param(p.challenge.lines[0]!, "realm"));
          expect(param(auth, "nonce")).toBe(param(p.challenge.lines[0]!, "nonce"));
          // What each PBX offered: opaque echoed (Asterisk), qop=auth only when offered (none from FRITZ!Box and 3CX).
          expect(param(auth, "opaque")).toBe(param(p.challenge.lines[0]!, "opaque"));
          expect(param(auth, "qop")).toBe(/qop=/.test(p.challenge.lines[0]!) ? "auth" : undefined);
          expect(param(auth, "response")).toBe(expectedDigest(auth, "INVITE"));
          expect(Number(headerValue(second!, "CSeq")!.split(" ")[0])).toBe(Number(headerValue(first!, "CSeq")!.split(" ")[0]) + 1);
          // ACK and BYE go to the PBX's Contact as it wrote it (§12.1.2), parameters and all.
          const contact = /<([^>]+)>/.exec(headerValue(inviteOk(entries, "in"), "Contact")!)![1]!;
          expect(contact).toMatch(new RegExp(`:${pbxPort}`));
          const byes = distinct(door.trace.requests("out", "BYE"));
          expect(firstLine(byes[0]!.text)).toBe(`BYE ${contact} SIP/2.0`);
          expect(firstLine(distinct(door.trace.requests("out", "ACK"))[1]!.text)).toBe(`ACK ${contact} SIP/2.0`);
          expectByeCredentials(p, byes.map((e) => e.text));
          await kind.expectClean(door);
        });
      });
    }

    describe("PBX-specific traffic", () => {
      it("Asterisk: direct_media re-INVITE, hold (sendonly -> recvonly), connected-line UPDATE without a body: each 200, the call still up", async () => {
        const pbxPort = await freeUdpPort();
        const door = await pbxDoor(kind, ASTERISK, pbxPort, "in-call requests");
        expectOk(await pbxAt(door, pbxPort, scenarioFile("asterisk-in-call", pbxCallsDoor(ASTERISK, { inCall: true }))));
        await expectOpenedAndEnded(door);
        const seen = steps(door.trace.entries);
        expect(seen).toEqual([
          "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK",
          "in INVITE", "out 200 INVITE", "in ACK",
          "in INVITE", "out 200 INVITE", "in ACK",
          "in UPDATE", "out 200 UPDATE",
          "in BYE", "out 200 BYE",
        ]);
        const [first, direct, hold] = [0, 1, 2].map((i) => bodyOf(inviteOk(door.trace.entries, "out", i)));
        const version = (sdp: string): number => Number(/^o=\S+ \d+ (\d+) /m.exec(sdp!)?.[1]);
        expect(direct).toMatch(/^a=sendrecv\r$/m);
        expect(hold).toMatch(/^a=recvonly\r$/m); // RFC 3264 §6.1: sendonly offered, recvonly answered
        expect(version(hold!)).toBe(version(direct!) + 1);
        expect(version(direct!)).toBe(version(first!)); // the door's own SDP did not change for a new peer address
        // RFC 3311: an UPDATE without a body changes no session; 200 without one.
        const updateOk = door.trace.responses("out", "UPDATE")[0]!.text;
        expect(bodyOf(updateOk)).toBe("");
        expect(door.eventNames()).toEqual(["incoming call", "call up", "dtmf", "door opened", "call down"]);
        await kind.expectClean(door);
      });

      it("Asterisk: a connected-line UPDATE without a body while the door rings (early dialog, RFC 3311 §5.1) gets 200, then the door answers", async () => {
        const pbxPort = await freeUdpPort();
        const door = await pbxDoor(kind, ASTERISK, pbxPort, "early UPDATE", { settings: { calls: { autoAnswerMs: 1000 } } });
        expectOk(await pbxAt(door, pbxPort, scenarioFile("asterisk-early-update", pbxEarlyUpdate(ASTERISK))));
        await door.waitEvent(IntercomEvent.CallDown, 0, 3000);
        expect(steps(door.trace.entries)).toEqual([
          "in INVITE", "out 180 INVITE", "in UPDATE", "out 200 UPDATE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
        ]);
        // The UPDATE's 200 is in the early dialog: the 180's To tag, which the INVITE's 200 keeps (§12.1.1).
        const tags = ["180 INVITE", "200 UPDATE", "200 INVITE"].map((s) =>
          tagOf(headerValue(door.trace.entries.find((e) => e.dir === "out" && ladder([e])[0] === `out ${s}`)!.text, "To")));
        expect(new Set(tags).size).toBe(1);
        expect(tags[0]).not.toBe("");
        expect(door.eventNames()).toEqual(["incoming call", "call up", "call down"]);
        await kind.expectClean(door);
      });

      for (const [name, challenge, algorithm] of [
        ["SHA-256 and MD5 offered (SHA-256 first)", ASTERISK_SHA256_AND_MD5, "SHA-256"],
        ["SHA-256 only", ASTERISK_SHA256_ONLY, "SHA-256"],
      ] as [string, PbxChallenge, string][]) {
        it(`Asterisk with RFC 8760 digests, ${name}: the door answers with ${algorithm}, the call goes through`, async () => {
          const pbxPort = await freeUdpPort();
          const pbx = await startSipp({ scenario: scenarioFile("asterisk-sha256", pbxAnswersDoorbell(ASTERISK, challenge)), service: ASTERISK.extension, port: pbxPort, timeoutS: 14 });
          const door = await pbxDoor(kind, ASTERISK, pbxPort, `doorbell, ${name}`, { settings: { hangupAfterOpenMs: 300 } });
          door.runtime.press();
          await expectOpenedAndEnded(door);
          expectOk(await pbx.done(8000));
          const second = distinct(door.trace.requests("out", "INVITE"))[1]!.text;
          const auth = headerValue(second, "Authorization")!;
          expect(param(auth, "algorithm")).toBe(algorithm);
          expect(param(auth, "response")).toMatch(/^[0-9a-f]{64}$/);
          expect(param(auth, "response")).toBe(expectedDigest(auth, "INVITE"));
          await kind.expectClean(door);
        });
      }

      it("Asterisk: an unsolicited MWI NOTIFY outside any dialog is answered 200 as a phone does (RFC 3842 body, no subscription), nothing else happens", async () => {
        const pbxPort = await freeUdpPort();
        const door = await pbxDoor(kind, ASTERISK, pbxPort, "MWI");
        expectOk(await pbxAt(door, pbxPort, scenarioFile("asterisk-mwi", mwiNotify(ASTERISK, 200))));
        expect(steps(door.trace.entries)).toEqual(["in NOTIFY", "out 200 NOTIFY"]);
        expect(door.eventNames()).toEqual([]);
        expect((await door.tables()).activeCalls).toBe(0);
        await kind.expectClean(door);
      });

      it("Asterisk with timers=required: an INVITE with Require: timer is answered 200 with Session-Expires (refresher=uac) and Require: timer (RFC 4028 §9); the PBX's refresh by UPDATE gets 200 with its interval", async () => {
        const pbxPort = await freeUdpPort();
        const door = await pbxDoor(kind, ASTERISK, pbxPort, "Require: timer");
        expectOk(await pbxAt(door, pbxPort, scenarioFile("asterisk-require-timer", pbxRequiresTimer(ASTERISK))));
        await door.waitEvent(IntercomEvent.CallDown, 0, 6000);
        expect(steps(door.trace.entries)).toEqual([
          "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in UPDATE", "out 200 UPDATE", "in BYE", "out 200 BYE",
        ]);
        const ok = inviteOk(door.trace.entries, "out");
        expect(headerValue(ok, "Session-Expires")).toBe("1800;refresher=uac");
        expect(headerValue(ok, "Require")).toBe("timer");
        expect(headerValue(ok, "Supported")).toBe("100rel, timer");
        expect(headerValue(ok, "Unsupported")).toBeUndefined();
        const updateOk = distinct(door.trace.entries).find((e) => e.dir === "out" && headerValue(e.text, "CSeq") === "103 UPDATE")!.text;
        expect(headerValue(updateOk, "Session-Expires")).toBe("90;refresher=uac");
        expect(headerValue(updateOk, "Require")).toBe("timer");
        expect(door.eventNames()).toEqual(["incoming call", "call up", "call down"]);
        expect((await door.tables()).activeCalls).toBe(0);
        await kind.expectClean(door);
      });

      it("FreeSWITCH: a session refresh re-INVITE with the same SDP gets 200 with the door's SDP unchanged (same o= version); a re-INVITE without SDP gets the door's offer, answered in the ACK", async () => {
        const pbxPort = await freeUdpPort();
        const door = await pbxDoor(kind, FREESWITCH, pbxPort, "session refresh");
        expectOk(await pbxAt(door, pbxPort, scenarioFile("freeswitch-refresh", pbxCallsDoor(FREESWITCH, { inCall: true }))));
        await expectOpenedAndEnded(door);
        expect(steps(door.trace.entries)).toEqual([
          "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in INFO", "out 200 INFO",
          "in INVITE", "out 200 INVITE", "in ACK", "in INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
        ]);
        const first = bodyOf(inviteOk(door.trace.entries, "out", 0));
        const refresh = bodyOf(inviteOk(door.trace.entries, "out", 1));
        expect(refresh).toBe(first);
        // RFC 3264 §5 / §8: with no offer in the re-INVITE, the door's 200 is an offer, G.711 both and telephone-event, same session.
        const offer = bodyOf(inviteOk(door.trace.entries, "out", 2));
        expect(offer).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 8 101\r$/m);
        const version = (sdp: string): number => Number(/^o=\S+ \d+ (\d+) /m.exec(sdp)?.[1]);
        expect(version(offer)).toBeGreaterThanOrEqual(version(first));
        const acks = distinct(door.trace.requests("in", "ACK"));
        expect(bodyOf(acks[2]!.text)).toMatch(/^m=audio \d+ RTP\/AVP 8 101\r$/m);
        await kind.expectClean(door);
      });

      it("FreeSWITCH: a ring group's CANCEL (Reason: SIP;cause=200, call completed elsewhere) gets 200 and 487; no call is left", async () => {
        const pbxPort = await freeUdpPort();
        const door = await pbxDoor(kind, FREESWITCH, pbxPort, "cancel", { settings: { calls: { autoAnswerMs: 3000 } } });
        expectOk(await pbxAt(door, pbxPort, scenarioFile("freeswitch-cancel",
          pbxCancels(FREESWITCH, "SIP;cause=200;text=\"Call completed elsewhere\""))));
        await door.waitEvent(IntercomEvent.CallDown, 0, 3000);
        const seen = steps(door.trace.entries);
        expect(seen.slice(0, 2)).toEqual(["in INVITE", "out 180 INVITE"]);
        expect(seen).toContain("out 200 CANCEL");
        expect(seen).toContain("out 487 INVITE");
        expect(seen).not.toContain("out 200 INVITE");
        expect(door.eventNames()).toEqual(["incoming call", "call down"]);
        expect(door.relay).toEqual([]);
        await kind.expectClean(door);
      });

      it("FRITZ!Box: after the door opened, the door's own BYE goes to the FRITZ!Box Contact with its uniq= parameter", async () => {
        const { door } = await doorHangsUpCall(kind, FRITZBOX, "door hangs up");
        const contact = /<([^>]+)>/.exec(headerValue(door.trace.entries[0]!.text, "Contact")!)![1]!;
        expect(contact).toMatch(/;uniq=8F2EA1E07B7C3C1E$/);
        expect(firstLine(door.trace.requests("out", "BYE")[0]!.text)).toBe(`BYE ${contact} SIP/2.0`);
        await kind.expectClean(door);
      });

      it("3CX: an offer whose o= numbers exceed 32 bits and whose events are 0-11,16 is answered PCMU + 101; the door's BYE, challenged 407, is sent again with credentials", async () => {
        const { door } = await doorHangsUpCall(kind, THREECX, "o= beyond 32 bits");
        const ok = inviteOk(door.trace.entries, "out");
        expectAnswerFor(THREECX, ok);
        await kind.expectClean(door);
      });
    });
  });

  /** The PBX calls the door and the door hangs up after it opened (for the FRITZ!Box and 3CX checks). */
  async function doorHangsUpCall(k: DoorKind<D>, p: PbxPersonality, name: string): Promise<{ door: D }> {
    const pbxPort = await freeUdpPort();
    const door = await pbxDoor(k, p, pbxPort, name, { settings: { hangupAfterOpenMs: 300 } });
    expectOk(await pbxAt(door, pbxPort, scenarioFile(`${p.id}-door-hangs-up`, pbxCallsDoor(p, { doorHangsUp: true }))));
    await expectOpenedAndEnded(door);
    expect(steps(door.trace.entries).slice(-byeLadder(p).length)).toEqual(byeLadder(p));
    expectByeCredentials(p, distinct(door.trace.requests("out", "BYE")).map((e) => e.text));
    return { door };
  }
}

pbxSuite(NODE_DOOR);
pbxSuite(XS_DOOR);
