/*
 * The core's DNS client on the SIP socket (as on the device) costs the SIP
 * receive path nothing, measured under the real XS engine: with DNS
 * servers configured, a request through Intercom.receiver (the DNS check,
 * then the transaction layer) and a datagram from the DNS server while no
 * query is awaited each cost 0 slots and 0 chunk bytes, with no garbage
 * collection (test/xs/fixtures/dns.ts). The lookups themselves run at boot
 * and on failures, and make strings for names (src/dns/dns-message.ts).
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";

const entry = "test/xs/fixtures/dns.ts";

describe("the DNS check on the SIP socket allocates nothing under XS", () => {
  it.each(["sipThroughDnsCheck", "dnsServerDatagramUnawaited"])("%s: 0 slots and 0 chunk bytes per datagram", async (exportName) => {
    const m = await measure({ entry, exportName, iterations: 200, warmup: 5 });
    expect(m.gcRan).toBe(false);
    expect(m.exact).toBe(true);
    expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(m.compute).toBeGreaterThan(0);
    console.log(`${exportName}: ${m.perIteration.compute} compute/datagram, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });
});
