/*
 * Minimal typings for the untyped JavaScript SIP libraries the parser
 * benchmark compares against: only what bench/peers.ts uses.
 */

// JsSIP 3.13.8: lib/Parser.js (not exported by the package's main module; no .d.ts of its own).
declare module "jssip/lib/Parser.js" {
  /** The parsed header as JsSIP's grammar returns it; cached on the header after the first parse. */
  interface JsSipParsedCSeq {
    value: number;
    method: string;
  }
  interface JsSipIncomingMessage {
    method: string | null;
    call_id: string | null;
    cseq: number | null;
    via_branch: string | null | undefined;
    from_tag: string | null | undefined;
    to_tag: string | null | undefined;
    status_code?: number;
    /** Returns the parsed value (cached on the header), or undefined. */
    parseHeader(name: string, idx?: number): unknown;
  }
  const Parser: {
    /** `ua` is only stored on requests; parsing does not use it. */
    parseMessage(data: string, ua: unknown): JsSipIncomingMessage | undefined;
  };
  export type { JsSipIncomingMessage, JsSipParsedCSeq };
  export default Parser;
}

// sip 0.0.6 (kirm/sip.js): require("sip").parse(string).
declare module "sip" {
  interface SipParams {
    [name: string]: string | null | undefined;
  }
  interface SipAddress {
    name?: string;
    uri: string;
    params: SipParams;
  }
  interface SipVia {
    version: string;
    protocol: string;
    host: string;
    port?: number;
    params: SipParams;
  }
  interface SipHeaders {
    via?: SipVia[];
    from?: SipAddress;
    to?: SipAddress;
    "call-id"?: string;
    cseq?: { seq: number; method: string };
    [name: string]: unknown;
  }
  interface SipParsedMessage {
    method?: string;
    uri?: string;
    status?: number;
    reason?: string;
    version: string;
    headers: SipHeaders;
    content: string;
  }
  const sip: {
    parse(data: string): SipParsedMessage | undefined;
  };
  export type { SipParsedMessage };
  export default sip;
}
