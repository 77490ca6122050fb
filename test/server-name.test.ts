/*
 * The server's name looked up again (src/ua/server-name.ts), on the virtual
 * clock with a resolver host the test answers by hand: when lookups are
 * asked (RESOLVE_INTERVAL_MS apart however many failures come; one still
 * unanswered then is superseded, and only the latest answer counts), what
 * an answer does (the same address: nothing; none: stay; another: move,
 * once), nothing after stop(), nothing escapes from a resolver or listener
 * that throws, and a move that fails is tried again at the next failure. And
 * replacePacked (src/util/packed-numbers.ts), which the keepalive uses to
 * name the new address.
 */
import { describe, expect, it } from "vitest";
import type { ResolverHost } from "../src/host";
import { FAILOVER_GUARD_MS, RESOLVE_INTERVAL_MS, ServerName } from "../src/ua/server-name";
import { packNumbers, replacePacked } from "../src/util/packed-numbers";
import { MemoryLog } from "./support/registrar-setup";
import { VirtualClock } from "./support/virtual-clock";

/** A resolver whose answers the test gives: each lookup waits in `asked` until answer() is called. */
class HandResolver implements ResolverHost {
  readonly asked: Array<{ name: string; done: (address: string) => void }> = [];
  throws = false;

  resolve(name: string, done: (address: string) => void): void {
    if (this.throws) throw new Error("out of memory");
    this.asked.push({ name, done });
  }

  /** Answer the oldest lookup still waiting (or the `i`th). */
  answer(address: string, i = 0): void {
    const q = this.asked.splice(i, 1)[0];
    if (q === undefined) throw new Error("no lookup under way");
    q.done(address);
  }
}

function rig(o: { listenerThrows?: number } = {}) {
  const clock = new VirtualClock(1000);
  const resolver = new HandResolver();
  const log = new MemoryLog();
  const moves: Array<[string, string]> = [];
  const sn = new ServerName("pbx.example", "192.0.2.1", resolver, clock, {
    onServerMoved: (from, to) => {
      moves.push([from, to]);
      if (o.listenerThrows !== undefined && moves.length <= o.listenerThrows) throw new Error("listener failed");
    },
  }, log);
  sn.start();
  return { clock, resolver, log, moves, sn };
}

