/*
 * A small authoritative DNS server on 127.0.0.1 for tests (RFC 1035 §4):
 * it answers A queries from a table the test changes, NXDOMAIN for a name
 * it does not hold, and an empty answer for other types (AAAA...). The
 * door's Node host asks it through node:dns (hosts/node/resolver.ts,
 * NodeResolver with `servers`), so a test can move a name to another
 * address as a DHCP lease or a provider would. TTL 0: nothing is cached.
 */
import { createSocket, type Socket } from "node:dgram";

export class TestDnsServer {
  /** Name (lower case, no trailing dot) -> IPv4 address. */
  readonly names = new Map<string, string>();
  /** Every query: the name and type asked. */
  readonly queries: Array<{ name: string; type: number }> = [];

  private constructor(private readonly socket: Socket) {}

  static async start(): Promise<TestDnsServer> {
    const socket = createSocket("udp4");
    const server = new TestDnsServer(socket);
    socket.on("message", (q, rinfo) => {
      const answer = server.answer(q);
      if (answer !== null) socket.send(answer, rinfo.port, rinfo.address);
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
    const address = this.names.get(name);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(q.readUInt16BE(0), 0); // ID
    // QR, opcode 0, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for a name not held.
    header.writeUInt16BE(0x8400 | (q.readUInt16BE(2) & 0x0100) | 0x0080 | (address === undefined ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    const a = address !== undefined && type === 1;
    header.writeUInt16BE(a ? 1 : 0, 6);
    const question = q.subarray(12, questionEnd);
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
}
