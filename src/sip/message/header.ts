/*
 * Header ids. Names are case-insensitive (RFC 3261 §7.3.1) and many have a
 * compact form (RFC 3261 §7.3.3 and the RFCs that define the header). The
 * lookup hashes (length, first byte, last byte) into a small bucket table
 * built at load, then compares bytes case-insensitively: no strings.
 */
import { ascii } from "./bytes";
import { LOWER } from "./chars";

export const enum H {
  Other = 0,
  Via,
  From,
  To,
  CallId,
  CSeq,
  Contact,
  MaxForwards,
  ContentLength,
  ContentType,
  Route,
  RecordRoute,
  Expires,
  MinExpires,
  WwwAuthenticate,
  ProxyAuthenticate,
  Authorization,
  ProxyAuthorization,
  AuthenticationInfo,
  Allow,
  Supported,
  Require,
  ProxyRequire,
  Unsupported,
  Accept,
  AcceptEncoding,
  AcceptLanguage,
  ContentEncoding,
  ContentDisposition,
  ContentLanguage,
  Event,
  AllowEvents,
  SubscriptionState,
  ReferTo,
  ReferredBy,
  RSeq,
  RAck,
  UserAgent,
  Server,
  Date,
  RetryAfter,
  Warning,
  Subject,
  Timestamp,
  Organization,
  Priority,
  ReplyTo,
  InReplyTo,
  ErrorInfo,
  AlertInfo,
  CallInfo,
  MimeVersion,
  InfoPackage,
  RecvInfo,
  SessionExpires,
  MinSE,
  Reason,
  Path,
  ServiceRoute,
  PAssertedIdentity,
  PPreferredIdentity,
  Privacy,
  Replaces,
  Identity,
  AcceptContact,
  RejectContact,
  RequestDisposition,
  SipETag,
  SipIfMatch,
}

export const HEADER_COUNT = H.SipIfMatch + 1;

/** Canonical names, indexed by H (used when writing and for --json output). */
export const HEADER_NAMES: readonly string[] = Object.freeze([
  "",
  "Via",
  "From",
  "To",
  "Call-ID",
  "CSeq",
  "Contact",
  "Max-Forwards",
  "Content-Length",
  "Content-Type",
  "Route",
  "Record-Route",
  "Expires",
  "Min-Expires",
  "WWW-Authenticate",
  "Proxy-Authenticate",
  "Authorization",
  "Proxy-Authorization",
  "Authentication-Info",
  "Allow",
  "Supported",
  "Require",
  "Proxy-Require",
  "Unsupported",
  "Accept",
  "Accept-Encoding",
  "Accept-Language",
  "Content-Encoding",
  "Content-Disposition",
  "Content-Language",
  "Event",
  "Allow-Events",
  "Subscription-State",
  "Refer-To",
  "Referred-By",
  "RSeq",
  "RAck",
  "User-Agent",
  "Server",
  "Date",
  "Retry-After",
  "Warning",
  "Subject",
  "Timestamp",
  "Organization",
  "Priority",
  "Reply-To",
  "In-Reply-To",
  "Error-Info",
  "Alert-Info",
  "Call-Info",
  "MIME-Version",
  "Info-Package",
  "Recv-Info",
  "Session-Expires",
  "Min-SE",
  "Reason",
  "Path",
  "Service-Route",
  "P-Asserted-Identity",
  "P-Preferred-Identity",
  "Privacy",
  "Replaces",
  "Identity",
  "Accept-Contact",
  "Reject-Contact",
  "Request-Disposition",
  "SIP-ETag",
  "SIP-If-Match",
]);

/**
 * Compact forms: RFC 3261 §7.3.3 (i m e l c f s k t v), RFC 6665 (o u),
 * RFC 3515 (r), RFC 3892 (b), RFC 4028 (x), RFC 8224 (y), RFC 3841 (a j d).
 */
const COMPACT: readonly (readonly [string, H])[] = [
  ["i", H.CallId],
  ["m", H.Contact],
  ["e", H.ContentEncoding],
  ["l", H.ContentLength],
  ["c", H.ContentType],
  ["f", H.From],
  ["s", H.Subject],
  ["k", H.Supported],
  ["t", H.To],
  ["v", H.Via],
  ["o", H.Event],
  ["u", H.AllowEvents],
  ["r", H.ReferTo],
  ["b", H.ReferredBy],
  ["x", H.SessionExpires],
  ["y", H.Identity],
  ["a", H.AcceptContact],
  ["j", H.RejectContact],
  ["d", H.RequestDisposition],
];

const BUCKETS = 256;

function hashOf(len: number, first: number, last: number): number {
  return (len * 31 + first * 7 + last) & (BUCKETS - 1);
}

/*
 * The table: every lower-case name's bytes back to back in NAME_BYTES (entry e
 * at NAME_START[e], NAME_LEN[e] long), its id in ENTRY_IDS, entries chained per
 * bucket through NEXT. Typed arrays only, so the lookup stays monomorphic.
 */