describe("ServerName: when the name is looked up again", () => {
  it("at most one lookup per RESOLVE_INTERVAL_MS, however many failures come", () => {
    const { clock, resolver, sn } = rig();
    sn.check("server lost");
    expect(resolver.asked.map((q) => q.name)).toEqual(["pbx.example"]);
    expect(sn.busy).toBe(true);
    // More failures while it runs, and soon after: no second lookup.
    sn.check("no answer to REGISTER");
    resolver.answer("192.0.2.1");
    expect(sn.busy).toBe(false);
    clock.advance(RESOLVE_INTERVAL_MS - 1);
    sn.check("no answer to REGISTER");
    expect(resolver.asked.length).toBe(0);
    expect(sn.lookups).toBe(1);
    clock.advance(1);
    sn.check("no answer to REGISTER");
    expect(resolver.asked.length).toBe(1);
    expect(sn.lookups).toBe(2);
  });

  it("a lookup still unanswered after RESOLVE_INTERVAL_MS is superseded: only the latest counts, even when the older answers last", () => {
    const { clock, resolver, sn, moves } = rig();
    sn.check("server lost");
    clock.advance(RESOLVE_INTERVAL_MS);
    sn.check("server still lost");
    expect(resolver.asked.length).toBe(2);
    expect(sn.busy).toBe(true);
    // The latest answers first, the older (a slow DNS server's stale record) last: the station stays where the latest says.
    resolver.answer("192.0.2.7", 1);
    expect(moves).toEqual([["192.0.2.1", "192.0.2.7"]]);
    expect(sn.busy).toBe(false);
    resolver.answer("192.0.2.99");
    expect(moves).toEqual([["192.0.2.1", "192.0.2.7"]]);
    expect(sn.address).toBe("192.0.2.7");
  });

  it("a lookup dropped by stop() does not hold the next one back after start()", () => {
    const { resolver, sn } = rig();
    sn.check("server lost");
    sn.stop();
    sn.start();
    sn.check("server lost");
    expect(resolver.asked.length).toBe(2);
    expect(sn.lookups).toBe(2);
  });

  it("a move that failed part way: the next answer moves even when it is the old address (some parts may be at the new one)", () => {
    const { clock, resolver, sn, moves, log } = rig({ listenerThrows: 1 });
    sn.check("server lost");
    resolver.answer("198.51.100.4");
    expect(sn.address).toBe("192.0.2.1");
    sn.check("server still lost");
    // The server went back to where it was: the station is moved there, all of it (no move counted: the address is the same).
    resolver.answer("192.0.2.1");
    expect(moves).toEqual([["192.0.2.1", "198.51.100.4"], ["192.0.2.1", "192.0.2.1"]]);
    expect(sn.moves).toBe(0);
    expect(log.lines.some((l) => l.includes("pbx.example is 192.0.2.1: moving there again (the last move was incomplete)"))).toBe(true);
    // Complete again: a minute later the same answer moves nothing.
    clock.advance(RESOLVE_INTERVAL_MS);
    sn.check("server lost");
    resolver.answer("192.0.2.1");
    expect(moves).toHaveLength(2);
    expect(log.lines.some((l) => l.includes("pbx.example is still 192.0.2.1"))).toBe(true);
  });

  it("before start() and after stop(): no lookup, and an answer under way is ignored", () => {
    const { resolver, sn, moves } = rig();
    sn.check("server lost");
    sn.stop();
    resolver.answer("192.0.2.9");
    expect(moves).toEqual([]);
    expect(sn.address).toBe("192.0.2.1");
    sn.check("server lost");
    expect(resolver.asked.length).toBe(0);
  });
});

describe("ServerName: what an answer does", () => {
  it("the same address: nothing moves", () => {
    const { resolver, sn, moves, log } = rig();
    sn.check("server lost");
    resolver.answer("192.0.2.1");
    expect(moves).toEqual([]);
    expect(sn.moves).toBe(0);
    expect(log.lines.some((l) => l.includes("pbx.example is still 192.0.2.1"))).toBe(true);
  });

  it("no address (the name does not resolve now): the station stays, with a warning", () => {
    const { clock, resolver, sn, moves, log } = rig();
    sn.check("server lost");
    resolver.answer("");
    expect(moves).toEqual([]);
    expect(sn.unresolved).toBe(1);
    expect(sn.address).toBe("192.0.2.1");
    expect(log.lines.some((l) => l.includes("pbx.example does not resolve now; staying at 192.0.2.1"))).toBe(true);
    // Asked again at the next failure after the interval: now it has moved.
    clock.advance(RESOLVE_INTERVAL_MS);
    sn.check("no answer to REGISTER");
    resolver.answer("198.51.100.4");
    expect(moves).toEqual([["192.0.2.1", "198.51.100.4"]]);
    expect(log.lines.some((l) => l.includes("pbx.example is 198.51.100.4 now, no longer 192.0.2.1: moving there"))).toBe(true);
  });

  it("another address: the listener moves the station, from the address in use to the new one", () => {
    const { clock, resolver, sn, moves } = rig();
    sn.check("server lost");
    resolver.answer("198.51.100.4");
    clock.advance(RESOLVE_INTERVAL_MS);
    sn.check("server lost");
    resolver.answer("198.51.100.5");
    expect(moves).toEqual([["192.0.2.1", "198.51.100.4"], ["198.51.100.4", "198.51.100.5"]]);
    expect(sn.moves).toBe(2);
  });

  it("a resolver that throws (Net.resolve out of memory): nothing escapes, the next lookup works", () => {
    const { clock, resolver, sn, log, moves } = rig();
    resolver.throws = true;
    expect(() => sn.check("server lost")).not.toThrow();
    expect(sn.busy).toBe(false);
    expect(log.lines.some((l) => l.includes("cannot look up pbx.example: Error: out of memory"))).toBe(true);
    resolver.throws = false;
    clock.advance(RESOLVE_INTERVAL_MS);
    sn.check("server lost");
    resolver.answer("198.51.100.4");
    expect(moves).toEqual([["192.0.2.1", "198.51.100.4"]]);
  });

  it("a move that fails half way (the listener throws): nothing escapes, the address stays, and the next failure asks at once and moves", () => {
    const { resolver, sn, log, moves } = rig({ listenerThrows: 1 });
    sn.check("server lost");
    expect(() => resolver.answer("198.51.100.4")).not.toThrow();
    expect(sn.address).toBe("192.0.2.1");
    expect(sn.moves).toBe(0);
    expect(log.lines.some((l) => l.includes("server: moving to 198.51.100.4 failed: Error: listener failed"))).toBe(true);
    // No RESOLVE_INTERVAL_MS wait after a failed move.
    sn.check("server still lost");
    expect(resolver.asked.length).toBe(1);
    resolver.answer("198.51.100.4");
    expect(moves).toEqual([["192.0.2.1", "198.51.100.4"], ["192.0.2.1", "198.51.100.4"]]);
    expect(sn.address).toBe("198.51.100.4");
    expect(sn.moves).toBe(1);
  });
});

