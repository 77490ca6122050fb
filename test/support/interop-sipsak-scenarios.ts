/*
 * The real sipsak (Debian's sipsak 0.9.8.1), the SIP tool behind many
 * Nagios/Icinga "check_sip" set-ups, at the door on 127.0.0.1: how a door
 * station that runs for years is watched. Written once for a DoorKind
 * (test/support/interop-scenarios.ts), run against the Node door
 * (test/interop-sipsak.test.ts) and the XS door (test/interop-xs-peers.test.ts).
 * Each run is spawned directly and ends by itself (its T1 is 50 ms, so an
 * unanswered OPTIONS gives up after 64 T1 = 3.2 s), bounded and stopped by
 * PID (runTool in test/support/peers.ts).
 *
 * The door has a server configured (127.0.0.1:9: nothing is sent there), so
 * sipsak's socket is an untrusted source (src/ua/trust):
 *   - with the default untrusted=reject, OPTIONS passes by design for
 *     monitoring: `sipsak --nagios-code` exits 0 ("OK") on the door's 200,
 *     which lists what the door takes (Allow, Supported, Accept); its
 *     traceroute mode (-T, Max-Forwards 0, 1...) finds the door at hop 0;
 *   - with untrusted=drop the door is silent (exit 2, "critical"), until the
 *     monitoring host's address and port are on the allowlist (sipsak
 *     --symmetric -l PORT: it sends from the port it listens on, else from
 *     a port of its own choosing);
 *   - sipsak's random mode (-R) mangles its OPTIONS a few characters more
 *     each time it gets an answer, until one gets none: the door answers
 *     what it can read (200, or a 4xx naming what is wrong) and drops what it
 *     cannot answer, nothing escapes the core, no transaction is held but
 *     those of answered requests, and a clean OPTIONS is answered afterwards. The mangling is sipsak's own
 *     (random each run); what is checked holds for any of it.
 */
import { describe, expect, it } from "vitest";
import { UntrustedAction } from "../../src/ua/trust/trust-settings";
import { firstLine, freeUdpPort, headerValue, requirePeers, runTool, type DoorBase, type TraceEntry } from "./peers";
import type { DoorKind } from "./interop-scenarios";

/** sipsak's own T1 (ms): 64 T1 without an answer is a failure. */
const T1 = "--timer-t1=50";

function fromPort(door: DoorBase, port: number, dir: "in" | "out"): TraceEntry[] {
  return door.trace.entries.filter((e) => e.address === "127.0.0.1" && e.port === port && e.dir === dir);
}

/** The ports sipsak sent from (its User-Agent), after trace entry `from`. */
function sipsakPorts(door: DoorBase, from: number): number[] {
  return [...new Set(door.trace.entries.slice(from).filter((e) => e.dir === "in" && /^sipsak\b/.test(headerValue(e.text, "User-Agent") ?? "")).map((e) => e.port))];
}

