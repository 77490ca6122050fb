/*
 * The settings form's body (hosts/moddable/web/form.ts):
 * application/x-www-form-urlencoded as browsers send it (URLSearchParams
 * here is the reference encoder), percent-decoding into UTF-8, and the
 * limits: a body too large, too many fields, a broken escape or bytes that
 * are not UTF-8 refuse the whole body.
 */
import { describe, expect, it } from "vitest";
import { formDecode, formValue, MAX_BODY, MAX_FIELDS, parseForm } from "../hosts/moddable/web/form";

describe("web form body", () => {
  it("decodes what a browser encodes: +, %XX, UTF-8, = and & inside values", () => {
    const sent: Array<[string, string]> = [
      ["sip_server", "pbx.example:5062"], ["call_target", "100, sip:101@pbx"], ["door_code", "12#*"],
      ["sip_password", "p&ss=wörd 🚪+%"], ["empty", ""], ["token", "0123abcd"],
    ];
    const body = new URLSearchParams(sent).toString();
    const form = parseForm(body);
    expect(form.ok).toBe(true);
    if (!form.ok) return;
    expect(form.fields.map((f) => [f.name, f.value])).toEqual(sent);
    expect(formValue(form.fields, "door_code")).toBe("12#*");
    expect(formValue(form.fields, "missing")).toBeUndefined();
  });

  it("a field without = has an empty value; empty pairs are skipped; an empty body has no fields", () => {
    const form = parseForm("a&&b=1&");
    expect(form).toEqual({ ok: true, fields: [{ name: "a", value: "" }, { name: "b", value: "1" }] });
    expect(parseForm("")).toEqual({ ok: true, fields: [] });
  });

  it("refuses broken escapes and bytes that are not UTF-8", () => {
    for (const bad of ["a=%", "a=%4", "a=%zz", "a=%C3", "a=%C3%28", "a=%FF", "a=%C0%AF", "a=%ED%A0%80", "%E2%82=1"]) {
      expect(parseForm(bad), bad).toEqual({ ok: false, problem: "the form is not properly encoded" });
    }
    expect(formDecode("%41%42+c")).toBe("AB c");
  });

  it(`refuses a body over ${MAX_BODY} bytes and more than ${MAX_FIELDS} fields, before decoding anything`, () => {
    const big = "a=" + "x".repeat(MAX_BODY - 2);
    expect(parseForm(big).ok).toBe(true);
    expect(parseForm(big + "x")).toEqual({ ok: false, problem: `the form is larger than ${MAX_BODY} bytes` });
    const many = Array.from({ length: MAX_FIELDS + 1 }, (_, i) => `f${i}=1`).join("&");
    expect(parseForm(many)).toEqual({ ok: false, problem: `the form has more than ${MAX_FIELDS} fields` });
    expect(parseForm(Array.from({ length: MAX_FIELDS }, (_, i) => `f${i}=1`).join("&")).ok).toBe(true);
  });
});
