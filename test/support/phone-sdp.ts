/*
 * The desk phone's SDP in the scripted call tests: G.711 (PCMU, PCMA) and
 * telephone-event (RFC 4733) on port 49170, sendrecv, as offer or answer
 * (RFC 3264). Pure TypeScript, no Node module: the call harness on Node
 * (call-harness.ts) and the scripted peer bundled into XS
 * (test/xs/fixtures/virtual-peer.ts) both take it from here.
 */

/** The phone's session description, with `address` in o= and c= (RFC 4566 §5.2, §5.7). */
export function phoneSdp(address: string): string {
  return [
    "v=0",
    "o=phone 2890844526 2890844526 IN IP4 " + address,
    "s=-",
    "c=IN IP4 " + address,
    "t=0 0",
    "m=audio 49170 RTP/AVP 0 8 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendrecv",
    "",
  ].join("\r\n");
}
