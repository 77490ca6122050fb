/*
 * "For years without a reboot": 60 days of a door station against a PBX
 * that goes away, reboots and forgets its bindings, changes its mind about
 * intervals and passwords, and a device network that drops, in a few
 * seconds of CPU. The whole Intercom (transaction layer, registration,
 * keepalive, calls, application) runs on the virtual clock; its UDP host
 * is a link to an in-process PBX (test/support/longrun-world.ts,
 * longrun-pbx.ts). A seeded schedule (LONGRUN_SEED, LONGRUN_DAYS replay or
 * stretch it) of incidents, doorbell presses and incoming calls drives it,
 * and the invariants are checked after every step of the world: every
 * wake-up of the core and every datagram.
 *
 * The bounds are derived from the core's own rules, with the device's
 * defaults (T1 500 ms, T2 4 s, Timer F 64*T1 = 32 s, keepalive every 30 s
 * with 3 misses, backoff 30 s doubling to 30 min, jitter 50-100 %):
 *
 *  - Keepalive (src/ua/keepalive.ts): the next OPTIONS goes an interval
 *    after the previous one ended, an unanswered one ends at Timer F
 *    (RFC 3261 §17.1.2.2), so a server that stops answering is reported
 *    lost within maxMisses * (Timer F + interval) = 186 s; a device whose
 *    sends fail (no network) within maxMisses * interval = 90 s.
 *  - Back after an outage: if the keepalive reported the server lost, the
 *    first OPTIONS after the server is back is answered within T2 (a
 *    retransmission) + Timer F + interval, and registration.onServerAlive
 *    sends a REGISTER at once (a retry in flight is answered on its next
 *    retransmission, or retried at once when it times out); if it did not,
 *    the outage was shorter than the keepalive's 186 s and at most three
 *    REGISTERs failed in it, so the pending wait is below backoffWait(3) =
 *    120 s (src/ua/backoff.ts, RFC 5626 §4.5), after a Timer F. A few
 *    round trips for the challenge (RFC 3261 §22.2) on top.
 *  - A reboot that forgot the binding: silent for an interval +
 *    LATE_ANSWER_MS (3.5 s) or more, an OPTIONS went unanswered or was
 *    answered only after its retransmissions, and that refreshes the
 *    binding at once (registration.onServerBack, RFC 5626 §4.5): the
 *    outage's bound. A shorter one is found at the next refresh, within
 *    refreshDelayMs(granted) (90 % of long bindings).
 *  - 503 with Retry-After R >= 30 s: retried after exactly R s (§21.5.4,
 *    §20.33); a shorter R gets the backoff's delays: within 30 min.
 *  - 403 / 404: the backoff's bound, 30 min (the wait is drawn below it).
 *  - The network back: hosts/moddable/app.ts networkUp -> intercom.networkUp
 *    -> registration.refreshNow: a REGISTER at once, so a few round trips.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS, backoffWait } from "../src/ua/backoff";
import { DEFAULT_KEEPALIVE_SECONDS, DEFAULT_MAX_MISSES, LATE_ANSWER_MS } from "../src/ua/keepalive";
import { refreshDelayMs } from "../src/ua/registration";
import type { TimerNode, TimerQueue } from "../src/sip/timer/timer-queue";
import { RegMode } from "./support/longrun-pbx";
import { LATENCY_MS, LongrunWorld } from "./support/longrun-world";
import { SeededRandom } from "./support/seeded-random";

const SEED = Number(process.env.LONGRUN_SEED ?? 20261122);
const DAYS = Number(process.env.LONGRUN_DAYS ?? 60);

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const T2 = 4 * S;
const TIMER_F = 64 * 500;
const INTERVAL = DEFAULT_KEEPALIVE_SECONDS * S;
const RTT = 2 * LATENCY_MS;
/** Expiry the door asks for (a 423 raises it). */
const EXPIRES = 600;

/** The keepalive reports a silent server lost within this (see the top). */
const LOST_BOUND = DEFAULT_MAX_MISSES * (TIMER_F + INTERVAL);
/** ... and a network that refuses every send within this. */
const LOST_BOUND_NO_NETWORK = DEFAULT_MAX_MISSES * INTERVAL;
/** Registered again after the server answers again (see the top): the keepalive's path or the backoff's. */
const OUTAGE_RECOVERY = Math.max(T2 + TIMER_F + INTERVAL, TIMER_F + backoffWait(DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS, 3)) + 4 * RTT;
/** The network back: a REGISTER at once, challenged, answered. */
const NETWORK_RECOVERY = 4 * RTT;

