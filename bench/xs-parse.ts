/*
 * The XS side of the parser benchmark: a setup function for the real-XS
 * harness (hosts/xs/harness.ts). It decodes the corpus (hex strings, so that
 * binary messages survive JSON), then returns the measured function: one
 * pass over the corpus, each message parsed and its fields read exactly as
 * in the Node benchmark (bench/doorsip-work.ts).
 */
import { SipMessage } from "../src/sip/message/message";
import { SipParser } from "../src/sip/message/parser";
import { doorsipParseAndRead } from "./doorsip-work";

let sink = 0;

/** Reads the sink, so that the compiler sees it used. */
export function lastChecksum(): number {
  return sink;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

export function setup(hexMessages: readonly string[]): () => void {
  const messages = hexMessages.map(fromHex);
  const parser = new SipParser();
  const msg = new SipMessage();
  const n = messages.length;
  return () => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += doorsipParseAndRead(parser, msg, messages[i]!);
    sink = (sink + sum) | 0;
  };
}
