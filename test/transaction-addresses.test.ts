/*
 * Our own addresses as the transport layer keeps them (src/sip/transport/
 * addresses.ts): the advertised address (Via, RFC 3261 §18.1.1) and the one
 * a server saw us at (received/rport, RFC 3581 §4), both in one view with
 * their lengths, ports and the "fixed" flag as bytes of it. What is checked
 * here is what that packing could get wrong: ports past 255 and up to
 * 65535, a length at the cap, an address too long, the two addresses not
 * writing over each other, and the flag that stops following the socket.
 */
import { describe, expect, it } from "vitest";
import type { UdpHost } from "../src/host";
import { LOCAL_ADDRESS_BYTES, LocalAddresses } from "../src/sip/transport/addresses";
import { ADDRESS_BYTES } from "../src/sip/transport/udp-transport";
import { parse } from "./support/transaction-harness";

const dec = new TextDecoder();

/** A socket whose own address and port the test changes (follow() reads only these two). */
class Socket implements UdpHost {
  constructor(public localAddress: string, public localPort: number) {}
  send(): boolean {
    return true;
  }
}

function advertisedText(a: LocalAddresses): string {
  return dec.decode(a.bytes.subarray(0, a.advertisedLen));
}

function response(via: string): ReturnType<typeof parse> {
  return parse(`SIP/2.0 200 OK\r\nVia: ${via}\r\nTo: <sip:a@example.com>;tag=t\r\nFrom: <sip:door@example.com>;tag=f\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
}

describe("the transport's own addresses, in one view", () => {
  it("refuses an advertised port that 16 bits cannot hold, and keeps what it had", () => {
    const a = new LocalAddresses();
    expect(a.setAdvertised("203.0.113.5", 5060)).toBe(true);
    for (const bad of [65536, 70000, -1, 5060.5, Number.NaN]) {
      expect(a.setAdvertised("198.51.100.1", bad), String(bad)).toBe(false);
      expect([a.advertised, advertisedText(a), a.advertisedPort]).toEqual(["203.0.113.5", "203.0.113.5", 5060]);
    }
    expect(a.setAdvertised("198.51.100.1", 65535)).toBe(true);
    expect(a.advertisedPort).toBe(65535);
  });

  it("follows the socket until set, then keeps what was set (ports of 16 bits)", () => {
    const a = new LocalAddresses();
    expect(a.bytes.length).toBe(LOCAL_ADDRESS_BYTES);
    const socket = new Socket("192.0.2.10", 5060);
    a.follow(socket);
    expect([a.advertised, advertisedText(a), a.advertisedPort]).toEqual(["192.0.2.10", "192.0.2.10", 5060]);
    socket.localAddress = "198.51.100.200";
    socket.localPort = 65535;
    a.follow(socket);
    expect([a.advertised, advertisedText(a), a.advertisedPort]).toEqual(["198.51.100.200", "198.51.100.200", 65535]);
    expect(a.setAdvertised("203.0.113.5", 256)).toBe(true);
    socket.localAddress = "192.0.2.99";
    socket.localPort = 1;
    a.follow(socket);
    expect([a.advertised, advertisedText(a), a.advertisedPort]).toEqual(["203.0.113.5", "203.0.113.5", 256]);
  });

  it("refuses an address longer than ADDRESS_BYTES and keeps the one it had; takes one exactly that long", () => {
    const a = new LocalAddresses();
    expect(a.setAdvertised("door.example.com", 5070)).toBe(true);
    expect(a.setAdvertised("x".repeat(ADDRESS_BYTES + 1), 9)).toBe(false);
    expect([a.advertised, advertisedText(a), a.advertisedPort]).toEqual(["door.example.com", "door.example.com", 5070]);
    const longest = "h".repeat(ADDRESS_BYTES);
    expect(a.setAdvertised(longest, 5071)).toBe(true);
    expect([advertisedText(a), a.advertisedLen, a.advertisedPort]).toEqual([longest, ADDRESS_BYTES, 5071]);
    // A socket's address too long is not followed either.
    const b = new LocalAddresses();
    b.follow(new Socket("y".repeat(ADDRESS_BYTES + 1), 5060));
    expect([b.advertised, b.advertisedLen, b.advertisedPort]).toEqual(["", 0, 0]);
  });

  it("learns received and rport from a response's top Via; reports a change only when one of them changed", () => {
    const a = new LocalAddresses();
    a.setAdvertised("h".repeat(ADDRESS_BYTES), 5060);
    expect([a.learned, a.learnedPort]).toEqual(["", 0]);
    expect(a.learn(response("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa;received=203.0.113.9;rport=40123"))).toBe(true);
    expect([a.learned, a.learnedPort]).toEqual(["203.0.113.9", 40123]);
    expect(a.learn(response("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKb;received=203.0.113.9;rport=40123"))).toBe(false);
    expect(a.learn(response("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKc;received=203.0.113.9;rport=300"))).toBe(true);
    expect(a.learnedPort).toBe(300);
    expect(a.learn(response("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKd;received=198.51.100.1;rport=300"))).toBe(true);
    expect(a.learned).toBe("198.51.100.1");
    // Learning wrote nothing over the advertised address, a full ADDRESS_BYTES long, nor its port.
    expect([advertisedText(a), a.advertisedPort]).toEqual(["h".repeat(ADDRESS_BYTES), 5060]);
    // A response without them changes nothing.
    expect(a.learn(response("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKe"))).toBe(false);
    expect([a.learned, a.learnedPort]).toEqual(["198.51.100.1", 300]);
  });
});
