/*
 * The settings page in the Linux simulator (hosts/moddable/web/server.ts
 * on the SDK's HTTP server), when $MODDABLE points at a built Moddable SDK
 * (skipped otherwise, as test/moddable-build.test.ts is): a real
 * `mcconfig -d -m -p lin -t build` with web_password and a free web_port,
 * mcsim registered at the built-in loopback PBX, and Node's http client as
 * the browser. HTTP Digest computed here (RFC 7616 §3.4.1, node:crypto):
 * 401 without credentials and with a wrong password, the page with the
 * right one; a POST that changes door_code, read back from the simulator's
 * preference file; a bad value refused with the message boot would log; a
 * form without the page's token refused; "reset to build defaults", which
 * deletes what the POST stored. The heap (hosts/moddable/heap.ts, after a
 * GC) before and after the page starts is the page's idle cost.
 *
 * The simulator's preferences are a JSON file of this test's own
 * (`sim_prefs=<file>`, hosts/moddable/preference_file.ts), not the SDK's
 * /tmp/modpreferences.json that every simulator on the machine shares (the
 * one test/moddable-build.test.ts's simulator reads, perhaps at the same time).
 */
import { afterAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { LoopbackPbx } from "../hosts/node/pbx/index";
import {
  canRunSim, freePort, haveSdk, headless, root, run, sdkEnv, sdkSkipReason, simulatorApp, startSimulator, stopGroup, tools, waitFor,
} from "./support/moddable-sim";

const PREFERENCES = join(mkdtempSync(join(tmpdir(), "doorsip-prefs-")), "modpreferences.json");
const DOMAIN = "doorsip";
const PASSWORD = "web-" + randomBytes(6).toString("hex");
const md5 = (text: string): string => createHash("md5").update(text, "utf8").digest("hex");

if (!haveSdk) console.log(`moddable-web: skipping the settings page build and simulator run: ${sdkSkipReason}`);
else if (!canRunSim) console.log(`moddable-web: skipping the simulator run: needs stdbuf${headless ? " and xvfb-run (no DISPLAY)" : ""}`);

type Prefs = Record<string, Record<string, unknown>>;

function readPreferences(): Prefs {
  if (!existsSync(PREFERENCES)) return {};
  return JSON.parse(readFileSync(PREFERENCES, "utf8")) as Prefs;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false, timeout: 10_000, headers: {
      ...headers, ...(body !== undefined ? { "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(body)) } : {}),
    } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", fail);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on("error", fail);
    req.end(body);
  });
}

/** The Authorization for a 401's WWW-Authenticate, computed as RFC 7616 §3.4.1 says (MD5, qop=auth). */
function authorization(challenge: string, password: string, method: string, uri: string, nc = 1): string {
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
  const realm = /realm="([^"]+)"/.exec(challenge)![1]!;
  const cnonce = randomBytes(8).toString("hex");
  const count = nc.toString(16).padStart(8, "0");
  const response = md5(`${md5(`admin:${realm}:${password}`)}:${nonce}:${count}:${cnonce}:auth:${md5(`${method}:${uri}`)}`);
  return `Digest username="admin", realm="${realm}", nonce="${nonce}", uri="${uri}", algorithm=MD5, qop=auth, nc=${count}, cnonce="${cnonce}", response="${response}"`;
}

/**
 * A request written byte for byte (headers Node's client would not send); the answer read up to its Content-Length,
 * then the connection closed by this side, as a browser does (the SDK's server closes once the client has).
 */
function rawHttp(port: number, head: string, body: string): Promise<Reply> {
  return new Promise((done, fail) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    const timer = setTimeout(() => socket.destroy(new Error(`no whole answer in 10 s: ${JSON.stringify(text.slice(0, 300))}`)), 10_000);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(head + "\r\n" + body));
    socket.on("data", (d: string) => {
      text += d;
      const end = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text.substring(0, end + 2));
      if (end < 0 || length === null || Buffer.byteLength(text.substring(end + 4)) < Number(length[1])) return;
      clearTimeout(timer);
      socket.destroy();
      done({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), headers: {}, body: text.substring(end + 4) });
    });
    socket.on("error", (e) => { clearTimeout(timer); fail(e); });
    socket.on("close", () => { clearTimeout(timer); fail(new Error(`closed before a whole answer: ${JSON.stringify(text.slice(0, 300))}`)); });
  });
}