type Kind = "outage" | "reboot-stale" | "reboot-forget" | "reboot-404" | "short-expires" | "min-expires" | "busy-503" | "forbidden-403" | "network-down";
/** What takes the server away or makes it refuse, one at a time. */
const DISRUPTIONS: readonly Kind[] = ["outage", "outage", "reboot-stale", "reboot-forget", "reboot-404", "busy-503", "forbidden-403", "network-down", "network-down"];
/** The registrar changing its mind about intervals: a second schedule, overlapping the first (a short grant during an outage). */
const POLICIES: readonly Kind[] = ["short-expires", "min-expires"];

interface Incident {
  kind: Kind;
  start: number;
  /** When the PBX answers again, or the network is back (the end of the outage part). */
  back: number;
  /** When everything is normal again. */
  end: number;
  /** Retry-After of a 503 period, s. */
  retryAfter: number;
  /** 423's Min-Expires. */
  minExpires: number;
  /** The address after the network comes back. */
  address: string;
}

/** Bad luck for this seed: the message says how to replay it. */
function fail(message: string): never {
  throw new Error(`longrun seed ${SEED} (LONGRUN_SEED=${SEED} LONGRUN_DAYS=${DAYS} to replay): ${message}\n${diagnose()}`);
}

/** The armed entries of a timer queue: class, kind, due (its list is private: read for the failure message only). */
function armed(timers: TimerQueue): string {
  const out: string[] = [];
  for (let e = (timers as unknown as { head: TimerNode | null }).head; e !== null; e = e.next) out.push(`${e.constructor.name} kind ${e.kind} due ${e.due}`);
  return out.join("; ");
}

/** What the door and the PBX were doing (set by the test). */
let diagnose = (): string => "";

function schedule(rng: SeededRandom, until: number, kinds: readonly Kind[]): Incident[] {
  const u = (a: number, b: number): number => a + (rng.u32() / 4294967296) * (b - a);
  /** Log-uniform: as many one-minute outages as six-hour ones, per decade. */
  const lu = (a: number, b: number): number => Math.round(Math.exp(u(Math.log(a), Math.log(b))));
  const out: Incident[] = [];
  let t = 30 * MIN;
  let host = 10;
  for (;;) {
    const start = Math.round(t + u(40 * MIN, 10 * HOUR));
    const kind = kinds[rng.u32() % kinds.length]!;
    let back = start;
    let end: number;
    switch (kind) {
      case "outage": back = end = start + lu(MIN, 6 * HOUR); break;
      case "reboot-stale": case "reboot-forget": back = end = start + lu(20 * S, 3 * MIN); break;
      case "reboot-404": back = start + lu(30 * S, 2 * MIN); end = back + lu(MIN, 20 * MIN); break;
      case "short-expires": end = start + lu(HOUR, 12 * HOUR); break;
      case "min-expires": end = start + lu(HOUR, 6 * HOUR); break;
      case "busy-503": end = start + lu(5 * MIN, 2 * HOUR); break;
      case "forbidden-403": end = start + lu(10 * MIN, 4 * HOUR); break;
      case "network-down": back = end = start + lu(10 * S, 3 * HOUR); break;
    }
    // The last day is quiet: the door must settle.
    if (end > until - DAY) break;
    const fresh = kind === "network-down" && rng.u32() % 3 === 0;
    if (fresh) host = host === 10 ? 11 : 10;
    out.push({
      kind, start, back, end,
      // A third below the backoff's base (0-29 s: the backoff's delays instead), the rest honoured as given.
      retryAfter: rng.u32() % 3 === 0 ? rng.u32() % 30 : 30 + (rng.u32() % 571),
      minExpires: [900, 1200, 3600, 7200][rng.u32() % 4]!,
      address: `192.0.2.${host}`,
    });
    t = end;
  }
  return out;
}

interface Recovery {
  incident: Incident;
  /** From when the door should be getting back (the PBX answers, the network is up, the condition is gone). */
  from: number;
  bound: number;
  why: string;
  done: number | null;
  interrupted?: boolean;
}

