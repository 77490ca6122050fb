/*
 * The server moves, with the door's core inside the real XS engine
 * (XsIntercom: the unmodified core in a doorsip-xs worker; its lookups of
 * the server's name cross the bridge to the Node side's resolver,
 * hosts/xs/bridge-protocol.ts "resolve"/"resolved"), as on the device,
 * where the same core asks lwIP's DNS (hosts/moddable NetResolver).
 *
 * Two built-in loopback PBXes for "pbx.test" on the same port, on
 * 127.0.0.1 and 127.0.0.2, and a real DNS server on 127.0.0.1
 * (test/support/dns-server.ts), asked by NodeResolver. The XS door runs on
 * real time (its timers are the Node side's), so the RFC 3261 timers are
 * shortened (T1 50 ms: Timer F 3.2 s) and the binding is 10 s (refreshed
 * after 5 s), without a keepalive: the refresh gets no answer, the door
 * looks the name up (one DNS query), moves, registers at 127.0.0.2, and the
 * desk phone there calls it (the new server is trusted inside XS too).
 * The test of every step on the virtual clock is test/server-move.test.ts.
 * And 200 moves back and forth on the virtual station inside XS
 * (test/xs/fixtures/server-moves.ts) keep nothing after a GC.
 */
import { resolve } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent } from "../src/app/intercom";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { runInXs } from "../bench/xs-budget";
import { MOVES_PREFIX, type MovesResult } from "./xs/fixtures/server-moves";
import { LoopbackPbx } from "../hosts/node/pbx/index";
import { NodeResolver } from "../hosts/node/resolver";
import { TestDnsServer } from "./support/dns-server";
import { expectCleanXs, startXsDoor } from "./support/interop-xs-door";
import { usePeers } from "./support/peers";

const NAME = "pbx.test";
const cleanups: Array<() => Promise<void> | void> = [];

usePeers();

beforeAll(async () => {
  await ensureWorker();
}, 180_000);

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the server moves, with the core inside XS", () => {
  it("a refresh without answer -> the name looked up across the bridge -> moved, registered and called at the new address", async () => {
    const dns = await TestDnsServer.start();
    cleanups.push(() => dns.stop());
    dns.names.set(NAME, "127.0.0.1");
    const pbxOld = await LoopbackPbx.start({ address: "127.0.0.1", domain: NAME, phoneUser: false });
    cleanups.push(() => pbxOld.stop());
    const pbxNew = await LoopbackPbx.start({ address: "127.0.0.2", port: pbxOld.port, domain: NAME, answerMs: 40, hangupMs: 300, doorCode: "" });
    cleanups.push(() => pbxNew.stop());
    const resolver = new NodeResolver({ servers: [dns.endpoint], timeoutMs: 1000 });
    cleanups.push(() => resolver.close());

    const door = await startXsDoor({
      label: "XS door (server moves)",
      settings: { register: true, keepaliveSeconds: 0, timers: { t1: 50 } },
      account: { ...pbxOld.door.account, serverName: NAME, expires: 10 },
      resolver,
    });
    await door.waitEvent(IntercomEvent.Registered, 0, 5000);
    expect(pbxOld.server.lookup("door").length).toBe(1);
    const mark = door.events.length;

    await pbxOld.stop();
    dns.names.set(NAME, "127.0.0.2");
    const moved = await door.waitEvent(IntercomEvent.ServerMoved, mark, 15_000);
    expect(moved.detail).toBe(`${NAME} 127.0.0.1 -> 127.0.0.2`);
    await door.waitEvent(IntercomEvent.Registered, door.events.indexOf(moved), 5000);
    expect(door.eventNames().slice(mark)).toEqual(["registration failed", "server moved", "registered"]);
    expect(pbxNew.server.lookup("door").length).toBe(1);
    expect(dns.queries).toEqual([{ name: NAME, type: 1 }]);
    expect(door.log.some((l) => l.includes(`server: looking up ${NAME} again (no answer to REGISTER)`))).toBe(true);

    // The new server is the trusted one now: its desk phone's call is answered.
    const from = door.events.length;
    const result = await pbxNew.phone!.call("door");
    expect(result.reason).toBe("local-bye");
    expect(door.eventNames().slice(from)).toEqual(expect.arrayContaining(["incoming call", "call up", "call down"]));
    await expectCleanXs(door);
  }, 60_000);

  it("200 moves back and forth on the virtual station keep nothing: after a GC the heap is at its baseline (0 slots, 0 bytes)", async () => {
    const moves = 200;
    // A small heap, so that XS collects garbage while the moves run.
    const heap = { slots: 16_384, chunkBytes: 512 * 1024 };
    const r = await runInXs<MovesResult>(resolve(__dirname, ".."), "test/xs/fixtures/server-moves.ts", "runMoves", { moves }, MOVES_PREFIX, 120_000, heap);
    // 2 warm-up moves before the baseline; each move one lookup and a registration at the new address.
    expect(r.moves).toBe(moves + 2);
    expect(r.lookups).toBe(moves + 2);
    expect(r.registrations).toBeGreaterThanOrEqual(moves);
    expect(r.address).toBe("192.0.2.1");
    expect(r.gcs).toBeGreaterThan(0);
    expect(r.retained).toEqual({ slots: 0, chunkBytes: 0 });
    console.info(`[server-moves] ${moves} moves inside XS: retained ${r.retained.slots} slots, ${r.retained.chunkBytes} chunk bytes; ${r.gcs} collections during them`);
  }, 180_000);
});
