import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UdpReceiver } from "../src/host";
import { LogLevel } from "../src/host";
import { NodeUdp } from "../hosts/node/udp";
import { MAX_TIMEOUT_MS, NodeClock, timeoutDelay } from "../hosts/node/clock";
import { NodeHash } from "../hosts/node/hash";
import { NodeRandom } from "../hosts/node/random";
import { NodeLog, parseLogLevel } from "../hosts/node/log";
import { JsonFileStorage } from "../hosts/node/storage";
import { TimerEntry, TimerQueue } from "../src/sip/timer/timer-queue";
import { TimerKind } from "../src/sip/timer/timer-kind";
import { utf8Encode } from "../src/util/utf8";

interface Datagram { text: string; address: string; port: number }

/** Copies each datagram out (the host may reuse its buffer) and resolves waiters. */
class Inbox implements UdpReceiver {
  readonly got: Datagram[] = [];
  private waiters: (() => void)[] = [];
  receive(data: Uint8Array, length: number, address: string, port: number): void {
    this.got.push({ text: Buffer.from(data.subarray(0, length)).toString("utf8"), address, port });
    for (const w of this.waiters.splice(0)) w();
  }
  async waitFor(n: number, ms = 2000): Promise<Datagram[]> {
    const deadline = Date.now() + ms;
    while (this.got.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out with ${this.got.length}/${n} datagrams`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.got;
  }
}

const open: NodeUdp[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((u) => u.close()));
});

async function bind(receiver: UdpReceiver, port = 0): Promise<NodeUdp> {
  const u = await NodeUdp.bind({ receiver, port });
  open.push(u);
  return u;
}

describe("NodeUdp", () => {
  it("two sockets on 127.0.0.1 exchange datagrams", async () => {
    const inA = new Inbox(), inB = new Inbox();
    const a = await bind(inA), b = await bind(inB);
    expect(a.localAddress).toBe("127.0.0.1");
    expect(a.localPort).toBeGreaterThan(0);
    expect(b.localPort).not.toBe(a.localPort);

    const buf = new Uint8Array(64);
    const msg = utf8Encode("OPTIONS sip:b SIP/2.0\r\n\r\n");
    buf.set(msg);
    expect(a.send(buf, msg.length, "127.0.0.1", b.localPort)).toBe(true);
    // The caller may reuse its buffer at once: overwrite before the send completes.
    buf.fill(0x58);
    const [d] = await inB.waitFor(1);
    expect(d).toEqual({ text: "OPTIONS sip:b SIP/2.0\r\n\r\n", address: "127.0.0.1", port: a.localPort });

    const reply = utf8Encode("SIP/2.0 200 OK\r\n\r\n");
    expect(b.send(reply, reply.length, d!.address, d!.port)).toBe(true);
    const [r] = await inA.waitFor(1);
    expect(r!.text).toBe("SIP/2.0 200 OK\r\n\r\n");
    expect(r!.port).toBe(b.localPort);
  });

  it("sends only `length` bytes and keeps datagram boundaries", async () => {
    const inB = new Inbox();
    const a = await bind(new Inbox()), b = await bind(inB);
    const buf = utf8Encode("first|ignored");
    a.send(buf, 5, "127.0.0.1", b.localPort);
    a.send(utf8Encode("second"), 6, "127.0.0.1", b.localPort);
    const got = await inB.waitFor(2);
    expect(got.map((g) => g.text).sort()).toEqual(["first", "second"]);
  });

  it("refuses bad sends and sends after close without throwing", async () => {
    const a = await bind(new Inbox());
    const data = new Uint8Array(4);
    expect(a.send(data, 5, "127.0.0.1", 9)).toBe(false);
    expect(a.send(data, 4, "127.0.0.1", 0)).toBe(false);
    await a.close();
    expect(a.send(data, 4, "127.0.0.1", 9)).toBe(false);
    expect(a.failed).toBe(3);
  });

  it("rejects bind to a port already in use", async () => {
    const a = await bind(new Inbox());
    await expect(NodeUdp.bind({ receiver: new Inbox(), port: a.localPort })).rejects.toThrow(/EADDRINUSE/);
  });

  it("bound to 0.0.0.0 with routeTo, reports the address that reaches that host (what the core advertises in Via and Contact); without, 0.0.0.0", async () => {
    const server = await bind(new Inbox());
    const routed = await NodeUdp.bind({ receiver: new Inbox(), address: "0.0.0.0", routeTo: { address: "127.0.0.1", port: server.localPort } });
    open.push(routed);
    expect(routed.localAddress).toBe("127.0.0.1");
    // The socket itself still takes datagrams on every address.
    const plain = await NodeUdp.bind({ receiver: new Inbox(), address: "0.0.0.0" });
    open.push(plain);
    expect(plain.localAddress).toBe("0.0.0.0");
    // Another loopback address: the system's route from 127.0.0.1 to 127.0.0.2 is 127.0.0.1 on Linux; nothing is sent to it.
    const other = await NodeUdp.bind({ receiver: new Inbox(), address: "0.0.0.0", routeTo: { address: "127.0.0.2", port: 5060 } });
    open.push(other);
    expect(other.localAddress).toMatch(/^127\./);
    // A bound address is reported as it is, whatever routeTo says.
    const fixed = await NodeUdp.bind({ receiver: new Inbox(), address: "127.0.0.1", routeTo: { address: "192.0.2.1", port: 5060 } });
    open.push(fixed);
    expect(fixed.localAddress).toBe("127.0.0.1");
  });
});

describe("NodeClock", () => {
  it("now() is monotonic milliseconds", async () => {
    const c = new NodeClock();
    const t0 = c.now();
    await new Promise((r) => setTimeout(r, 20));
    const t1 = c.now();
    expect(t1 - t0).toBeGreaterThanOrEqual(15);
    expect(t1 - t0).toBeLessThan(1000);
  });

  it("wake() fires tick once, and a later wake() replaces the earlier one", async () => {
    const c = new NodeClock();
    const ticks: number[] = [];
    const t0 = c.now();
    c.attach({ tick: () => ticks.push(c.now() - t0) });
    c.wake(500);
    c.wake(30); // replaces the 500 ms request
    await new Promise((r) => setTimeout(r, 700));
    expect(ticks.length).toBe(1);
    expect(ticks[0]!).toBeGreaterThanOrEqual(25);
    expect(ticks[0]!).toBeLessThan(400);
    c.close();
  });

  it("close() cancels the pending wake-up", async () => {
    const c = new NodeClock();
    let ticks = 0;
    c.attach({ tick: () => ticks++ });
    c.wake(10);
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(ticks).toBe(0);
  });

  it("a wake-up beyond setTimeout's 2^31 - 1 ms waits that long instead of firing at once (a far session timer or call limit would spin the core)", async () => {
    expect(timeoutDelay(30 * 24 * 3_600_000)).toBe(MAX_TIMEOUT_MS);
    expect(timeoutDelay(12.2)).toBe(13);
    expect(timeoutDelay(-5)).toBe(0);
    const c = new NodeClock();
    let ticks = 0;
    c.attach({ tick: () => ticks++ });
    c.wake(5_000_000_000); // about 58 days
    await new Promise((r) => setTimeout(r, 100));
    expect(ticks).toBe(0);
    c.close();
  });

  it("drives a TimerQueue in real time", async () => {
    const c = new NodeClock();
    const q = new TimerQueue(c);
    c.attach(q);
    const fired: string[] = [];
    const target = { onTimer: (e: TimerEntry) => fired.push(e.kind === TimerKind.E ? "E" : "F") };
    const e = new TimerEntry(target, TimerKind.E), f = new TimerEntry(target, TimerKind.F);
    q.start(f, 60);
    q.start(e, 20);
    await new Promise((r) => setTimeout(r, 200));
    expect(fired).toEqual(["E", "F"]);
    expect(q.size).toBe(0);
    c.close();
  });
});

describe("NodeHash", () => {
  const h = new NodeHash();
  const bytes = (s: string) => utf8Encode(s);
  it("MD5 vectors (RFC 1321 §A.5)", () => {
    expect(h.hex("MD5", bytes(""), 0)).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(h.hex("MD5", bytes("abc"), 3)).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(h.hex("MD5", bytes("message digest"), 14)).toBe("f96b697d7cb7938d525a2f31aaf161d0");
  });
  it("SHA-256 vectors (FIPS 180-2)", () => {
    expect(h.hex("SHA-256", bytes("abc"), 3)).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(h.hex("SHA-256", bytes(""), 0)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
  it("hashes only the first `length` bytes", () => {
    expect(h.hex("MD5", bytes("abcdef"), 3)).toBe("900150983cd24fb0d6963f7d28e17f72");
  });
});

describe("NodeRandom", () => {
  it("gives unsigned 32-bit integers that vary", () => {
    const r = new NodeRandom();
    const seen = new Set<number>();
    let high = 0;
    for (let i = 0; i < 2000; i++) {
      const v = r.u32();
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
      if (v >= 0x80000000) high++;
      seen.add(v);
    }
    expect(seen.size).toBeGreaterThan(1990);
    expect(high).toBeGreaterThan(800);
    expect(high).toBeLessThan(1200);
  });
});

describe("NodeLog", () => {
  it("writes lines at or below its level", () => {
    const lines: string[] = [];
    const log = new NodeLog(LogLevel.Warn, { write: (t: string) => lines.push(t) });
    log.log(LogLevel.Error, "bad");
    log.log(LogLevel.Warn, "hmm");
    log.log(LogLevel.Info, "fyi");
    log.log(LogLevel.Debug, "noise");
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.* ERROR bad\n$/);
    expect(lines[1]).toMatch(/ WARN hmm\n$/);
    expect(parseLogLevel("DEBUG")).toBe(LogLevel.Debug);
    expect(parseLogLevel("loud")).toBeUndefined();
  });
});

describe("JsonFileStorage", () => {
  it("persists string values across instances and survives a missing or corrupt file", () => {
    const dir = mkdtempSync(join(tmpdir(), "doorsip-storage-"));
    try {
      const path = join(dir, "settings.json");
      const s = new JsonFileStorage(path);
      expect(s.get("user")).toBeUndefined();
      s.set("user", "door");
      s.set("password", "s3cret");
      expect(s.get("user")).toBe("door");
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ user: "door", password: "s3cret" });
      expect(new JsonFileStorage(path).get("password")).toBe("s3cret");

      writeFileSync(path, "{not json");
      const broken = new JsonFileStorage(path);
      expect(broken.get("user")).toBeUndefined();
      broken.set("user", "again");
      expect(new JsonFileStorage(path).get("user")).toBe("again");

      const bad = new JsonFileStorage(join(dir, "missing-dir", "x.json"));
      bad.set("k", "v");
      expect(bad.get("k")).toBe("v");
      expect(bad.lastError).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