describe("long run: 60 days against a PBX that reboots, forgets, changes its mind, and a network that drops", () => {
  it(`recovers from every incident within its bound, without storms, leaks or exceptions (seed ${SEED}, ${DAYS} days)`, () => {
    const cpuStart = process.cpuUsage();
    const total = DAYS * DAY;
    const rng = new SeededRandom(SEED);
    const incidents = schedule(rng, total, DISRUPTIONS);
    const policies = schedule(rng, total, POLICIES);
    const w = new LongrunWorld(SEED + 1, { expires: EXPIRES, password: "secret", targets: ["100"] });
    const door = w.intercom;
    const reg = door.registration!;
    const pbx = w.pbx;
    diagnose = () => {
      const now = w.now();
      const lines = w.events.filter((e) => e.at > now - 2 * HOUR).map((e) => `  ${e.at} ${e.name} ${e.detail}`);
      const regs = pbx.registrar.log.slice(-12).map((x) => `  ${x.request.method} -> ${x.status} (${x.auth}) ${x.request.headers.get("contact")?.join(",") ?? ""} cseq ${x.request.headers.get("cseq")?.[0]}`);
      return `now ${now}; registration state ${reg.state} status ${reg.lastStatus} granted ${reg.granted} bound ${reg.bound}; keepalive lost ${door.keepalive.lost} misses ${door.keepalive.misses}; ` +
        `link up ${w.link.up} at ${w.link.localAddress}; pbx down ${pbx.down} mode ${pbx.mode} bindings ${JSON.stringify([...pbx.bindings])}\nevents:\n${lines.join("\n")}\nregistrar:\n${regs.join("\n")}`;
    };

    // ---- state the invariants use
    let current: Incident | null = null;
    const recoveries: Recovery[] = [];
    let pending: Recovery | null = null;
    /** While the PBX is silent or the network is down: the keepalive must notice. */
    let silentSince = -1;
    let silentNoNetwork = false;
    const lostDelays: number[] = [];
    let eventsSeen = 0;
    /** The door stays registered through a change of interval (short grant, 423). */
    let policy: Incident | null = null;
    let staysViolations = 0;
    const downHours = new Set<number>();
    const unhealthyHours = new Set<number>();
    const forgotWhileRegistered: number[] = [];
    let forgottenSince = -1;

    const healthy = (): boolean => current === null && !pbx.down && w.link.up && pbx.mode === RegMode.Normal;
    const recovered = (): boolean => door.registered && pbx.bound(w.contact());

    w.check = () => {
      const now = w.now();
      // The door never believes it is registered past the binding's expiry (as the PBX granted it).
      if (door.registered) {
        let end = -Infinity;
        for (const e of pbx.grantEnd.values()) end = Math.max(end, e);
        if (!(now < end)) fail(`registered at ${now} ms, but the last binding granted ended at ${end} ms (granted ${reg.granted} s)`);
      }
      // Events: the keepalive's "server lost".
      const ev = w.events;
      for (; eventsSeen < ev.length; eventsSeen++) {
        if (ev[eventsSeen]!.name === "server lost" && silentSince >= 0) {
          lostDelays.push(ev[eventsSeen]!.at - silentSince);
          const bound = silentNoNetwork ? LOST_BOUND_NO_NETWORK : LOST_BOUND;
          if (ev[eventsSeen]!.at - silentSince > bound) fail(`the keepalive reported the server lost ${ev[eventsSeen]!.at - silentSince} ms after it went silent (bound ${bound})`);
          silentSince = -1;
        }
      }
      if (silentSince >= 0 && now - silentSince > (silentNoNetwork ? LOST_BOUND_NO_NETWORK : LOST_BOUND)) {
        fail(`${current?.kind}: silent since ${silentSince} ms, no "server lost" by ${now} ms`);
      }
      // A new interval (a short grant, 423 Min-Expires) is taken in a refresh: the door stays registered through it.
      if (policy !== null && current === null && (pending === null || pending.done !== null) && !door.registered) {
        staysViolations++;
        fail(`${policy.kind}: not registered at ${now} ms with the server up`);
      }
      // The PBX forgot the binding while the door believes it is registered (a reboot): how long until it notices.
      const forgotten = door.registered && !pbx.down && !pbx.bound(w.contact()) && w.link.up;
      if (forgotten && forgottenSince < 0) forgottenSince = now;
      else if (!forgotten && forgottenSince >= 0) {
        forgotWhileRegistered.push(now - forgottenSince);
        forgottenSince = -1;
      }
      if (pending !== null && pending.done === null && !pending.interrupted && now - pending.from > pending.bound) {
        fail(`${pending.incident.kind} at ${pending.incident.start} (${pending.why}): not registered again ${now - pending.from} ms after, bound ${pending.bound} ms`);
      }
      if (pending !== null && pending.done === null && !pending.interrupted && recovered()) {
        pending.done = now - pending.from;
        if (pending.done > pending.bound) fail(`${pending.incident.kind} (${pending.why}): registered again ${pending.done} ms after, bound ${pending.bound} ms`);
      }
    };

    /**
     * Was the PBX silent long enough for the keepalive to notice? An OPTIONS goes an interval after the last one ended,
     * so one is sent within an interval of the silence's start (or was under way then); it is retransmitted until the
     * PBX answers again, and an answer LATE_ANSWER_MS or more after it was sent counts as a restart. A silence of an
     * interval + LATE_ANSWER_MS always holds such an OPTIONS (one of Timer F + interval, a whole missed one, too).
     */
    const noticed = (inc: Incident): boolean => inc.back - inc.start >= INTERVAL + LATE_ANSWER_MS;
    const expectRecovery = (incident: Incident, from: number, bound: number, why: string): void => {
      pending = { incident, from, bound, why, done: null };
      recoveries.push(pending);
      if (recovered()) pending.done = 0;
    };

    // ---- the schedule of incidents
    for (const inc of incidents) {
      w.at(inc.start, () => {
        // A recovery whose bound has not run out yet when the next incident comes is cut short, not failed (its bound is checked at every step).
        if (pending !== null && pending.done === null) pending.interrupted = true;
        current = inc;
        for (let h = Math.floor(inc.start / HOUR); h <= Math.floor(inc.end / HOUR); h++) unhealthyHours.add(h);
        if (inc.back > inc.start) for (let h = Math.ceil(inc.start / HOUR); h < Math.floor(inc.back / HOUR); h++) downHours.add(h);
        switch (inc.kind) {
          case "outage": pbx.down = true; break;
          case "reboot-stale": pbx.down = true; pbx.rebootStale(); break;
          case "reboot-forget": case "reboot-404": pbx.down = true; pbx.rebootForgetting(); break;
          case "busy-503": pbx.mode = RegMode.Unavailable; pbx.retryAfter = inc.retryAfter; break;
          case "forbidden-403": pbx.mode = RegMode.Forbidden; break;
          case "network-down": w.networkDown(); break;
        }
        if (inc.back > inc.start) {
          silentSince = inc.start;
          silentNoNetwork = inc.kind === "network-down";
        }
      });
      if (inc.back > inc.start && inc.back < inc.end) {
        w.at(inc.back, () => {
          pbx.down = false;
          if (inc.kind === "reboot-404") pbx.mode = RegMode.NotFound;
          if (silentSince >= 0 && inc.back - silentSince < (silentNoNetwork ? LOST_BOUND_NO_NETWORK : LOST_BOUND)) silentSince = -1;
        });
      }
      w.at(inc.end, () => {
        const granted = reg.granted;
        current = null;
        // A silence shorter than the keepalive's bound need not be noticed.
        if (silentSince >= 0) silentSince = -1;
        switch (inc.kind) {
          case "outage":
            pbx.down = false;
            expectRecovery(inc, inc.end, OUTAGE_RECOVERY, "outage: keepalive or backoff path");
            break;
          case "reboot-stale": case "reboot-forget":
            pbx.down = false;
            if (noticed(inc)) expectRecovery(inc, inc.end, OUTAGE_RECOVERY, "reboot: the keepalive missed an OPTIONS, so the outage bound");
            else expectRecovery(inc, inc.end, Math.max(OUTAGE_RECOVERY, refreshDelayMs(granted) + 4 * RTT), "a reboot too short for the keepalive: the next refresh");
            break;
          case "reboot-404":
            pbx.mode = RegMode.Normal;
            expectRecovery(inc, inc.end, (noticed(inc) ? DEFAULT_BACKOFF_MAX_MS : Math.max(DEFAULT_BACKOFF_MAX_MS, refreshDelayMs(granted))) + 4 * RTT,
              "404 over: the backoff's bound (or the next refresh, had the keepalive missed nothing)");
            break;
          case "busy-503":
            pbx.mode = RegMode.Normal;
            if (inc.retryAfter * S >= DEFAULT_BACKOFF_BASE_MS) expectRecovery(inc, inc.end, inc.retryAfter * S + 4 * RTT, "503 over: Retry-After");
            else expectRecovery(inc, inc.end, DEFAULT_BACKOFF_MAX_MS + 4 * RTT, "503 over: a Retry-After below 30 s gets the backoff's delays, bound 30 min");
            break;
          case "forbidden-403":
            pbx.mode = RegMode.Normal;
            expectRecovery(inc, inc.end, DEFAULT_BACKOFF_MAX_MS + 4 * RTT, "403 over: the backoff's bound");
            break;
          case "network-down":
            w.networkUp(inc.address);
            expectRecovery(inc, inc.end, NETWORK_RECOVERY, "network up: REGISTER at once");
            break;
        }
      });
    }

    for (const p of policies) {
      w.at(p.start, () => {
        policy = p;
        if (p.kind === "short-expires") pbx.registrar.o.maxExpires = 60;
        else pbx.registrar.o.minExpires = p.minExpires;
      });
      w.at(p.end, () => {
        policy = null;
        if (p.kind === "short-expires") pbx.registrar.o.maxExpires = 86400 * 7;
        else pbx.registrar.o.minExpires = 0;
      });
    }

    // ---- doorbell presses and incoming calls, at random times (some during incidents)
    const u = (a: number, b: number): number => a + (rng.u32() / 4294967296) * (b - a);
    interface CallCheck { at: number; way: "press" | "incoming"; expected: boolean; ok: boolean | null; }
    const callChecks: CallCheck[] = [];
    let missedNoBinding = 0;
    const quietFor = (ms: number): boolean => healthy() && !incidents.some((i) => i.start > w.now() && i.start < w.now() + ms);
    for (let t = u(HOUR, 4 * HOUR); t < total - 2 * HOUR; t += u(HOUR, 8 * HOUR)) {
      w.at(Math.round(t), () => {
        if (door.ua.activeCalls > 0) return;
        const mark = w.events.length;
        const calls = pbx.calls.length;
        const c: CallCheck = { at: w.now(), way: "press", expected: quietFor(2 * MIN), ok: null };
        callChecks.push(c);
        door.press();
        w.after(MIN, () => {
          const out = pbx.calls.slice(calls).find((x) => x.way === "out");
          c.ok = out !== undefined && out.up && w.names(mark).includes("call up");
        });
      });
    }
    for (let t = u(HOUR, 4 * HOUR); t < total - 2 * HOUR; t += u(HOUR, 8 * HOUR)) {
      w.at(Math.round(t), () => {
        if (door.ua.activeCalls > 0) return;
        const mark = w.events.length;
        const expected = quietFor(2 * MIN) && pbx.liveContact() === w.contact();
        if (!pbx.down && pbx.liveContact() === undefined) missedNoBinding++;
        const call = pbx.callDoor(Math.round(u(5 * S, 40 * S)));
        if (call === null) return;
        const c: CallCheck = { at: w.now(), way: "incoming", expected, ok: null };
        callChecks.push(c);
        w.after(MIN, () => {
          c.ok = call.up && w.names(mark).includes("call up");
        });
      });
    }

    // ---- a few scanner bursts from strangers: the trust policy's log limiter keeps the log bounded
    let scanned = 0;
    for (let t = u(DAY / 2, 2 * DAY); t < total - 2 * HOUR; t += u(DAY, 4 * DAY)) {
      w.at(Math.round(t), () => {
        for (let i = 0; i < 300; i++) {
          w.after(i * 10, () => {
            if (!w.link.up) return;
            const text = [
              `OPTIONS sip:100@${w.link.localAddress} SIP/2.0`,
              `Via: SIP/2.0/UDP 203.0.113.66:5071;branch=z9hG4bKscan${scanned++};rport`,
              "Max-Forwards: 70", "From: <sip:100@203.0.113.66>;tag=scan", `To: <sip:100@${w.link.localAddress}>`,
              `Call-ID: scan-${scanned}`, "CSeq: 1 OPTIONS", "User-Agent: friendly-scanner", "Content-Length: 0", "", "",
            ].join("\r\n");
            const b = Buffer.from(text, "latin1");
            door.receiver.receive(new Uint8Array(b.buffer, b.byteOffset, b.length), b.length, "203.0.113.66", 5071);
          });
        }
      });
    }

    // ---- quiet checkpoints: the tables and the timer queue back at their idle values
    let idleTimers = -1;
    const idleChecks: number[] = [];
    for (let t = 12 * HOUR; t < total; t += 12 * HOUR) {
      w.at(t, () => {
        if (!quietFor(3 * MIN) || door.ua.activeCalls > 0 || !recovered()) return;
        let tries = 0;
        const poll = (): void => {
          const l = door.layer;
          if (l.clientCount !== 0 || l.serverCount !== 0 || door.ua.activeCalls !== 0) {
            if (++tries > 40) fail(`tables not idle 40 s into a quiet checkpoint: ${l.clientCount} client, ${l.serverCount} server transactions, ${door.ua.activeCalls} calls`);
            w.after(S, poll);
            return;
          }
          if (l.arena.top !== 0) fail(`the message arena holds ${l.arena.top} bytes with no transaction`);
          if (idleTimers < 0) idleTimers = door.timers.size;
          else if (door.timers.size !== idleTimers) fail(`the timer queue holds ${door.timers.size} entries when idle, ${idleTimers} at the first checkpoint: ${armed(door.timers)}`);
          idleChecks.push(w.now());
        };
        poll();
      });
    }

    // ---- run
    door.start();
    try {
      w.runUntil(total);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("longrun seed")) throw e;
      fail(`an exception escaped at ${w.now()} ms: ${e instanceof Error ? e.stack : String(e)}`);
    }
    const cpuMs = (process.cpuUsage(cpuStart).user + process.cpuUsage(cpuStart).system) / 1000;

    // ---- the shutdown: the binding removed, every table empty
    door.stop();
    w.runUntil(total + 2 * MIN);

    // ---- report
    const byKind = new Map<string, { n: number; max: number }>();
    for (const r of recoveries) {
      const kind = r.incident.kind.startsWith("reboot") && !noticed(r.incident) ? `${r.incident.kind} (too short for the keepalive)` : r.incident.kind;
      const k = byKind.get(kind) ?? { n: 0, max: 0 };
      k.n++;
      if (r.done !== null) k.max = Math.max(k.max, r.done);
      byKind.set(kind, k);
    }
    const upHours = w.hours.map((h, i) => ({ h, i })).filter(({ i }) => !unhealthyHours.has(i));
    const fullyDown = w.hours.map((h, i) => ({ h, i })).filter(({ i }) => downHours.has(i));
    const maxOf = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), 0);
    const summary = {
      seed: SEED, days: DAYS, cpuMs: Math.round(cpuMs),
      incidents: incidents.length, policies: policies.length,
      recoveries: Object.fromEntries([...byKind].map(([k, v]) => [k, `${v.n}x, max ${v.max} ms`])),
      keepaliveLostAfterMs: { n: lostDelays.length, max: maxOf(lostDelays) },
      pbxForgotWhileDoorRegisteredMs: { n: forgotWhileRegistered.length, max: maxOf(forgotWhileRegistered) },
      registersPerHourUp: maxOf(upHours.map(({ h }) => h.register)),
      optionsPerHourUp: maxOf(upHours.map(({ h }) => h.options)),
      registersPerHourDown: maxOf(fullyDown.map(({ h }) => h.register)),
      optionsPerHourDown: maxOf(fullyDown.map(({ h }) => h.options)),
      datagramsPerHourDown: maxOf(fullyDown.map(({ h }) => h.datagrams)),
      refusedSendsPerHourNoNetwork: maxOf(w.hours.map((h) => h.failed)),
      downHours: fullyDown.length,
      logLinesPerHourMax: maxOf(w.hours.map((h) => h.logLines)),
      logLines: w.hours.reduce((a, h) => a + h.logLines, 0),
      calls: {
        expected: callChecks.filter((c) => c.expected).length,
        expectedOk: callChecks.filter((c) => c.expected && c.ok === true).length,
        unexpectedOk: callChecks.filter((c) => !c.expected && c.ok === true).length,
        unexpected: callChecks.filter((c) => !c.expected).length,
        missedNoBinding,
      },
      idleChecks: idleChecks.length, idleTimers,
      registerRequests: reg.requests, keepaliveSent: door.keepalive.sent,
    };
    console.log(`longrun: ${JSON.stringify(summary)}`);

    // ---- assertions over the whole run
    const ctx = `seed ${SEED}: ${JSON.stringify(summary)}`;
    expect(w.errors, ctx).toEqual([]);
    expect([reg.errors, door.keepalive.errors, door.timers.errors], ctx).toEqual([0, 0, 0]);
    expect(recoveries.filter((r) => r.done === null && r.interrupted !== true).map((r) => r.incident.kind), ctx).toEqual([]);
    // Every kind of incident happened, more than once for most.
    expect(new Set(incidents.map((i) => i.kind)).size, ctx).toBe(new Set(DISRUPTIONS).size);
    expect(new Set(policies.map((i) => i.kind)).size, ctx).toBe(POLICIES.length);
    expect(staysViolations, ctx).toBe(0);
    // No storm while the server is up: refreshes of the shortest grant (60 s: every 30 s) and the keepalive's interval.
    expect(summary.registersPerHourUp, ctx).toBeLessThanOrEqual(Math.ceil(HOUR / refreshDelayMs(60)) + 4);
    expect(summary.optionsPerHourUp, ctx).toBeLessThanOrEqual(HOUR / INTERVAL + 1);
    // Nor while it is down: each REGISTER costs a Timer F and then a backoff wait of at least half its doubling step,
    // at most 9 in an hour (32 + 15, + 32 + 30, ...); each OPTIONS a Timer F and an interval; at most 11 datagrams each (Timer E).
    expect(summary.downHours, ctx).toBeGreaterThan(0);
    expect(summary.registersPerHourDown, ctx).toBeLessThanOrEqual(9);
    expect(summary.optionsPerHourDown, ctx).toBeLessThanOrEqual(Math.ceil(HOUR / (TIMER_F + INTERVAL)) + 1);
    expect(summary.datagramsPerHourDown, ctx).toBeLessThanOrEqual(11 * (9 + Math.ceil(HOUR / (TIMER_F + INTERVAL)) + 1));
    // Nor while the device has no network: each OPTIONS fails at once (a miss) and the next goes an interval later; each
    // REGISTER too, then waits the backoff (15 s, 30 s, ... at least), or goes at once on networkUp.
    expect(summary.refusedSendsPerHourNoNetwork, ctx).toBeLessThanOrEqual(HOUR / INTERVAL + 12);
    // Calls placed while the server is up succeed.
    expect(summary.calls.expected, ctx).toBeGreaterThan(100);
    expect(summary.calls.expectedOk, ctx).toBe(summary.calls.expected);
    // The idle values came back at every quiet checkpoint, and after the shutdown everything is empty.
    expect(idleChecks.length, ctx).toBeGreaterThan(DAYS);
    expect(door.registered).toBe(false);
    expect(pbx.bindings.size, ctx).toBe(0);
    expect([door.layer.clientCount, door.layer.serverCount, door.layer.arena.top, door.ua.activeCalls], ctx).toEqual([0, 0, 0, 0]);
    // Logs stay bounded, scanner bursts included (300 requests from a stranger in 3 s: the trust policy's limiter). The most
    // is a 503 period with Retry-After: 30: a REGISTER every 30 s, three lines each (Registering, Backoff, the event), 360 an hour.
    // Nothing else comes close: a call is about 10 lines, a keepalive's loss and return 2.
    const busiest = w.hours.reduce((a, h) => (h.logLines > a.logLines ? h : a), w.hours[0]!);
    expect(summary.logLinesPerHourMax, `${ctx}\nthe busiest hour: ${JSON.stringify([...busiest.logKinds].sort((a, b) => b[1] - a[1]).slice(0, 12))}`).toBeLessThanOrEqual(3 * (HOUR / DEFAULT_BACKOFF_BASE_MS) + 40);
  }, 120_000);
});