export function sipsakScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const peers = requirePeers("sipsak");

  describe.skipIf(peers.skip)(`${kind.suite}: sipsak, the monitoring tool`, () => {
    it("--nagios-code: OPTIONS from a monitoring host that is not the server nor on the allowlist gets 200 (exit 0) naming what the door takes; traceroute finds the door at hop 0", async () => {
      const door = await kind.start({ label: `${kind.label} (sipsak)` });
      const mark = door.trace.entries.length;
      const r = await runTool("sipsak", "sipsak", ["--nagios-code", "-vv", T1, "-s", `sip:door@127.0.0.1:${door.port}`], 10_000);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain("SIP/2.0 200 OK");
      const ports = sipsakPorts(door, mark);
      expect(ports.length).toBe(1);
      const ok = fromPort(door, ports[0]!, "out");
      expect(ok.map((e) => firstLine(e.text))).toEqual(["SIP/2.0 200 OK"]);
      expect(headerValue(ok[0]!.text, "Allow")).toBe("INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY, SUBSCRIBE");
      expect(headerValue(ok[0]!.text, "Server")).toBe("doorsip");

      // Traceroute: Max-Forwards 0 first; the door is the destination, so it answers (only a proxy says 483).
      const t = await runTool("sipsak", "sipsak", ["-T", T1, "-s", `sip:door@127.0.0.1:${door.port}`], 10_000);
      expect(t.code, t.output).toBe(0);
      expect(t.output).toMatch(/^0: .*SIP\/2\.0 200 OK/m);
      expect((await kind.trust(door)).rejected).toBe(0);
      expect(await door.tables()).toMatchObject({ activeCalls: 0 });
      await kind.expectClean(door);
    });

    it("untrusted=drop: the door is silent to the monitoring host (exit 2) until its address and port are on the allowlist (exit 0)", async () => {
      const port = await freeUdpPort();
      const silent = await kind.start({ label: `${kind.label} (sipsak, drop)`, settings: { trust: { untrusted: UntrustedAction.Drop } } });
      const r = await runTool("sipsak", "sipsak", ["--nagios-code", T1, "--symmetric", "-l", String(port), "-s", `sip:door@127.0.0.1:${silent.port}`], 10_000);
      expect(r.code, r.output).toBe(2);
      expect(fromPort(silent, port, "in").length).toBeGreaterThanOrEqual(1);
      expect(fromPort(silent, port, "out")).toEqual([]);
      expect((await kind.trust(silent)).dropped).toBe(fromPort(silent, port, "in").length);
      await kind.expectClean(silent);

      const watched = await kind.start({
        label: `${kind.label} (sipsak, drop, allowlisted)`,
        settings: { trust: { untrusted: UntrustedAction.Drop, allow: [`127.0.0.1:${port}`] } },
      });
      const w = await runTool("sipsak", "sipsak", ["--nagios-code", T1, "--symmetric", "-l", String(port), "-s", `sip:door@127.0.0.1:${watched.port}`], 10_000);
      expect(w.code, w.output).toBe(0);
      expect(fromPort(watched, port, "out").map((e) => firstLine(e.text))).toEqual(["SIP/2.0 200 OK"]);
      expect((await kind.trust(watched)).dropped).toBe(0);
      await kind.expectClean(watched);
    });

    it("random mode (-R): mangled OPTIONS are answered (200 or a 4xx) or dropped, nothing escapes, no transaction is left unanswered, and a clean OPTIONS is answered after", async () => {
      const door = await kind.start({ label: `${kind.label} (sipsak -R)` });
      const mark = door.trace.entries.length;
      const r = await runTool("sipsak", "sipsak", ["-R", T1, "-s", `sip:door@127.0.0.1:${door.port}`], 20_000);
      // sipsak ends when one of its mangled requests gets no answer (3: "unknown" to Nagios), or, rarely, none ever does.
      expect([0, 3], r.output).toContain(r.code);
      const got = door.trace.entries.slice(mark);
      const answers = got.filter((e) => e.dir === "out").map((e) => firstLine(e.text));
      expect(got.filter((e) => e.dir === "in").length).toBeGreaterThanOrEqual(1);
      for (const a of answers) expect(a).toMatch(/^SIP\/2\.0 (200 OK|4\d\d [ -~]+)$/);
      // No call, and no transaction but those of answered requests (waiting out Timer J, §17.2.2).
      expect(await door.tables()).toMatchObject({ activeCalls: 0 });
      expect((await door.tables()).serverCount).toBeLessThanOrEqual(answers.length);
      const again = await runTool("sipsak", "sipsak", ["--nagios-code", T1, "-s", `sip:door@127.0.0.1:${door.port}`], 10_000);
      expect(again.code, again.output).toBe(0);
      console.info(`[sipsak] random mode: ${got.filter((e) => e.dir === "in").length} datagrams in, answers: ${[...new Set(answers)].join("; ") || "none"}`);
      await kind.expectClean(door);
    });
  });
}
