/*
 * baresip as the far end of a call with sound: its microphone is a WAV file
 * (the aufile module, 8 kHz mono: ausrc_srate/ausrc_channels must match
 * the file) and what it receives is recorded by the sndfile module
 * ("dump-<call>-dec.wav" in snd_path; "-enc.wav" is what it sent). No
 * registration (regint=0): it calls the door straight at its port, and the
 * door calls it at sip:100@127.0.0.1:<port>. answermode=auto answers at
 * once; ctrl_tcp drives it (dial, sndcode for RFC 4733 DTMF, hangup).
 * Its config is writeBaresipConfig's and it runs on the shared peer
 * machinery (test/support/peers.ts, launchBaresip): its PID,
 * log ring, bounded waits, stopped by PID after the file.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { binary, freeTcpPort, freeUdpPort, launchBaresip, tempDir, trackText, writeBaresipConfig, type BaresipControl, type Peer } from "../../support/peers";

export interface AudioBaresip {
  peer: Peer;
  port: number;
  dir: string;
  control: BaresipControl;
  /** The WAV files sndfile wrote for what baresip received (decoded), newest last. */
  receivedFiles(): string[];
}

export async function startAudioBaresip(o: { mic: string; timeoutMs?: number }): Promise<AudioBaresip> {
  binary("baresip"); // fails before anything is made when baresip is missing
  const dir = tempDir("baresip-audio");
  const port = await freeUdpPort();
  const controlPort = await freeTcpPort();
  writeBaresipConfig(dir, { port, controlPort, mic: o.mic, record: true, account: "<sip:100@127.0.0.1>;regint=0;audio_codecs=PCMU;answermode=auto" });
  const { peer, control } = await launchBaresip("baresip (audio)", dir, controlPort, o.timeoutMs ?? 10_000);
  const receivedFiles = (): string[] => readdirSync(dir).filter((f) => /^dump-.*-dec\.wav$/.test(f)).sort().map((f) => join(dir, f));
  trackText("baresip (audio): files", () => readdirSync(dir).join(", "));
  // launchBaresip connects to ctrl_tcp whenever it is given a control port.
  return { peer, port, dir, control: control!, receivedFiles };
}
