/*
 * Registration and keepalive over real UDP on 127.0.0.1: NodeUdp and the
 * real transaction layer on the device side, a scripted registrar on a
 * socket of its own that challenges with 401, checks the Digest response
 * with node:crypto (RFC 2617 / RFC 7616) and answers 200, and answers
 * OPTIONS. The virtual clock still drives the timers (refresh, keepalive);
 * the sockets only carry bytes, and every wait for a datagram is bounded.
 * Rules checked: RFC 3261 §10.2 (REGISTER bytes, Call-ID, CSeq, branch),
 * §22.2 (401 -> Authorization, verified), §17.1.3 (responses matched by the
 * real layer), RFC 3581 §4 (received/rport from a real source port ->
 * corrected Contact), §10.2.2 (unregister), §11 (OPTIONS keepalive).
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { NodeHash } from "../hosts/node/hash";
import { NodeUdp } from "../hosts/node/udp";
import type { ServerTransactionUser } from "../src/sip/transaction/api";
import { TransactionLayer } from "../src/sip/transaction/layer";
import { TimerQueue } from "../src/sip/timer/timer-queue";
import { Keepalive } from "../src/ua/keepalive";
import { RegState, Registration } from "../src/ua/registration";
import { digestParams, expectedResponse, header, ScriptedRegistrar } from "./support/registrar";
import { MemoryLog } from "./support/registrar-setup";
import { SeededRandom } from "./support/seeded-random";
import { VirtualClock } from "./support/virtual-clock";
import { until } from "./support/wait";

const NO_SERVER: ServerTransactionUser = {
  onRequest: () => {},
  onAck: () => {},
  onCancel: () => {},
  onServerTimeout: () => {},
};

interface Rig {
  clock: VirtualClock;
  layer: TransactionLayer;
  udp: NodeUdp;
  server: Socket;
  serverPort: number;
  registrar: ScriptedRegistrar;
  reg: Registration;
  ka: Keepalive;
  log: MemoryLog;
}

const open: Rig[] = [];

async function rig(): Promise<Rig> {
  const clock = new VirtualClock(0);
  const log = new MemoryLog();
  const timers = new TimerQueue(clock, log);
  clock.attach(timers);
  const random = new SeededRandom(7);
  const layer = new TransactionLayer({ queue: timers, random, user: NO_SERVER, log });
  const udp = await NodeUdp.bind({ receiver: layer, address: "127.0.0.1", port: 0 });
  layer.attach(udp);
  const registrar = new ScriptedRegistrar();
  const server = createSocket("udp4");
  server.on("message", (data, rinfo) => {
    const out = registrar.handle(data.toString("utf8"), rinfo.address, rinfo.port);
    const list = out === null ? [] : typeof out === "string" ? [out] : out;
    for (const text of list) server.send(Buffer.from(text, "utf8"), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", () => resolve()));
  const serverPort = server.address().port;
  const account = { registrarHost: "127.0.0.1", registrarPort: serverPort, domain: "doorsip.test", user: "door", password: "secret" };
  const reg = new Registration({ account, layer, timers, random, hash: new NodeHash(), log });
  const ka = new Keepalive({ account, layer, timers, random, log, listener: reg });
  const r: Rig = { clock, layer, udp, server, serverPort, registrar, reg, ka, log };
  open.push(r);
  return r;
}

afterEach(async () => {
  for (const r of open.splice(0)) {
    r.ka.stop();
    await r.udp.close();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
  }
});

describe("registration over UDP with the real transaction layer", () => {
  it("401 -> verified digest -> 200, OPTIONS keepalive answered, unregister on stop", async () => {
    const r = await rig();
    r.reg.start();
    await until(() => r.reg.state === RegState.Registered, "Registered");
    const regs = r.registrar.registers;
    expect(regs.map((e) => [e.status, e.auth])).toEqual([[401, "none"], [200, "ok"]]);
    const [first, second] = regs.map((e) => e.request);
    expect(first!.uri).toBe("sip:doorsip.test");
    expect(header(first!, "Via")).toMatch(new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${r.udp.localPort};branch=z9hG4bK[0-9a-f]{16};rport$`));
    expect(header(first!, "Contact")).toBe(`<sip:door@127.0.0.1:${r.udp.localPort}>;expires=3600`);
    expect(header(second!, "Call-ID")).toBe(header(first!, "Call-ID"));
    expect([header(first!, "CSeq"), header(second!, "CSeq")]).toEqual(["1 REGISTER", "2 REGISTER"]);
    expect(header(second!, "Via")).not.toBe(header(first!, "Via"));
    // The digest, recomputed here with node:crypto from what was sent.
    const p = digestParams(header(second!, "Authorization")!);
    expect(p).toMatchObject({ username: "door", realm: "doorsip.test", uri: "sip:doorsip.test", qop: "auth", nc: "00000001", nonce: r.registrar.nonce });
    expect(p.response).toBe(expectedResponse(p, "secret", "REGISTER"));
    expect(r.reg.granted).toBe(3600);

    // Keepalive: the OPTIONS goes after 30 s of virtual time and is answered over the socket.
    r.ka.start();
    r.clock.advance(30_000);
    await until(() => r.ka.answered === 1, "OPTIONS answered");
    expect(r.registrar.options.length).toBe(1);
    expect(r.registrar.options[0]!.request.uri).toBe(`sip:127.0.0.1:${r.serverPort}`);
    expect(r.ka.misses).toBe(0);

    // Shutdown removes the binding.
    r.ka.stop();
    r.reg.stop();
    await until(() => r.reg.state === RegState.Unregistered, "Unregistered");
    const last = r.registrar.registers[r.registrar.registers.length - 1]!;
    expect(header(last.request, "Expires")).toBe("0");
    expect(header(last.request, "CSeq")).toBe("3 REGISTER");
    expect(last.auth).toBe("ok");
    expect(last.status).toBe(200);
    expect(r.registrar.bindings.size).toBe(0);
    expect(r.layer.counters.userErrors).toBe(0);
    expect(r.log.errors).toEqual([]);
  });

  it("received/rport from the real source port correct a wrong advertised Contact, once", async () => {
    const r = await rig();
    r.layer.setAdvertised("192.0.2.99", 5999); // what a device behind NAT would think it is
    r.reg.start();
    await until(() => r.reg.state === RegState.Registered, "Registered");
    const regs = r.registrar.registers;
    expect(regs.map((e) => e.status)).toEqual([401, 200, 200]);
    expect(header(regs[0]!.request, "Contact")).toBe("<sip:door@192.0.2.99:5999>;expires=3600");
    expect(regs[2]!.request.headers.get("contact")).toEqual([
      `<sip:door@127.0.0.1:${r.udp.localPort}>;expires=3600`,
      "<sip:door@192.0.2.99:5999>;expires=0",
    ]);
    expect(header(regs[2]!.request, "Via")).toContain(`127.0.0.1:${r.udp.localPort};`);
    expect(r.layer.advertisedAddress).toBe("127.0.0.1");
    expect(r.layer.advertisedPort).toBe(r.udp.localPort);
    expect([...r.registrar.bindings.keys()]).toEqual([`sip:door@127.0.0.1:${r.udp.localPort}`]);
    // No further REGISTER comes by itself.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.registrar.registers.length).toBe(3);
  });
});