function buildTable(): { head: Int16Array; next: Int16Array; bytes: Uint8Array; start: Uint16Array; len: Uint8Array; ids: Uint8Array } {
  const names: Uint8Array[] = [];
  const ids: number[] = [];
  const add = (name: string, id: H): void => {
    names.push(ascii(name.toLowerCase()));
    ids.push(id);
  };
  for (let id = 1; id < HEADER_COUNT; id++) add(HEADER_NAMES[id]!, id as H);
  for (const [name, id] of COMPACT) add(name, id);
  let total = 0;
  for (const n of names) total += n.length;
  const bytes = new Uint8Array(total);
  const start = new Uint16Array(names.length);
  const len = new Uint8Array(names.length);
  let at = 0;
  for (let e = 0; e < names.length; e++) {
    const n = names[e]!;
    bytes.set(n, at);
    start[e] = at;
    len[e] = n.length;
    at += n.length;
  }
  const head = new Int16Array(BUCKETS).fill(-1);
  const next = new Int16Array(names.length).fill(-1);
  for (let e = names.length - 1; e >= 0; e--) {
    const n = names[e]!;
    const h = hashOf(n.length, n[0]!, n[n.length - 1]!);
    next[e] = head[h]!;
    head[h] = e;
  }
  return { head, next, bytes, start, len, ids: Uint8Array.from(ids) };
}
const TABLE = buildTable();
const HEAD = TABLE.head;
const NEXT = TABLE.next;
const NAME_BYTES = TABLE.bytes;
const NAME_START = TABLE.start;
const NAME_LEN = TABLE.len;
const ENTRY_IDS = TABLE.ids;

/** The id of the header name buf[start, start+len), or H.Other. */
export function headerIdOf(buf: Uint8Array, start: number, len: number): H {
  if (len === 0) return H.Other;
  let e = HEAD[(len * 31 + LOWER[buf[start]!]! * 7 + LOWER[buf[start + len - 1]!]!) & (BUCKETS - 1)]!;
  while (e >= 0) {
    if (NAME_LEN[e] === len) {
      const k = NAME_START[e]!;
      let i = 0;
      while (i < len && LOWER[buf[start + i]!] === NAME_BYTES[k + i]) i++;
      if (i === len) return ENTRY_IDS[e]! as H;
    }
    e = NEXT[e]!;
  }
  return H.Other;
}

/*
 * The same names as a trie, for the parser: it walks a header name once,
 * byte by byte, and knows the id when the name ends, with no hashing and no
 * second comparison. Nodes are numbered in depth-first order, so a node's
 * first child is the next node: one dependent load per byte on the usual
 * path. Node 0 is the root; ROOT maps a name's first byte (either case) to its
 * node; a node's children are node + 1 and the others along its SIB chain,
 * each reached by the lower-case byte CH; FCH is the byte of a node's first
 * child (NO_CHILD, a byte no lower-casing yields, when it has none); TERM is
 * the id of the name ending at a node (H.Other: none). About 550 nodes, 3 kB.
 */
/** FCH of a node without children: "A", which LOWER never yields. */
export const NAME_TRIE_NO_CHILD = 65;

function buildTrie(): { root: Int16Array; ch: Uint8Array; fch: Uint8Array; sib: Int16Array; term: Uint8Array } {
  // A pointer trie first...
  const ch: number[] = [0];
  const first: number[] = [0];
  const sib: number[] = [0];
  const term: number[] = [0];
  const add = (name: Uint8Array, id: number): void => {
    let s = 0;
    for (let k = 0; k < name.length; k++) {
      const b = name[k]!;
      let c = first[s]!;
      let prev = 0;
      while (c !== 0 && ch[c] !== b) {
        prev = c;
        c = sib[c]!;
      }
      if (c === 0) {
        c = ch.length;
        ch.push(b);
        first.push(0);
        sib.push(0);
        term.push(0);
        if (prev === 0) first[s] = c;
        else sib[prev] = c;
      }
      s = c;
    }
    if (term[s] === 0) term[s] = id;
  };
  for (let e = 0; e < ENTRY_IDS.length; e++) add(NAME_BYTES.subarray(NAME_START[e]!, NAME_START[e]! + NAME_LEN[e]!), ENTRY_IDS[e]!);
  // ...then renumbered depth-first (pre-order).
  const n = ch.length;
  const order: number[] = [];
  const visit = (s: number): void => {
    order.push(s);
    for (let c = first[s]!; c !== 0; c = sib[c]!) visit(c);
  };
  visit(0);
  const num = new Int16Array(n);
  for (let k = 0; k < n; k++) num[order[k]!] = k;
  const oCh = new Uint8Array(n);
  const oFch = new Uint8Array(n);
  const oSib = new Int16Array(n);
  const oTerm = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    const k = num[s]!;
    oCh[k] = ch[s]!;
    oFch[k] = first[s] !== 0 ? ch[first[s]!]! : NAME_TRIE_NO_CHILD;
    oSib[k] = sib[s] !== 0 ? num[sib[s]!]! : 0;
    oTerm[k] = term[s]!;
  }
  const root = new Int16Array(256);
  for (let c = first[0]!; c !== 0; c = sib[c]!) {
    const b = ch[c]!;
    root[b] = num[c]!;
    if (b >= 97 && b <= 122) root[b - 32] = num[c]!;
  }
  return { root, ch: oCh, fch: oFch, sib: oSib, term: oTerm };
}
const TRIE = buildTrie();
/** First byte of a header name (either case) → its trie node, 0 when no known name starts so. */
export const NAME_TRIE_ROOT: Int16Array = TRIE.root;
/** Per trie node: the lower-case byte leading to it. */
export const NAME_TRIE_CH: Uint8Array = TRIE.ch;
/** Per trie node: the byte of its first child (the next node), NAME_TRIE_NO_CHILD when it has none. */
export const NAME_TRIE_FCH: Uint8Array = TRIE.fch;
/** Per trie node: its next sibling, 0 when none. */
export const NAME_TRIE_SIB: Int16Array = TRIE.sib;
/** Per trie node: the id of the name ending there (H.Other when none). */
export const NAME_TRIE_TERM: Uint8Array = TRIE.term;
