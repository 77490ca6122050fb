/*
 * End to end with sound: the real intercom on the Node host (NodeIntercom,
 * real UDP on 127.0.0.1, RTP sockets per call slot) and baresip (Debian's
 * package) with files for its audio (test/interop/audio/baresip-audio.ts).
 *
 * baresip's microphone plays a 1000 Hz tone; the door's microphone is a
 * 600 Hz tone (--mic tone:600) and its speaker a WAV file (--speaker). After
 * a call, the door's speaker WAV must hold baresip's 1000 Hz, and baresip's
 * recording of what it received (sndfile) the door's 600 Hz: both checked
 * with a Goertzel filter. baresip's DTMF is RFC 4733 telephone-events
 * (1.0.0 has no SIP INFO): its "#" must open the door, and the door-open
 * confirmation tone (1000 Hz beeps, then 1400 Hz) must reach baresip.
 * Both directions of call set-up: baresip calls the door, and the doorbell
 * calls baresip.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IntercomEvent, intercomEventName, type IntercomSettings } from "../src/app/intercom";
import { FileAudio, ToneMic } from "../hosts/node/audio/file-audio";
import { encodeWav, readWav, WavWriter } from "../hosts/node/audio/wav";
import { NodeIntercom } from "../hosts/node/runtime";
import { requirePeers, trackText, until, usePeers } from "./support/peers";
import { blocksWithTone, dominant, rms, toneShare } from "./interop/audio/signal";
import { startAudioBaresip } from "./interop/audio/baresip-audio";

usePeers();
const peers = requirePeers("baresip");
const RATE = 8000;

const work = mkdtempSync(join(tmpdir(), "doorsip-audio-"));
afterAll(() => {
  if (process.env.KEEP_INTEROP_TMP !== "1") rmSync(work, { recursive: true, force: true });
});

/** A 1000 Hz tone of `seconds` as an 8 kHz mono WAV: baresip's microphone. */
function toneWav(name: string, hz: number, seconds: number): string {
  const s = new Int16Array(RATE * seconds);
  for (let i = 0; i < s.length; i++) s[i] = Math.round(9000 * Math.sin((2 * Math.PI * hz * i) / RATE));
  const path = join(work, name);
  writeFileSync(path, encodeWav(s));
  return path;
}

