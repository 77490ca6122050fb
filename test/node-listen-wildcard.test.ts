/*
 * `doorsip run --server ...` listens on 0.0.0.0:5060 by default. The core
 * advertises the socket's address in Via and Contact (RFC 3261 §18.1.1,
 * §10.2.1), so a Contact of 0.0.0.0 reached nobody until the server's
 * received/rport (RFC 3581) corrected it, and a registrar that takes the
 * Contact as written (no NAT fix-up) would call 0.0.0.0. The Node and XS
 * hosts now advertise the address that reaches the first hop. A real UDP
 * socket on 127.0.0.1 plays the registrar and reads the first REGISTER.
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { NodeIntercom, type DoorRuntime } from "../hosts/node/runtime";
import { XsIntercom } from "../hosts/xs/xs-intercom";
import { until } from "./support/wait";

const stop: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const s of stop.splice(0).reverse()) await s();
});

/** A UDP socket on 127.0.0.1 that keeps every datagram's text. */
async function registrar(): Promise<{ socket: Socket; port: number; got: string[] }> {
  const socket = createSocket("udp4");
  const got: string[] = [];
  socket.on("message", (m) => got.push(m.toString("latin1")));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  stop.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, port: socket.address().port, got };
}

function header(text: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, "im").exec(text);
  return m === null ? "" : m[1]!.trim();
}

describe.each(["Node", "XS"] as const)("the %s door listening on 0.0.0.0", (kind) => {
  it("advertises the address that reaches the server in its first REGISTER's Via and Contact, not 0.0.0.0", async () => {
    const server = await registrar();
    const options = {
      settings: { account: { registrarHost: "127.0.0.1", registrarPort: server.port, user: "door", password: "pw" }, keepaliveSeconds: 0 },
      address: "0.0.0.0", port: 0,
    };
    const door: DoorRuntime = kind === "XS" ? await XsIntercom.create(options) : await NodeIntercom.create(options);
    stop.push(() => door.stop(500));
    expect(door.localAddress).toBe("127.0.0.1");
    door.start();
    await until(() => server.got.some((t) => t.startsWith("REGISTER ")), "the REGISTER", 10_000);
    const register = server.got.find((t) => t.startsWith("REGISTER "))!;
    expect(header(register, "Via")).toMatch(new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${door.localPort};`));
    expect(header(register, "Contact")).toContain(`@127.0.0.1:${door.localPort}>`);
    expect(register).not.toContain("0.0.0.0");
  }, 30_000);
});
