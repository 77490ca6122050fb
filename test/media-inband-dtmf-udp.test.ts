/*
 * In-band DTMF end to end, real UDP on 127.0.0.1: the built-in PBX's desk
 * phone (hosts/node/pbx) is a phone without telephone-event that types its
 * keys as Q.23 tones in the audio (as a mobile phone behind a gateway that
 * does not convert them). With the door on the Node host and with its core
 * inside XS (hosts/xs):
 *   - the phone calls the door and types the code: the door hears it in the
 *     audio (src/media/inband-dtmf.ts) and opens;
 *   - the doorbell calls the phone, which answers and types the code: the
 *     door opens and the phone hangs up;
 *   - the door's speaker does not play the keys' tones (the code would be
 *     heard at the door).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent, intercomEventName, type IntercomSettings } from "../src/app/intercom";
import { FileAudio, ToneMic } from "../hosts/node/audio/file-audio";
import { readWav, WavWriter } from "../hosts/node/audio/wav";
import { LoopbackPbx, mediaProblems } from "../hosts/node/pbx/index";
import { NodeIntercom, type DoorRuntime } from "../hosts/node/runtime";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { XsIntercom } from "../hosts/xs/xs-intercom";
import { trackText, until, usePeers } from "./support/peers";
import { dominant, toneShare } from "./interop/audio/signal";

usePeers();
const RATE = 8000;
const CODE = "4711#";
const work = mkdtempSync(join(tmpdir(), "doorsip-inband-"));
/** Bound of each wait for a step of the door (the XS worker is slower than Node on a loaded machine). */
const WAIT_MS = 25_000;

beforeAll(async () => {
  await ensureWorker();
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Door {
  runtime: DoorRuntime;
  speaker: string;
  events: { event: IntercomEvent; detail: string }[];
  seen(event: IntercomEvent, from?: number): boolean;
  keys(from?: number): string;
}

async function startDoor(kind: "Node" | "XS", settings: IntercomSettings): Promise<Door> {
  const speaker = join(work, `${kind}-speaker.wav`);
  const events: { event: IntercomEvent; detail: string }[] = [];
  const log: string[] = [];
  const options = {
    settings, address: "127.0.0.1", port: 0,
    audio: new FileAudio(new ToneMic(600), new WavWriter(speaker)),
    log: { log: (level: number, text: string) => void log.push(`${level} ${text}`) },
    onEvent: (event: IntercomEvent, detail: string) => void events.push({ event, detail }),
  };
  const runtime: DoorRuntime = kind === "XS" ? await XsIntercom.create({ ...options, logLevel: 2 }) : await NodeIntercom.create(options);
  trackText(`${kind} door: events and log`, () => `${events.map((e) => intercomEventName(e.event)).join(", ")}\n${log.join("\n")}`);
  runtime.start();
  return {
    runtime, speaker, events,
    seen: (e, from = 0) => events.slice(from).some((x) => x.event === e),
    keys: (from = 0) => events.slice(from).filter((x) => x.event === IntercomEvent.Dtmf).map((x) => x.detail).join(""),
  };
}

describe.each(["Node", "XS"] as const)("in-band DTMF over UDP, the door on %s", (kind) => {
  it("a phone without telephone-event types the code as tones, calling the door and called by the doorbell: the door opens; its speaker does not sound the keys", async () => {
    const pbx = await LoopbackPbx.start({
      doorCode: CODE, dtmf: "inband", ringMs: 50, answerMs: 200, dtmfDelayMs: 600, dtmfDurationMs: 160, dtmfGapMs: 120,
      hangupMs: 500, toneHz: 800, toneMs: 60_000,
    });
    const phone = pbx.phone!;
    let door: Door | null = null;
    try {
      door = await startDoor(kind, { account: pbx.door.account, targets: [pbx.door.extension], doorCode: CODE, doorOpenMs: 300, keepaliveSeconds: 0 });
      await until(() => door!.seen(IntercomEvent.Registered), "registration", WAIT_MS);

      // The phone calls the door: its offer has no telephone-event, so the door listens to the audio.
      const result = await phone.call(`sip:door@${pbx.domain}`, { code: CODE, dtmf: "inband", holdMs: 1500 });
      expect(result.reason).toBe("local-bye");
      await until(() => door!.seen(IntercomEvent.CallDown), "call down", WAIT_MS);
      expect(door.keys()).toBe(CODE);
      expect(door.seen(IntercomEvent.DoorOpened)).toBe(true);
      const report = phone.mediaReport(result.callId)!;
      expect(report.eventsSent).toBe(0);
      expect(mediaProblems(report, 50)).toEqual([]);

      // The doorbell calls the phone, which answers without telephone-event and types the code.
      const from = door.events.length;
      door.runtime.press();
      await until(() => door!.seen(IntercomEvent.DoorOpened, from), "the door opened by the answering phone", WAIT_MS);
      expect(door.keys(from)).toBe(CODE);
      await until(() => door!.seen(IntercomEvent.CallDown, from), "call down", WAIT_MS);
    } finally {
      await door?.runtime.stop(1000);
      await pbx.stop();
    }
    // What the door's speaker played: the phone's 800 Hz, and none of the keys' tones.
    const heard = readWav(door!.speaker).samples;
    expect(heard.length).toBeGreaterThan(RATE * 2);
    expect(dominant(heard, 0, heard.length, [800, 697, 770, 852, 941, 1209, 1336, 1477, 1633], RATE)).toBe(800);
    for (const hz of [770, 852, 941, 1209, 1477]) expect(toneShare(heard, 0, heard.length, hz, RATE), `${hz} Hz`).toBeLessThan(0.02);
  }, 120_000);
});
