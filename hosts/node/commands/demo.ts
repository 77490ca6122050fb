/*
 * `doorsip run --demo`: the tour of the built-in PBX, step by step, each
 * with a time limit. It exits 0 when every step happened, and 1 naming the
 * step that did not. It drives a DoorRuntime, so the same tour runs with the
 * core on Node and inside XS (--xs).
 */
import { IntercomEvent, intercomEventName } from "../../../src/app/intercom";
import { summarize } from "../ladder";
import type { LoopbackPbx } from "../pbx/index";
import type { PacketEvent } from "../pbx/tap";
import type { DoorRuntime } from "../runtime";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./command";

export interface DemoContext {
  io: CliIo;
  pbx: LoopbackPbx;
  door: DoorRuntime;
  events: Array<{ event: IntercomEvent; detail: string }>;
  packets: PacketEvent[];
  setOnEvent(f: ((e: IntercomEvent) => void) | null): void;
  /** Why the runtime cannot go on (the XS worker died), or null. */
  failure?: () => Error | null;
}

/** Default time allowed for each step. */
const STEP_MS = 15_000;

class StepFailed extends Error {}

export async function runDemo(c: DemoContext): Promise<number> {
  const { io } = c;
  let step = 0;
  const say = (text: string): void => io.out(`demo: ${text}\n`);
  /** Wait until `cond` holds, re-checked on every door event and every 50 ms. */
  const waitFor = async (what: string, cond: () => boolean, ms = STEP_MS): Promise<void> => {
    if (cond()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        c.setOnEvent(null);
        reject(new StepFailed(`step ${step} failed: no ${what} within ${ms / 1000} s`));
      }, ms);
      const check = (): void => {
        const failed = c.failure?.() ?? null;
        if (failed !== null) {
          clearTimeout(timer);
          clearInterval(poll);
          c.setOnEvent(null);
          reject(new StepFailed(`step ${step} failed: ${failed.message}`));
          return;
        }
        if (!cond()) return;
        clearTimeout(timer);
        clearInterval(poll);
        c.setOnEvent(null);
        resolve();
      };
      const poll = setInterval(check, 50);
      c.setOnEvent(check);
    });
  };
  const seen = (e: IntercomEvent, from = 0): boolean => c.events.slice(from).some((x) => x.event === e);
  const packet = (pred: (label: string, from: string, to: string) => boolean, from = 0): boolean =>
    c.packets.slice(from).some((p) => pred(summarize(p.bytes).label, c.pbx.label(p.from), c.pbx.label(p.to)));
  const isDoor = (ep: string): boolean => ep === "door";

  try {
    step = 1;
    say("step 1: the door registers (401 challenge, then 200)");
    await waitFor("registration", () => seen(IntercomEvent.Registered));
    if (!packet((l, f, t) => l.startsWith("401") && f === "pbx" && isDoor(t))) throw new StepFailed("step 1 failed: registered without a 401 challenge");
    say("step 1 ok");

    step = 2;
    say("step 2: an OPTIONS keepalive, answered 200");
    const p2 = c.packets.length;
    await waitFor("OPTIONS keepalive answered", () => packet((l, f) => l.startsWith("OPTIONS") && isDoor(f), p2) && packet((l, f, t) => l.startsWith("200") && l.includes("OPTIONS") && isDoor(t) && f === "pbx", p2));
    say("step 2 ok");

    step = 3;
    say("step 3: the doorbell is pressed; the desk phone answers and types the door code; the door opens");
    const e3 = c.events.length;
    c.door.press();
    await waitFor("ringing", () => seen(IntercomEvent.Ringing, e3));
    await waitFor("answer", () => seen(IntercomEvent.CallUp, e3));
    await waitFor("door opening", () => seen(IntercomEvent.DoorOpened, e3));
    await waitFor("hang-up", () => seen(IntercomEvent.CallDown, e3));
    say("step 3 ok");

    step = 4;
    say("step 4: the desk phone calls the door; the door answers by itself");
    const e4 = c.events.length;
    const phone = c.pbx.phone;
    if (phone === null) throw new StepFailed("step 4 failed: the built-in PBX has no desk phone");
    await waitFor("free desk phone", () => !phone.inCall);
    const result = phone.call(`sip:door@${c.pbx.domain}`, { code: "", holdMs: 1500 });
    await waitFor("incoming call", () => seen(IntercomEvent.Incoming, e4));
    await waitFor("answer", () => seen(IntercomEvent.CallUp, e4));
    await waitFor("hang-up", () => seen(IntercomEvent.CallDown, e4));
    const r = await result;
    if (r.reason !== "local-bye") throw new StepFailed(`step 4 failed: the desk phone's call ended with ${r.reason} (${r.status})`);
    say("step 4 ok");

    step = 5;
    say("step 5: the door unregisters");
    await c.door.stop();
    if (!seen(IntercomEvent.Unregistered)) throw new StepFailed("step 5 failed: no unregistration");
    say("step 5 ok");
    say(`all steps passed (${c.events.map((e) => intercomEventName(e.event)).filter((n, i, a) => a.indexOf(n) === i).join(", ")})`);
    return EXIT_OK;
  } catch (e) {
    io.err(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_FAILED;
  }
}
