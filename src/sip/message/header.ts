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

// Entries: lower-case name bytes and id; chained per bucket through NEXT.
const NAMES: Uint8Array[] = [];
const IDS: number[] = [];
function buildTable(): { head: Int16Array; next: Int16Array } {
  const add = (name: string, id: H): void => {
    NAMES.push(ascii(name.toLowerCase()));
    IDS.push(id);
  };
  for (let id = 1; id < HEADER_COUNT; id++) add(HEADER_NAMES[id]!, id as H);
  for (const [name, id] of COMPACT) add(name, id);
  const head = new Int16Array(BUCKETS).fill(-1);
  const next = new Int16Array(NAMES.length).fill(-1);
  for (let e = NAMES.length - 1; e >= 0; e--) {
    const n = NAMES[e]!;
    const h = hashOf(n.length, n[0]!, n[n.length - 1]!);
    next[e] = head[h]!;
    head[h] = e;
  }
  return { head, next };
}
const TABLE = buildTable();
const HEAD = TABLE.head;
const NEXT = TABLE.next;
const ENTRY_IDS = Uint8Array.from(IDS);
Object.freeze(NAMES);

/** The id of the header name buf[start, start+len), or H.Other. */
export function headerIdOf(buf: Uint8Array, start: number, len: number): H {
  if (len === 0) return H.Other;
  let e = HEAD[hashOf(len, LOWER[buf[start]!]!, LOWER[buf[start + len - 1]!]!)]!;
  while (e >= 0) {
    const n = NAMES[e]!;
    if (n.length === len) {
      let i = 0;
      while (i < len && LOWER[buf[start + i]!] === n[i]) i++;
      if (i === len) return ENTRY_IDS[e]! as H;
    }
    e = NEXT[e]!;
  }
  return H.Other;
}
