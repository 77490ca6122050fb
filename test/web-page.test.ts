/*
 * The settings page's pure parts: HTML escaping (web/html.ts), the page
 * writer (web/page.ts) with hostile values and secrets, and what a POST
 * changes (web/submit.ts): the same checks as boot, in the same words
 * (settings.ts with mc/config replaced by a plain object, as in
 * moddable-settings.test.ts), the anti-forgery token, secrets left as
 * they are when their field is empty.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StorageHost } from "../src/host";
import { escapeHtml } from "../hosts/moddable/web/html";
import { PAGE_FIELDS, FieldKind, writeMessage, writePage, type PageContent } from "../hosts/moddable/web/page";
import { FORGED, readSubmission } from "../hosts/moddable/web/submit";
import { parseForm, type FormField } from "../hosts/moddable/web/form";
import { settingProblem, SETTING_KEYS, type SettingKey } from "../hosts/moddable/setting-rules";

const config: Record<string, unknown> = {};
vi.mock("mc/config", () => ({ default: config }));

interface SettingsModule {
  loadSettings(storage: StorageHost | null): { warnings: string[]; doorCode: string; expires: number; hunt: string; webPort: number; webPassword: string };
}
// By a path tsc does not follow (settings.ts imports mc/config; hosts/moddable/tsconfig.json checks it).
const SETTINGS = "../hosts/moddable/settings";
const { loadSettings } = (await import(/* @vite-ignore */ SETTINGS)) as SettingsModule;

beforeEach(() => {
  for (const k of Object.keys(config)) delete config[k];
  Object.assign(config, { sip_server: "192.168.1.10", sip_user: "door", door_code: "4711", web_port: 80 });
});

const HOSTILE = `"><script>alert('x')</script><img src=x onerror=alert(1)>&amp;`;

function content(values: Partial<Record<SettingKey, string>>, over: Partial<PageContent> = {}): PageContent {
  return {
    status: { registered: true, server: "192.168.1.10:5060", lastStatus: 200, warnings: [] },
    value: (key) => values[key],
    token: "feedc0de",
    problems: [],
    notice: "",
    ...over,
  };
}

function fields(body: Record<string, string> | Array<[string, string]>): readonly FormField[] {
  const form = parseForm(new URLSearchParams(body).toString());
  if (!form.ok) throw new Error(form.problem);
  return form.fields;
}

