/*
 * The registration checks at kamailio, read from what crossed the door's
 * socket (its SipTrace), whatever runs the registration: the bare core on
 * Node (test/interop-kamailio.test.ts: TransactionLayer, Registration,
 * Keepalive) or the whole intercom inside XS (test/interop-xs.test.ts).
 * RFC 3261 §10.2 and §22 against a real registrar.
 */
import { expect } from "vitest";
import { firstLine, headerValue, statusOf, until, REALM, type Kamailio, type SipTrace, type TraceEntry } from "./peers";

/** The REGISTERs and their answers, in order (keepalive OPTIONS between them left out). */
function registerEntries(trace: SipTrace): TraceEntry[] {
  return trace.entries.filter((e) => firstLine(e.text).startsWith("REGISTER ") || headerValue(e.text, "CSeq")?.endsWith(" REGISTER") === true);
}

/**
 * The first registration: REGISTER without credentials, kamailio's 401 with
 * a Digest challenge (realm, qop=auth), REGISTER with them (nc=1, the next
 * CSeq), 200 OK granting `contact` for up to `expires` seconds.
 */
export function expectChallengedRegistration(trace: SipTrace, contact: string, expires: number): void {
  const entries = registerEntries(trace);
  expect(entries.map((e) => `${e.dir} ${firstLine(e.text)}`)).toEqual([
    "out REGISTER sip:doorsip.test SIP/2.0",
    "in SIP/2.0 401 Unauthorized",
    "out REGISTER sip:doorsip.test SIP/2.0",
    "in SIP/2.0 200 OK",
  ]);
  const [first, challenge, second, ok] = entries.map((e) => e.text);
  expect(headerValue(first!, "Authorization")).toBeUndefined();
  const www = headerValue(challenge!, "WWW-Authenticate")!;
  expect(www).toMatch(/^Digest /);
  expect(www).toContain(`realm="${REALM}"`);
  expect(www).toMatch(/qop="auth"/);
  const auth = headerValue(second!, "Authorization")!;
  expect(auth).toMatch(/^Digest /);
  expect(auth).toContain('username="door"');
  expect(auth).toContain(`realm="${REALM}"`);
  expect(auth).toMatch(/nc=00000001/);
  expect(headerValue(second!, "CSeq")).toBe("2 REGISTER");
  // kamailio may grant a second less than asked, by the time it answers.
  expect(headerValue(ok!, "Contact")).toMatch(new RegExp(`^<${contact.replace(/\./g, "\\.")}>;expires=(${expires - 1}|${expires})$`));
}

/**
 * The refresh of a short binding (half of it has passed: src/ua/registration.ts), waited for (bounded): the
 * same nonce (nc=2), Call-ID and the next CSeq, accepted by kamailio without a new challenge.
 */
export async function expectRefresh(trace: SipTrace, timeoutMs = 9000): Promise<void> {
  await until(() => trace.responses("in", "REGISTER").length >= 3, "the refresh and its answer", timeoutMs, 20);
  expect(trace.responses("in", "REGISTER").map((e) => statusOf(e.text))).toEqual([401, 200, 200]);
  const regs = trace.requests("out", "REGISTER");
  expect(headerValue(regs[2]!.text, "Authorization")).toMatch(/nc=00000002/);
  expect(headerValue(regs[2]!.text, "Call-ID")).toBe(headerValue(regs[0]!.text, "Call-ID"));
  expect(headerValue(regs[2]!.text, "CSeq")).toBe("3 REGISTER");
}

/** Unregistered (§10.2.2): the last REGISTER has Expires: 0, kamailio answered 200, and the binding of `user` is gone. */
export async function expectUnregistered(trace: SipTrace, kam: Kamailio, user: string): Promise<void> {
  expect(headerValue(trace.requests("out", "REGISTER").at(-1)!.text, "Expires")).toBe("0");
  expect(statusOf(trace.responses("in", "REGISTER").at(-1)!.text)).toBe(200);
  expect(await kam.contacts(user)).toEqual([]);
}
