/*
 * The settings form's body: application/x-www-form-urlencoded (WHATWG URL
 * Standard §5.1, "application/x-www-form-urlencoded parsing"): name=value
 * pairs joined by "&", "+" for a space, "%XX" for a byte, the bytes UTF-8.
 *
 * Bounded: a body over MAX_BODY characters or with more than MAX_FIELDS
 * fields is refused as a whole before anything is decoded, so a hostile
 * client cannot make the device build large strings. A bad "%" escape or
 * bytes that are not UTF-8 refuse the body too: a value silently mangled
 * would end up stored as a setting.
 *
 * Pure TypeScript, no SDK module: tested on Node (test/web-form.test.ts).
 */

/** The largest body taken: the whole form with every field filled is well under 1 KB. */
export const MAX_BODY = 2048;
/** More fields than the form has, with room for the buttons. */
export const MAX_FIELDS = 48;

export interface FormField {
  readonly name: string;
  readonly value: string;
}

export type FormResult =
  | { readonly ok: true; readonly fields: readonly FormField[] }
  | { readonly ok: false; readonly problem: string };

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Percent-decoding of one name or value (text[start, end)), "+" as a space,
 * the bytes read as UTF-8; undefined when an escape or the UTF-8 is bad.
 */
export function formDecode(text: string, start = 0, end = text.length): string | undefined {
  let out = "";
  // Code point being assembled from UTF-8 bytes, and how many continuation bytes it still needs.
  let cp = 0;
  let need = 0;
  let min = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    let byte: number;
    if (c === 37 /* % */) {
      const hi = i + 2 < end ? hexValue(text.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexValue(text.charCodeAt(i + 2)) : -1;
      if (lo < 0) return undefined;
      byte = hi * 16 + lo;
      i += 2;
    } else {
      if (c === 43 /* + */) c = 32;
      if (c >= 128) {
        // A raw character (browsers escape them, but a client need not): taken as it is.
        if (need > 0) return undefined;
        out += text.charAt(i);
        continue;
      }
      byte = c;
    }
    if (need > 0) {
      if ((byte & 0xc0) !== 0x80) return undefined;
      cp = cp * 64 + (byte & 0x3f);
      need--;
      if (need === 0) {
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
        out += String.fromCodePoint(cp);
      }
    } else if (byte < 0x80) {
      out += String.fromCharCode(byte);
    } else if ((byte & 0xe0) === 0xc0) {
      cp = byte & 0x1f; need = 1; min = 0x80;
    } else if ((byte & 0xf0) === 0xe0) {
      cp = byte & 0x0f; need = 2; min = 0x800;
    } else if ((byte & 0xf8) === 0xf0) {
      cp = byte & 0x07; need = 3; min = 0x10000;
    } else {
      return undefined;
    }
  }
  return need === 0 ? out : undefined;
}

/** The fields of a form body, in order; refused whole when too large or badly encoded. */
export function parseForm(body: string): FormResult {
  if (body.length > MAX_BODY) return { ok: false, problem: `the form is larger than ${MAX_BODY} bytes` };
  const fields: FormField[] = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf("&", start);
    if (end < 0) end = body.length;
    if (end > start) {
      if (fields.length === MAX_FIELDS) return { ok: false, problem: `the form has more than ${MAX_FIELDS} fields` };
      let eq = body.indexOf("=", start);
      if (eq < 0 || eq > end) eq = end;
      const name = formDecode(body, start, eq);
      const value = eq < end ? formDecode(body, eq + 1, end) : "";
      if (name === undefined || value === undefined) return { ok: false, problem: "the form is not properly encoded" };
      fields.push({ name, value });
    }
    start = end + 1;
  }
  return { ok: true, fields };
}

/** The value of the first field called `name`, or undefined. */
export function formValue(fields: readonly FormField[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i++) if (fields[i]!.name === name) return fields[i]!.value;
  return undefined;
}
