/**
 * A 32-bit name for a dialog: FNV-1a over its Call-ID and the peer's tag
 * (RFC 3261 §12: Call-ID, local and remote tag identify a dialog; the local
 * tag is ours and the Call-ID unique to the call, so these two suffice).
 * Ended dialogs are remembered by it, one number each, so that a late copy
 * of a 2xx in one is ACKed and not ended a second time (§13.2.2.4,
 * user-agent.ts endFork). Never 0 (0: none). Allocation-free.
 */
export function dialogHash(buf: Uint8Array, callStart: number, callLen: number, tagBuf: Uint8Array, tagStart: number, tagLen: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < callLen; i++) h = Math.imul(h ^ buf[callStart + i]!, 0x01000193);
  // A separator no byte can be (0x100: bytes are below 256), so "ab"+"c" and "a"+"bc" differ.
  h = Math.imul(h ^ 0x100, 0x01000193);
  for (let i = 0; i < tagLen; i++) h = Math.imul(h ^ tagBuf[tagStart + i]!, 0x01000193);
  return h >>> 0 || 1;
}
