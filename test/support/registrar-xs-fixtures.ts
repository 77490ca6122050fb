/*
 * XS harness fixtures for the UA's steady-state paths: a registration
 * refresh round trip and a keepalive OPTIONS round trip, over the real
 * transaction layer and a UdpHost that keeps the last datagram. The
 * "registrar" answers 200 from the request's own spans (writeResponseHead,
 * with the request's Contact copied, so the binding is granted 3600 s).
 * No digest: auth is rare and allowed to use strings. Everything is made
 * here, once; the measured round must allocate nothing.
 */
import type { ServerTransactionUser } from "../../src/sip/transaction/api";
import type { UdpHost } from "../../src/host";
import { ascii } from "../../src/sip/message/bytes";
import { H } from "../../src/sip/message/header";
import { SipMessage } from "../../src/sip/message/message";
import { SipParser } from "../../src/sip/message/parser";
import { copyAll, writeResponseHead } from "../../src/sip/message/response";
import { SipWriter } from "../../src/sip/message/writer";
import { TimerQueue } from "../../src/sip/timer/timer-queue";
import { TransactionLayer } from "../../src/sip/transaction/layer";
import type { HashHost } from "../../src/host";
import { Keepalive } from "../../src/ua/keepalive";
import { RegState, Registration } from "../../src/ua/registration";
import { SeededRandom } from "./seeded-random";
import { VirtualClock } from "./virtual-clock";

const SERVER = "192.0.2.1";

let sink = 0;
export function lastSink(): number {
  return sink;
}

/** Keeps the last datagram sent, for the fixture's registrar to answer. */
class HoldingUdp implements UdpHost {
  readonly localAddress = "192.0.2.10";
  readonly localPort = 5060;
  readonly buf = new Uint8Array(2048);
  length = 0;
  datagrams = 0;
  send(data: Uint8Array, length: number, _address: string, _port: number): boolean {
    for (let i = 0; i < length; i++) this.buf[i] = data[i]!;
    this.length = length;
    this.datagrams++;
    return true;
  }
}

const NO_SERVER: ServerTransactionUser = {
  onRequest() {},
  onAck() {},
  onCancel() {},
  onServerTimeout() {},
};

/** Never called without a challenge. */
const NO_HASH: HashHost = {
  hex(): string {
    throw new Error("digest used on the steady-state path");
  },
};

class Answerer {
  private readonly parser = new SipParser();
  private readonly req = new SipMessage();
  private readonly w = new SipWriter(2048);
  private readonly ok = ascii("OK");
  private readonly tag = ascii("reg-tag-1");
  constructor(private readonly udp: HoldingUdp, private readonly layer: TransactionLayer) {}

  /** Answer the last datagram with 200 OK, the request's Contacts copied (their expires granted). */
  answer(): void {
    const udp = this.udp;
    if (udp.length === 0) throw new Error("nothing was sent");
    if (!this.parser.parse(udp.buf, udp.length, this.req)) throw new Error("unparsable request");
    const w = this.w.reset();
    writeResponseHead(w, this.req, 200, this.ok, this.tag, this.tag.length, false);
    copyAll(w, this.req, H.Contact);
    w.end();
    udp.length = 0;
    this.layer.receive(w.buf, w.length, SERVER, 5060);
  }
}

function makeRig() {
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  clock.attach(timers);
  const random = new SeededRandom(11);
  const udp = new HoldingUdp();
  const layer = new TransactionLayer({ queue: timers, random, user: NO_SERVER, udp, maxClientTransactions: 4, maxServerTransactions: 2 });
  const account = { registrarHost: SERVER, domain: "example.com", user: "door", password: "secret" };
  const reg = new Registration({ account, layer, timers, random, hash: NO_HASH });
  const ka = new Keepalive({ account, layer, timers, random, listener: reg });
  return { clock, udp, layer, reg, ka, answerer: new Answerer(udp, layer) };
}

/** One refresh: the refresh timer fires, REGISTER goes out, 200 comes back, the next refresh is armed, Timer K ends the transaction. */
export function refreshRound(): () => void {
  const { clock, udp, layer, reg, answerer } = makeRig();
  reg.start();
  answerer.answer();
  clock.advance(5000);
  if (reg.state !== RegState.Registered || reg.granted !== 3600 || layer.clientCount !== 0) throw new Error("did not register: " + reg.state);
  const round = (): void => {
    clock.advance(3_240_000 - 5000);
    answerer.answer();
    clock.advance(5000);
    if (reg.state !== RegState.Registered || layer.clientCount !== 0) throw new Error("refresh failed");
  };
  round();
  return () => {
    round();
    sink += udp.datagrams + reg.cseq;
  };
}

/** One keepalive: OPTIONS after 30 s, 200 back, the next one armed (Timer K fires inside the next round). */
export function keepaliveRound(): () => void {
  const { clock, udp, ka, answerer } = makeRig();
  ka.start();
  const round = (): void => {
    clock.advance(30_000);
    answerer.answer();
    if (ka.misses !== 0) throw new Error("keepalive missed");
  };
  round();
  if (ka.answered !== 1) throw new Error("keepalive not answered");
  return () => {
    round();
    sink += udp.datagrams + ka.answered;
  };
}
