/*
 * The peer machinery of test/support/peers.ts on plain system programs
 * (sh, sleep): output capture, bounded waits, stop by PID with SIGTERM and
 * then SIGKILL to the group (children included), ports, binaries.
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findBinary, freeUdpPort, RingBuffer, sleep, startPeer, udpBound, usePeers } from "./support/peers";

usePeers();

/** Running (a zombie waiting for a parent that is not us to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return false;
  }
}

const sh = findBinary("sh");

describe("interop peers: the machinery", () => {
  it("finds binaries in PATH and /usr/sbin, and nothing that does not exist", () => {
    expect(sh).toMatch(/\/sh$/);
    expect(findBinary("doorsip-no-such-binary")).toBeNull();
  });

  it("keeps the last characters of the output with absolute offsets", () => {
    const r = new RingBuffer(10);
    r.append("0123456789");
    const mark = r.end;
    r.append("abcdef");
    expect(r.end).toBe(16);
    expect(r.since(mark)).toBe("abcdef");
    expect(r.since(0)).toBe("6789abcdef");
    expect(r.text()).toContain("6 characters dropped");
  });

  it("captures stdout and stderr, waits for a line, stops with SIGTERM", async () => {
    const p = await startPeer({ name: "echo", command: sh!, args: ["-c", "echo to-stdout; echo to-stderr >&2; echo ready; exec sleep 30"], ready: /ready/ });
    expect(p.log.since(0)).toContain("to-stdout");
    await p.waitFor(/to-stderr/, { timeoutMs: 2000 }); // another pipe: may come after "ready"
    const exit = await p.stop(2000);
    expect(exit.signal).toBe("SIGTERM");
    expect(alive(p.pid)).toBe(false);
  });

  it("SIGKILLs the group after the grace period when SIGTERM is ignored, children included", async () => {
    const p = await startPeer({
      name: "stubborn",
      command: sh!,
      args: ["-c", 'trap "" TERM; sleep 30 & echo "child $!"; wait'],
      ready: /child \d+/,
    });
    const child = Number(/child (\d+)/.exec(p.log.since(0))![1]);
    expect(alive(child)).toBe(true);
    const t0 = Date.now();
    const exit = await p.stop(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(exit.signal).toBe("SIGKILL");
    await sleep(50);
    expect(alive(p.pid)).toBe(false);
    expect(alive(child)).toBe(false);
    expect(p.log.since(0)).toContain("SIGKILL to its group");
  });

  it("a wait fails early, with the log, when the peer exits; and after its timeout", async () => {
    const gone = await startPeer({ name: "short", command: sh!, args: ["-c", "echo bye; exit 3"] });
    await expect(gone.waitFor(/never/, { timeoutMs: 5000 })).rejects.toThrow(/short \(pid \d+\) exited before[\s\S]*bye/);
    expect(gone.exited).toEqual({ code: 3, signal: null });
    const slow = await startPeer({ name: "slow", command: sh!, args: ["-c", "exec sleep 30"] });
    const t0 = Date.now();
    await expect(slow.waitFor(/never/, { timeoutMs: 200 })).rejects.toThrow(/did not match \/never\/ within 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(slow.waitExit(100)).rejects.toThrow(/did not exit within 100 ms/);
    await slow.stop();
  });

  it("free ports are distinct, and a bound one shows in /proc/net/udp", async () => {
    const a = await freeUdpPort();
    const b = await freeUdpPort();
    expect(a).not.toBe(b);
    const s = createSocket("udp4");
    await new Promise<void>((resolve) => s.bind(a, "127.0.0.1", () => resolve()));
    expect(udpBound(a)).toBe(true);
    await new Promise<void>((resolve) => s.close(() => resolve()));
    expect(udpBound(a)).toBe(false);
  });
});
