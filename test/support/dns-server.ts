/*
 * A small authoritative DNS server on 127.0.0.1 for tests (RFC 1035 §4):
 * it answers A queries from a table the test changes, NXDOMAIN for a name
 * it does not hold, and an empty answer for other types (AAAA...). The
 * door's Node host asks it through node:dns (hosts/node/resolver.ts,
 * NodeResolver with `servers`), so a test can move a name to another
 * address as a DHCP lease or a provider would. TTL 0: nothing is cached.
 *
 * SRV (RFC 2782) too, for the core's own resolver (src/dns/): `srv` maps
 * "_sip._udp.<domain>" to records, whose targets' addresses (from `names`)
 * go in the additional section unless `additional` is false; a name in
 * `silent` gets no answer at all (a try that times out).
 */
export interface TestSrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** A name (its A record from `names` goes in the additional section), or "." (not offered). */
  target: string;
}

import { createSocket, type Socket } from "node:dgram";

export class TestDnsServer {
  /** Name (lower case, no trailing dot) -> IPv4 address. */
  readonly names = new Map<string, string>();
  /** Name -> SRV records (answered for QTYPE 33). */
  readonly srv = new Map<string, TestSrvRecord[]>();
  /** Names that get no answer (for any type). */
  readonly silent = new Set<string>();
  /** Whether an SRV answer carries its targets' A records in the additional section (RFC 2782 "Usage rules"). */
  additional = true;
  /** Send each answer twice, first with its ID changed (a forged or late answer, RFC 5452), then as it is. */
  wrongIdFirst = false;
  /** Every query: the name and type asked. */
  readonly queries: Array<{ name: string; type: number }> = [];

  private constructor(private readonly socket: Socket) {}

  static async start(): Promise<TestDnsServer> {
    const socket = createSocket("udp4");
    const server = new TestDnsServer(socket);
    socket.on("message", (q, rinfo) => {
      const answer = server.answer(q);
      if (answer === null) return;
      if (server.wrongIdFirst) {
        const forged = Buffer.from(answer);
        forged.writeUInt16BE(forged.readUInt16BE(0) ^ 0x5a5a, 0);
        socket.send(forged, rinfo.port, rinfo.address);
      }
      socket.send(answer, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => resolve());
    });
    return server;
  }

  /** "127.0.0.1:port", for NodeResolver's `servers`. */
  get endpoint(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private answer(q: Buffer): Buffer | null {
    if (q.length < 12 || q.readUInt16BE(4) !== 1) return null; // one question (QDCOUNT 1)
    const labels: string[] = [];
    let at = 12;
    while (at < q.length && q[at] !== 0) {
      const len = q[at]!;
      if (len > 63 || at + 1 + len > q.length) return null;
      labels.push(q.toString("latin1", at + 1, at + 1 + len));
      at += 1 + len;
    }
    if (at + 5 > q.length) return null;
    const questionEnd = at + 5; // the zero label, QTYPE, QCLASS
    const type = q.readUInt16BE(at + 1);
    const name = labels.join(".").toLowerCase();
    this.queries.push({ name, type });
    if (this.silent.has(name)) return null;
    const srv = this.srv.get(name);
    const address = this.names.get(name) ?? (srv !== undefined ? "" : undefined);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(q.readUInt16BE(0), 0); // ID
    // QR, opcode 0, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for a name not held.
    header.writeUInt16BE(0x8400 | (q.readUInt16BE(2) & 0x0100) | 0x0080 | (address === undefined ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    const question = q.subarray(12, questionEnd);
    if (srv !== undefined && type === 33) return this.srvAnswer(header, question, srv);
    const a = address !== undefined && address !== "" && type === 1;
    header.writeUInt16BE(a ? 1 : 0, 6);
    if (!a) return Buffer.concat([header, question]);
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(1, 2); // A
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(0, 6); // TTL 0
    rr.writeUInt16BE(4, 10);
    address!.split(".").forEach((part, i) => rr.writeUInt8(Number(part), 12 + i));
    return Buffer.concat([header, question, rr]);
  }

  /** The SRV records (owner: a pointer to the question's name; targets uncompressed, RFC 2782), and their A records as additional data. */
  private srvAnswer(header: Buffer, question: Buffer, records: TestSrvRecord[]): Buffer {
    const parts: Buffer[] = [header, question];
    for (const r of records) {
      const target = encodeName(r.target);
      const rr = Buffer.alloc(12 + 6);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(33, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(0, 6);
      rr.writeUInt16BE(6 + target.length, 10);
      rr.writeUInt16BE(r.priority, 12);
      rr.writeUInt16BE(r.weight, 14);
      rr.writeUInt16BE(r.port, 16);
      parts.push(rr, target);
    }
    let extra = 0;
    if (this.additional) {
      for (const target of new Set(records.map((r) => r.target.toLowerCase()))) {
        const address = this.names.get(target);
        if (address === undefined) continue;
        const rr = Buffer.alloc(14);
        rr.writeUInt16BE(1, 0); // A
        rr.writeUInt16BE(1, 2); // IN
        rr.writeUInt32BE(0, 4);
        rr.writeUInt16BE(4, 8);
        address.split(".").forEach((part, i) => rr.writeUInt8(Number(part), 10 + i));
        parts.push(encodeName(target), rr);
        extra++;
      }
    }
    header.writeUInt16BE(records.length, 6);
    header.writeUInt16BE(extra, 10);
    return Buffer.concat(parts);
  }
}

/** A name as labels (RFC 1035 §3.1), uncompressed; "." is the root. */
function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".").filter((l) => l !== "");
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])), Buffer.from([0])]);
}
