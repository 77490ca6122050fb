/*
 * The whole Intercom on the virtual clock beside peers on real sockets and
 * real time (loopback PBXes, a DNS server): the door's clock is advanced in
 * small steps with a short real wait between them, so that the peers can
 * answer, until a condition holds, bounded in virtual and in real time.
 * Shared by the tests of a station whose server moves (server-move,
 * server-srv, proxy-follow); each rig keeps its events and log as below.
 */
import type { VirtualClock } from "./virtual-clock";

/** The real wait between two steps, ms. */
export const REAL_WAIT_MS = 2;

export interface PumpedStation {
  clock: VirtualClock;
  /** The Intercom's events as they came (intercomEventName, detail, virtual time). */
  events: Array<{ name: string; detail: string; at: number }>;
  /** The door's log lines, "+<virtual ms> text". */
  log: string[];
  dns: { queries: Array<{ name: string; type: number }> };
}

/** Events, DNS queries and the door's last 30 log lines: what a timeout's message shows. */
export function describeStation(r: PumpedStation): string {
  return `events: ${r.events.map((e) => `+${e.at} ${e.name}${e.detail !== "" ? ` (${e.detail})` : ""}`).join(", ")}\n` +
    `dns queries: ${JSON.stringify(r.dns.queries)}\ndoor log (last 30):\n${r.log.slice(-30).join("\n")}`;
}

/** Advance the door's clock in steps, letting real time pass for the peers and the DNS, until cond holds (bounded both ways). */
export async function pump(r: PumpedStation, cond: () => boolean, what: string, o: { virtualMs?: number; realMs?: number; stepMs?: number } = {}): Promise<void> {
  const virtualEnd = r.clock.now() + (o.virtualMs ?? 60_000);
  const realEnd = Date.now() + (o.realMs ?? 20_000);
  const step = o.stepMs ?? 10;
  while (!cond()) {
    if (r.clock.now() >= virtualEnd || Date.now() > realEnd) throw new Error(`timed out waiting for ${what}\n${describeStation(r)}`);
    r.clock.advance(step);
    await new Promise((resolve) => setTimeout(resolve, REAL_WAIT_MS));
  }
}

/** The names of the events from index `from` on. */
export function names(r: PumpedStation, from = 0): string[] {
  return r.events.slice(from).map((e) => e.name);
}
