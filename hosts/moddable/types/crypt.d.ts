/*
 * The part of the SDK's "crypt" module (modules/crypt/digest/crypt.js) this
 * host uses. @moddable/typings 5.6.0 does not declare "crypt"; the SDK's own
 * typings/crypt.d.ts does, and mcconfig builds use that one instead of this
 * file (this directory is not listed in manifest.json). Kept to the same
 * signatures so code that checks here also checks there.
 */
declare module "crypt" {
  type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

  export class Digest {
    constructor(type: DigestType);
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
    get blockSize(): number;
    get outputSize(): number;
  }
}
