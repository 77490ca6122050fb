/*
 * The account settings a real PBX or provider asks for, through `doorsip run`
 * (the Node host's options) against kamailio, on the Node host and with the
 * core inside XS:
 *
 * - an outbound proxy (--proxy, RFC 3261 §8.1.2): kamailio as a provider's
 *   proxy or an SBC (test/interop/kamailio-proxy.cfg) in front of the
 *   built-in PBX. Every request of the door goes to the proxy with a Route
 *   naming it: the REGISTER and the INVITE reach the PBX through it (two
 *   Vias), the keepalive OPTIONS stops at the proxy, and a doorbell call is
 *   answered, the door opened by the code and the call hung up by the phone;
 * - an authentication ID apart from the extension (--auth-user, as 3CX gives
 *   one): extension 101 of test/interop/kamailio.cfg authenticates as
 *   Gt5sK2x. The door registers as 101 and its INVITE passes the proxy
 *   challenge; without --auth-user the registrar refuses it (403).
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { LoopbackPbx } from "../hosts/node/pbx/index";
import type { PacketEvent } from "../hosts/node/pbx/tap";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { BIN, ROOT } from "./support/cli";
import {
  KAMAILIO_PROXY_CFG, requirePeers, startKamailio, until, usePeers, USERS, type Kamailio,
} from "./support/peers";

usePeers();
const peers = requirePeers("kamailio", "kamcmd");

/** Bound of each wait for a step of the door (the XS worker is slower than Node on a busy machine). */
const WAIT_MS = 15_000;

