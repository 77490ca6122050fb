/*
 * ResolverHost on Node: an A lookup (src/host.ts). By default the system's
 * resolver (dns.lookup: /etc/hosts, then DNS, as `doorsip run --server`
 * resolved the name at start); with `servers`, those DNS servers asked
 * directly (node:dns Resolver), e.g. a test's own server on 127.0.0.1.
 */
import { lookup, Resolver } from "node:dns";
import type { ResolverHost } from "../../src/host";

export interface NodeResolverOptions {
  /** DNS servers ("127.0.0.1:5353") to ask instead of the system's resolver. */
  servers?: readonly string[];
  /** Per-try timeout for `servers`, ms (default 2000, 2 tries). */
  timeoutMs?: number;
}

export class NodeResolver implements ResolverHost {
  private readonly dns: Resolver | null;

  constructor(o: NodeResolverOptions = {}) {
    if (o.servers !== undefined && o.servers.length > 0) {
      this.dns = new Resolver({ timeout: o.timeoutMs ?? 2000, tries: 2 });
      this.dns.setServers([...o.servers]);
    } else {
      this.dns = null;
    }
  }

  resolve(name: string, done: (address: string) => void): void {
    if (this.dns !== null) {
      this.dns.resolve4(name, (err, addresses) => done(err === null && addresses.length > 0 ? addresses[0]! : ""));
      return;
    }
    lookup(name, { family: 4 }, (err, address) => done(err === null ? address : ""));
  }

  /** Cancel lookups under way (their callbacks get "" ): before the runtime closes. */
  close(): void {
    this.dns?.cancel();
  }
}
