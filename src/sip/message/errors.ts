/*
 * Parse errors. Each has a short readable reason and the status a UAS should
 * answer a request with (RFC 3261 §8.2, §21.4, §21.5); 0 means "do not
 * answer" (responses that fail to parse are dropped, RFC 3261 §18.1.2).
 */

export const enum ParseError {
  None = 0,
  Empty,
  BadStartLine,
  BadMethod,
  BadRequestUri,
  BadVersion,
  BadStatusCode,
  BadReasonPhrase,
  BadHeaderName,
  MissingColon,
  BadHeaderLine,
  TooManyHeaders,
  NoEndOfHeaders,
  BadContentLength,
  ContentLengthTooLarge,
  BadCSeq,
  BadMaxForwards,
  BadExpires,
  BadVia,
  BadFrom,
  BadTo,
  BadContact,
  BadRoute,
  BadCallId,
  BadDate,
  BadRetryAfter,
  BadWarning,
  BadRSeq,
  BadRAck,
  BadMinExpires,
  CSeqMethodMismatch,
  BadHeaderValue,
  TooLarge,
}

export const PARSE_ERROR_REASONS: readonly string[] = Object.freeze([
  "ok",
  "empty message",
  "malformed start line",
  "malformed method",
  "malformed Request-URI",
  "unsupported SIP version",
  "malformed status code",
  "malformed reason phrase",
  "malformed header name",
  "header line without colon",
  "malformed header line",
  "too many header fields",
  "header section not terminated by an empty line",
  "malformed Content-Length",
  "Content-Length larger than the message",
  "malformed CSeq",
  "malformed Max-Forwards",
  "malformed Expires",
  "malformed Via",
  "malformed From",
  "malformed To",
  "malformed Contact",
  "malformed Route or Record-Route",
  "malformed Call-ID",
  "malformed Date",
  "malformed Retry-After",
  "malformed Warning",
  "malformed RSeq",
  "malformed RAck",
  "malformed Min-Expires",
  "CSeq method does not match the request method",
  "malformed header value",
  "message too large",
]);

/**
 * The reason phrase to answer a request that failed with this error: the
 * status code says what class of failure, the phrase says exactly which.
 */
export const PARSE_ERROR_PHRASES: readonly string[] = Object.freeze([
  "OK",
  "Bad Request",
  "Bad Request - Malformed Start Line",
  "Bad Request - Malformed Method",
  "Bad Request - Malformed Request-URI",
  "Version Not Supported",
  "Bad Request - Malformed Status Code",
  "Bad Request - Malformed Reason Phrase",
  "Bad Request - Malformed Header Name",
  "Bad Request - Header Without Colon",
  "Bad Request - Malformed Header Line",
  "Bad Request - Too Many Header Fields",
  "Bad Request - Header Section Not Terminated",
  "Bad Request - Invalid Content-Length",
  "Bad Request - Content-Length Exceeds Message",
  "Bad Request - Invalid CSeq",
  "Bad Request - Invalid Max-Forwards",
  "Bad Request - Invalid Expires",
  "Bad Request - Invalid Via",
  "Bad Request - Invalid From",
  "Bad Request - Invalid To",
  "Bad Request - Invalid Contact",
  "Bad Request - Invalid Route",
  "Bad Request - Invalid Call-ID",
  "Bad Request - Invalid Date",
  "Bad Request - Invalid Retry-After",
  "Bad Request - Invalid Warning",
  "Bad Request - Invalid RSeq",
  "Bad Request - Invalid RAck",
  "Bad Request - Invalid Min-Expires",
  "Bad Request - CSeq Method Mismatch",
  "Bad Request - Malformed Header Value",
  "Message Too Large",
]);

/** The status code for a request that failed with `e`. */
export function statusForParseError(e: ParseError): number {
  if (e === ParseError.None) return 0;
  if (e === ParseError.BadVersion) return 505;
  if (e === ParseError.TooLarge) return 513;
  return 400;
}
