/*
 * Character classes of the RFC 3261 §25.1 grammar, as one 256-entry table of
 * bit flags, built once at load (preloaded into flash on the device). Every
 * scanner tests bytes against it instead of comparing strings.
 */

export const enum C {
  Digit = 1 << 0,
  Alpha = 1 << 1,
  Hex = 1 << 2,
  /** token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
  Token = 1 << 3,
  /** SP / HTAB */
  Ws = 1 << 4,
  /** unreserved: alphanum / mark, mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")" */
  Unreserved = 1 << 5,
  /** user: unreserved / user-unreserved ("&" / "=" / "+" / "$" / "," / ";" / "?" / "/"), plus "%" for escapes */
  User = 1 << 6,
  /** password: unreserved / "&" / "=" / "+" / "$" / ",", plus "%" */
  Password = 1 << 7,
  /** paramchar: param-unreserved ("[" / "]" / "/" / ":" / "&" / "+" / "$") / unreserved, plus "%" */
  Param = 1 << 8,
  /** hname/hvalue: hnv-unreserved ("[" / "]" / "/" / "?" / ":" / "+" / "$") / unreserved, plus "%" */
  Hnv = 1 << 9,
  /** word (Call-ID): token chars plus "(" ")" "<" ">" ":" "\" DQUOTE "/" "[" "]" "?" "{" "}" */
  Word = 1 << 10,
  /** hostname characters: alphanum / "-" / "." */
  Host = 1 << 11,
  /** UTF8-NONASCII lead or continuation byte */
  NonAscii = 1 << 12,
  /** scheme characters after the first: alphanum / "+" / "-" / "." */
  Scheme = 1 << 13,
  /** uric (RFC 2396) for absoluteURI: reserved / unreserved / escaped */
  Uric = 1 << 14,
  /** an unquoted header parameter value: token, and a host's ":" "[" "]" */
  PValue = 1 << 15,
}

function build(): Uint16Array {
  const t = new Uint16Array(256);
  const add = (chars: string, flag: number): void => {
    for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)]! |= flag;
  };
  for (let c = 48; c <= 57; c++) t[c]! |= C.Digit | C.Hex;
  for (let c = 65; c <= 90; c++) t[c]! |= C.Alpha;
  for (let c = 97; c <= 122; c++) t[c]! |= C.Alpha;
  add("abcdefABCDEF", C.Hex);
  for (let c = 128; c < 256; c++) t[c]! |= C.NonAscii;
  const alnum = C.Token | C.Unreserved | C.User | C.Password | C.Param | C.Hnv | C.Word | C.Host | C.Scheme | C.Uric;
  for (let c = 0; c < 256; c++) if (t[c]! & (C.Digit | C.Alpha)) t[c]! |= alnum;
  add("-.!%*_+`'~", C.Token | C.Word);
  add("-_.!~*'()", C.Unreserved | C.User | C.Password | C.Param | C.Hnv | C.Uric);
  add("&=+$,;?/%", C.User);
  add("&=+$,%", C.Password);
  add("[]/:&+$%", C.Param);
  add("[]/?:+$%", C.Hnv);
  add("()<>:\\\"/[]?{}", C.Word);
  add("-.", C.Host);
  add("+-.", C.Scheme);
  add(";/?:@&=+$,%", C.Uric);
  add(" \t", C.Ws);
  for (let c = 0; c < 256; c++) if (t[c]! & C.Token) t[c]! |= C.PValue;
  add(":[]", C.PValue);
  return t;
}

export const CHARS: Uint16Array = build();

/**
 * The classes the parser scans most, one byte each (1 = in the class): a
 * scan loop then loads and tests, where CHARS needs a load, a mask and a
 * compare per byte. About a tenth of the parse is these loops.
 */
function only(flag: number): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if ((CHARS[c]! & flag) !== 0) t[c] = 1;
  return t;
}
export const IS_TOKEN: Uint8Array = only(C.Token);
export const IS_HOST: Uint8Array = only(C.Host);
export const IS_PVALUE: Uint8Array = only(C.PValue);
export const IS_WORD: Uint8Array = only(C.Word);
/**
 * paramchar (RFC 3261 §25.1) without the "%" that starts an escape: a scan
 * over it stops at a "%", where skipEscaped checks the escape.
 */
export const IS_PARAM_PLAIN: Uint8Array = only(C.Param);
IS_PARAM_PLAIN[37 /* % */] = 0;
/**
 * qdtext bytes that need no second look in a quoted-string (RFC 3261 §25.1):
 * not DQUOTE or backslash, no control byte but HT, and UTF8-NONASCII bytes. A
 * quoted-pair or a fold inside the quotes stops a scan by this table.
 */
export const IS_QDTEXT: Uint8Array = buildQdtext();
function buildQdtext(): Uint8Array {
  const t = new Uint8Array(256);
  t[9] = 1; // HT
  for (let c = 0x20; c < 256; c++) t[c] = c === 34 /* " */ || c === 92 /* \ */ || c === 0x7f ? 0 : 1;
  return t;
}

/** ASCII lower-casing table. */
function buildLower(): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = c >= 65 && c <= 90 ? c + 32 : c;
  return t;
}
export const LOWER: Uint8Array = buildLower();

/** Value of a hex digit, or 255. */
function buildHexValue(): Uint8Array {
  const t = new Uint8Array(256).fill(255);
  for (let c = 0; c < 10; c++) t[48 + c] = c;
  for (let c = 0; c < 6; c++) {
    t[65 + c] = 10 + c;
    t[97 + c] = 10 + c;
  }
  return t;
}
export const HEX_VALUE: Uint8Array = buildHexValue();

export const enum Ch {
  HT = 9,
  LF = 10,
  CR = 13,
  SP = 32,
  Bang = 33,
  DQuote = 34,
  Percent = 37,
  LParen = 40,
  RParen = 41,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  Semi = 59,
  LAngle = 60,
  Equals = 61,
  RAngle = 62,
  Question = 63,
  At = 64,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
}
