/*
 * The real SIPVicious (Debian's sipvicious 0.3.3: svmap, svwar, svcrack,
 * Python) against the door on 127.0.0.1, the scanners that sweep the
 * Internet's port 5060 all day. Written once for a DoorKind
 * (test/support/interop-scenarios.ts), run against the Node door
 * (NodeIntercom, test/interop-sipvicious.test.ts) and the XS door (the same
 * core inside XS, test/interop-xs-peers.test.ts); the trust counters are
 * read through DoorKind.trust (inside XS, the worker's status). Each tool is
 * spawned directly, sends from its own free port on 127.0.0.1 to the door's
 * port only, keeps its session files in a temp HOME, and ends by itself
 * (bounded; runSipvicious in test/support/peers.ts). The tools run all at
 * once, as from several scanners; their datagrams are told apart in the
 * door's trace by their source port.
 *
 * With their default User-Agent (friendly-scanner), src/ua/trust/scanner.ts
 * drops every request silently, whatever the method: the door is not there
 * for them. The door under that scan is registered at kamailio, so that
 * 127.0.0.1 is not trusted by default (src/ua/trust/trust-policy.ts: the
 * local networks are trusted only when no server is configured) and the
 * scan is what a stranger on the Internet would see.
 *   - svmap (OPTIONS, INVITE, REGISTER) finds nothing;
 *   - svwar (REGISTER, OPTIONS, INVITE over 100-110) gets no answer to its
 *     first probe and gives up: no call slot, no transaction, no event;
 *   - svcrack (REGISTER as "door", passwords 1-9): no server response;
 *   - the door's `scanners` counter is the number of datagrams they sent,
 *     and it sent nothing but to kamailio.
 * svmap -c and svwar -c (compact headers) send no User-Agent at all: a
 * scanner that hides itself. Then only the trust policy stands between it
 * and the door (two more doors with a server configured, as the registered
 * one: untrusted requests get 403, or nothing with untrusted=drop). With
 * untrusted=drop every request from a stranger outside a dialog is dropped,
 * OPTIONS and REGISTER too: svmap -c finds nothing. With the default
 * (reject) OPTIONS passes by design (src/ua/trust: monitoring) and is
 * answered 200 with "Server: doorsip", so svmap lists the door and
 * fingerprints it as "doorsip"; svwar finds the device but no extension
 * (every one gets the same 200).
 * Afterwards the registered door still has its binding at kamailio and
 * takes a call from a SIPp caller through kamailio.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent } from "../../src/app/intercom";
import { UntrustedAction } from "../../src/ua/trust/trust-settings";
import {
  firstLine, headerValue, requirePeers, runSipp, runSipvicious, sippMessages, statusOf, USERS,
  type DoorBase, type SipviciousRun, type SipviciousTool, type TraceEntry,
} from "./peers";
import { expectOk, ladder, registeredDoor } from "./interop-calls";
import { useKamailio, type DoorKind } from "./interop-scenarios";

/** What one tool's run sent to a door (datagrams in from its port) and got back (out to its port). */
function exchange(door: DoorBase, run: SipviciousRun): { sent: TraceEntry[]; got: TraceEntry[] } {
  const own = door.trace.entries.filter((e) => e.address === "127.0.0.1" && e.port === run.port);
  return { sent: own.filter((e) => e.dir === "in"), got: own.filter((e) => e.dir === "out") };
}

function method(e: TraceEntry): string {
  return firstLine(e.text).split(" ")[0]!;
}

/** The rows of svmap's table of devices ("| 127.0.0.1:5060 | doorsip |"): [device, user agent]. */
function svmapDevices(output: string): string[][] {
  return [...output.matchAll(/^\| (\S+:\d+) +\| (.*?) +\|$/gm)].map((m) => [m[1]!, m[2]!]);
}