describe("replacePacked", () => {
  it("replaces one text, keeps the numbers, the other texts and the extra bytes, and moves the offsets after it", () => {
    const n = packNumbers(6, 2, ["OPTIONS sip:192.0.2.1:5060 SIP/2.0\r\n", "From: x", "To: <sip:192.0.2.1:5060>\r\n"], 3);
    n[0] = 42;
    n[1] = 7.5;
    const bytes = new Uint8Array(n.buffer);
    bytes[bytes.length - 1] = 9;
    const text = (m: Float64Array, i: number): string => Buffer.from(new Uint8Array(m.buffer).subarray(m[2 + i]!, m[3 + i]!)).toString();
    const m = replacePacked(n, 2, 3, 0, "OPTIONS sip:198.51.100.40:5060 SIP/2.0\r\n");
    const k = replacePacked(m, 2, 3, 2, "To: <sip:198.51.100.40:5060>\r\n");
    expect([k[0], k[1]]).toEqual([42, 7.5]);
    expect([text(k, 0), text(k, 1), text(k, 2)]).toEqual(["OPTIONS sip:198.51.100.40:5060 SIP/2.0\r\n", "From: x", "To: <sip:198.51.100.40:5060>\r\n"]);
    const kb = new Uint8Array(k.buffer);
    expect(kb.length).toBe(bytes.length + 8); // "198.51.100.40" is 4 bytes longer than "192.0.2.1", twice
    expect(Array.from(kb.subarray(kb.length - 3))).toEqual([0, 0, 9]);
    // The original is untouched.
    expect(text(n, 0)).toBe("OPTIONS sip:192.0.2.1:5060 SIP/2.0\r\n");
  });
});

/** A finder whose answers the test gives (the servers of SRV records, RFC 3263 §4.2). */
class HandFinder {
  readonly asked: Array<(servers: ReadonlyArray<{ address: string; port: number }>) => void> = [];
  find(_name: string, done: (servers: ReadonlyArray<{ address: string; port: number }>) => void): void {
    this.asked.push(done);
  }
}

