/*
 * The settings page's own parsers under any input (fast-check): anyone on
 * the LAN can send the page a request, so the form body
 * (hosts/moddable/web/form.ts) and the Authorization header
 * (hosts/moddable/web/auth.ts) are read from text nobody vouched for. They
 * never throw and always say yes or name what is wrong; what a browser
 * sends comes back as it was sent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DigestCredentials, MAX_AUTHORIZATION, parseAuthorization } from "../hosts/moddable/web/auth";
import { MAX_BODY, MAX_FIELDS, parseForm } from "../hosts/moddable/web/form";

const PROBLEMS = new Set([
  `the form is larger than ${MAX_BODY} bytes`, `the form has more than ${MAX_FIELDS} fields`, "the form is not properly encoded",
]);

/** Text rich in what the form's syntax is made of: %, hex digits, +, = and &, and any character. */
const formText = fc.array(fc.oneof(
  fc.constantFrom("%", "&", "=", "+", "%2", "%C3", "%A9", "%F0%9F", "%FF", "%zz", "%%"),
  fc.string({ unit: "binary", maxLength: 4 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 8 }),
), { maxLength: 400 }).map((parts) => parts.join(""));

describe("the settings form's body, any text", () => {
  it("never throws: a list of fields, or one of three problems", () => {
    fc.assert(fc.property(formText, (body) => {
      const r = parseForm(body);
      if (r.ok) {
        expect(r.fields.length).toBeLessThanOrEqual(MAX_FIELDS);
        for (const f of r.fields) expect(typeof f.name === "string" && typeof f.value === "string").toBe(true);
      } else {
        expect(PROBLEMS.has(r.problem), r.problem).toBe(true);
      }
    }), { numRuns: 3000 });
  });

  it("what a browser encodes (any Unicode, URLSearchParams) decodes to the same fields, in order", () => {
    const field = fc.tuple(fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 24 }));
    fc.assert(fc.property(fc.array(field, { maxLength: MAX_FIELDS }), (sent) => {
      const body = new URLSearchParams(sent).toString();
      fc.pre(body.length <= MAX_BODY);
      const r = parseForm(body);
      expect(r).toEqual({ ok: true, fields: sent.map(([name, value]) => ({ name, value })) });
    }), { numRuns: 2000 });
  });
});

/** A quoted-string's content written as RFC 7230 §3.2.6 asks: " and \ escaped. */
function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const NAMES = ["username", "realm", "nonce", "uri", "response", "algorithm", "qop", "nc", "cnonce"] as const;

describe("the settings page's Authorization header, any text", () => {
  it("never throws: credentials or null, null for anything over its limit", () => {
    const text = fc.array(fc.oneof(
      fc.constantFrom("Digest ", "digest", " ", ",", "=", "\"", "\\", "username", "realm=", "nc=", "\t", "\r\n"),
      fc.string({ unit: "binary", maxLength: 6 }),
    ), { maxLength: 300 }).map((parts) => parts.join(""));
    fc.assert(fc.property(text, (value) => {
      const c = parseAuthorization(value);
      if (value.length > MAX_AUTHORIZATION) expect(c).toBeNull();
      if (c !== null) for (const k of NAMES) expect(typeof c[k]).toBe("string");
    }), { numRuns: 5000 });
  });

  it("credentials written by a browser (quoted values with escapes, any order, names in any case) read back as written", () => {
    const value = fc.string({ unit: "grapheme-ascii", maxLength: 20 });
    const creds = fc.record(Object.fromEntries(NAMES.map((k) => [k, value])) as Record<(typeof NAMES)[number], fc.Arbitrary<string>>);
    fc.assert(fc.property(creds, fc.integer({ min: 0, max: 1000 }), fc.boolean(), (c: DigestCredentials, shuffle, upper) => {
      const order = [...NAMES].sort((a, b) => ((a.charCodeAt(0) * 31 + shuffle) % 17) - ((b.charCodeAt(0) * 31 + shuffle) % 17));
      const header = `Digest ${order.map((k) => `${upper ? k.toUpperCase() : k}=${quote(c[k])}`).join(", ")}`;
      fc.pre(header.length <= MAX_AUTHORIZATION);
      expect(parseAuthorization(header)).toEqual(c);
    }), { numRuns: 2000 });
  });
});
