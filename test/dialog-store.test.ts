/*
 * The dialog's one variable-length store (src/sip/dialog/dialog-store.ts):
 * fields set in any order, a field rewritten longer and shorter with the
 * others intact, per-field caps, the whole store full -> refused cleanly
 * (false, that field empty, the others kept), and the route set alongside
 * (a Dialog built from parsed messages: UAS, UAC early -> confirmed, a
 * target refresh, requests written with their Route headers).
 */
import { describe, expect, it } from "vitest";
import { Dialog, DialogState } from "../src/sip/dialog/dialog";
import {
  CALL_ID_BYTES,
  DIALOG_STORE_BYTES,
  DialogField,
  DialogStore,
  MAX_ROUTES,
  ROUTE_BYTES,
  type StoreField,
  storeField,
  TAG_BYTES,
  URI_BYTES,
} from "../src/sip/dialog/dialog-store";
import { Method } from "../src/sip/message/method";
import { SipMessage } from "../src/sip/message/message";
import { SipParser } from "../src/sip/message/parser";
import { SipWriter } from "../src/sip/message/writer";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const FIELDS = [
  DialogField.LocalTag,
  DialogField.CallId,
  DialogField.LocalUri,
  DialogField.RemoteUri,
  DialogField.RemoteTag,
  DialogField.RemoteTarget,
] as const;

/** A value of `len` bytes that names its field and is different per field and length. */
function value(f: number, len: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (let i = 0; i < len; i++) s += alphabet[(f * 7 + i * 3 + len) % alphabet.length];
  return s;
}

function setText(field: StoreField, text: string): boolean {
  const b = enc(text);
  return field.set(b, 0, b.length);
}

function fields(store: DialogStore): StoreField[] {
  return FIELDS.map((f) => storeField(store, f));
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i++) {
    const rest = xs.slice(0, i).concat(xs.slice(i + 1));
    for (const p of permutations(rest)) out.push([xs[i]!, ...p]);
  }
  return out;
}

/** Every field's text equals what the test last gave it, and the fields lie end to end from 0 in their order. */
function expectIntact(store: DialogStore, fs: StoreField[], want: Map<number, string>): void {
  let at = 0;
  for (const f of fs) {
    expect(f.toString()).toBe(want.get(f.id) ?? "");
    expect(f.start).toBe(at);
    at += f.len;
  }
  expect(store.start(DialogField.Routes)).toBe(at);
  expect(store.used).toBe(at + store.len(DialogField.Routes));
}

