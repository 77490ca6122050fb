/*
 * The pieces the call interop tests share, whatever runs the door's core
 * (test/interop-calls.test.ts and test/interop-baresip.test.ts on Node,
 * test/interop-xs.test.ts inside XS): SIPp at the door, a SIPp UAS
 * registered at kamailio, the door registered at kamailio, and a compact
 * ladder of what crossed the door's socket.
 */
import { expect } from "vitest";
import { IntercomEvent } from "../../src/app/intercom";
import {
  firstLine, headerValue, runSipp, sippMessages, startBaresip, statusOf, USERS,
  type Baresip, type BaresipControl, type DoorBase, type DoorOptions, type Kamailio, type SippOptions, type SippResult, type TraceEntry,
} from "./peers";

/** Throw with SIPp's errors and output unless every call of the run passed. */
export function expectOk(r: SippResult): void {
  if (!r.ok) throw new Error(`SIPp failed (exit ${r.code ?? r.signal})\n--- errors ---\n${r.errors}\n--- output ---\n${r.output.slice(-4000)}`);
}

/** SIPp at the door itself: -s door, remote 127.0.0.1:<door port>. */
export function sippAt(door: DoorBase, scenario: string, extra: Partial<SippOptions> = {}): Promise<SippResult> {
  return runSipp({ scenario, remote: `127.0.0.1:${door.port}`, service: USERS.door.user, timeoutS: 10, pauseMs: 100, ...extra });
}

/** "in INVITE", "out 100 INVITE", "out 200 BYE"...: what crossed the door's socket, compactly. */
export function ladder(entries: TraceEntry[]): string[] {
  return entries.map((e) => {
    const status = statusOf(e.text);
    if (status > 0) return `${e.dir} ${status} ${(headerValue(e.text, "CSeq") ?? "").split(/\s+/)[1] ?? ""}`;
    return `${e.dir} ${firstLine(e.text).split(" ")[0]}`;
  });
}

/** The tag parameter of a From or To value ("" when none). */
export function tagOf(value: string | undefined): string {
  return /;tag=([^;\s>]+)/.exec(value ?? "")?.[1] ?? "";
}

/**
 * A door started by `start` (startDoor, startXsDoor) and registered at
 * kamailio as door@doorsip.test (any binding left by an earlier test is
 * removed first); the binding is checked in kamailio's location table.
 */
export async function registeredDoor<D extends DoorBase>(
  kam: Kamailio, start: (o: DoorOptions) => Promise<D>, label: string, o: DoorOptions = {},
): Promise<D> {
  await kam.kamcmd("ul.rm", "location", `s:${USERS.door.user}`);
  const door = await start({
    label, ...o,
    settings: { register: true, ...o.settings },
    account: { registrarPort: kam.port, expires: 60, ...o.account },
  });
  await door.waitEvent(IntercomEvent.Registered, 0, 5000);
  expect(await kam.contacts(USERS.door.user)).toEqual([`sip:door@127.0.0.1:${door.port}`]);
  return door;
}

/**
 * uac-register.xml for `user` (a binding left by an earlier test is removed
 * first, or the INVITE would fork to a dead port): returns the port of the
 * Contact it registered, where a uas-answer.xml is then started.
 */
export async function registerSippPort(kam: Kamailio, user: { user: string; password: string }): Promise<number> {
  await kam.kamcmd("ul.rm", "location", `s:${user.user}`);
  const reg = await runSipp({
    scenario: "uac-register.xml", remote: `127.0.0.1:${kam.port}`, service: user.user,
    authUser: user.user, authPassword: user.password, timeoutS: 10,
  });
  expectOk(reg);
  expect(sippMessages(reg.messages).filter((m) => m.dir === "received").map((m) => statusOf(m.text))).toEqual([401, 200]);
  const port = Number((new RegExp(`Contact: <sip:${user.user}@127\\.0\\.0\\.1:(\\d+)>`).exec(reg.messages) ?? [])[1]);
  expect(await kam.contacts(user.user)).toEqual([`sip:${user.user}@127.0.0.1:${port}`]);
  return port;
}

/** baresip registered at kamailio as the desk phone (100), auto-answering, with its ctrl_tcp connection. */
export async function autoAnswerPhone(kam: Kamailio): Promise<Baresip & { control: BaresipControl }> {
  await kam.kamcmd("ul.rm", "location", `s:${USERS.desk.user}`);
  const p = await startBaresip({
    registrarPort: kam.port, user: USERS.desk.user, password: USERS.desk.password, accountParams: ";answermode=auto", control: true,
  });
  expect((await kam.contacts(USERS.desk.user)).length).toBe(1);
  return { ...p, control: p.control! };
}
