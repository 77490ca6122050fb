/*
 * What a POST of the settings form changes: each submitted value checked
 * by settingProblem (setting-rules.ts), the function boot reads mc/config
 * and preferences with, so a value the page takes is a value boot uses.
 * Any problem refuses the whole form (nothing is stored, the page lists
 * the problems); otherwise the values that differ from what the device has
 * are the changes to store as preferences.
 *
 * Secrets: an empty field leaves them as they are; a "clear" box naming one
 * stores it empty (no SIP password, no door code, no settings page).
 *
 * Pure TypeScript, no SDK module: tested on Node (test/web-page.test.ts).
 */
import { settingProblem, type SettingKey } from "../setting-rules";
import { type FormField, formValue } from "./form";
import { FieldKind, PAGE_FIELDS } from "./page";

export interface SettingChange {
  readonly key: SettingKey;
  readonly value: string;
}

export type Submission =
  | { readonly ok: true; readonly changes: readonly SettingChange[] }
  | { readonly ok: false; readonly forged: boolean; readonly problems: readonly string[] };

export const FORGED = "the form is out of date or from another page; reload the page and try again";

function clears(fields: readonly FormField[], key: string): boolean {
  for (let i = 0; i < fields.length; i++) if (fields[i]!.name === "clear" && fields[i]!.value === key) return true;
  return false;
}

/** Compared in full whatever the first difference, so the time taken does not tell a guesser how much of it was right. */
function sameToken(given: string, token: string): boolean {
  let diff = given.length ^ token.length;
  for (let i = 0; i < token.length; i++) diff |= (i < given.length ? given.charCodeAt(i) : 0) ^ token.charCodeAt(i);
  return diff === 0;
}

/** The changes a submitted form asks for, given the token the page was written with and the current values. */
export function readSubmission(fields: readonly FormField[], token: string, current: (key: SettingKey) => string | undefined): Submission {
  if (token === "" || !sameToken(formValue(fields, "token") ?? "", token)) return { ok: false, forged: true, problems: [FORGED] };
  const problems: string[] = [];
  const changes: SettingChange[] = [];
  for (let i = 0; i < PAGE_FIELDS.length; i++) {
    const f = PAGE_FIELDS[i]!;
    let value = formValue(fields, f.key);
    if (f.kind === FieldKind.Secret && (value === undefined || value === "")) value = clears(fields, f.key) ? "" : undefined;
    if (value === undefined) continue;
    const problem = settingProblem(f.key, value);
    if (problem !== undefined) problems.push(problem);
    else if (value !== (current(f.key) ?? "")) changes.push({ key: f.key, value });
  }
  return problems.length > 0 ? { ok: false, forged: false, problems } : { ok: true, changes };
}