describe("DialogStore fields", () => {
  it("fields set in any order (all 720 orders) read back the same, end to end, the local tag at byte 0", () => {
    const lens = [16, 36, 24, 31, 13, 47];
    for (const order of permutations(FIELDS)) {
      const store = new DialogStore();
      const fs = fields(store);
      const want = new Map<number, string>();
      for (const f of order) {
        const text = value(f, lens[f]!);
        expect(setText(fs[f]!, text)).toBe(true);
        want.set(f, text);
        expectIntact(store, fs, want);
      }
      expect(fs[DialogField.LocalTag]!.start).toBe(0);
    }
  });

  it("a field rewritten longer, shorter, empty and back keeps every other field intact", () => {
    const store = new DialogStore();
    const fs = fields(store);
    const want = new Map<number, string>();
    for (const f of FIELDS) {
      want.set(f, value(f, 20 + f));
      setText(fs[f]!, want.get(f)!);
    }
    for (const f of FIELDS) {
      for (const len of [fs[f]!.cap, 1, 0, 40, 3, 20 + f]) {
        const text = value(f + 10, len);
        expect(setText(fs[f]!, text)).toBe(true);
        want.set(f, text);
        expectIntact(store, fs, want);
      }
    }
  });

  it("each field keeps its cap, whatever room the store has", () => {
    const caps = new Map<number, number>([
      [DialogField.LocalTag, TAG_BYTES],
      [DialogField.CallId, CALL_ID_BYTES],
      [DialogField.LocalUri, URI_BYTES],
      [DialogField.RemoteUri, URI_BYTES],
      [DialogField.RemoteTag, TAG_BYTES],
      [DialogField.RemoteTarget, URI_BYTES],
    ]);
    const store = new DialogStore();
    const fs = fields(store);
    for (const f of FIELDS) {
      const cap = caps.get(f)!;
      expect(fs[f]!.cap).toBe(cap);
      expect(setText(fs[f]!, value(f, cap))).toBe(true);
      expect(fs[f]!.len).toBe(cap);
      // Over the cap: refused, emptied (as a Field was), the others kept.
      expect(setText(fs[f]!, value(f, cap + 1))).toBe(false);
      expect(fs[f]!.len).toBe(0);
      expect(fs[f]!.reserve(cap + 1)).toBe(-1);
    }
    expect(store.used).toBe(0);
    // All six at their caps at once: a dialog without routes that fitted the separate fields fits the store.
    const want = new Map<number, string>();
    for (const f of FIELDS) {
      want.set(f, value(f, caps.get(f)!));
      expect(setText(fs[f]!, want.get(f)!)).toBe(true);
    }
    expectIntact(store, fs, want);
    expect(store.used).toBeLessThanOrEqual(DIALOG_STORE_BYTES);
  });

  it("the store full: the set that does not fit is refused, that field is empty, the others are intact; a shorter one then fits", () => {
    const store = new DialogStore();
    const fs = fields(store);
    const want = new Map<number, string>();
    // Routes take 300 bytes (as the route set does, the last field), then fields at their caps until one no longer fits.
    expect(store.resize(DialogField.Routes, 300)).toBe(0);
    let refused = -1;
    for (const f of FIELDS) {
      const text = value(f, fs[f]!.cap);
      if (store.used + text.length > DIALOG_STORE_BYTES) {
        // It had a value before: a refused set empties it, as a Field's did.
        expect(setText(fs[f]!, "x")).toBe(true);
        want.set(f, "x");
        expect(setText(fs[f]!, text)).toBe(false);
        want.delete(f);
        refused = f;
        break;
      }
      expect(setText(fs[f]!, text)).toBe(true);
      want.set(f, text);
    }
    expect(refused).toBeGreaterThan(0);
    expectIntact(store, fs, want);
    const room = DIALOG_STORE_BYTES - store.used;
    expect(setText(fs[refused]!, value(refused, room + 1))).toBe(false);
    expectIntact(store, fs, want);
    // Exactly the room left fits.
    const exact = value(refused, Math.min(room, fs[refused]!.cap));
    expect(setText(fs[refused]!, exact)).toBe(true);
    want.set(refused, exact);
    expectIntact(store, fs, want);
    // Growing an earlier field past the room is refused the same way, the later fields kept.
    const first = fs[DialogField.LocalTag]!;
    const grow = value(0, first.len + (DIALOG_STORE_BYTES - store.used) + 1);
    if (grow.length <= first.cap) {
      expect(setText(first, grow)).toBe(false);
      want.delete(DialogField.LocalTag);
      expectIntact(store, fs, want);
    }
  });

  it("reserve() makes room a caller writes itself; clear() empties every field", () => {
    const store = new DialogStore();
    const fs = fields(store);
    setText(fs[DialogField.RemoteTarget]!, "sip:100@192.0.2.7:5060");
    const callId = fs[DialogField.CallId]!;
    const at = callId.reserve(32);
    expect(at).toBe(fs[DialogField.LocalTag]!.len);
    const id = value(1, 32);
    for (let i = 0; i < 32; i++) callId.bytes[at + i] = id.charCodeAt(i);
    expect(callId.toString()).toBe(id);
    expect(fs[DialogField.RemoteTarget]!.toString()).toBe("sip:100@192.0.2.7:5060");
    store.clear();
    for (const f of fs) expect(f.len).toBe(0);
    expect(store.used).toBe(0);
  });
});

// ---------------------------------------------------------------- with a Dialog

const parser = new SipParser();

function parse(text: string): SipMessage {
  const msg = new SipMessage();
  const b = enc(text);
  expect(parser.parse(b, b.length, msg)).toBe(true);
  return msg;
}

function invite(o: { callId: string; fromTag: string; contact: string; recordRoutes: string[]; cseq?: number; method?: string; toTag?: string; fromUri?: string }): SipMessage {
  const method = o.method ?? "INVITE";
  return parse(
    `${method} sip:door@192.0.2.50:5062 SIP/2.0\r\n` +
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---7c1e1a5f\r\n" +
      "Max-Forwards: 69\r\n" +
      o.recordRoutes.map((r) => `Record-Route: ${r}\r\n`).join("") +
      `From: "Front gate" <${o.fromUri ?? "sip:100@pbx.example.net"}>;tag=${o.fromTag}\r\n` +
      `To: <sip:door@pbx.example.net>${o.toTag !== undefined ? `;tag=${o.toTag}` : ""}\r\n` +
      `Call-ID: ${o.callId}\r\n` +
      `CSeq: ${o.cseq ?? 102} ${method}\r\n` +
      `Contact: <${o.contact}>\r\n` +
      "Content-Length: 0\r\n\r\n",
  );
}

