/*
 * RFC 4733 sending end to end, real UDP on 127.0.0.1: the door (the Node
 * host, NodeIntercom) confirms the door opening with an RFC 4733 "#" after
 * its door-open tone, in the call's RTP stream, when the call agreed
 * telephone-event.
 *
 * - The built-in PBX's desk phone (hosts/node/pbx, always runs) calls the
 *   door and types the code as INFO; its RTP reader (phone-media.ts) sees
 *   the door's event: one "#", the marker on its first packet, one
 *   timestamp, a growing duration, three end packets (eventProblems), in a
 *   stream whose audio stays in step (mediaProblems). (A call without
 *   telephone-event gets no event: test/media-telephone-event.test.ts.)
 * - baresip (skips without it, fails under CI=true) calls the door, types
 *   "#" as RFC 4733, and reports the door's "#" (ctrl_tcp CALL_DTMF_START).
 */
import { describe, expect, it } from "vitest";
import { IntercomEvent, intercomEventName } from "../src/app/intercom";
import { CONFIRM_EVENT } from "../src/media/call-media";
import { eventDigit } from "../src/media/telephone-event";
import { FileAudio, ToneMic } from "../hosts/node/audio/file-audio";
import { LoopbackPbx, mediaProblems } from "../hosts/node/pbx/index";
import { eventProblems } from "../hosts/node/pbx/phone-media";
import { NodeIntercom } from "../hosts/node/runtime";
import { requirePeers, trackText, until, usePeers } from "./support/peers";
import { startAudioBaresip } from "./interop/audio/baresip-audio";
import { encodeWav } from "../hosts/node/audio/wav";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

usePeers();
const peers = requirePeers("baresip");

interface Door {
  runtime: NodeIntercom;
  events: { event: IntercomEvent; detail: string }[];
  seen(event: IntercomEvent, from?: number): boolean;
}

async function startDoor(label: string, settings: Parameters<typeof NodeIntercom.create>[0]["settings"]): Promise<Door> {
  const events: { event: IntercomEvent; detail: string }[] = [];
  const log: string[] = [];
  const runtime = await NodeIntercom.create({
    settings,
    address: "127.0.0.1",
    port: 0,
    audio: new FileAudio(new ToneMic(600), null),
    log: { log: (level, text) => void log.push(`${level} ${text}`) },
    onEvent: (event, detail) => void events.push({ event, detail }),
  });
  trackText(`${label}: events and log`, () => `${events.map((e) => intercomEventName(e.event)).join(", ")}\n${log.join("\n")}`);
  runtime.start();
  return { runtime, events, seen: (e, from = 0) => events.slice(from).some((x) => x.event === e) };
}

describe("the door sends RFC 4733 events", () => {
  it("the desk phone sees the door's '#' after the door opened: marker, one timestamp, growing duration, three ends", async () => {
    const pbx = await LoopbackPbx.start({ doorCode: "12#", ringMs: 50, answerMs: 100, toneHz: 800, toneMs: 60_000 });
    const phone = pbx.phone!;
    let door: Door | null = null;
    try {
      door = await startDoor("door (desk phone)", {
        account: pbx.door.account, targets: [pbx.door.extension], doorCode: "12#", doorOpenMs: 300, keepaliveSeconds: 0,
      });
      await until(() => door!.seen(IntercomEvent.Registered), "registration", 10_000);
      // The code as INFO, so that the only RFC 4733 packets in the call are the door's; held long enough for the
      // 800 ms tone and the 200 ms event after it.
      const result = await phone.call(`sip:door@${pbx.domain}`, { code: "12#", dtmf: "info", holdMs: 2500 });
      expect(result.reason).toBe("local-bye");
      await until(() => door!.seen(IntercomEvent.CallDown), "call down", 10_000);
      expect(door.seen(IntercomEvent.DoorOpened)).toBe(true);
      const report = phone.mediaReport(result.callId)!;
      expect(report).toBeDefined();
      expect(mediaProblems(report, 50)).toEqual([]);
      expect(report.eventsSeen.map((e) => e.digit)).toEqual([String.fromCharCode(eventDigit(CONFIRM_EVENT))]);
      expect(eventProblems(report)).toEqual([]);
      const e = report.eventsSeen[0]!;
      // 200 ms: a start, updates at 60, 100, 160 ms, and the end three times at 1600.
      expect(e.duration).toBe(1600);
      expect(e.packets).toBe(7);
      expect(report.eventsReceived).toBe(7);
      expect(door.runtime.intercom.media.events.events).toBe(1);
    } finally {
      await door?.runtime.stop(1000);
      await pbx.stop();
    }
  }, 30_000);
});

describe.skipIf(peers.skip)("RFC 4733 from the door to baresip", () => {
  it("baresip types '#', the door opens and answers with its own '#' (CALL_DTMF_START at baresip)", async () => {
    const work = mkdtempSync(join(tmpdir(), "doorsip-event-"));
    const mic = join(work, "mic.wav");
    const s = new Int16Array(8000 * 20);
    for (let i = 0; i < s.length; i++) s[i] = Math.round(9000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
    writeFileSync(mic, encodeWav(s));
    const door = await startDoor("door (called by baresip)", {
      account: { registrarHost: "127.0.0.1", registrarPort: 9, domain: "doorsip.test", user: "door", password: "doorpass" },
      register: false, keepaliveSeconds: 0, doorCode: "#", trust: { allow: ["127.0.0.1"] },
    });
    const phone = await startAudioBaresip({ mic });
    try {
      const events = phone.control.events.length;
      expect((await phone.control.command("dial", `sip:door@127.0.0.1:${door.runtime.localPort}`)).ok).toBe(true);
      await phone.control.waitEvent("CALL_ESTABLISHED", events, 10_000);
      await until(() => door.seen(IntercomEvent.CallUp), "call up", 10_000);
      // Let the call settle (RTP both ways), then baresip sends "#".
      await until(() => door.runtime.intercom.media.slots[0]!.packetsReceived > 25, "RTP from baresip", 10_000);
      const before = phone.control.events.length;
      expect((await phone.control.command("sndcode", "#")).ok).toBe(true);
      await until(() => door.seen(IntercomEvent.DoorOpened), "door opened", 10_000);
      // baresip reports received digits only: its "#" comes with the door's first event packet, which follows
      // the 800 ms door-open tone (the sender has written packets by then), and ends with its end packets.
      const dtmf = await phone.control.waitEvent("CALL_DTMF_START", before, 10_000);
      expect(dtmf.param).toBe("#");
      expect(door.runtime.intercom.media.events.packets).toBeGreaterThan(0);
      await phone.control.waitEvent("CALL_DTMF_END", before, 10_000);
      await until(() => door.runtime.intercom.media.events.events === 1, "the door's end packets", 10_000);
      expect(phone.control.events.slice(before).filter((m) => m.type === "CALL_DTMF_START").length).toBe(1);
      expect((await phone.control.command("hangup")).ok).toBe(true);
      await until(() => door.seen(IntercomEvent.CallDown), "call down", 10_000);
    } finally {
      await phone.peer.stop(5000);
      await door.runtime.stop(1000);
      rmSync(work, { recursive: true, force: true });
    }
  }, 40_000);
});
