/*
 * OPTIONS keepalive to the registrar / outbound proxy, on the virtual clock.
 * Rules checked:
 * - RFC 3261 §11: an OPTIONS outside a dialog, well formed: Request-URI the
 *   next hop, new Call-ID and From tag each time (§8.1.1.3, §8.1.1.4), CSeq,
 *   Max-Forwards 70, Via with rport (RFC 3581), Content-Length 0.
 * - One every 30 s (the next one 30 s after the previous ended), 0 disables.
 * - Any final response proves the server alive: 404, 405, 401, 407 too; no
 *   credentials are ever sent with OPTIONS.
 * - 3 timeouts in a row (Timer F, §17.1.2.2) -> server lost, reported once;
 *   registration goes to Backoff and retries with backoff; the first answer
 *   after that -> server alive, registration re-registers at once.
 */
import { describe, expect, it } from "vitest";
import { RegState } from "../src/ua/registration";
import { SipParser } from "../src/sip/message/parser";
import { SipMessage } from "../src/sip/message/message";
import { DROP, header, parseRequest, status } from "./support/registrar";
import { keepalive, setup, type Setup } from "./support/registrar-setup";
import type { Keepalive } from "../src/ua/keepalive";

/**
 * A registered door whose first OPTIONS (at 31 s) the PBX answers `ms` after it went; `before` changes the PBX just
 * before that OPTIONS. Returns at 31.001 s, the answer still on its way.
 */
function optionsAnsweredAfter(ms: number, before: (s: Setup) => void): { s: Setup; ka: Keepalive } {
  const s = setup();
  const ka = keepalive(s);
  s.reg.start();
  s.clock.advance(1000);
  expect(s.reg.state).toBe(RegState.Registered);
  ka.start();
  s.clock.advanceTo(30_999);
  before(s);
  s.layer.latencyMs = ms;
  s.clock.advanceTo(31_001);
  s.layer.latencyMs = 20;
  return { s, ka };
}