function response(status: number, o: { callId: string; localTag: string; toTag: string; contact?: string; recordRoutes: string[] }): SipMessage {
  return parse(
    `SIP/2.0 ${status} Whatever\r\n` +
      "Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKdoor1\r\n" +
      o.recordRoutes.map((r) => `Record-Route: ${r}\r\n`).join("") +
      `From: <sip:door@pbx.example.net>;tag=${o.localTag}\r\n` +
      `To: <sip:100@pbx.example.net>;tag=${o.toTag}\r\n` +
      `Call-ID: ${o.callId}\r\n` +
      "CSeq: 7 INVITE\r\n" +
      (o.contact !== undefined ? `Contact: <${o.contact}>\r\n` : "") +
      "Content-Length: 0\r\n\r\n",
  );
}

function request(d: Dialog, method: Method): string {
  const w = new SipWriter(4096);
  d.writeRequestLine(w, method);
  d.writeHeaders(w, method, d.nextLocalSeq());
  expect(w.overflow).toBe(false);
  return new TextDecoder().decode(w.buf.subarray(0, w.pos));
}

/** Route header values of a written request, in order. */
function routesOf(text: string): string[] {
  return text.split("\r\n").filter((l) => l.startsWith("Route: ")).map((l) => l.slice(7));
}

const OUR_TAG = "5f0e1c2b3a497d86";
const tagBytes = enc(OUR_TAG);

// Dialog state as real PBXs send it (shapes of Asterisk, FreeSWITCH, Kamailio, FRITZ!Box, 3CX traces).
const PBXS = [
  { name: "Asterisk (PJSIP)", callId: "1b7c9e26-30c4-4d1e-b0a2-5de7c3f2a419", fromTag: "2f3d5c9a-80b1-4e0f-9d4e-61b7a2c8e5f0", contact: "sip:asterisk@192.0.2.10:5060", rr: [] as string[] },
  { name: "FreeSWITCH", callId: "8d2b0f4e-6a1c-4b93-a7e5-0c3f9d1e2b74", fromTag: "Hy0r9Fp6NcB3K", contact: "sip:mod_sofia@192.0.2.10:5080;transport=udp;gw=provider", rr: [] },
  {
    name: "Kamailio in front of Asterisk, double record-route",
    callId: "7e6d5c4b3a29180716f5e4d3c2b1a098@192.0.2.10:5060",
    fromTag: "as5c2e7f1b",
    contact: "sip:asterisk@10.0.0.10:5060",
    rr: ["<sip:192.0.2.20;r2=on;lr;ftag=as5c2e7f1b;did=3f2.a1c4;nat=yes>", "<sip:10.0.0.20;r2=on;lr;ftag=as5c2e7f1b;did=3f2.a1c4;nat=yes>"],
  },
  { name: "FRITZ!Box", callId: "B8A6F2D03C9E1475@192.168.178.1", fromTag: "8F3A1C6E9D2B4A70", contact: "sip:**620@192.168.178.1;uniq=1F2E3D4C5B6A79880F1E2D3C4B5A6978", rr: [] },
  { name: "3CX", callId: "ZDU4ZjBmMWY5NTc0ZTY3OTA1MzA1YjY4YjM0MjE2N2E.", fromTag: "b9e3a1f2", contact: "sip:100@192.0.2.30:5060;rinstance=3f5a9c1e7b2d4a60", rr: ["<sip:192.0.2.30:5060;lr>"] },
];

