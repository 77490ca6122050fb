/*
 * Header names by the trie of every known name (header.ts), as one small
 * integer (NameCode). The parser compares the usual names byte by byte in its
 * header loop first (SipParser.headers); the trie decides every other name,
 * and any name that goes on past a usual candidate.
 */
import { H, NAME_TRIE_CH, NAME_TRIE_FCH, NAME_TRIE_NO_CHILD, NAME_TRIE_ROOT, NAME_TRIE_SIB, NAME_TRIE_TERM } from "./header";
import { IS_TOKEN, LOWER } from "./chars";

/** A name found: (its end << Shift) | its id, one small integer (ids are below 128, ends below 2**16). */
export const enum NameCode {
  Shift = 7,
  IdMask = 127,
}

/**
 * Any header name at buf[i]: its token bytes walked down the trie of known
 * names (header.ts), as a NameCode; the id is H.Other for an extension
 * header, and the end is i when no token byte is there.
 */
export function trieName(buf: Uint8Array, i: number, length: number): number {
  let ne = i;
  let node = i < length ? NAME_TRIE_ROOT[buf[i]!]! : 0;
  if (node !== 0) {
    ne++;
    while (ne < length) {
      const l = LOWER[buf[ne]!]!;
      const f = NAME_TRIE_FCH[node]!;
      if (f === l) {
        node++; // the first child
        ne++;
        continue;
      }
      if (f === NAME_TRIE_NO_CHILD) break;
      let ch = NAME_TRIE_SIB[node + 1]!;
      while (ch !== 0 && NAME_TRIE_CH[ch] !== l) ch = NAME_TRIE_SIB[ch]!;
      if (ch === 0) break;
      node = ch;
      ne++;
    }
  }
  let id: H = NAME_TRIE_TERM[node]!;
  if (ne < length && IS_TOKEN[buf[ne]!]!) {
    // More name than any known one: an extension header.
    id = H.Other;
    ne++;
    while (ne < length && IS_TOKEN[buf[ne]!]!) ne++;
  }
  return (ne << NameCode.Shift) | id;
}
