/*
 * Module "hosts/moddable/audio/board" on boards without I2S audio (see board.d.ts):
 * no microphone, no speaker. Calls still carry RTP: silence out, and what
 * comes in is played to nobody (RFC 4733 events still open the door).
 */
import type { LogHost } from "../../../src/host";
import type { DoorAudio } from "./board";

export function createAudio(_log: LogHost): DoorAudio | undefined {
  return undefined;
}
