/*
 * The door's expiry from a REGISTER 200 written by a GRUU-capable registrar
 * (kamailio, as the interop suite's Linphone binding shows): RFC 5627 §5.2
 * puts pub-gruu and temp-gruu on every Contact of the 200, quoted strings
 * that hold ";", "=", "," and "expires" (kamailio also echoes
 * +sip.instance="<urn:uuid:...>"), and RFC 3261 §10.3 step 8 lists every
 * binding of the AOR. grantedExpires must still find the door's own Contact
 * (same user, host and port) and read its expires parameter, not text
 * inside another parameter's quotes nor another device's binding.
 */
import { describe, expect, it } from "vitest";
import { ContactAddress } from "../src/ua/contact-address";
import { grantedExpires } from "../src/ua/response-fields";
import { HeaderValues } from "../src/sip/message/values";
import { NameAddr } from "../src/sip/message/name-addr";
import { SipMessage } from "../src/sip/message/message";
import { SipParser } from "../src/sip/message/parser";

const USER = new TextEncoder().encode("door");

/** grantedExpires for the door at 192.168.1.50:5060 on a 200 with these header lines. */
function granted(lines: string[]): number {
  const text = [
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bK1;rport=5060",
    "From: <sip:door@doorsip.test>;tag=1",
    "To: <sip:door@doorsip.test>;tag=2",
    "Call-ID: c1",
    "CSeq: 2 REGISTER",
    ...lines,
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  const bytes = new TextEncoder().encode(text);
  const msg = new SipMessage();
  expect(new SipParser().parse(bytes, bytes.length, msg)).toBe(true);
  const ours = new ContactAddress();
  ours.set("192.168.1.50", 5060);
  return grantedExpires(msg, USER, 0, USER.length, ours, new HeaderValues(), new NameAddr());
}

/** A binding as kamailio's registrar lists it with GRUUs (its order of parameters). */
function binding(host: string, expires: number, n: number): string {
  const uuid = `00000000-0000-1000-8000-00000000000${n}`;
  return `<sip:door@${host}>;expires=${expires};pub-gruu="sip:door@doorsip.test;gr=urn:uuid:${uuid}"` +
    `;temp-gruu="sip:uloc-6b0219c1-292f-d-0de17${n}@doorsip.test;gr";+sip.instance="<urn:uuid:${uuid}>"`;
}

describe("registration: the expiry granted to our Contact when the 200 carries GRUUs (RFC 5627 §5.2)", () => {
  it("finds our binding after another device's, in separate headers or one comma-separated header", () => {
    const other = binding("192.168.1.77:5060", 1800, 1);
    const ours = binding("192.168.1.50:5060", 600, 2);
    expect(granted([`Contact: ${other}`, `Contact: ${ours}`])).toBe(600);
    expect(granted([`Contact: ${other}, ${ours}`])).toBe(600);
    expect(granted([`Contact: ${ours},${other}`])).toBe(600);
  });

  it("reads expires after the GRUU parameters, and never inside their quotes", () => {
    const ours = '<sip:door@192.168.1.50:5060>;pub-gruu="sip:door@doorsip.test;gr=urn:uuid:2;expires=9";temp-gruu="sip:t@doorsip.test;gr";expires=600';
    expect(granted([`Contact: ${ours}`])).toBe(600);
    // A quoted value that looks like our binding, with an expires of its own, in another device's Contact.
    const decoy = '<sip:door@192.168.1.77:5060>;temp-gruu="sip:x@doorsip.test;gr;expires=5, <sip:door@192.168.1.50:5060>;expires=7";expires=1800';
    expect(granted([`Contact: ${decoy}, ${binding("192.168.1.50:5060", 600, 2)}`])).toBe(600);
  });

  it("without our binding, the Expires header, not another device's expires", () => {
    expect(granted([`Contact: ${binding("192.168.1.77:5060", 1800, 1)}`, "Expires: 300"])).toBe(300);
  });
});