describe("keepalive", () => {
  it("sends a well-formed OPTIONS every 30 s", () => {
    const s = setup();
    const ka = keepalive(s);
    ka.start();
    s.clock.advance(300_000 + 500);
    const opts = s.registrar.options;
    expect(opts.length).toBe(10); // 30 s + 20 ms latency per round: 30.000 s ... 300.180 s
    const times = s.layer.sent.map((x) => x.time);
    expect(times[0]).toBe(30_000);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(30_020);
    const parser = new SipParser();
    const msg = new SipMessage();
    const callIds = new Set<string>();
    const tags = new Set<string>();
    for (const e of opts) {
      const r = e.request;
      const bytes = Buffer.from(r.text);
      expect(parser.parse(bytes, bytes.length, msg)).toBe(true);
      expect(r.uri).toBe("sip:192.168.1.1:5060");
      expect(header(r, "To")).toBe("<sip:192.168.1.1:5060>");
      expect(header(r, "From")).toMatch(/^<sip:door@fritz\.box>;tag=[0-9a-f]{16}$/);
      expect(header(r, "CSeq")).toBe("1 OPTIONS");
      expect(header(r, "Max-Forwards")).toBe("70");
      expect(header(r, "Content-Length")).toBe("0");
      expect(header(r, "Via")).toMatch(/;rport$/);
      callIds.add(header(r, "Call-ID")!);
      tags.add(header(r, "From")!);
    }
    expect(callIds.size).toBe(opts.length);
    expect(tags.size).toBe(opts.length);
    expect(s.layer.sent.every((x) => x.address === "192.168.1.1" && x.port === 5060)).toBe(true);
    expect(ka.answered).toBe(10);
    ka.stop();
    s.clock.advance(600_000);
    expect(s.registrar.options.length).toBe(10);
  });

  it("stop() with an OPTIONS in flight gives its transaction back to the layer", () => {
    const s = setup();
    s.registrar.down = true;
    const ka = keepalive(s);
    ka.start();
    s.clock.advance(30_001);
    expect(s.layer.clientCount).toBe(1);
    ka.stop();
    // Not left retransmitting to the server until Timer F (§17.1.2.2), holding one of the few client transactions.
    expect(s.layer.clientCount).toBe(0);
    expect(s.timers.size).toBe(0);
  });

  it.each([404, 405, 401, 407, 500])("%i counts as alive, no credentials sent", (code) => {
    const s = setup({ optionsStatus: code });
    let lost = 0;
    const ka = keepalive(s, { listener: { onServerLost: () => lost++, onServerAlive: () => {} } });
    ka.start();
    s.clock.advance(600_000);
    expect(s.registrar.options.length).toBeGreaterThanOrEqual(19);
    expect(s.registrar.options.every((e) => e.status === code)).toBe(true);
    expect(s.registrar.options.every((e) => header(e.request, "Authorization") === undefined && header(e.request, "Proxy-Authorization") === undefined)).toBe(true);
    expect(ka.misses).toBe(0);
    expect(ka.lost).toBe(false);
    expect(lost).toBe(0);
  });

  it("3 timeouts -> lost, registration backs off; the server answers again -> re-register at once", () => {
    const s = setup();
    const events: [string, number][] = [];
    const ka = keepalive(s, {
      listener: {
        onServerLost: () => { events.push(["lost", s.clock.now()]); s.reg.onServerLost(); },
        onServerAlive: () => { events.push(["alive", s.clock.now()]); s.reg.onServerAlive(); },
      },
    });
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    ka.start();
    s.registrar.down = true;
    // OPTIONS at 31 s, 93 s, 155 s (30 s after each 32 s timeout); the third times out at 187 s.
    s.clock.advanceTo(186_999);
    expect(events).toEqual([]);
    expect(ka.misses).toBe(2);
    s.clock.advanceTo(187_000);
    expect(events).toEqual([["lost", 187_000]]);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(408);
    // Registration retries with backoff while the keepalive goes on; lost is reported once.
    const regsBefore = s.registrar.registers.length;
    s.clock.advance(600_000);
    const retries = s.registrar.registers.slice(regsBefore);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.length).toBeLessThanOrEqual(5);
    expect(events.length).toBe(1);
    expect(s.registrar.options.length).toBeGreaterThan(5);
    // The server comes back: the next OPTIONS is answered and registration goes at once.
    s.registrar.down = false;
    const sentBefore = s.layer.sent.length;
    s.clock.advance(62_100);
    expect(events.length).toBe(2);
    expect(events[1]![0]).toBe("alive");
    const after = s.layer.sent.slice(sentBefore);
    const options = after.find((x) => x.method === "OPTIONS")!;
    const register = after.find((x) => x.method === "REGISTER")!;
    // Either the REGISTER follows the answered OPTIONS at once, or a backoff retry got there first.
    if (register.time > options.time) expect(register.time).toBe(options.time + 20);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(ka.lost).toBe(false);
    expect(ka.misses).toBe(0);
  });

  it("moveServer (src/ua/server-name.ts): the OPTIONS under way is given back, the misses start again, the next OPTIONS names the new address at once; each miss while lost is reported", () => {
    const s = setup();
    const still: number[] = [];
    let lost = 0;
    const ka = keepalive(s, { listener: { onServerLost: () => lost++, onServerAlive: () => {}, onServerStillLost: () => still.push(s.clock.now()) } });
    ka.start();
    s.registrar.down = true;
    // OPTIONS at 30 s, 92 s, 154 s, 216 s, 278 s; misses at 62 s, 124 s, 186 s (lost), 248 s (still lost); the one of 278 s is under way at 280 s.
    s.clock.advanceTo(280_000);
    expect(lost).toBe(1);
    expect(still).toEqual([248_000]);
    expect(ka.misses).toBe(4);
    expect(s.layer.clientCount).toBe(1);
    const sent = s.layer.sent.length;
    ka.moveServer("198.51.100.20");
    // Given back at once: no client transaction held for the old address's Timer F.
    expect(s.layer.clientCount).toBe(0);
    expect(ka.misses).toBe(0);
    s.registrar.down = false;
    s.clock.advance(100);
    const next = s.layer.sent.slice(sent);
    expect(next.map((x) => [x.method, x.address, x.time])).toEqual([["OPTIONS", "198.51.100.20", 280_000]]);
    const r = next[0]!;
    expect(r.text.startsWith("OPTIONS sip:198.51.100.20:5060 SIP/2.0\r\n")).toBe(true);
    expect(r.text).toContain("\r\nTo: <sip:198.51.100.20:5060>\r\n");
    expect(ka.answered).toBe(1);
  });

  it("the server answers while a REGISTER retry is out: if that one was lost, the next goes at once", () => {
    const s = setup();
    s.registrar.script.push(DROP);
    s.reg.start();
    s.clock.advance(1000);
    s.reg.onServerAlive();
    s.clock.advanceTo(32_100);
    expect(s.layer.sent.map((x) => x.time)).toEqual([0, 32_000, 32_020]);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
  });

  it("the server answers after a missed OPTIONS (a reboot too short to be lost): a Registered binding it forgot is refreshed at once, not an hour later", () => {
    const s = setup();
    const ka = keepalive(s);
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.registrar.bindings.size).toBe(1);
    ka.start();
    // The PBX reboots at 29 s: silent for 41 s, then up without our binding, its nonces new.
    s.clock.advanceTo(29_000);
    s.registrar.down = true;
    s.registrar.bindings.clear();
    s.registrar.newNonce();
    s.clock.advanceTo(70_000);
    s.registrar.down = false;
    // OPTIONS of 31 s unanswered (a miss at 63 s), the next at 93 s answered: a REGISTER follows at once (stale nonce: 401, again, 200).
    s.clock.advanceTo(94_000);
    expect(ka.misses).toBe(0);
    expect(ka.lost).toBe(false);
    const regs = s.registrar.registers.slice(2);
    expect(regs.map((e) => e.status)).toEqual([401, 200]);
    expect(s.registrar.bindings.size).toBe(1);
    // The state never left Registered: the door had a binding as far as it knew, and has one again.
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
    // One REGISTER for the silence, then refreshes on the usual schedule only.
    s.clock.advanceTo(3_000_000);
    expect(s.registrar.registers.length).toBe(4);
  });

  it("an OPTIONS answered only 3.6 s after it went (a restart shorter than Timer F): a Registered binding the PBX forgot is refreshed at once", () => {
    // The PBX restarts just before the OPTIONS of 31 s and forgets our binding; the real layer resends that OPTIONS at
    // 31.5, 32.5 and 34.5 s (§17.1.2.2), the PBX answers the last (the fake layer: the answer 3.6 s after the send;
    // the real layer's resends are in test/longrun.test.ts).
    const { s, ka } = optionsAnsweredAfter(3_600, (s) => {
      s.registrar.bindings.clear();
      s.registrar.newNonce();
    });
    s.clock.advanceTo(40_000);
    expect(ka.misses).toBe(0);
    expect(ka.answered).toBe(1);
    const regs = s.registrar.registers.slice(2);
    expect(regs.map((e) => e.status)).toEqual([401, 200]);
    expect(s.layer.sent.filter((x) => x.method === "REGISTER").map((x) => x.time).slice(2)).toEqual([34_600, 34_620]);
    expect(s.registrar.bindings.size).toBe(1);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
    expect(s.log.lines.some((l) => l.includes("keepalive: server answered only after 3600 ms"))).toBe(true);
  });

  it("an OPTIONS answered 3.4 s after it went (two or three sends lost): loss, not a restart: no REGISTER", () => {
    const { s, ka } = optionsAnsweredAfter(3_400, () => {});
    s.clock.advanceTo(3_000_000);
    expect(ka.answered).toBeGreaterThan(90);
    expect(ka.misses).toBe(0);
    // The two REGISTERs of the start (401, 200), then refreshes on their schedule only (3600 s: none by 3,000 s).
    expect(s.registrar.registers.length).toBe(2);
  });

  it("a missed OPTIONS while the registrar says 503 Retry-After: 600: the server never went away, so no REGISTER before then", () => {
    const s = setup();
    const ka = keepalive(s);
    const registrar = s.registrar;
    let dropNext = false;
    let droppedAt = -1;
    // The PBX answers every REGISTER 503 Retry-After: 600 (overloaded) and OPTIONS 200; one OPTIONS is lost on the way.
    s.layer.peer = {
      handle(text: string, src: string, port: number) {
        const req = parseRequest(text);
        if (req.method === "OPTIONS" && dropNext) {
          dropNext = false;
          droppedAt = s.clock.now();
          return null;
        }
        if (req.method === "REGISTER") return status(503, "Retry-After: 600")(req, registrar, src, port);
        return registrar.handle(text, src, port);
      },
    };
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Backoff);
    expect(s.reg.lastStatus).toBe(503);
    ka.start();
    s.clock.advance(40_000);
    expect(s.layer.sent.filter((x) => x.method === "OPTIONS").length).toBeGreaterThan(0);
    dropNext = true;
    s.clock.advance(40_000);
    expect(droppedAt).toBeGreaterThan(0);
    // That OPTIONS times out (a miss), the next is answered: the keepalive reports the server back.
    s.clock.advanceTo(droppedAt + 32_000 + 30_000 + 1000);
    expect(ka.misses).toBe(0);
    expect(s.layer.sent.filter((x) => x.method === "OPTIONS" && x.time > droppedAt).length).toBeGreaterThan(0);
    // Still the one REGISTER: the registrar's Retry-After stands, the backoff is not reset.
    expect(s.layer.sent.filter((x) => x.method === "REGISTER").map((x) => x.time)).toEqual([0]);
    s.clock.advanceTo(600_000 + 100);
    expect(s.layer.sent.filter((x) => x.method === "REGISTER").length).toBe(2);
  });

  it("misses in a row only: an answer in between resets the count", () => {
    const s = setup();
    let lost = 0;
    const ka = keepalive(s, { listener: { onServerLost: () => lost++, onServerAlive: () => {} } });
    ka.start();
    for (let round = 0; round < 5; round++) {
      s.registrar.down = true;
      s.clock.advance(2 * 62_000);
      s.registrar.down = false;
      s.clock.advance(30_100);
    }
    expect(lost).toBe(0);
    expect(ka.misses).toBe(0);
  });

  it("a keepalive our own layer has no room for is not a miss: the server is not reported lost", () => {
    const s = setup();
    let lost = 0;
    const ka = keepalive(s, { maxMisses: 1, intervalSeconds: 10, listener: { onServerLost: () => lost++, onServerAlive: () => {} } });
    ka.start();
    s.layer.refuseSends = true;
    s.clock.advance(60_000);
    expect(lost).toBe(0);
    expect(ka.misses).toBe(0);
    // The layer refuses with a transport error instead: that is a miss.
    s.layer.refuseSends = false;
    s.layer.sendFails = true;
    s.clock.advance(10_000);
    expect(lost).toBe(1);
  });

  it("maxMisses is configurable", () => {
    const s = setup();
    let lost = 0;
    const ka = keepalive(s, { maxMisses: 1, intervalSeconds: 10, listener: { onServerLost: () => lost++, onServerAlive: () => {} } });
    ka.start();
    s.registrar.down = true;
    s.clock.advance(10_000 + 32_000);
    expect(lost).toBe(1);
  });

  it("0 disables it", () => {
    const s = setup();
    const ka = keepalive(s, { intervalSeconds: 0 });
    expect(ka.enabled).toBe(false);
    ka.start();
    s.clock.advance(3_600_000);
    expect(s.layer.sent.length).toBe(0);
    expect(s.timers.size).toBe(0);
  });

  it("pings the outbound proxy when there is one", () => {
    const s = setup({}, { outboundProxyHost: "10.0.0.9" });
    const ka = keepalive(s, {}, { outboundProxyHost: "10.0.0.9" });
    ka.start();
    s.clock.advance(31_000);
    expect(s.layer.sent.map((x) => [x.address, x.port])).toEqual([["10.0.0.9", 5060]]);
    expect(s.registrar.options[0]!.request.uri).toBe("sip:10.0.0.9:5060");
  });
});