describe("a Dialog over its store, with the route set alongside", () => {
  for (const pbx of PBXS) {
    it(`UAS: a dialog of ${pbx.name} fits, with room to spare`, () => {
      const d = new Dialog();
      const req = invite({ callId: pbx.callId, fromTag: pbx.fromTag, contact: pbx.contact, recordRoutes: pbx.rr });
      expect(d.initUas(req, tagBytes, 0, tagBytes.length)).toBe(true);
      expect(d.callId.toString()).toBe(pbx.callId);
      expect(d.remoteTag.toString()).toBe(pbx.fromTag);
      expect(d.localTag.toString()).toBe(OUR_TAG);
      expect(d.remoteTarget.toString()).toBe(pbx.contact);
      expect(d.routes.count).toBe(pbx.rr.length);
      for (let i = 0; i < pbx.rr.length; i++) expect(d.routes.routeString(i)).toBe(pbx.rr[i]);
      // Room for the same again: the store is sized with headroom over real dialogs.
      expect(2 * d.store.used).toBeLessThan(DIALOG_STORE_BYTES);
      const bye = request(d, Method.BYE);
      expect(bye.startsWith(`BYE ${pbx.contact} SIP/2.0\r\n`)).toBe(true);
      expect(routesOf(bye)).toEqual(pbx.rr);
      expect(bye).toContain(`From: <sip:door@pbx.example.net>;tag=${OUR_TAG}\r\n`);
      expect(bye).toContain(`To: <sip:100@pbx.example.net>;tag=${pbx.fromTag}\r\n`);
      expect(bye).toContain(`Call-ID: ${pbx.callId}\r\n`);
    });
  }

  it("a target refresh (§12.2) longer then shorter keeps Call-ID, tags, URIs and routes", () => {
    const rr = ["<sip:192.0.2.20;lr;ftag=abc>", "<sip:198.51.100.1;lr>", "<sip:203.0.113.9:5070;lr;transport=udp>"];
    const d = new Dialog();
    const callId = "c0ffee-1234@192.0.2.10";
    expect(d.initUas(invite({ callId, fromTag: "t1", contact: "sip:100@192.0.2.10", recordRoutes: rr }), tagBytes, 0, tagBytes.length)).toBe(true);
    d.confirm();
    const long = "sip:100@192.0.2.10:5060;transport=udp;ob;rinstance=" + "9".repeat(120);
    for (const contact of [long, "sip:1@h", "sip:100@192.0.2.11:5062"]) {
      const re = invite({ callId, fromTag: "t1", contact, recordRoutes: [], cseq: 103, toTag: OUR_TAG });
      expect(d.matchesRequest(re)).toBe(true);
      expect(d.refreshTarget(re)).toBe(true);
      expect(d.remoteTarget.toString()).toBe(contact);
      expect(d.callId.toString()).toBe(callId);
      expect(d.localTag.toString()).toBe(OUR_TAG);
      expect(d.remoteTag.toString()).toBe("t1");
      expect(d.localUri.toString()).toBe("sip:door@pbx.example.net");
      expect(d.remoteUri.toString()).toBe("sip:100@pbx.example.net");
      expect(routesOf(request(d, Method.BYE))).toEqual(rr);
      // The next hop is still the first route (§12.2.1.1).
      expect(d.hop.address).toBe("192.0.2.20");
    }
  });

  it("UAC: early dialog, then the 2xx with the same tag and a new route set and target (§13.2.2.4); strict routing alongside", () => {
    const d = new Dialog();
    const callId = "a84b1c2d9e0f4a3b@door";
    expect(setText(d.localTag, OUR_TAG)).toBe(true);
    expect(setText(d.callId, callId)).toBe(true);
    expect(setText(d.localUri, "sip:door@pbx.example.net")).toBe(true);
    expect(setText(d.remoteUri, "sip:100@pbx.example.net")).toBe(true);
    d.restartUac(7);
    const early = response(180, { callId, localTag: OUR_TAG, toTag: "peer-9", contact: "sip:100@192.0.2.10", recordRoutes: ["<sip:192.0.2.20;lr>"] });
    expect(d.fromResponse(early)).toBe(true);
    expect(d.matchesResponse(early)).toBe(true);
    expect(d.state).toBe(DialogState.Early);
    expect(d.routes.count).toBe(1);
    // UAC: Record-Route reversed (§12.1.2); the first route strict (no ;lr).
    const rr = ["<sip:192.0.2.20;lr>", "<sip:proxy.example.net;maddr=198.51.100.1>"];
    const ok = response(200, { callId, localTag: OUR_TAG, toTag: "peer-9", contact: "sip:100@192.0.2.10:5060;transport=udp", recordRoutes: rr });
    expect(d.fromResponse(ok)).toBe(true);
    expect(d.state).toBe(DialogState.Confirmed);
    expect(d.remoteTag.toString()).toBe("peer-9");
    expect(d.routes.count).toBe(2);
    expect(d.routes.routeString(0)).toBe(rr[1]);
    expect(d.routes.routeString(1)).toBe(rr[0]);
    expect(d.routes.loose).toBe(false);
    const bye = request(d, Method.BYE);
    // §12.2.1.1 strict routing: the Request-URI is the first route's URI, the remote target the last Route.
    expect(bye.startsWith("BYE sip:proxy.example.net;maddr=198.51.100.1 SIP/2.0\r\n")).toBe(true);
    expect(routesOf(bye)).toEqual([rr[0], "<sip:100@192.0.2.10:5060;transport=udp>"]);
    expect(d.callId.toString()).toBe(callId);
    expect(d.localTag.toString()).toBe(OUR_TAG);
    expect(d.localUri.toString()).toBe("sip:door@pbx.example.net");
    expect(d.remoteUri.toString()).toBe("sip:100@pbx.example.net");
    // A 2xx from another fork (another tag) does not touch this dialog.
    const other = response(200, { callId, localTag: OUR_TAG, toTag: "peer-10", contact: "sip:200@192.0.2.99", recordRoutes: [] });
    expect(d.fromResponse(other)).toBe(false);
    expect(d.remoteTag.toString()).toBe("peer-9");
    expect(d.remoteTarget.toString()).toBe("sip:100@192.0.2.10:5060;transport=udp");
    expect(d.routes.count).toBe(2);
  });

  it("a route set over MAX_ROUTES, over ROUTE_BYTES, or over the store's room is refused: no dialog (the caller answers 400)", () => {
    const hop = (i: number, pad: number): string => `<sip:10.0.0.${i};lr;x=${"p".repeat(pad)}>`;
    const tooMany = Array.from({ length: MAX_ROUTES + 1 }, (_, i) => hop(i, 1));
    const tooLong = Array.from({ length: 4 }, (_, i) => hop(i, Math.ceil(ROUTE_BYTES / 4)));
    const d = new Dialog();
    for (const rr of [tooMany, tooLong]) {
      expect(d.initUas(invite({ callId: "x@y", fromTag: "t", contact: "sip:a@192.0.2.1", recordRoutes: rr }), tagBytes, 0, tagBytes.length)).toBe(false);
      expect(d.routes.count).toBe(0);
    }
    // Just under MAX_ROUTES and ROUTE_BYTES: taken.
    const fits = Array.from({ length: MAX_ROUTES }, (_, i) => hop(i, Math.floor(ROUTE_BYTES / MAX_ROUTES) - 30));
    expect(fits.join("").length).toBeLessThanOrEqual(ROUTE_BYTES);
    expect(d.initUas(invite({ callId: "x@y", fromTag: "t", contact: "sip:a@192.0.2.1", recordRoutes: fits }), tagBytes, 0, tagBytes.length)).toBe(true);
    expect(d.routes.count).toBe(MAX_ROUTES);
    // Routes within ROUTE_BYTES, but the store without room for them next to a long Call-ID, tag and remote URI.
    const longUri = "sip:" + "u".repeat(200) + "@192.0.2.1";
    const longCallId = "c".repeat(CALL_ID_BYTES);
    const fromTag = "f".repeat(TAG_BYTES);
    const used = OUR_TAG.length + longCallId.length + fromTag.length + "sip:door@pbx.example.net".length + longUri.length;
    expect(used).toBeLessThan(DIALOG_STORE_BYTES);
    expect(used + fits.join("").length).toBeGreaterThan(DIALOG_STORE_BYTES);
    const req = invite({ callId: longCallId, fromTag, contact: "sip:a@192.0.2.1", recordRoutes: fits, fromUri: longUri });
    expect(d.initUas(req, tagBytes, 0, tagBytes.length)).toBe(false);
    expect(d.routes.count).toBe(0);
    expect(d.store.used).toBeLessThanOrEqual(DIALOG_STORE_BYTES);
    // The tag set first is still there for the 400 (§8.2.6.2).
    expect(d.localTag.toString()).toBe(OUR_TAG);
  });

  it("initUas takes the tag a call wrote into the dialog's own local tag (at byte 0) without losing it", () => {
    const d = new Dialog();
    d.reset();
    const at = d.localTag.reserve(tagBytes.length);
    expect(at).toBe(0);
    d.localTag.bytes.set(tagBytes, at);
    const req = invite({ callId: "self@h", fromTag: "r", contact: "sip:a@192.0.2.1", recordRoutes: ["<sip:192.0.2.20;lr>"] });
    expect(d.initUas(req, d.localTag.bytes, d.localTag.start, d.localTag.len)).toBe(true);
    expect(d.localTag.toString()).toBe(OUR_TAG);
    expect(d.localTag.start).toBe(0);
    expect(d.callId.toString()).toBe("self@h");
  });
});
