/*
 * The transaction layer over real UDP sockets on 127.0.0.1 (hosts/node/udp.ts),
 * two endpoints, each a TransactionLayer with a Node clock and small timer
 * values (T1 20 ms, T4 50 ms, D 100 ms) so every transaction ends quickly.
 * RFC rules checked end to end:
 * - §17.1.2 / §17.2.2: an OPTIONS transaction, a 200 back, matched by branch.
 * - §18.2.1 / RFC 3581 §4: the UAS marks received and rport in the response's
 *   top Via; the UAC learns them (its NAT view).
 * - §17.1.2.2: a lost first request is retransmitted by Timer E and answered.
 * - §17.1.1.3 / §17.2.1: INVITE → 180 → 486; the UAC transaction ACKs, the
 *   UAS transaction goes Confirmed; both tables drain.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { NodeClock } from "../hosts/node/clock";
import { NodeRandom } from "../hosts/node/random";
import { NodeUdp } from "../hosts/node/udp";
import type { UdpHost } from "../src/host";
import { ascii } from "../src/sip/message/bytes";
import type { SipMessage } from "../src/sip/message/message";
import { Method } from "../src/sip/message/method";
import { writeResponseHead } from "../src/sip/message/response";
import { SipWriter } from "../src/sip/message/writer";
import { TimerQueue } from "../src/sip/timer/timer-queue";
import { TimerValues } from "../src/sip/timer/timers";
import { ServerState, type ClientTransactionHandle, type ClientTransactionUser, type ServerTransactionHandle } from "../src/sip/transaction/api";
import { TransactionLayer } from "../src/sip/transaction/layer";
import { POLICY, RecordingServerUser, writeRequest } from "./support/transaction-harness";
import { VirtualClock } from "./support/virtual-clock";

/** Drops the first `drop` datagrams, forwards the rest. */
class LossyUdp implements UdpHost {
  constructor(private readonly inner: NodeUdp, public drop: number) {}
  get localAddress(): string {
    return this.inner.localAddress;
  }
  get localPort(): number {
    return this.inner.localPort;
  }
  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    if (this.drop > 0) {
      this.drop--;
      return true;
    }
    return this.inner.send(data, length, address, port);
  }
}

interface Endpoint {
  layer: TransactionLayer;
  udp: NodeUdp;
  clock: NodeClock;
  server: RecordingServerUser;
}

const endpoints: Endpoint[] = [];

async function endpoint(): Promise<Endpoint> {
  const clock = new NodeClock();
  const queue = new TimerQueue(clock);
  clock.attach(queue);
  // The recorder's clock is only used for event times here.
  const server = new RecordingServerUser(new VirtualClock(0));
  const layer = new TransactionLayer({ queue, random: new NodeRandom(), user: server, policy: POLICY, timers: new TimerValues({ t1: 20, t4: 50, d: 100 }) });
  const udp = await NodeUdp.bind({ receiver: layer, address: "127.0.0.1", port: 0 });
  layer.attach(udp);
  const e = { layer, udp, clock, server };
  endpoints.push(e);
  return e;
}

afterEach(async () => {
  for (const e of endpoints.splice(0)) {
    e.clock.close();
    e.layer.queue.clear();
    await e.udp.close();
  }
});

class Responses implements ClientTransactionUser {
  statuses: number[] = [];
  failures = 0;
  onResponse(_tx: ClientTransactionHandle, msg: SipMessage): void {
    this.statuses.push(msg.status);
  }
  onFailure(): void {
    this.failures++;
  }
}

/** A UAS user answering every request at once with `status`. */
function answerWith(status: number, reason: string) {
  return (tx: ServerTransactionHandle, msg: SipMessage): void => {
    const w = new SipWriter(1300);
    const tag = ascii("uas-tag");
    writeResponseHead(w, msg, status, ascii(reason), tag, tag.length, false);
    w.end();
    tx.respond(w, status);
  };
}