interface AudioDoor {
  runtime: NodeIntercom;
  audio: FileAudio;
  speaker: string;
  events: { event: IntercomEvent; detail: string }[];
  log: string[];
  wait(event: IntercomEvent, from?: number, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

async function startAudioDoor(label: string, settings: Partial<IntercomSettings> = {}): Promise<AudioDoor> {
  const speaker = join(work, `${label}-speaker.wav`);
  const audio = new FileAudio(new ToneMic(600), new WavWriter(speaker));
  const events: { event: IntercomEvent; detail: string }[] = [];
  const log: string[] = [];
  const runtime = await NodeIntercom.create({
    settings: {
      account: { registrarHost: "127.0.0.1", registrarPort: 9, domain: "doorsip.test", user: "door", password: "doorpass" },
      register: false,
      keepaliveSeconds: 0,
      doorCode: "#",
      // baresip reaches the door straight from its own port on 127.0.0.1.
      trust: { allow: ["127.0.0.1"] },
      ...settings,
    },
    address: "127.0.0.1",
    port: 0,
    audio,
    log: { log: (level, text) => void log.push(`${level} ${text}`) },
    onEvent: (event, detail) => void events.push({ event, detail }),
  });
  trackText(`${label}: events and log`, () => `${events.map((e) => intercomEventName(e.event)).join(", ")}\n${log.join("\n")}`);
  runtime.start();
  let stopped = false;
  return {
    runtime, audio, speaker, events, log,
    wait: (event, from = 0, ms = 10_000) =>
      until(() => events.slice(from).some((e) => e.event === event), `${label}: ${intercomEventName(event)}`, ms),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await runtime.stop(1000);
    },
  };
}

/** Samples of a WAV (8 kHz mono after conversion). */
function samples(path: string): Int16Array {
  return readWav(path).samples;
}

describe.skipIf(peers.skip)("audio end to end with baresip", () => {
  const baresipMic = toneWav("baresip-mic.wav", 1000, 30);

  it("baresip calls the door: each hears the other's tone, and baresip's RFC 4733 '#' opens the door", async () => {
    const door = await startAudioDoor("door (called by baresip)");
    const phone = await startAudioBaresip({ mic: baresipMic });
    try {
      const port = door.runtime.localPort;
      const events = phone.control.events.length;
      expect((await phone.control.command("dial", `sip:door@127.0.0.1:${port}`)).ok).toBe(true);
      await phone.control.waitEvent("CALL_ESTABLISHED", events, 10_000);
      await door.wait(IntercomEvent.CallUp);
      // Two seconds of the door's speaker: 100 frames played.
      const played = door.audio.played;
      await until(() => door.audio.played >= played + 100, "the door to play 2 s of audio", 10_000);
      const session = door.runtime.intercom.media.slots[0]!;
      expect(session.packetsReceived).toBeGreaterThan(50);
      expect(session.latched).toBe(true);

      // baresip types "#": RFC 4733 events (no INFO in baresip 1.0.0).
      const from = door.events.length;
      expect((await phone.control.command("sndcode", "#")).ok).toBe(true);
      await door.wait(IntercomEvent.DoorOpened, from);
      expect(door.events.slice(from).filter((e) => e.event === IntercomEvent.Dtmf).map((e) => e.detail)).toEqual(["#"]);
      expect(door.runtime.pins.relay).toBe(true);
      expect(session.digits).toBe(1);
      // Let the confirmation tone (800 ms) go out, then hang up from baresip.
      const afterOpen = door.audio.played;
      await until(() => door.audio.played >= afterOpen + 60, "the confirmation tone to be sent", 10_000);
      expect((await phone.control.command("hangup")).ok).toBe(true);
      await door.wait(IntercomEvent.CallDown);
      await phone.control.waitEvent("CALL_CLOSED", events, 10_000);
    } finally {
      await phone.peer.stop(5000);
      await door.stop();
    }

    // The door's speaker: baresip's 1000 Hz.
    const heard = samples(door.speaker);
    expect(heard.length).toBeGreaterThan(RATE * 2);
    const toneBlocks = blocksWithTone(heard, 800, 1000, RATE, 0.6, 1000);
    expect(toneBlocks).toBeGreaterThan(20);
    expect(dominant(heard, RATE, RATE, [440, 600, 1000, 1400], RATE)).toBe(1000);

    // What baresip received: the door's 600 Hz, and the 1000/1400 Hz confirmation.
    const files = phone.receivedFiles();
    expect(files.length).toBeGreaterThan(0);
    const got = samples(files.at(-1)!);
    expect(got.length).toBeGreaterThan(RATE * 2);
    expect(rms(got)).toBeGreaterThan(1000);
    expect(blocksWithTone(got, 800, 600, RATE, 0.6, 1000)).toBeGreaterThan(20);
    expect(dominant(got, RATE, RATE, [440, 600, 1000, 1400], RATE)).toBe(600);
    // The confirmation's 1400 Hz part (400 ms, mixed over the 600 Hz microphone) is somewhere after the first second.
    let best = 0;
    for (let at = RATE; at + 1600 <= got.length; at += 160) best = Math.max(best, toneShare(got, at, 1600, 1400, RATE));
    expect(best).toBeGreaterThan(0.3);
  });

  it("the doorbell calls baresip (auto-answer): each hears the other", async () => {
    const phone = await startAudioBaresip({ mic: baresipMic });
    const door = await startAudioDoor("door (calls baresip)", { targets: [`sip:100@127.0.0.1:${phone.port}`] });
    try {
      const events = phone.control.events.length;
      door.runtime.press();
      await door.wait(IntercomEvent.CallUp);
      await phone.control.waitEvent("CALL_ESTABLISHED", events, 10_000);
      const played = door.audio.played;
      await until(() => door.audio.played >= played + 150, "the door to play 3 s of audio", 10_000);
      door.runtime.hangupAll();
      await door.wait(IntercomEvent.CallDown);
      await phone.control.waitEvent("CALL_CLOSED", events, 10_000);
    } finally {
      await phone.peer.stop(5000);
      await door.stop();
    }
    // Of 3 s (30 blocks of 100 ms), most hold the other side's tone (the first ones are set-up and jitter-buffer fill).
    const heard = samples(door.speaker);
    expect(blocksWithTone(heard, 800, 1000, RATE, 0.6, 1000)).toBeGreaterThan(15);
    const got = samples(phone.receivedFiles().at(-1)!);
    expect(blocksWithTone(got, 800, 600, RATE, 0.6, 1000)).toBeGreaterThan(15);
  });
});
