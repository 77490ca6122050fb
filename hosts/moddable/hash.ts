/*
 * HashHost on the SDK's `crypt` Digest (modules/crypt/digest). One Digest per
 * algorithm, made on first use and reset() for each hash: reset() re-creates
 * the context even after close() (modCrypt.c, xs_crypt_Digest_reset).
 *
 * Digest.write accepts any readable buffer natively (xsmcGetBufferReadable),
 * but the SDK typings declare `string | ArrayBuffer`, so the bytes are copied
 * into an ArrayBuffer of their own. Digest authentication happens once per
 * registration or call, so the copy costs nothing that matters.
 */
import { Digest } from "crypt";
import type { HashAlgorithm, HashHost } from "../../src/host";

const HEX = "0123456789abcdef";

export class DigestHash implements HashHost {
  private md5: Digest | null = null;
  private sha256: Digest | null = null;

  hex(algorithm: HashAlgorithm, data: Uint8Array, length: number): string {
    let digest: Digest;
    if (algorithm === "MD5") digest = this.md5 ??= new Digest("MD5");
    else digest = this.sha256 ??= new Digest("SHA256");
    digest.reset();
    const copy = new Uint8Array(length);
    copy.set(data.subarray(0, length));
    digest.write(copy.buffer);
    const out = new Uint8Array(digest.close());
    let text = "";
    for (let i = 0; i < out.length; i++) {
      const byte = out[i]!;
      text += HEX[byte >> 4]! + HEX[byte & 15]!;
    }
    return text;
  }
}