/** The SIPVicious scenarios against one kind of door, as a describe block named with the kind's suite. */
export function sipviciousScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const check = requirePeers("svmap", "svwar", "svcrack", "kamailio", "kamcmd", "sipp");

  describe.skipIf(check.skip)(`${kind.suite}: SIPVicious (svmap, svwar, svcrack) against the intercom`, () => {
    const kamailio = useKamailio();
    /** Registered at kamailio; scanned with the tools' own User-Agent. */
    let door: D;
    /** A server configured (the default 127.0.0.1:9, not registering), untrusted requests get 403; scanned without User-Agent. */
    let rejecting: D;
    /** The same with untrusted=drop. */
    let dropping: D;
    const runs = new Map<string, Promise<SipviciousRun>>();

    function run(name: string): Promise<SipviciousRun> {
      const r = runs.get(name);
      if (r === undefined) throw new Error(`no run ${name}`);
      return r;
    }

    beforeAll(async () => {
      door = await registeredDoor(kamailio(), kind.start, `${kind.label} (registered, scanned)`);
      rejecting = await kind.start({ label: `${kind.label} (untrusted: 403, scanned without User-Agent)` });
      dropping = await kind.start({ label: `${kind.label} (untrusted: drop, scanned without User-Agent)`, settings: { trust: { untrusted: UntrustedAction.Drop } } });
      const start = (name: string, tool: SipviciousTool, at: D, args: string[]): void => {
        const p = runSipvicious(tool, at.port, args);
        p.catch(() => {}); // awaited by its test
        runs.set(name, p);
      };
      // All at once: svcrack alone waits 10 s (hard-coded) for a first answer; the rest 3 s.
      start("svmap", "svmap", door, ["-m", "OPTIONS,INVITE,REGISTER"]);
      for (const m of ["REGISTER", "OPTIONS", "INVITE"]) start(`svwar ${m}`, "svwar", door, ["-e100-110", "-m", m, "--maximumtime", "2"]);
      start("svcrack", "svcrack", door, ["-u", USERS.door.user, "-r", "1-9", "--maximumtime", "2"]);
      start("svmap -c (403)", "svmap", rejecting, ["-c", "-m", "OPTIONS,INVITE,REGISTER"]);
      start("svmap -c (drop)", "svmap", dropping, ["-c", "-m", "OPTIONS,INVITE,REGISTER"]);
      start("svwar -c", "svwar", rejecting, ["-c", "-e100-110", "-m", "OPTIONS", "--maximumtime", "2"]);
    });

    const DEFAULT_UA = ["svmap", "svwar REGISTER", "svwar OPTIONS", "svwar INVITE", "svcrack"];

    it("svmap (OPTIONS, INVITE, REGISTER; User-Agent friendly-scanner) finds nothing: the door answers none of them", async () => {
      const r = await run("svmap");
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/^WARNING:root:found nothing$/m);
      expect(svmapDevices(r.output)).toEqual([]);
      expect(r.output).not.toContain(`:${door.port}`);
      const { sent, got } = exchange(door, r);
      expect(sent.map(method)).toEqual(["OPTIONS", "INVITE", "REGISTER"]);
      for (const e of sent) expect(headerValue(e.text, "User-Agent")).toBe("friendly-scanner");
      expect(got).toEqual([]);
    });

    it("svwar (REGISTER, OPTIONS, INVITE over extensions 100-110) gets no answer to its first probe and gives up: no call slot, no transaction, no event", async () => {
      for (const m of ["REGISTER", "OPTIONS", "INVITE"]) {
        const r = await run(`svwar ${m}`);
        expect(r.code, r.output).toBe(0);
        // Its probe (a random extension, to learn what an unknown one gets) timed out: it stops there.
        expect(r.output, m).toMatch(/^ERROR:TakeASip:(socket error: timed out|No server response)/m);
        expect(r.output, m).not.toMatch(/Ok SIP device found/);
        expect(r.output, m).toMatch(/^WARNING:root:found nothing$/m);
        const { sent, got } = exchange(door, r);
        expect(sent.map(method), m).toEqual([m]);
        expect(headerValue(sent[0]!.text, "User-Agent")).toBe("friendly-scanner");
        expect(got, m).toEqual([]);
      }
      expect(await door.tables()).toMatchObject({ activeCalls: 0, serverCount: 0, relay: false });
      expect(door.eventNames()).toEqual(["registered"]);
    });

    it("svcrack (REGISTER as the door's user, passwords 1-9) gets no server response", async () => {
      const r = await run("svcrack");
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/^ERROR:ASipOfRedWine:no server response$/m);
      expect(r.output).toMatch(/^WARNING:root:found nothing$/m);
      const { sent, got } = exchange(door, r);
      expect(sent.map((e) => firstLine(e.text))).toEqual(["REGISTER sip:127.0.0.1 SIP/2.0"]);
      expect(headerValue(sent[0]!.text, "To")).toBe(`"${USERS.door.user}" <sip:${USERS.door.user}@127.0.0.1>`);
      expect(got).toEqual([]);
    });

    it("every datagram of the scan was counted as a scanner's and logged as one; the door sent nothing but to kamailio", async () => {
      const all = await Promise.all(DEFAULT_UA.map(run));
      const sent = all.flatMap((r) => exchange(door, r).sent);
      expect(sent.length).toBe(3 + 3 + 1);
      const counters = await kind.trust(door);
      expect(counters.scanners).toBe(sent.length);
      expect({ rejected: counters.rejected, dropped: counters.dropped, acceptedUntrusted: counters.acceptedUntrusted }).toEqual({ rejected: 0, dropped: 0, acceptedUntrusted: 0 });
      expect(door.log.some((l) => /trust: dropped (OPTIONS|INVITE|REGISTER) sent by 127\.0\.0\.1:\d+ \(SIP scanner, User-Agent friendly-scanner\)/.test(l))).toBe(true);
      const kam = kamailio();
      expect(door.trace.entries.filter((e) => e.dir === "out" && e.port !== kam.port)).toEqual([]);
      // Nothing came in but kamailio's datagrams and the scanners'.
      const ports = new Set([kam.port, ...all.map((r) => r.port)]);
      expect(door.trace.entries.filter((e) => !ports.has(e.port))).toEqual([]);
      await kind.expectClean(door);
    });

    it("svmap -c sends no User-Agent: with untrusted=drop the door stays silent and svmap finds nothing", async () => {
      const name = "svmap -c (drop)";
      const r = await run(name);
      expect(r.code, r.output).toBe(0);
      const { sent, got } = exchange(dropping, r);
      expect(sent.map(method), name).toEqual(["OPTIONS", "INVITE", "REGISTER"]);
      for (const e of sent) expect(headerValue(e.text, "User-Agent"), name).toBeUndefined();
      // Every request of an untrusted source outside a dialog is dropped (src/ua/trust/trust-policy.ts): not one answer.
      expect(got, name).toEqual([]);
      expect(svmapDevices(r.output), name).toEqual([]);
      expect(r.output, name).toContain("found nothing");
      expect(await kind.trust(dropping)).toMatchObject({ dropped: 3, scanners: 0, rejected: 0 });
      expect(await dropping.tables()).toMatchObject({ activeCalls: 0, serverCount: 0, relay: false });
      expect(dropping.eventNames()).toEqual([]);
      await kind.expectClean(dropping);
    });

    it("svmap -c with untrusted=reject (the default): OPTIONS passes by design (monitoring) and is answered 200 with Server: doorsip, so svmap lists and fingerprints the door; INVITE gets 403", async () => {
      const at = rejecting;
      const name = "svmap -c (403)";
      const r = await run(name);
      expect(r.code, r.output).toBe(0);
      const { sent, got } = exchange(at, r);
      expect(sent.map(method), name).toEqual(["OPTIONS", "INVITE", "REGISTER"]);
      for (const e of sent) expect(headerValue(e.text, "User-Agent"), name).toBeUndefined();
      expect(ladder(got), name).toEqual([
        "out 200 OPTIONS", "out 403 INVITE", "out 400 REGISTER",
      ]);
      // The answers go to the source port (RFC 3581 rport), not to the Via's port: compact svmap puts the door's own port there.
      expect(headerValue(sent[0]!.text, "Via", "v")).toContain(`127.0.0.1:${at.port};`);
      const ok = got.find((e) => statusOf(e.text) === 200)!;
      expect(headerValue(ok.text, "Server"), name).toBe("doorsip");
      expect(firstLine(got.find((e) => statusOf(e.text) === 403)!.text)).toBe("SIP/2.0 403 Forbidden - Untrusted Source");
      // REGISTER carries "Contact: None" (svmap sends no Contact for it): 400, and 405 when the request is well formed (see svwar -c).
      expect(firstLine(got.find((e) => headerValue(e.text, "CSeq") === "1 REGISTER")!.text)).toBe("SIP/2.0 400 Bad Request - Invalid Contact");
      // svmap's verdict: the device, fingerprinted by the first answer's Server header; its table keeps the last answer's ("unknown").
      expect(r.output, name).toContain(`127.0.0.1:${at.port}\t->\t127.0.0.1:${at.port}\t->\tdoorsip`);
      expect(svmapDevices(r.output), name).toEqual([[`127.0.0.1:${at.port}`, "unknown"]]);
      expect((await kind.trust(at)).scanners).toBe(0);
      expect(await at.tables()).toMatchObject({ activeCalls: 0, relay: false });
      expect(at.eventNames()).toEqual([]);
    });

    it("svwar -c (OPTIONS over 100-110, no User-Agent) finds the device but no extension: every one gets the same 200", async () => {
      const r = await run("svwar -c");
      expect(r.code, r.output).toBe(0);
      expect(r.output).toMatch(/^INFO:TakeASip:Ok SIP device found$/m);
      expect(r.output).toMatch(/^WARNING:root:found nothing$/m);
      const { sent, got } = exchange(rejecting, r);
      // The probe (a random extension), then 100 to 110.
      expect(sent.length).toBe(12);
      expect(sent.slice(1).map((e) => firstLine(e.text))).toEqual(Array.from({ length: 11 }, (_, i) => `OPTIONS sip:${100 + i}@127.0.0.1 SIP/2.0`));
      expect(got.map((e) => `${statusOf(e.text)} ${headerValue(e.text, "Server")}`)).toEqual(Array.from({ length: 12 }, () => "200 doorsip"));
      expect((await kind.trust(rejecting)).rejected).toBe(1); // svmap -c's INVITE only
      expect((await rejecting.tables()).activeCalls).toBe(0);
      await kind.expectClean(rejecting);
    });

    it("afterwards the door is still registered at kamailio and takes a call from a SIPp caller through it", async () => {
      await Promise.allSettled(runs.values());
      const kam = kamailio();
      expect(await kam.contacts(USERS.door.user)).toEqual([`sip:door@127.0.0.1:${door.port}`]);
      const mark = door.trace.entries.length;
      const events = door.events.length;
      const call = await runSipp({
        scenario: "uac-invite-auth.xml", remote: `127.0.0.1:${kam.port}`, service: USERS.door.user,
        authUser: USERS.sipp.user, authPassword: USERS.sipp.password, pauseMs: 200, timeoutS: 10,
        // A late copy of the door's 180 (kamailio resent the INVITE to a slow door, and its workers forwarded the
        // copy after the 200; seen once in CI with the door inside XS) is let pass, as a UAC lets it: SIPp would
        // abort the call on it. The call's own messages are still checked here and at the door.
        extra: ["-default_behaviors", "all,-abortunexp"],
      });
      expectOk(call);
      expect(sippMessages(call.messages).filter((m) => m.dir === "received").map((m) => statusOf(m.text)).at(-1)).toBe(200);
      await door.waitTables((t) => t.activeCalls === 0, "the call to end", 3000);
      expect(ladder(door.trace.entries.slice(mark)).filter((s) => s !== "out 100 INVITE")).toEqual([
        "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
      ]);
      expect(door.eventNames().slice(events)).toEqual(["incoming call", "call up", "call down"]);
      expect(door.events.map((e) => e.event)).not.toContain(IntercomEvent.RegistrationFailed);
      expect(await kam.contacts(USERS.door.user)).toEqual([`sip:door@127.0.0.1:${door.port}`]);
      await kind.expectClean(door);
    });
  });
}
