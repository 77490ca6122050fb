/*
 * The fixed byte strings a part of the user agent makes once from its
 * configuration (request lines, header lines, the AOR), encoded as UTF-8
 * into one ArrayBuffer and handed out as views of it: in XS each typed
 * array costs 7 heap slots and a chunk of its own, a view of a shared
 * buffer 4 slots and no chunk (issue #9: the idle heap). Made at
 * construction only; what it returns is the same as `ascii` (bytes.ts)
 * would give, byte for byte.
 */
import type { SipWriter } from "../sip/message/writer";
import { utf8Length, utf8Write } from "../util/utf8";

export { packNumbers } from "../util/packed-numbers";

/** One view per text, in order, over one buffer holding them all. */
export function packedText(texts: readonly string[]): Uint8Array[] {
  let total = 0;
  for (let i = 0; i < texts.length; i++) total += utf8Length(texts[i]!);
  const store = new ArrayBuffer(total);
  const views: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = utf8Length(texts[i]!);
    const view = new Uint8Array(store, at, n);
    utf8Write(texts[i]!, view, 0);
    views.push(view);
    at += n;
  }
  return views;
}

/** Text `i` of a packNumbers() buffer (`text` is the number of its first table entry) into w. */
export function writePacked(w: SipWriter, bytes: Uint8Array, n: Float64Array, text: number): void {
  const start = n[text]!;
  w.span(bytes, start, n[text + 1]! - start);
}