/** A request as a browser makes it: without credentials first, then answering the 401's challenge. */
async function authed(port: number, method: string, path: string, body?: string, password = PASSWORD): Promise<Reply> {
  const first = await http(port, method, path, {}, body);
  expect(first.status).toBe(401);
  const challenge = String(first.headers["www-authenticate"]);
  return http(port, method, path, { authorization: authorization(challenge, password, method, path) }, body);
}

/** A TCP connection to the page, open; `closed` resolves when the device has closed it. */
async function openSocket(port: number): Promise<{ socket: Socket; closed: Promise<void>; isClosed: () => boolean }> {
  const socket = connect({ host: "127.0.0.1", port });
  let gone = false;
  const closed = new Promise<void>((done) => socket.on("close", () => { gone = true; done(); }));
  socket.on("error", () => undefined);
  await new Promise<void>((done, fail) => {
    socket.once("connect", () => done());
    socket.once("error", fail);
  });
  return { socket, closed, isClosed: () => gone };
}

/** Did the connection close within `ms` (real time, bounded)? */
async function closedWithin(c: { closed: Promise<void>; isClosed: () => boolean }, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([c.closed, new Promise<void>((done) => (timer = setTimeout(done, ms)))]);
  clearTimeout(timer);
  return c.isClosed();
}