const OPTIONS_HEADERS = "Max-Forwards: 70\nFrom: <sip:a@127.0.0.1>;tag=a1\nTo: <sip:b@127.0.0.1>\nCall-ID: udp-1@a\nCSeq: 1 OPTIONS\n";

describe("transactions over UDP on 127.0.0.1", () => {
  it("OPTIONS → 200, with received/rport learned by the UAC (RFC 3581)", async () => {
    const uac = await endpoint();
    const uas = await endpoint();
    uas.server.onNew = answerWith(200, "OK");
    const user = new Responses();
    const tx = uac.layer.createClient(user, Method.OPTIONS)!;
    const w = writeRequest(uac.layer, tx, `OPTIONS sip:b@127.0.0.1:${uas.udp.localPort} SIP/2.0`, OPTIONS_HEADERS);
    expect(uac.layer.send(tx, w, "127.0.0.1", uas.udp.localPort)).toBe(true);
    await vi.waitFor(() => expect(user.statuses).toEqual([200]), { timeout: 2000, interval: 5 });
    expect(uas.server.events.map((e) => (e.kind === "request" ? e.method : e.kind))).toEqual(["OPTIONS"]);
    expect(uac.layer.learnedAddress).toBe("127.0.0.1");
    expect(uac.layer.learnedPort).toBe(uac.udp.localPort);
    // Timer K (T4) on the UAC, Timer J (64*T1) on the UAS: both tables drain.
    await vi.waitFor(() => expect([uac.layer.clientCount, uas.layer.serverCount]).toEqual([0, 0]), { timeout: 3000, interval: 10 });
  });

  it("a lost first request is retransmitted by Timer E and answered once", async () => {
    const uas = await endpoint();
    const uac = await endpoint();
    const lossy = new LossyUdp(uac.udp, 1);
    uac.layer.attach(lossy);
    uas.server.onNew = answerWith(200, "OK");
    const user = new Responses();
    const tx = uac.layer.createClient(user, Method.OPTIONS)!;
    const w = writeRequest(uac.layer, tx, `OPTIONS sip:b@127.0.0.1:${uas.udp.localPort} SIP/2.0`, OPTIONS_HEADERS);
    uac.layer.send(tx, w, "127.0.0.1", uas.udp.localPort);
    await vi.waitFor(() => expect(user.statuses).toEqual([200]), { timeout: 2000, interval: 5 });
    expect(uac.layer.counters.retransmissions).toBeGreaterThanOrEqual(1);
    expect(uas.server.events.length).toBe(1);
  });

  it("INVITE → 180 → 486: the UAC transaction ACKs, the UAS transaction is Confirmed, both drain", async () => {
    const uac = await endpoint();
    const uas = await endpoint();
    let inviteTx: ServerTransactionHandle | null = null;
    uas.server.onNew = (tx, msg) => {
      inviteTx = tx;
      answerWith(180, "Ringing")(tx, msg);
      answerWith(486, "Busy Here")(tx, msg);
    };
    const user = new Responses();
    const tx = uac.layer.createClient(user, Method.INVITE)!;
    const w = writeRequest(
      uac.layer,
      tx,
      `INVITE sip:b@127.0.0.1:${uas.udp.localPort} SIP/2.0`,
      "Max-Forwards: 70\nFrom: <sip:a@127.0.0.1>;tag=a1\nTo: <sip:b@127.0.0.1>\nCall-ID: udp-2@a\nCSeq: 1 INVITE\nContact: <sip:a@127.0.0.1>\n",
    );
    uac.layer.send(tx, w, "127.0.0.1", uas.udp.localPort);
    await vi.waitFor(() => expect(user.statuses).toEqual([180, 486]), { timeout: 2000, interval: 5 });
    await vi.waitFor(() => expect(inviteTx!.state).toBe(ServerState.Confirmed), { timeout: 2000, interval: 5 });
    expect(uas.server.events.map((e) => e.kind)).toEqual(["request"]); // the ACK was the transaction's, not the TU's
    await vi.waitFor(() => expect([uac.layer.clientCount, uas.layer.serverCount]).toEqual([0, 0]), { timeout: 3000, interval: 10 });
  });
});
