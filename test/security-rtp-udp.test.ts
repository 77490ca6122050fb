/*
 * A stranger on the door's network sprays its RTP port during a call (real
 * UDP on loopback, the Node host): the door's RTP socket takes the
 * telephone-events of the call's peer only (src/media/rtp-session.ts
 * peerSource). The phone is a SIP socket and an RTP socket on 127.0.0.1
 * (its SDP names 127.0.0.1); the stranger sends from 127.0.0.2, another
 * address of the same loopback network, the right door code first, before
 * the phone's first packet. Before the fix the stranger's first packet
 * latched the stream and its keys opened the door.
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { IntercomEvent } from "../src/app/intercom";
import { writeRtpHeader } from "../src/media/rtp-packet";
import { writeTelephoneEvent } from "../src/media/telephone-event";
import { NodeIntercom } from "../hosts/node/runtime";
import { until } from "./support/wait";

const sockets: Socket[] = [];
let door: NodeIntercom | null = null;

afterEach(async () => {
  await door?.stop(1000);
  door = null;
  for (const s of sockets.splice(0)) s.close();
});

function bind(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, address, () => {
      sockets.push(s);
      resolve(s);
    });
  });
}

function send(s: Socket, data: Uint8Array | string, port: number): Promise<void> {
  return new Promise((resolve, reject) => s.send(data, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
}

/** RFC 4733 §2.5.1.4: a key as three packets of growing duration and three end packets, one timestamp. */
async function key(s: Socket, port: number, event: number, ssrc: number, seq: { n: number }, ts: number): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const b = new Uint8Array(16);
    writeRtpHeader(b, 0, 101, i === 0, seq.n++ & 0xffff, ts, ssrc);
    writeTelephoneEvent(b, 12, event, i >= 3, 10, 160 * Math.min(i + 1, 3));
    await send(s, b, port);
  }
}

describe("RTP from a stranger on the door's network (real UDP)", () => {
  it("a stranger spraying the door's RTP port with the right code before the phone's first packet: no latch, no door; the phone's keys open it", async () => {
    const sip = await bind("127.0.0.1");
    const phoneRtp = await bind("127.0.0.1");
    const stranger = await bind("127.0.0.2");
    const sipPort = sip.address().port;
    const events: IntercomEvent[] = [];
    door = await NodeIntercom.create({
      settings: {
        account: { registrarHost: "127.0.0.1", registrarPort: sipPort, domain: "door.test", user: "door", password: "doorpass" },
        register: false, keepaliveSeconds: 0, doorCode: "47", doorOpenMs: 200,
      },
      address: "127.0.0.1",
      port: 0,
      onEvent: (e) => void events.push(e),
    });
    door.start();
    const received: string[] = [];
    sip.on("message", (m) => void received.push(m.toString("latin1")));
    const rtpPort = phoneRtp.address().port;
    const sdp = [
      "v=0", "o=phone 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
      `m=audio ${rtpPort} RTP/AVP 0 101`, "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv", "",
    ].join("\r\n");
    const head = (method: string, cseq: number, toTag: string): string[] => [
      `Via: SIP/2.0/UDP 127.0.0.1:${sipPort};branch=z9hG4bKsec${method}${cseq};rport`,
      "Max-Forwards: 70",
      "From: <sip:100@door.test>;tag=phone",
      `To: <sip:door@door.test>${toTag}`,
      "Call-ID: sec-rtp@127.0.0.1",
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:100@127.0.0.1:${sipPort}>`,
    ];
    const doorSip = door.localPort;
    await send(sip, [`INVITE sip:door@127.0.0.1:${doorSip} SIP/2.0`, ...head("INVITE", 1, ""), "Content-Type: application/sdp", `Content-Length: ${sdp.length}`, "", sdp].join("\r\n"), doorSip);
    await until(() => received.some((m) => m.startsWith("SIP/2.0 200")), "the door's 200", 5000);
    const ok = received.find((m) => m.startsWith("SIP/2.0 200"))!;
    const tag = /^To:.*;tag=([^;\r\n]+)/m.exec(ok)![1]!;
    const doorRtp = Number(/^m=audio (\d+) /m.exec(ok)![1]);
    await send(sip, [`ACK sip:door@127.0.0.1:${doorSip} SIP/2.0`, ...head("ACK", 1, `;tag=${tag}`), "Content-Length: 0", "", ""].join("\r\n"), doorSip);
    const session = door.intercom.media.session;
    await until(() => events.includes(IntercomEvent.CallUp) && session.active, "the call up", 5000);

    // The stranger, first: "4", "7" (the right code) from 127.0.0.2.
    const s = { n: 100 };
    await key(stranger, doorRtp, 4, 0x66666666, s, 8000);
    await key(stranger, doorRtp, 7, 0x66666666, s, 9600);
    await until(() => session.dropped >= 12, "the stranger's 12 packets dropped", 5000);
    expect(session.latched).toBe(false);
    expect(session.digits).toBe(0);
    expect(events).not.toContain(IntercomEvent.DoorOpened);
    expect(door.intercom.opener.openings).toBe(0);

    // The phone, from the address and port its SDP names.
    const p = { n: 1 };
    await key(phoneRtp, doorRtp, 4, 0x0a0b0c0d, p, 16000);
    await key(phoneRtp, doorRtp, 7, 0x0a0b0c0d, p, 17600);
    await until(() => events.includes(IntercomEvent.DoorOpened), "the door opened by the phone's keys", 5000);
    expect(`${session.remoteAddress}:${session.remotePort}`).toBe(`127.0.0.1:${rtpPort}`);
    expect(door.intercom.opener.openings).toBe(1);
  }, 20_000);
});