interface DoorProcess {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const doors: DoorProcess[] = [];

/** `doorsip run` with these options, its output collected; stopped by its PID after each test. */
function runDoor(args: string[]): DoorProcess {
  const child = spawn(process.execPath, [BIN, "run", "--listen", "127.0.0.1:0", "--ascii", ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const door = { child, out: () => stdout, err: () => stderr, exited };
  doors.push(door);
  return door;
}

/** "quit" on stdin: the door unregisters and exits 0. */
async function quit(door: DoorProcess): Promise<void> {
  door.child.stdin.write("quit\n");
  const code = await Promise.race([door.exited, new Promise<string>((r) => setTimeout(() => r("timeout"), WAIT_MS))]);
  expect(code, door.out() + door.err()).toBe(0);
}

afterEach(async () => {
  for (const d of doors.splice(0)) {
    if (d.child.exitCode === null && d.child.signalCode === null) {
      d.child.kill("SIGKILL");
      await d.exited;
    }
  }
});

beforeAll(async () => {
  // The XS worker, built once (about 20 s the first time).
  await ensureWorker();
}, 180_000);

/** What the built-in PBX received from anyone but its desk phone, as first lines with the sender and the count of Via headers. */
function received(events: PacketEvent[], pbx: LoopbackPbx): Array<{ from: string; line: string; vias: number }> {
  return events
    .filter((e) => e.to === pbx.door.server && e.from !== pbx.phone?.endpoint)
    .map((e) => {
      const text = Buffer.from(e.bytes).toString("latin1");
      const head = text.split("\r\n\r\n")[0]!;
      return { from: e.from, line: head.split("\r\n")[0]!, vias: head.split("\r\n").filter((l) => /^(Via|v)\s*:/i.test(l)).length };
    });
}

const RUNTIMES: Array<[string, string[]]> = [["Node", []], ["XS", ["--xs"]]];

describe.skipIf(peers.skip)("interop: an outbound proxy (kamailio) in front of the PBX, --proxy", () => {
  for (const [runtime, extra] of RUNTIMES) {
    it(`${runtime}: registration, keepalive and a doorbell call all go through the proxy`, async () => {
      const events: PacketEvent[] = [];
      const pbx = await LoopbackPbx.start({
        domain: "pbx.test", ringMs: 50, answerMs: 200, dtmfDelayMs: 200, hangupMs: 400, tap: (e) => events.push(e),
      });
      let proxy: Kamailio | null = null;
      try {
        proxy = await startKamailio({
          cfg: KAMAILIO_PROXY_CFG,
          defines: [`PBX_DOMAIN="pbx.test"`, `PBX_ADDR="${pbx.door.server}"`],
        });
        const proxyEndpoint = `127.0.0.1:${proxy.port}`;
        const door = runDoor([
          ...extra, "--server", `sip:${pbx.door.server}`, "--domain", "pbx.test", "--proxy", `sip:${proxyEndpoint}`,
          "--user", "door", "--password", pbx.door.password, "--target", pbx.door.extension,
          "--keepalive", "1", "--door-code", "#", // the built-in desk phone types "#"
        ]);
        await until(() => door.out().includes("door: registered (200)"), "registration", WAIT_MS);
        expect(door.out()).toContain(`server ${pbx.door.server} via proxy ${proxyEndpoint}`);
        // The keepalive is answered by the proxy itself: it names the proxy and never reaches the PBX.
        await until(() => /\|<-200 OK \(OPTIONS\)-+\|/.test(door.out()), "an OPTIONS keepalive answered", WAIT_MS);
        door.child.stdin.write("press\n");
        await until(() => door.out().includes("door: door opened"), "door opened", WAIT_MS);
        await until(() => door.out().includes("door: call down (remote hangup)"), "call down", WAIT_MS);
        await quit(door);
        expect(door.err()).toBe("");
        expect(door.out()).toContain("door: unregistered (200)");

        const got = received(events, pbx);
        const registers = got.filter((r) => r.line.startsWith("REGISTER "));
        const invites = got.filter((r) => r.line.startsWith("INVITE sip:100@pbx.test"));
        expect(registers.length).toBeGreaterThanOrEqual(3); // challenged, then with credentials; then the unregistration
        expect(invites.length).toBeGreaterThanOrEqual(2); // 407, then with credentials
        // Everything of the door's came from the proxy, with the proxy's Via on top of the door's.
        for (const r of [...registers, ...invites]) {
          expect(r.from, r.line).toBe(proxyEndpoint);
          expect(r.vias, r.line).toBe(2);
        }
        expect(registers[0]!.line).toBe("REGISTER sip:pbx.test SIP/2.0");
        expect(got.some((r) => r.line.startsWith("OPTIONS "))).toBe(false);
      } finally {
        await proxy?.peer.stop(2000);
        await pbx.stop();
      }
    }, 90_000);
  }
});

describe.skipIf(peers.skip)("interop: an authentication ID apart from the extension (3CX), --auth-user", () => {
  for (const [runtime, extra] of RUNTIMES) {
    it(`${runtime}: registers as 101 with Gt5sK2x's credentials; its INVITE passes the proxy challenge`, async () => {
      const kam = await startKamailio();
      try {
        const a = USERS.authId;
        const door = runDoor([
          ...extra, "--server", `sip:127.0.0.1:${kam.port}`, "--domain", "doorsip.test",
          "--user", a.user, "--auth-user", a.authUser, "--password", a.password, "--target", "100", "--keepalive", "0", "--door-code", "1234",
        ]);
        await until(() => door.out().includes("door: registered (200)"), "registration", WAIT_MS);
        const contacts = await kam.contacts(a.user);
        expect(contacts).toHaveLength(1);
        expect(contacts[0]).toMatch(/^sip:101@127\.0\.0\.1:\d+/);
        // Extension 100 is not registered here: past the 407 and the credentials kamailio looks it up and finds
        // nobody (404). A rejected authentication ID would be 403 "Forbidden auth ID".
        door.child.stdin.write("press\n");
        await until(() => /\|<-404 Not Found \(INVITE\)-*\|/.test(door.out()), "the INVITE past the challenge", WAIT_MS);
        expect(door.out()).toMatch(/\|<-407 Proxy Authentication Required \(INVITE\)-*\|/);
        // The trace's response lines and the events, not the whole output: a port number may hold "403".
        expect(door.out()).not.toMatch(/\|<-403 |\(403\)/);
        await quit(door);
        expect(door.err()).toBe("");
        expect(await kam.contacts(a.user)).toEqual([]);
      } finally {
        await kam.peer.stop(2000);
      }
    }, 90_000);
  }

  it("without --auth-user the extension's own name is refused: registration failed (403)", async () => {
    const kam = await startKamailio();
    try {
      const a = USERS.authId;
      const door = runDoor([
        "--server", `sip:127.0.0.1:${kam.port}`, "--domain", "doorsip.test", "--user", a.user, "--password", a.password, "--keepalive", "0", "--door-code", "1234",
      ]);
      await until(() => door.out().includes("door: registration failed (403)"), "the refusal", WAIT_MS);
      expect(await kam.contacts(a.user)).toEqual([]);
      await quit(door);
    } finally {
      await kam.peer.stop(2000);
    }
  }, 60_000);
});
