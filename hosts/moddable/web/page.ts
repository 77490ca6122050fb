/*
 * The settings page: one small HTML document, no script, no style sheet.
 * The device's state (registration, server, last status, the warnings
 * boot logged), then a form with the settings a user changes (the SIP
 * account, whom the doorbell calls, the door code, who may call, the log
 * level; not the pins and pools, which belong to the build), then a
 * "reset to build defaults" form.
 *
 * Secrets (sip_password, door_code, web_password) are never written into
 * the page: their fields are empty, an empty field leaves the stored value
 * as it is, and a "clear" box beside each removes it. Every other value is
 * shown as the device has it (stored preference, else mc/config), escaped
 * (html.ts). Each form carries the anti-forgery token, which another site's
 * page cannot read (server.ts checks it).
 *
 * Pure TypeScript, no SDK module: tested on Node (test/web-page.test.ts).
 */
import { CHOICE_RULES, type ChoiceKey, type SettingKey } from "../setting-rules";
import { escapeHtml } from "./html";

export const enum FieldKind {
  Text = 0,
  Number = 1,
  /** Never shown; empty = unchanged; a "clear" box removes it. */
  Secret = 2,
  /** One of CHOICE_RULES[key].options, or "" for the default. */
  Choice = 3,
}

export interface PageField {
  readonly key: SettingKey;
  readonly kind: FieldKind;
  readonly label: string;
}

function field(key: SettingKey, kind: FieldKind, label: string): PageField {
  return Object.freeze({ key, kind, label });
}

/** What the page offers, in the order shown (hosts/moddable/README.md, "Settings"). */
export const PAGE_FIELDS: readonly PageField[] = Object.freeze([
  field("sip_server", FieldKind.Text, "SIP server (host or host:port)"),
  field("sip_port", FieldKind.Number, "SIP server port"),
  field("sip_user", FieldKind.Text, "User (extension)"),
  field("sip_auth_user", FieldKind.Text, "Authentication user (empty: the user)"),
  field("sip_password", FieldKind.Secret, "SIP password"),
  field("sip_domain", FieldKind.Text, "Domain (empty: the server)"),
  field("sip_proxy", FieldKind.Text, "Outbound proxy"),
  field("call_target", FieldKind.Text, "Doorbell calls (comma-separated)"),
  field("hunt", FieldKind.Choice, "Several targets"),
  field("ring_timeout_ms", FieldKind.Number, "Ring timeout (ms)"),
  field("door_code", FieldKind.Secret, "Door code"),
  field("door_open_ms", FieldKind.Number, "Door open (ms)"),
  field("hangup_after_ms", FieldKind.Number, "Hang up after opening (ms, 0: no)"),
  field("inband_dtmf", FieldKind.Choice, "In-band DTMF"),
  field("auto_answer_ms", FieldKind.Number, "Answer calls after (ms)"),
  field("call_limit_ms", FieldKind.Number, "Longest call (ms, 0: no limit)"),
  field("button_in_call", FieldKind.Choice, "Doorbell during a call"),
  field("transfers", FieldKind.Choice, "Transfers (REFER)"),
  field("accept_from", FieldKind.Choice, "Accept calls from"),
  field("allow_from", FieldKind.Text, "Also trusted (comma-separated)"),
  field("untrusted", FieldKind.Choice, "Others get"),
  field("expires", FieldKind.Number, "Registration expiry (s)"),
  field("keepalive", FieldKind.Number, "Keepalive (s, 0: none)"),
  field("log_level", FieldKind.Choice, "Log level"),
  field("web_password", FieldKind.Secret, "Password of this page (user admin)"),
]);

/** The keys of the page's secret fields, which a "clear" box may name. */
export function isSecret(key: string): boolean {
  for (let i = 0; i < PAGE_FIELDS.length; i++) if (PAGE_FIELDS[i]!.key === key) return PAGE_FIELDS[i]!.kind === FieldKind.Secret;
  return false;
}

/** The page field of a form field's name, or undefined when the page has no such field. */
export function pageField(name: string): PageField | undefined {
  for (let i = 0; i < PAGE_FIELDS.length; i++) if (PAGE_FIELDS[i]!.key === name) return PAGE_FIELDS[i];
  return undefined;
}

