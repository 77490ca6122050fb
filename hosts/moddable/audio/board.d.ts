/*
 * The contract of module "hosts/moddable/audio/board". manifest.json maps it
 * per platform (like net/network): i2s.ts on boards with an I2S microphone and speaker
 * (M5Stack Atom Echo, ESP32-LyraT: ECMA-419 embedded:io/audio/in and
 * embedded:io/audio/out at 8 kHz, 16-bit mono), none.ts elsewhere
 * (the plain ESP32 DevKitC, the Linux simulator: calls send silence). This
 * declaration is what tsc resolves "./audio/board" to; XS resolves it to whichever
 * module the manifest put there.
 */
import type { AudioHost, LogHost } from "../../../src/host";

export interface DoorAudio extends AudioHost {
  /** Counters for the heap line: frames captured and played, and frames dropped on either side. */
  counters(): string;
  close(): void;
}

/** The board's audio, or undefined when it has none (or it could not be opened: logged). */
export declare function createAudio(log: LogHost): DoorAudio | undefined;