describe("ServerName with SRV targets: the next one on failure (RFC 3263 §4.3), then a lookup", () => {
  function srvRig() {
    const clock = new VirtualClock(1000);
    const finder = new HandFinder();
    const log = new MemoryLog();
    const moves: Array<[string, string, number]> = [];
    const servers = [{ address: "192.0.2.1", port: 5070 }, { address: "192.0.2.2", port: 5080 }, { address: "192.0.2.3", port: 5090 }];
    const sn = new ServerName("example.com", "192.0.2.1", finder, clock, { onServerMoved: (from, to, port) => void moves.push([from, to, port]) }, log, 5070, servers);
    sn.start();
    return { clock, finder, log, moves, sn };
  }

  it("moves through the targets in order, with their ports, without a lookup; a target is given FAILOVER_GUARD_MS first", () => {
    const { clock, finder, moves, sn, log } = srvRig();
    expect(sn.serverIndex).toBe(0);
    sn.check("server lost");
    expect(moves).toEqual([["192.0.2.1", "192.0.2.2", 5080]]);
    expect({ address: sn.address, port: sn.port, failovers: sn.failovers, lookups: sn.lookups }).toEqual({ address: "192.0.2.2", port: 5080, failovers: 1, lookups: 0 });
    expect(log.lines.some((l) => l.includes("192.0.2.1:5070 of example.com is not answering (server lost); trying the next server, 192.0.2.2:5080 (RFC 3263 §4.3)"))).toBe(true);
    // The same outage reported another way at once (REGISTER timed out): not a second move.
    sn.check("no answer to REGISTER");
    expect(moves.length).toBe(1);
    clock.advance(FAILOVER_GUARD_MS);
    sn.check("no answer to REGISTER");
    expect(moves[1]).toEqual(["192.0.2.2", "192.0.2.3", 5090]);
    expect(finder.asked.length).toBe(0);
  });

  it("after the last target the name is looked up again; its first server is moved to, unless it is the one in use", () => {
    const { clock, finder, moves, sn } = srvRig();
    sn.check("server lost");
    clock.advance(FAILOVER_GUARD_MS);
    sn.check("server lost");
    clock.advance(FAILOVER_GUARD_MS);
    sn.check("server still lost");
    expect(finder.asked.length).toBe(1);
    expect(sn.lookups).toBe(1);
    finder.asked.shift()!([{ address: "198.51.100.9", port: 5060 }, { address: "192.0.2.3", port: 5090 }]);
    expect(moves[2]).toEqual(["192.0.2.3", "198.51.100.9", 5060]);
    expect({ index: sn.serverIndex, moves: sn.moves }).toEqual({ index: 0, moves: 1 });
    // That one fails too: on to the answer's second, the one that failed before (the list is the DNS's word now).
    clock.advance(FAILOVER_GUARD_MS);
    sn.check("server lost");
    expect(moves[3]).toEqual(["198.51.100.9", "192.0.2.3", 5090]);
    // After the last, a lookup again, RESOLVE_INTERVAL_MS after the previous one.
    clock.advance(FAILOVER_GUARD_MS);
    sn.check("server lost");
    expect(finder.asked.length).toBe(0);
    clock.advance(RESOLVE_INTERVAL_MS);
    sn.check("server lost");
    expect(finder.asked.length).toBe(1);
    // The answer's first is where the station is: it stays.
    finder.asked.shift()!([{ address: "192.0.2.3", port: 5090 }]);
    expect(moves.length).toBe(4);
    expect(sn.address).toBe("192.0.2.3");
  });

  it("with an A resolver the port stays: the move names the configured one", () => {
    const clock = new VirtualClock(1000);
    const resolver = new HandResolver();
    const moves: Array<[string, string, number]> = [];
    const sn = new ServerName("pbx.example", "192.0.2.1", resolver, clock, { onServerMoved: (from, to, port) => void moves.push([from, to, port]) }, undefined, 5070);
    sn.start();
    sn.check("server lost");
    resolver.answer("192.0.2.9");
    expect(moves).toEqual([["192.0.2.1", "192.0.2.9", 5070]]);
  });
});
