/*
 * A list of trusted peers, read once from configuration: "192.0.2.7" (any
 * port), "192.0.2.7:5062", "192.168.1.0/24" (RFC 4632 prefix, any port),
 * "192.168.1.0/24:5060", an IPv6 address "2001:db8::7" or "[2001:db8::7]:5060".
 * Addresses are compared as the transport reports them (no name lookup:
 * a host resolves names before it configures the core).
 *
 * matches() allocates nothing: exact entries compare strings, ranges compare
 * the source's IPv4 value, which the caller parses once per new address.
 */
import { parseIpv4, prefixMask } from "./ipv4";

/** One entry, or why it could not be read. */
export type SourceEntry =
  | { readonly ok: true; readonly address: string; readonly net: number; readonly mask: number; readonly port: number }
  | { readonly ok: false; readonly error: string };

function fail(text: string, why: string): SourceEntry {
  return { ok: false, error: "\"" + text + "\": " + why };
}

function readPort(digits: string): number {
  if (digits === "" || digits.length > 5) return -1;
  let n = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n >= 1 && n <= 65535 ? n : -1;
}

/** Read one allowlist entry (configuration time; allocates). */
export function parseSourceEntry(raw: string): SourceEntry {
  const text = raw.trim();
  if (text === "") return fail(raw, "empty");
  let host = text;
  let port = 0;
  if (host.charAt(0) === "[") {
    const close = host.indexOf("]");
    if (close < 0) return fail(text, "no closing ]");
    const rest = host.substring(close + 1);
    host = host.substring(1, close);
    if (rest !== "") {
      if (rest.charAt(0) !== ":") return fail(text, "expected :port after ]");
      port = readPort(rest.substring(1));
      if (port < 0) return fail(text, "bad port");
    }
  } else if (host.indexOf(":") === host.lastIndexOf(":") && host.indexOf(":") >= 0) {
    // One colon: IPv4 or a range with a port; more than one: a bare IPv6 address.
    const colon = host.indexOf(":");
    port = readPort(host.substring(colon + 1));
    if (port < 0) return fail(text, "bad port");
    host = host.substring(0, colon);
  }
  const slash = host.indexOf("/");
  if (slash >= 0) {
    const base = parseIpv4(host.substring(0, slash));
    const bitsText = host.substring(slash + 1);
    const bits = bitsText !== "" && bitsText.length <= 2 && /^[0-9]+$/.test(bitsText) ? Number(bitsText) : -1;
    if (base < 0) return fail(text, "a range must be IPv4 (a.b.c.d/n)");
    if (bits < 0 || bits > 32) return fail(text, "prefix length must be 0 to 32");
    const mask = prefixMask(bits);
    return { ok: true, address: "", net: (base & mask) >>> 0, mask, port };
  }
  if (host.indexOf(":") >= 0) {
    if (!/^[0-9A-Fa-f:.]+$/.test(host)) return fail(text, "not an IP address");
    return { ok: true, address: host.toLowerCase(), net: -1, mask: 0, port };
  }
  if (parseIpv4(host) < 0) return fail(text, "not an IP address (names are not looked up)");
  return { ok: true, address: host, net: -1, mask: 0, port };
}

export class SourceList {
  private readonly addresses: string[] = [];
  private readonly nets: number[] = [];
  private readonly masks: number[] = [];
  private readonly ports: number[] = [];
  /** Entries that could not be read, for the log. */
  readonly errors: string[] = [];

  constructor(entries: readonly string[] | undefined) {
    if (entries === undefined) return;
    for (let i = 0; i < entries.length; i++) this.add(entries[i]!);
  }

  /** Add an entry; false (and a line in `errors`) when it cannot be read. */
  add(text: string): boolean {
    const e = parseSourceEntry(text);
    if (!e.ok) {
      this.errors.push(e.error);
      return false;
    }
    this.addresses.push(e.address);
    this.nets.push(e.net);
    this.masks.push(e.mask);
    this.ports.push(e.port);
    return true;
  }

  get size(): number {
    return this.addresses.length;
  }

  /** `v4` is the source's parseIpv4() value (-1 for IPv6). */
  matches(address: string, port: number, v4: number): boolean {
    const n = this.addresses.length;
    for (let i = 0; i < n; i++) {
      const p = this.ports[i]!;
      if (p !== 0 && p !== port) continue;
      const net = this.nets[i]!;
      if (net >= 0 ? v4 >= 0 && ((v4 & this.masks[i]!) >>> 0) === net : this.addresses[i] === address) return true;
    }
    return false;
  }
}