export interface PageStatus {
  /** Registered at the SIP server now. */
  readonly registered: boolean;
  /** "192.168.1.10:5060", or a sentence when there is none or it is not known yet. */
  readonly server: string;
  /** The last final response to a REGISTER (0: none yet). */
  readonly lastStatus: number;
  /** The values boot could not use, as logged. */
  readonly warnings: readonly string[];
}

export interface PageContent {
  readonly status: PageStatus;
  /** The setting's text as the device has it (preference, else mc/config), or undefined. */
  readonly value: (key: SettingKey) => string | undefined;
  /** The anti-forgery token every form carries. */
  readonly token: string;
  /** Why the submitted values were refused (nothing was stored). */
  readonly problems: readonly string[];
  /** What was done ("saved …; restarting"), or "". */
  readonly notice: string;
}

function list(items: readonly string[]): string {
  let out = "<ul>";
  for (let i = 0; i < items.length; i++) out += "<li>" + escapeHtml(items[i]!) + "</li>";
  return out + "</ul>";
}

function input(f: PageField, value: string | undefined): string {
  const name = escapeHtml(f.key);
  switch (f.kind) {
    case FieldKind.Secret:
      return `<input type="password" name="${name}" value="" autocomplete="new-password" placeholder="${value !== undefined && value !== "" ? "set; empty: unchanged" : "not set"}">` +
        ` <label><input type="checkbox" name="clear" value="${name}"> clear</label>`;
    case FieldKind.Choice: {
      const rule = CHOICE_RULES[f.key as ChoiceKey];
      const current = value?.trim().toLowerCase() ?? "";
      let found = false;
      let options = "";
      for (let i = 0; i < rule.options.length; i++) {
        const o = rule.options[i]!;
        // log_level also takes 0-3; the words are enough on the page (a stored digit still shows as selected).
        if (f.key === "log_level" && o.length === 1 && o !== current) continue;
        const selected = o === current;
        if (selected) found = true;
        options += `<option${selected ? " selected" : ""}>${escapeHtml(o)}</option>`;
      }
      return `<select name="${name}"><option value=""${found ? "" : " selected"}>default (${escapeHtml(rule.fallback)})</option>${options}</select>`;
    }
    case FieldKind.Number:
      return `<input name="${name}" value="${escapeHtml(value ?? "")}" inputmode="numeric" size="10">`;
    default:
      return `<input name="${name}" value="${escapeHtml(value ?? "")}" size="40">`;
  }
}

/** The whole page. */
export function writePage(c: PageContent): string {
  const s = c.status;
  const token = escapeHtml(c.token);
  let out = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
    "<title>doorsip settings</title></head><body><h1>doorsip</h1><p>" +
    (s.registered ? "Registered at " : "Not registered; server ") + escapeHtml(s.server) +
    (s.lastStatus > 0 ? `; last REGISTER answer ${s.lastStatus}` : "") + ".</p>";
  if (s.warnings.length > 0) out += "<p>Settings not used at start:</p>" + list(s.warnings);
  if (c.notice !== "") out += "<p><strong>" + escapeHtml(c.notice) + "</strong></p>";
  if (c.problems.length > 0) out += "<p><strong>Nothing was saved:</strong></p>" + list(c.problems);
  out += `<form method="post" action="/"><input type="hidden" name="token" value="${token}"><table>`;
  for (let i = 0; i < PAGE_FIELDS.length; i++) {
    const f = PAGE_FIELDS[i]!;
    out += `<tr><td>${escapeHtml(f.label)}</td><td>${input(f, c.value(f.key))}</td></tr>`;
  }
  out += "</table><p><button>Save and restart</button></p></form>" +
    `<form method="post" action="/reset"><input type="hidden" name="token" value="${token}">` +
    "<p><button>Reset to build defaults</button> (forgets every setting stored here, then restarts)</p></form></body></html>";
  return out;
}

/** A short page for a refusal (401, 403, 404…): no settings, no token. */
export function writeMessage(title: string, text: string): string {
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + escapeHtml(title) + "</title></head><body><p>" +
    escapeHtml(text) + "</p></body></html>";
}
