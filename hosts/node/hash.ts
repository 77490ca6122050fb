/* HashHost on node:crypto, for digest authentication (RFC 7616). */
import { createHash } from "node:crypto";
import type { HashAlgorithm, HashHost } from "../../src/host";

export class NodeHash implements HashHost {
  hex(algorithm: HashAlgorithm, data: Uint8Array, length: number): string {
    return createHash(algorithm === "MD5" ? "md5" : "sha256")
      .update(data.subarray(0, length))
      .digest("hex");
  }
}
