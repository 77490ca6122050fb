/*
 * The stateful protocol fuzzer (test/support/sfuzz-world.ts): a peer that
 * plays well-formed but hostile dialogs against the whole Intercom on the
 * virtual clock, with the invariants checked after every step and the end
 * state checked after quiescence. SFUZZ_SEED replays one campaign (and
 * SFUZZ_RUN one run of it, SFUZZ_LOG=N keeping its last N datagrams for the
 * report, SFUZZ_FULL=text showing those holding `text` whole), SFUZZ_RUNS
 * and SFUZZ_STEPS stretch it, SFUZZ_VERBOSE=1 prints what it covered.
 */
import { describe, expect, it } from "vitest";
import { sfuzzRun } from "./support/sfuzz-world";

const SEED = Number(process.env.SFUZZ_SEED ?? 20261122);
const RUNS = Number(process.env.SFUZZ_RUNS ?? 400);
const STEPS = Number(process.env.SFUZZ_STEPS ?? 80);
const ONLY = process.env.SFUZZ_RUN !== undefined ? Number(process.env.SFUZZ_RUN) : -1;

function runSeed(seed: number, run: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 2654435761) + Math.imul(run + 1, 0x85ebca6b)) >>> 0;
}

describe("stateful protocol fuzzer", () => {
  it(`${RUNS} runs of ${STEPS} peer actions (seed ${SEED}): invariants hold, the door is whole after quiescence`, () => {
    const covered = new Map<string, number>();
    let steps = 0;
    let doorSent = 0;
    let strangerSent = 0;
    let strangerAnswers = 0;
    let strangerCallsUp = 0;
    let registersPerMinute = 0;
    const events = new Map<string, number>();
    // The device's transaction tables at work (config.tables "device"): answered transactions and their copies
    // given up for new ones, as a hostile peer fills the 4 + 6 slots and the 3,900-byte arena.
    const device = { runs: 0, reclaimed: 0, clientsReclaimed: 0, copiesDropped: 0, unstored: 0 };
    for (let run = 0; run < RUNS; run++) {
      if (ONLY >= 0 && run !== ONLY) continue;
      const s = runSeed(SEED, run);
      const { world, failures } = sfuzzRun(s, STEPS);
      steps += world.trace.length;
      if (world.config.tables === "device") {
        const c = world.intercom.layer.counters;
        device.runs++;
        device.reclaimed += c.reclaimed;
        device.clientsReclaimed += c.clientsReclaimed;
        device.copiesDropped += c.copiesDropped;
        device.unstored += c.unstored;
      }
      doorSent += world.doorSent;
      strangerSent += world.strangerSent;
      strangerAnswers += world.strangerAnswers;
      strangerCallsUp += world.strangerCallsUp;
      registersPerMinute = Math.max(registersPerMinute, world.maxRegistersPerMinute);
      for (const e of world.events) {
        const name = e.split(" ").slice(1, 3).join(" ");
        events.set(name, (events.get(name) ?? 0) + 1);
      }
      for (const [k, v] of world.doorMethods) covered.set(k, (covered.get(k) ?? 0) + v);
      for (const [k, v] of world.actions) {
        const name = k.replace(/ \d+ ms$/, "");
        covered.set(name, (covered.get(name) ?? 0) + v);
      }
      if (failures.length > 0) {
        const report = [
          `SFUZZ_SEED=${SEED} SFUZZ_STEPS=${STEPS} SFUZZ_RUN=${run} (run seed ${s}, config ${JSON.stringify(world.config)}, loss ${world.loss}, dupe ${world.dupe}, reorder ${world.reorder}):`,
          ...failures,
          "last actions:",
          ...world.trace.slice(-25),
          "last events:",
          ...world.events.slice(-12),
          "last datagrams:",
          ...world.doorLog,
        ].join("\n");
        expect.fail(report);
      }
    }
    if (process.env.SFUZZ_VERBOSE) console.log(`sfuzz: ${steps} actions, ${doorSent} datagrams from the door, the stranger ${strangerSent} requests and ${strangerAnswers} answers (its own calls up: ${strangerCallsUp}), at most ${registersPerMinute} REGISTERs begun in a minute, device tables ${JSON.stringify(device)}, events ${JSON.stringify(Object.fromEntries(events))}\n${[...covered].sort().map(([k, v]) => `${k}: ${v}`).join("\n")}`);
    // Coverage: the campaign did reach the hostile cases it is there for.
    if (ONLY < 0 && RUNS >= 20) {
      for (const k of [
        "CANCEL", "ACK", "ACK late/duplicate", "PRACK wrong RAck", "INVITE in dialog", "BYE in dialog", "UPDATE in dialog", "INVITE in no-SDP Require: 100rel",
        "200 to INVITE", "183 to INVITE reliable", "forked 2xx", "302 to INVITE", "407 to INVITE", "401 to BYE", "491 to INVITE", "503 to BYE", "again: SIP/2.0",
        "silence", "doorbell/hang-up key", "door code by INFO", "door code by RFC 4733",
        // What the door itself sent: its own refreshes (re-INVITE, UPDATE), PRACKs, CANCELs, NOTIFYs of a REFER.
        "door INVITE in dialog", "door UPDATE in dialog", "door PRACK in dialog", "door CANCEL", "door NOTIFY in dialog",
        // The stranger: its own calls, and the guarded methods of live dialogs it copied.
        "stranger INVITE", "stranger INFO in a copied dialog", "stranger REFER in a copied dialog", "stranger INVITE in a copied dialog",
        "stranger UPDATE in a copied dialog",
        // With accept_from=any: the stranger's own calls, answered, its door code and REFER in them without effect.
        "stranger INFO in its own call", "stranger REFER in its own call",
        // The answer to the door's offer (in the ACK), the stranger's SDP copied in: the audio must not move.
        "stranger ACK with SDP in a copied dialog",
        // The registrar refusing every REGISTER for a while (what it said each time).
        "registrar outage 401", "registrar outage 403", "registrar outage 404", "registrar outage 500", "registrar outage 503",
      ]) {
        expect(covered.get(k) ?? 0, k).toBeGreaterThan(0);
      }
      // The stranger got its 403s (untrusted=reject runs; nothing in the drop runs), nothing else (toStranger).
      expect(strangerSent).toBeGreaterThan(0);
      expect(strangerAnswers).toBeGreaterThan(0);
      expect(strangerAnswers).toBeLessThanOrEqual(strangerSent * 3);
      expect(strangerCallsUp, "the stranger's own calls answered (acceptAny)").toBeGreaterThan(0);
      // The device's tables were full and gave answered transactions and copies up (flood-table.test.ts shows each rule).
      expect(device.runs).toBeGreaterThan(0);
      expect(device.reclaimed, "server transactions reclaimed").toBeGreaterThan(0);
      expect(device.copiesDropped, "copies given up").toBeGreaterThan(0);
      // And the door did its job in between: calls came up, the door code opened the door.
      for (const e of ["call up", "door opened", "hunt over"]) expect(events.get(e) ?? 0, e).toBeGreaterThan(0);
    }
  });
});