describe("the settings page in the simulator", () => {
  let out = "";
  let ports = { sip: 0, web: 0, xsbug: 0, pbx: 0, rtp: 0 };

  afterAll(() => {
    rmSync(dirname(PREFERENCES), { recursive: true, force: true });
    if (out !== "") rmSync(out, { recursive: true, force: true });
  });

  it.skipIf(!haveSdk)("builds with web_password and web_port (mcconfig -d -m -p lin -t build)", async () => {
    out = mkdtempSync(join(tmpdir(), "doorsip-web-"));
    ports = { sip: await freePort("udp"), web: await freePort("tcp"), xsbug: await freePort("tcp"), pbx: await freePort("udp"), rtp: 0 };
    const rtp = await freePort("udp");
    ports.rtp = rtp - (rtp % 2) >= 1024 ? rtp - (rtp % 2) : 40000;
    const result = await run(join(tools, "mcconfig"), [
      "-d", "-m", "-p", "lin", "-t", "build", "-o", out,
      `sip_local_port=${ports.sip}`, "ctl_port=0", `sip_server=127.0.0.1:${ports.pbx}`, "sip_domain=127.0.0.1", "sip_user=door",
      "sip_auth_user=doorauth", "sip_password=doorpass", "call_target=100", "door_code=1234", "keepalive=0", "max_calls=1",
      `rtp_port=${ports.rtp}`, "heap_ms=1000", `web_password=${PASSWORD}`, `web_port=${ports.web}`, `sim_prefs=${PREFERENCES}`,
    ], sdkEnv(), root);
    if (result.code !== 0) console.log(result.output.slice(-6000));
    expect(result.code).toBe(0);
    expect(existsSync(simulatorApp(out))).toBe(true);
  }, 900_000);

  it.skipIf(!canRunSim)("asks for HTTP Digest, shows the state and the form, stores a good door_code, refuses a bad value, resets", async () => {
    expect(existsSync(simulatorApp(out)), "the build test ran first").toBe(true);
    // This build's own file, new: nothing stored yet.
    expect(readPreferences()[DOMAIN]).toBeUndefined();
    const pbx = await LoopbackPbx.start({
      port: ports.pbx, phoneUser: false,
      users: [{ user: "door", password: "doorpass", authId: "doorauth" }],
    });
    let child: ChildProcess | null = null;
    let log = "";
    const trace = (): string => `--- simulator log:\n${log.slice(-6000)}`;
    try {
      child = startSimulator(simulatorApp(out), ports.xsbug, out);
      child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
      const started = `web: settings page on port ${ports.web}`;
      expect(await waitFor(() => log.includes(started), 30_000, child), trace()).toBe(true);
      expect(log).toContain(`settings page on port ${ports.web}, door code set`);
      expect(log).not.toContain(PASSWORD);
      // The page's idle cost: the heap line (after a GC) just before it was made and just after.
      const HEAP = /heap: slots (\d+) B, chunks (\d+) B/g;
      expect(await waitFor(() => [...log.slice(log.indexOf(started)).matchAll(HEAP)].length >= 1, 5_000, child), trace()).toBe(true);
      const before = [...log.slice(0, log.indexOf(started)).matchAll(HEAP)].at(-1)!;
      const after = [...log.slice(log.indexOf(started)).matchAll(HEAP)][0]!;
      const cost = { slots: (Number(after[1]) - Number(before[1])) / 32, chunks: Number(after[2]) - Number(before[2]) };
      expect(await waitFor(() => pbx.server.lookup("door").length === 1, 15_000, child), trace()).toBe(true);
      // The heap registered and idle, before any request (the next line after a GC), to compare with after them.
      const nextHeap = async (): Promise<RegExpMatchArray> => {
        const from = log.length;
        expect(await waitFor(() => [...log.slice(from).matchAll(HEAP)].length > 0, 5_000, child!), trace()).toBe(true);
        return [...log.slice(from).matchAll(HEAP)][0]!;
      };
      const idleBefore = await nextHeap();

      // RFC 7616: no credentials, then a wrong password: 401 with a Digest challenge each time.
      const none = await http(ports.web, "GET", "/");
      expect(none.status).toBe(401);
      expect(none.headers["www-authenticate"]).toMatch(/^Digest realm="doorsip", qop="auth", algorithm=MD5, nonce="[0-9a-f.]+"$/);
      expect(none.body).not.toContain("name=\"door_code\"");
      const wrong = await http(ports.web, "GET", "/", { authorization: authorization(String(none.headers["www-authenticate"]), "not-it", "GET", "/") });
      expect(wrong.status).toBe(401);
      expect(await waitFor(() => log.includes("web: wrong password (1 in a row)"), 5_000, child), trace()).toBe(true);

      // The right password: the page, with the state and the form, and no secret in it.
      const page = await authed(ports.web, "GET", "/");
      expect(page.status, page.body).toBe(200);
      expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(page.body).toContain(`Registered at 127.0.0.1:${ports.pbx}; last REGISTER answer 200.`);
      expect(page.body).toContain(`name="sip_server" value="127.0.0.1:${ports.pbx}"`);
      expect(page.body).toContain(`name="door_code" value=""`);
      for (const secret of ["1234", "doorpass", PASSWORD]) expect(page.body).not.toContain(secret);
      const token = /name="token" value="([0-9a-f]+)"/.exec(page.body)![1]!;

      // A bad value: refused with boot's words, nothing stored.
      const bad = await authed(ports.web, "POST", "/", new URLSearchParams({ token, expires: "30", door_code: "9999" }).toString());
      expect(bad.status).toBe(400);
      expect(bad.body).toContain("expires=30 is not a whole number from 60 to 86400");
      expect(readPreferences()[DOMAIN]).toBeUndefined();
      // Without the page's token (another site's form): refused.
      const forged = await authed(ports.web, "POST", "/", new URLSearchParams({ door_code: "0000" }).toString());
      expect(forged.status).toBe(403);
      expect(readPreferences()[DOMAIN]).toBeUndefined();

      // A good door code and expiry: stored as the doorsip preferences the next boot reads; the simulator cannot
      // restart itself.
      const saved = await authed(ports.web, "POST", "/", new URLSearchParams({ token, door_code: "5678#", sip_password: "", expires: "900" }).toString());
      expect(saved.status, saved.body).toBe(200);
      expect(saved.body).toContain("Saved door_code, expires: the new values apply when the device restarts (the simulator: restart it to apply).");
      expect(readPreferences()[DOMAIN]).toEqual({ door_code: "5678#", expires: "900" });
      expect(await waitFor(() => log.includes("web: restart to apply"), 5_000, child), trace()).toBe(true);
      expect(log).toContain("web: stored door_code, expires");
      expect(log).not.toContain("5678");
      // What the requests left behind, idle again (a heap line after a GC, taken after the last response).
      const idleAfter = await nextHeap();
      const requests = 10;
      const kept = { slots: (Number(idleAfter[1]) - Number(idleBefore[1])) / 32, chunks: Number(idleAfter[2]) - Number(idleBefore[2]) };

      // A body longer than the page takes, its Content-Length written so that http.js (parseInt, a 0 keeps the one
      // before) and a Number() reading disagree: the SDK must be told to drop it (413), not to collect it as one
      // string before the password is checked (then a 400 from the form's own size check).
      for (const lengths of [["3000x"], ["3000", "0"]]) {
        const challenge = String((await http(ports.web, "GET", "/")).headers["www-authenticate"]);
        const body = `token=${token}&door_code=1111&pad=${"x".repeat(3000)}`.slice(0, 3000);
        const head = `POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: ${authorization(challenge, PASSWORD, "POST", "/")}\r\n` +
          `content-type: application/x-www-form-urlencoded\r\n${lengths.map((l) => `content-length: ${l}\r\n`).join("")}`;
        const large = await rawHttp(ports.web, head, body);
        expect(large.status, `content-length ${lengths.join(", ")}: ${large.body}`).toBe(413);
      }
      expect(readPreferences()[DOMAIN]).toEqual({ door_code: "5678#", expires: "900" });

      // Storage that fails (the file cannot be replaced: a directory in its place): refused, not "saved", and the
      // value not kept in RAM either; then the file back as it was.
      const stored = readFileSync(PREFERENCES, "utf8");
      rmSync(PREFERENCES);
      mkdirSync(PREFERENCES);
      try {
        const failing = await authed(ports.web, "POST", "/", new URLSearchParams({ token, expires: "1200" }).toString());
        expect(failing.status, failing.body).toBe(500);
        expect(failing.body).toContain("expires could not be stored (the device&#39;s storage is full or fails); nothing was changed");
        expect(failing.body).not.toContain("Saved");
        expect(failing.body).toContain(`name="expires" value="900"`);
        expect(await waitFor(() => log.includes("web: could not store expires"), 5_000, child), trace()).toBe(true);
      } finally {
        rmSync(PREFERENCES, { recursive: true, force: true });
        writeFileSync(PREFERENCES, stored);
      }

      // Restarted, the simulator boots with them: the REGISTER asks for 900 s, the page shows it, the code is set.
      await stopGroup(child);
      log = "";
      child = startSimulator(simulatorApp(out), ports.xsbug, out);
      child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
      expect(await waitFor(() => log.includes(started), 30_000, child), trace()).toBe(true);
      expect(log).toContain("expires 900s");
      expect(log).toContain("door code set");
      const again = await authed(ports.web, "GET", "/");
      expect(again.status).toBe(200);
      expect(again.body).toContain(`name="expires" value="900"`);
      const token2 = /name="token" value="([0-9a-f]+)"/.exec(again.body)![1]!;
      expect(token2).not.toBe(token);

      // Back to the build's values: the preference the POST stored is deleted.
      const reset = await authed(ports.web, "POST", "/reset", new URLSearchParams({ token: token2 }).toString());
      expect(reset.status, reset.body).toBe(200);
      expect(readPreferences()[DOMAIN]).toBeUndefined();

      console.log(`moddable-web: the settings page's idle cost ${cost.slots} slots and ${cost.chunks} chunk bytes ` +
        `(heap ${Number(before[1]) / 32} -> ${Number(after[1]) / 32} slots, ${before[2]} -> ${after[2]} chunk bytes); ` +
        `after ${requests} requests, registered and idle, the heap is ${kept.slots} slots and ${kept.chunks} chunk bytes above what it was before them`);
    } finally {
      if (child !== null) await stopGroup(child);
      await pbx.stop();
    }
  }, 120_000);

  it.skipIf(!canRunSim)("holds every connection to its limits (web/guard.ts): 3 at once, an idle one closed for a new one, 10 s each, a 1 kB header line, 48 lines; the page still answers", async () => {
    expect(existsSync(simulatorApp(out)), "the build test ran first").toBe(true);
    const pbx = await LoopbackPbx.start({
      port: ports.pbx, phoneUser: false,
      users: [{ user: "door", password: "doorpass", authId: "doorauth" }],
    });
    let child: ChildProcess | null = null;
    let log = "";
    const trace = (): string => `--- simulator log:\n${log.slice(-6000)}`;
    const sockets: Socket[] = [];
    try {
      child = startSimulator(simulatorApp(out), ports.xsbug, out);
      child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
      expect(await waitFor(() => log.includes(`web: settings page on port ${ports.web}`), 30_000, child), trace()).toBe(true);
      expect(await waitFor(() => pbx.server.lookup("door").length === 1, 15_000, child), trace()).toBe(true);
      const HEAP = /heap: slots (\d+) B, chunks (\d+) B/g;
      const nextHeap = async (): Promise<RegExpMatchArray> => {
        const from = log.length;
        expect(await waitFor(() => [...log.slice(from).matchAll(HEAP)].length > 0, 5_000, child!), trace()).toBe(true);
        return [...log.slice(from).matchAll(HEAP)][0]!;
      };
      const before = await nextHeap();
      const settle = (): Promise<void> => new Promise((done) => setTimeout(done, 500));

      // Three idle connections (a browser's spares); a fourth takes the place of the oldest.
      const held = [];
      for (let i = 0; i < 3; i++) {
        held.push(await openSocket(ports.web));
        await settle();
      }
      sockets.push(...held.map((h) => h.socket));
      const fourth = await openSocket(ports.web);
      sockets.push(fourth.socket);
      expect(await closedWithin(held[0]!, 5_000), trace()).toBe(true);
      // Every one held has begun a request now: a fifth is closed at once, the others stay.
      for (const h of [held[1]!, held[2]!, fourth]) h.socket.write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n");
      await settle();
      const fifth = await openSocket(ports.web);
      sockets.push(fifth.socket);
      expect(await closedWithin(fifth, 5_000), trace()).toBe(true);
      expect([held[1]!, held[2]!, fourth].map((h) => h.isClosed())).toEqual([false, false, false]);
      // A request that never ends is closed at its deadline, 10 s after it connected.
      for (const h of [held[1]!, held[2]!, fourth]) expect(await closedWithin(h, 15_000), trace()).toBe(true);

      // A header line of 64 kB without its newline, then 60 short header lines: each connection closed.
      const long = await openSocket(ports.web);
      sockets.push(long.socket);
      long.socket.write("GET / HTTP/1.1\r\nx-long: " + "a".repeat(65_536));
      expect(await closedWithin(long, 5_000), trace()).toBe(true);
      const many = await openSocket(ports.web);
      sockets.push(many.socket);
      many.socket.write("GET / HTTP/1.1\r\n" + "x-h: 1\r\n".repeat(60));
      expect(await closedWithin(many, 5_000), trace()).toBe(true);
      expect(await waitFor(() => log.includes("web: connections turned away: "), 5_000, child), trace()).toBe(true);

      // The page still answers, and the heap is back where it was (a heap line after a GC).
      const page = await authed(ports.web, "GET", "/");
      expect(page.status, page.body).toBe(200);
      const after = await nextHeap();
      const kept = { slots: (Number(after[1]) - Number(before[1])) / 32, chunks: Number(after[2]) - Number(before[2]) };
      expect(kept.slots, trace()).toBeLessThan(64);
      expect(kept.chunks, trace()).toBeLessThan(2048);
      console.log(`moddable-web: limits held (${log.match(/web: connections turned away: [^\n]*/)![0]}); the heap after them ` +
        `${kept.slots} slots and ${kept.chunks} chunk bytes above what it was before`);
    } finally {
      for (const socket of sockets) socket.destroy();
      if (child !== null) await stopGroup(child);
      await pbx.stop();
    }
  }, 120_000);
});
