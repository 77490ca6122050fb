/*
 * Writing the fixed texts of a packNumbers() buffer (src/util/packed-numbers.ts):
 * registration, keepalive and the call settings make their request and
 * header lines once, from their configuration, into the buffer of their
 * numbers (issue #9: in XS a view per line would cost 4 heap slots and a
 * property each), and write them into the SipWriter as spans.
 */
import type { SipWriter } from "../sip/message/writer";

/** Text `i` of a packNumbers() buffer (`text` is the number of its first table entry) into w. */
export function writePacked(w: SipWriter, bytes: Uint8Array, n: Float64Array, text: number): SipWriter {
  const start = n[text]!;
  return w.span(bytes, start, n[text + 1]! - start);
}