describe("web page", () => {
  it("escapes & < > \" ' and drops control characters", () => {
    expect(escapeHtml(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&#39;f");
    expect(escapeHtml("plain text 100")).toBe("plain text 100");
    expect(escapeHtml("a\u0000b\u001bc\td\ne\u007f")).toBe("abc\td\ne");
  });

  it("writes hostile values, warnings, problems and notices escaped: no markup of theirs gets through", () => {
    const html = writePage(content({ sip_user: HOSTILE, call_target: HOSTILE, hunt: HOSTILE }, {
      status: { registered: false, server: HOSTILE, lastStatus: 403, warnings: [HOSTILE] },
      problems: [HOSTILE], notice: HOSTILE, token: HOSTILE,
    }));
    expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
    expect(html).toContain(escapeHtml(HOSTILE));
    // Every attribute value is double-quoted and holds no raw quote: count the quotes per tag.
    for (const tag of html.match(/<[^>]*>/g)!) expect((tag.match(/"/g) ?? []).length % 2, tag).toBe(0);
    expect(html).toContain("Not registered; server ");
    expect(html).toContain("last REGISTER answer 403");
    expect(writeMessage(HOSTILE, HOSTILE)).not.toMatch(/<script/);
  });

  it("shows every field of the form with its value, but never a secret", () => {
    const html = writePage(content({ sip_server: "pbx.example:5062", sip_password: "s3cret-sip", door_code: "4711#", web_password: "s3cret-web", hunt: "parallel", expires: "900" }));
    for (const f of PAGE_FIELDS) expect(html).toContain(`name="${f.key}"`);
    expect(html).toContain(`name="sip_server" value="pbx.example:5062"`);
    expect(html).toContain(`<option selected>parallel</option>`);
    expect(html).toContain(`name="expires" value="900"`);
    for (const secret of ["s3cret-sip", "4711#", "4711", "s3cret-web"]) expect(html).not.toContain(secret);
    expect(html).toContain(`name="sip_password" value="" autocomplete="new-password" placeholder="set; empty: unchanged"`);
    expect(html.match(/name="token" value="feedc0de"/g)).toHaveLength(2);
    expect(html).toContain(`action="/reset"`);
    expect(html).not.toMatch(/<script/);
    // Small: the device writes it into one buffer per request.
    expect(html.length).toBeLessThan(6000);
    // The page offers only keys settings.ts reads.
    for (const f of PAGE_FIELDS) expect(SETTING_KEYS).toContain(f.key);
    expect(PAGE_FIELDS.filter((f) => f.kind === FieldKind.Secret).map((f) => f.key)).toEqual(["sip_password", "door_code", "web_password"]);
  });

  it("a bad value is refused with the words boot logs it with, and nothing is changed", () => {
    const current = (key: SettingKey): string | undefined => ({ expires: "600", hunt: "sequential" } as Partial<Record<SettingKey, string>>)[key];
    const bad = { token: "t0k", expires: "30", hunt: "paralel", door_code: "12x", call_target: "100, tel:+4930", sip_server: "pbx:99999", sip_user: "door\r\nX: y" };
    const result = readSubmission(fields(bad), "t0k", current);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.forged).toBe(false);
    expect(result.problems).toEqual([
      "sip_server has an unusable port",
      "sip_user holds a control character",
      `call_target "tel:+4930": only sip: and sips: URIs can be called`,
      "hunt=paralel is not one of sequential, parallel",
      "door_code must be 1 to 16 of 0-9 * # A-D",
      "expires=30 is not a whole number from 60 to 86400",
    ]);
    // Boot reads the same values (as mc/config) and logs the same words, with the default it uses instead.
    Object.assign(config, bad);
    const warnings = loadSettings(null).warnings;
    for (const problem of result.problems) expect(warnings.some((w) => w.startsWith(problem + ";")), problem).toBe(true);
  });

  it("takes good values, stores only what changed, and leaves empty secrets as they are", () => {
    const stored: Partial<Record<SettingKey, string>> = { sip_server: "192.168.1.10", door_code: "4711", sip_password: "old", hunt: "sequential" };
    const current = (key: SettingKey): string | undefined => stored[key];
    const result = readSubmission(fields({ token: "t0k", sip_server: "192.168.1.10", door_code: "12#", sip_password: "", hunt: "", expires: "900", web_password: "" }), "t0k", current);
    expect(result).toEqual({ ok: true, changes: [{ key: "hunt", value: "" }, { key: "door_code", value: "12#" }, { key: "expires", value: "900" }] });
    for (const c of result.ok ? result.changes : []) expect(settingProblem(c.key, c.value)).toBeUndefined();
    // "clear" removes a secret (stored empty); without it an empty secret field is no change.
    const cleared = readSubmission(fields([["token", "t0k"], ["sip_password", ""], ["clear", "sip_password"], ["door_code", ""]]), "t0k", current);
    expect(cleared).toEqual({ ok: true, changes: [{ key: "sip_password", value: "" }] });
    // A stored good value boots: the door code and expiry as submitted.
    const s = loadSettings({ get: (k: string) => ({ door_code: "12#", expires: "900" } as Record<string, string>)[k], set: () => undefined });
    expect([s.doorCode, s.expires]).toEqual(["12#", 900]);
  });

  it("refuses a form without the page's token (another site's form posted with the browser's credentials)", () => {
    const current = (): string | undefined => undefined;
    expect(readSubmission(fields({ door_code: "0000" }), "t0k", current)).toEqual({ ok: false, forged: true, problems: [FORGED] });
    expect(readSubmission(fields({ token: "guess", door_code: "0000" }), "t0k", current)).toEqual({ ok: false, forged: true, problems: [FORGED] });
    expect(readSubmission(fields({ token: "", door_code: "0000" }), "", current)).toEqual({ ok: false, forged: true, problems: [FORGED] });
  });

  it("web_password and web_port are settings like the others", () => {
    Object.assign(config, { web_password: "pw", web_port: "8080" });
    expect(loadSettings(null)).toMatchObject({ webPassword: "pw", webPort: 8080 });
    Object.assign(config, { web_port: "0" });
    const s = loadSettings(null);
    expect(s.webPort).toBe(80);
    expect(s.warnings).toContain("web_port=0 is not a whole number from 1 to 65535; using 80");
  });
});
