/*
 * `doorsip run --demo`: the tour of the built-in PBX, step by step, each
 * with a time limit. It exits 0 when every step happened, and 1 naming the
 * step that did not. It drives a DoorRuntime, so the same tour runs with the
 * core on Node and inside XS (--xs).
 *
 * Both calls carry audio: the desk phone sends a tone as RTP when the call is
 * up and checks the door's RTP (hosts/node/pbx/phone-media.ts), and the door
 * code goes as SIP INFO in the doorbell call and as RFC 4733
 * telephone-events in the desk phone's call, so both paths are shown.
 */
import { IntercomEvent, intercomEventName } from "../../../src/app/intercom";
import { summarize } from "../ladder";
import type { LoopbackPbx } from "../pbx/index";
import { mediaProblems } from "../pbx/phone-media";
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

    const phone = c.pbx.phone;
    if (phone === null) throw new StepFailed("step 3 failed: the built-in PBX has no desk phone");
    step = 3;
    say("step 3: the doorbell is pressed; the desk phone answers and types the door code as SIP INFO; the door opens");
    const e3 = c.events.length;
    const h3 = phone.history.length;
    c.door.press();
    await waitFor("ringing", () => seen(IntercomEvent.Ringing, e3));
    await waitFor("answer", () => seen(IntercomEvent.CallUp, e3));
    await waitFor("door opening", () => seen(IntercomEvent.DoorOpened, e3));
    await waitFor("hang-up", () => seen(IntercomEvent.CallDown, e3));
    say("step 3 ok");

    step = 4;
    say("step 4: audio in that call: G.711 RTP both ways, 20 ms packets");
    const ended = (): string | undefined => phone.history.slice(h3).find((h) => h.type === "ended")?.callId;
    await waitFor("end of the call at the desk phone", () => ended() !== undefined);
    const report = phone.mediaReport(ended()!);
    if (report === undefined) throw new StepFailed("step 4 failed: the desk phone sent no RTP (no audio in the door's SDP?)");
    const problems = mediaProblems(report);
    if (problems.length > 0) throw new StepFailed(`step 4 failed: the door's RTP: ${problems.join("; ")}`);
    const doorHeard = Math.max(0, ...(await c.door.mediaStats()).map((s) => s.received));
    if (doorHeard === 0) throw new StepFailed(`step 4 failed: the door received none of the desk phone's ${report.sent} RTP packets`);
    say(`step 4 ok: the desk phone received ${report.received} RTP packets from the door (${report.codec}, 160 bytes = 20 ms each, ` +
      `sequence numbers and timestamps in step, ${report.ssrcs} SSRC, from the port in the door's SDP); ` +
      `the door received ${doorHeard} of the desk phone's ${report.sent} (a tone of ${phone.behaviour.toneHz} Hz, then silence)`);

    step = 5;
    say("step 5: the desk phone calls the door, which answers by itself; the code goes as RFC 4733 telephone-events in the RTP stream; the door opens");
    const e5 = c.events.length;
    const p5 = c.packets.length;
    await waitFor("free desk phone", () => !phone.inCall);
    const result = phone.call(`sip:door@${c.pbx.domain}`, { holdMs: 1500, dtmf: "rfc4733" });
    await waitFor("incoming call", () => seen(IntercomEvent.Incoming, e5));
    await waitFor("answer", () => seen(IntercomEvent.CallUp, e5));
    await waitFor("door opening", () => seen(IntercomEvent.DoorOpened, e5));
    await waitFor("hang-up", () => seen(IntercomEvent.CallDown, e5));
    const r = await result;
    if (r.reason !== "local-bye") throw new StepFailed(`step 5 failed: the desk phone's call ended with ${r.reason} (${r.status})`);
    if (packet((l) => l.startsWith("INFO"), p5)) throw new StepFailed("step 5 failed: the code went as INFO, not RFC 4733");
    const digits = Math.max(0, ...(await c.door.mediaStats()).map((s) => s.digits));
    const sentEvents = phone.mediaReport(r.callId)?.eventsSent ?? 0;
    say(`step 5 ok: ${digits} digits from ${sentEvents} RFC 4733 packets, no INFO`);

    step = 6;
    say("step 6: the door unregisters");
    await c.door.stop();
    if (!seen(IntercomEvent.Unregistered)) throw new StepFailed("step 6 failed: no unregistration");
    say("step 6 ok");
    say(`all steps passed (${c.events.map((e) => intercomEventName(e.event)).filter((n, i, a) => a.indexOf(n) === i).join(", ")})`);
    return EXIT_OK;
  } catch (e) {
    io.err(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_FAILED;
  }
}
