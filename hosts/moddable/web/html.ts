/*
 * Escaping for the settings page (HTML Living Standard §13.1.2.3
 * "attribute value (double-quoted)" and text content): every value shown
 * comes from a setting or a request and may hold anything a user or an
 * attacker typed, so & < > " ' are always written as character references,
 * both in text and in double-quoted attributes. Control characters other
 * than tab, CR and LF are dropped: they have no business in a page.
 *
 * Pure TypeScript, no SDK module: tested on Node (test/web-page.test.ts).
 */
export function escapeHtml(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let ref: string;
    switch (c) {
      case 38: ref = "&amp;"; break;
      case 60: ref = "&lt;"; break;
      case 62: ref = "&gt;"; break;
      case 34: ref = "&quot;"; break;
      case 39: ref = "&#39;"; break;
      default:
        if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) ref = "";
        else continue;
    }
    out += text.substring(from, i) + ref;
    from = i + 1;
  }
  return from === 0 ? text : out + text.substring(from);
}
