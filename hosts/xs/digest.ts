/*
 * MD5 (RFC 1321) and SHA-256 (FIPS 180-4) in plain TypeScript, for the XS
 * host's HashHost: the doorsip-xs worker has no crypto of its own, and the
 * core's HashHost.hex is synchronous, so it cannot wait for Node. Digest
 * authentication is rare (a challenge per registration or call), so these
 * favour brevity over speed; they run inside XS and import nothing.
 */
import type { HashAlgorithm, HashHost } from "../../src/host";

const HEX = "0123456789abcdef";

/** Pad data[0..length) the MD5/SHA-2 way: 0x80, zeros, the bit length (64 bits) little- or big-endian. */
function pad(data: Uint8Array, length: number, littleEndian: boolean): Uint8Array {
  const total = (((length + 8) >>> 6) + 1) << 6;
  const out = new Uint8Array(total);
  for (let i = 0; i < length; i++) out[i] = data[i]!;
  out[length] = 0x80;
  const bitsLow = (length << 3) >>> 0;
  const bitsHigh = Math.floor(length / 0x20000000) >>> 0;
  for (let i = 0; i < 4; i++) {
    const lo = (bitsLow >>> (8 * i)) & 0xff;
    const hi = (bitsHigh >>> (8 * i)) & 0xff;
    if (littleEndian) {
      out[total - 8 + i] = lo;
      out[total - 4 + i] = hi;
    } else {
      out[total - 1 - i] = lo;
      out[total - 5 - i] = hi;
    }
  }
  return out;
}

function hexWord(w: number, littleEndian: boolean): string {
  let s = "";
  for (let i = 0; i < 4; i++) {
    const b = littleEndian ? (w >>> (8 * i)) & 0xff : (w >>> (24 - 8 * i)) & 0xff;
    s += HEX.charAt(b >>> 4) + HEX.charAt(b & 15);
  }
  return s;
}

const MD5_S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const MD5_K: number[] = [];
for (let i = 0; i < 64; i++) MD5_K.push(Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) >>> 0);

/** Lower-case hex MD5 of data[0..length). */
export function md5Hex(data: Uint8Array, length: number = data.length): string {
  const m = pad(data, length, true);
  let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  const w = new Int32Array(16);
  for (let off = 0; off < m.length; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] = m[j]! | (m[j + 1]! << 8) | (m[j + 2]! << 16) | (m[j + 3]! << 24);
    }
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = (a + f + MD5_K[i]! + w[g]!) | 0;
      const s = MD5_S[i]!;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  return hexWord(a0, true) + hexWord(b0, true) + hexWord(c0, true) + hexWord(d0, true);
}

const SHA256_K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** Lower-case hex SHA-256 of data[0..length). */
export function sha256Hex(data: Uint8Array, length: number = data.length): string {
  const m = pad(data, length, false);
  const h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Int32Array(64);
  for (let off = 0; off < m.length; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] = (m[j]! << 24) | (m[j + 1]! << 16) | (m[j + 2]! << 8) | m[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (k + S1 + ch + SHA256_K[i]! + w[i]!) | 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + b;
    h[2] = h[2]! + c;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
    h[5] = h[5]! + f;
    h[6] = h[6]! + g;
    h[7] = h[7]! + k;
  }
  let s = "";
  for (let i = 0; i < 8; i++) s += hexWord(h[i]!, false);
  return s;
}

/** HashHost for the XS host: MD5 and SHA-256 computed in the engine itself. */
export class ScriptHash implements HashHost {
  hex(algorithm: HashAlgorithm, data: Uint8Array, length: number): string {
    return algorithm === "MD5" ? md5Hex(data, length) : sha256Hex(data, length);
  }
}
