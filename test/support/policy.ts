/* A UAS policy like the intercom's, for tests of the request checks. */
import { ascii, spanEqualsCI } from "../../src/sip/message/bytes";
import type { UasPolicy } from "../../src/sip/message/check";
import type { MediaType } from "../../src/sip/message/media-type";
import { Method } from "../../src/sip/message/method";

const SUPPORTED = ["100rel", "replaces", "timer", "norefersub"].map((s) => ascii(s));
const APPLICATION = ascii("application");
const TEXT = ascii("text");
const SDP = ascii("sdp");
const PLAIN = ascii("plain");
const DTMF_RELAY = ascii("dtmf-relay");
const DTMF = ascii("dtmf");

export const intercomPolicy: UasPolicy = {
  isAllowed(method: Method): boolean {
    return method !== Method.REGISTER && method !== Method.PUBLISH && method !== Method.Extension;
  },
  isSupported(buf: Uint8Array, start: number, len: number): boolean {
    for (const tag of SUPPORTED) if (spanEqualsCI(buf, start, len, tag)) return true;
    return false;
  },
  acceptsContent(method: Method, type: MediaType): boolean {
    if (method === Method.MESSAGE) return type.matches(TEXT, PLAIN);
    if (method === Method.INFO) return type.matches(APPLICATION, DTMF_RELAY) || type.matches(APPLICATION, DTMF);
    return type.matches(APPLICATION, SDP);
  },
};
