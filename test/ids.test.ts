import { describe, expect, it } from "vitest";
import {
  BRANCH_COOKIE, BRANCH_LENGTH, CALL_ID_LENGTH, CNONCE_LENGTH, TAG_LENGTH,
  hasMagicCookie, newBranch, newCallId, newCnonce, newTag,
  writeBranch, writeCallId, writeCnonce, writeTag,
} from "../src/sip/ids";
import { FixedRandom, SeededRandom } from "./support/seeded-random";
import { hex32, writeHex32 } from "../src/util/hex";

const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
const HEX = /^[0-9a-f]+$/;

describe("ids", () => {
  it("branch starts with the magic cookie and is followed by 16 hex digits", () => {
    const buf = new Uint8Array(64).fill(0x2e);
    const end = writeBranch(new FixedRandom([0xdeadbeef, 0x00000001]), buf, 5);
    expect(end).toBe(5 + BRANCH_LENGTH);
    expect(ascii(buf, 5, end)).toBe("z9hG4bKdeadbeef00000001");
    // Nothing written outside [offset, end).
    expect(buf[4]).toBe(0x2e);
    expect(buf[end]).toBe(0x2e);
    expect(BRANCH_COOKIE).toBe("z9hG4bK");
  });

  it("writes tags, Call-IDs and cnonces of the advertised lengths", () => {
    const r = new FixedRandom([0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210]);
    const buf = new Uint8Array(100);
    let o = writeTag(r, buf, 0);
    expect(o).toBe(TAG_LENGTH);
    expect(ascii(buf, 0, o)).toBe("0123456789abcdef");
    const c0 = o;
    o = writeCallId(r, buf, o);
    expect(o - c0).toBe(CALL_ID_LENGTH);
    expect(ascii(buf, c0, o)).toBe("fedcba98765432100123456789abcdef");
    const n0 = o;
    o = writeCnonce(r, buf, o);
    expect(o - n0).toBe(CNONCE_LENGTH);
    expect(ascii(buf, n0, o)).toMatch(HEX);
  });

  it("returns -1 and writes nothing when the buffer is too short", () => {
    const r = new SeededRandom(7);
    const buf = new Uint8Array(BRANCH_LENGTH + 2);
    expect(writeBranch(r, buf, 3)).toBe(-1);
    expect(buf.every((b) => b === 0)).toBe(true);
    expect(writeBranch(r, buf, 2)).toBe(BRANCH_LENGTH + 2);
    expect(writeTag(r, new Uint8Array(15), 0)).toBe(-1);
    expect(writeCallId(r, new Uint8Array(40), 9)).toBe(-1);
    expect(writeCnonce(r, new Uint8Array(16), -1)).toBe(-1);
  });

  it("string variants match the byte variants for the same random sequence", () => {
    const buf = new Uint8Array(BRANCH_LENGTH);
    writeBranch(new SeededRandom(42), buf, 0);
    expect(newBranch(new SeededRandom(42))).toBe(ascii(buf, 0, BRANCH_LENGTH));
    expect(newTag(new SeededRandom(1))).toMatch(/^[0-9a-f]{16}$/);
    expect(newCallId(new SeededRandom(1))).toMatch(/^[0-9a-f]{32}$/);
    expect(newCnonce(new SeededRandom(1))).toMatch(/^[0-9a-f]{16}$/);
  });

  it("uses enough randomness: 2 words per tag/branch/cnonce, 4 per Call-ID", () => {
    const r = new SeededRandom(3);
    newTag(r); expect(r.calls).toBe(2);
    newBranch(r); expect(r.calls).toBe(4);
    newCallId(r); expect(r.calls).toBe(8);
    newCnonce(r); expect(r.calls).toBe(10);
  });

  it("does not repeat over many draws", () => {
    const r = new SeededRandom(99);
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(newBranch(r));
    expect(seen.size).toBe(10_000);
  });

  it("recognises the magic cookie", () => {
    expect(hasMagicCookie("z9hG4bK776asdhds")).toBe(true);
    expect(hasMagicCookie("z9hg4bk776asdhds")).toBe(false);
    expect(hasMagicCookie("776asdhds")).toBe(false);
  });

  it("hex helpers", () => {
    expect(hex32(0)).toBe("00000000");
    expect(hex32(0xffffffff)).toBe("ffffffff");
    expect(hex32(-1)).toBe("ffffffff");
    const b = new Uint8Array(8);
    expect(writeHex32(0xa1b2c3d4, b, 0)).toBe(8);
    expect(ascii(b, 0, 8)).toBe("a1b2c3d4");
  });
});
