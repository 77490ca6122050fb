/*
 * The peer parsers of the benchmark, each used through its own API: parse a
 * message (a string, decoded before timing), then read Call-ID, CSeq number
 * and method, the top Via branch and the From/To tags. Each returns a
 * checksum of what it read (lengths and first characters, as doorsip's
 * bench/doorsip-work.ts does with spans), or -1 when the library rejects the
 * message. Loaded lazily, so that `doorsip parse` never loads them.
 */

export type PeerName = "sip.js" | "JsSIP" | "sip";
export const PEER_NAMES: readonly PeerName[] = ["sip.js", "JsSIP", "sip"];

export interface Peer {
  name: PeerName;
  /** What the library's parser is, for the report. */
  api: string;
  parseAndRead(text: string): number;
}

function str(s: string | null | undefined): number {
  return s ? s.length + s.charCodeAt(0) : 0;
}

function cseqMethodOf(parsed: unknown): string | undefined {
  if (typeof parsed === "object" && parsed !== null && "method" in parsed) {
    const m = (parsed as { method: unknown }).method;
    return typeof m === "string" ? m : undefined;
  }
  return undefined;
}

async function sipJs(): Promise<Peer> {
  const [{ Parser }, { LoggerFactory }] = await Promise.all([
    import("sip.js/lib/core/messages/parser.js"),
    import("sip.js/lib/core/log/logger-factory.js"),
  ]);
  const factory = new LoggerFactory();
  factory.builtinEnabled = false;
  const logger = factory.getLogger("bench");
  return {
    name: "sip.js",
    api: "Parser.parseMessage(string, logger) (sip.js/lib/core/messages/parser.js)",
    parseAndRead(text: string): number {
      const m = Parser.parseMessage(text, logger);
      if (!m) return -1;
      // For a response the parser sets method from CSeq; for a request read the (cached) parsed CSeq.
      const method = "statusCode" in m ? m.method : cseqMethodOf(m.parseHeader("cseq"));
      return str(m.callId) + (m.cseq & 0xffff) + str(method) + str(m.viaBranch) + str(m.fromTag) + str(m.toTag);
    },
  };
}

async function jsSip(): Promise<Peer> {
  const Parser = (await import("jssip/lib/Parser.js")).default;
  // IncomingRequest keeps a reference to its UA; parsing does not touch it.
  const ua = {};
  return {
    name: "JsSIP",
    api: "Parser.parseMessage(string, ua) (jssip/lib/Parser.js)",
    parseAndRead(text: string): number {
      const m = Parser.parseMessage(text, ua);
      if (!m) return -1;
      const method = m.status_code ? m.method : cseqMethodOf(m.parseHeader("cseq"));
      return str(m.call_id) + ((m.cseq ?? 0) & 0xffff) + str(method) + str(m.via_branch) + str(m.from_tag) + str(m.to_tag);
    },
  };
}

async function sipKirm(): Promise<Peer> {
  const sip = (await import("sip")).default;
  return {
    name: "sip",
    api: "require('sip').parse(string)",
    parseAndRead(text: string): number {
      const m = sip.parse(text);
      if (!m) return -1;
      const h = m.headers;
      const cseq = h.cseq;
      const via = h.via?.[0];
      return (
        str(h["call-id"]) +
        (cseq ? (cseq.seq & 0xffff) + str(cseq.method) : 0) +
        str(via?.params.branch) +
        str(h.from?.params.tag) +
        str(h.to?.params.tag)
      );
    },
  };
}

export async function loadPeers(): Promise<Peer[]> {
  return Promise.all([sipJs(), jsSip(), sipKirm()]);
}
