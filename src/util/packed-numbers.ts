/*
 * Numbers and fixed texts of one object in one ArrayBuffer (issue #9, the
 * idle heap), for the core's parts that keep both: the registration, the
 * keepalive, a digest session. See packNumbers.
 */
import { utf8Length, utf8Write } from "./utf8";

/**
 * An object's numbers and its fixed texts in one ArrayBuffer (issue #9):
 * a Float64Array of `count` numbers, the texts' UTF-8 after them. Numbers
 * `table` .. `table + texts.length` hold where each text starts and, last,
 * where the final one ends (byte offsets into the same buffer), so text i
 * is [n[table + i], n[table + i + 1]). The owner keeps the Float64Array and
 * one Uint8Array view of its buffer: 2 views (4 slots each) and one buffer
 * (3 slots), where a view per text cost 4 slots and a property each, and
 * each number a slot of its own. A Float64Array holds any number a
 * property could (clock times, counters past 2^31). `extra` zero bytes
 * follow the texts, for the owner's other bytes (views of its own).
 */
export function packNumbers(count: number, table: number, texts: readonly string[], extra = 0): Float64Array {
  let total = 0;
  for (let i = 0; i < texts.length; i++) total += utf8Length(texts[i]!);
  const store = new ArrayBuffer(count * 8 + total + extra);
  const n = new Float64Array(store, 0, count);
  const bytes = new Uint8Array(store);
  let at = count * 8;
  for (let i = 0; i < texts.length; i++) {
    n[table + i] = at;
    at = utf8Write(texts[i]!, bytes, at);
  }
  n[table + texts.length] = at;
  return n;
}

/**
 * A copy of a packNumbers() store with text `i` of its `texts` replaced:
 * the numbers, the other texts and the extra bytes as they were, the text
 * offsets after `i` moved. For a rare change (the server's new address,
 * src/ua/server-name.ts); it allocates a new store.
 */
export function replacePacked(n: Float64Array, table: number, texts: number, i: number, text: string): Float64Array {
  const src = new Uint8Array(n.buffer);
  const start = n[table + i]!;
  const end = n[table + i + 1]!;
  const len = utf8Length(text);
  const store = new ArrayBuffer(src.length - (end - start) + len);
  const m = new Float64Array(store, 0, n.length);
  const dst = new Uint8Array(store);
  dst.set(src.subarray(0, start));
  utf8Write(text, dst, start);
  dst.set(src.subarray(end), start + len);
  const shift = len - (end - start);
  for (let k = i + 1; k <= texts; k++) m[table + k] = n[table + k]! + shift;
  return m;
}
