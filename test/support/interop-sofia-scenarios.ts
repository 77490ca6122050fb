/*
 * Sofia-SIP's `sip-options` (Debian's sofia-sip-bin 1.12.11) at the door on
 * 127.0.0.1. Sofia-SIP is the SIP stack inside FreeSWITCH (mod_sofia): what
 * `sip-options -a` prints is the door's answer as that stack decoded it,
 * header by header, and its exit code says whether the answer was a 2xx.
 * Written once for a DoorKind (test/support/interop-scenarios.ts): the Node
 * door in test/interop-sofia.test.ts, the XS door in
 * test/interop-xs-peers.test.ts. Each run is spawned directly, bounded and
 * stopped by PID (runTool in test/support/peers.ts), and binds a port of
 * the test's choosing (`--bind`), never 5060.
 *
 * The monitoring host is not the door's server: OPTIONS passes the trust
 * policy by design (src/ua/trust), and a request the door cannot honour gets
 * the 4xx of §8.2.2.3 that names what is wrong.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { firstLine, freeUdpPort, headerValue, requirePeers, runTool, tempDir, type DoorBase } from "./peers";
import type { DoorKind } from "./interop-scenarios";

/** The lines of sip-options' output from the status line on (its own log lines go before it). */
function answer(output: string): string[] {
  const lines = output.split(/\r?\n/);
  const at = lines.findIndex((l) => l.startsWith("SIP/2.0 "));
  return at < 0 ? [] : lines.slice(at);
}

/** The value of header `name` in sip-options' print of the answer, as Sofia-SIP decoded it. */
function decoded(lines: string[], name: string): string | undefined {
  const line = lines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}: `));
  return line?.slice(name.length + 2);
}

async function sipOptions(door: DoorBase, extraHeaders?: string): Promise<{ code: number | null; lines: string[]; output: string }> {
  const port = await freeUdpPort();
  const args = ["-a", "--mf=0", `--bind=sip:127.0.0.1:${port}`, `sip:door@127.0.0.1:${door.port}`];
  if (extraHeaders !== undefined) {
    const file = join(tempDir("sofia"), "extra");
    writeFileSync(file, extraHeaders);
    args.push(file);
  }
  const r = await runTool("sip-options", "sip-options", args, 10_000);
  return { code: r.code, lines: answer(r.output), output: r.output };
}

export function sofiaScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const peers = requirePeers("sip-options");

  describe.skipIf(peers.skip)(`${kind.suite}: Sofia-SIP (FreeSWITCH's stack) reads the door's answers`, () => {
    it("sip-options from a monitoring host: 200 OK, every header decoded by Sofia-SIP as the door sent it (Allow, Supported, Accept, Server), Max-Forwards 0 answered by the destination", async () => {
      const door = await kind.start({ label: `${kind.label} (sip-options)` });
      const mark = door.trace.entries.length;
      const r = await sipOptions(door);
      expect(r.code, r.output).toBe(0);
      expect(r.lines[0]).toBe("SIP/2.0 200 OK");
      const sent = door.trace.entries.slice(mark).filter((e) => e.dir === "out");
      expect(sent.map((e) => firstLine(e.text))).toEqual(["SIP/2.0 200 OK"]);
      // Sofia-SIP prints what it parsed into its own structures: the same values as on the wire.
      for (const name of ["Allow", "Supported", "Accept", "Server", "CSeq", "Call-ID"]) {
        expect(decoded(r.lines, name), name).toBe(headerValue(sent[0]!.text, name));
      }
      expect(decoded(r.lines, "Allow")).toBe("INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY, SUBSCRIBE");
      expect(decoded(r.lines, "To")).toMatch(/^sip:door@127\.0\.0\.1;tag=[0-9a-f]+$/);
      expect((await kind.trust(door)).rejected).toBe(0);
      expect(await door.tables()).toMatchObject({ activeCalls: 0 });
      await kind.expectClean(door);
    });

    it("sip-options requiring an extension the door lacks: 420 Bad Extension naming only that one in Unsupported (§8.2.2.3), which Sofia-SIP reads as a failure (exit 1); the door answers the next one", async () => {
      const door = await kind.start({ label: `${kind.label} (sip-options, Require)` });
      const r = await sipOptions(door, "Require: foo, 100rel\r\n");
      expect(r.code, r.output).toBe(1);
      expect(r.lines[0]).toBe("SIP/2.0 420 Bad Extension");
      expect(decoded(r.lines, "Unsupported")).toBe("foo");
      const again = await sipOptions(door);
      expect(again.code, again.output).toBe(0);
      await kind.expectClean(door);
    });
  });
}
