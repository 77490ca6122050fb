/*
 * "PBX personalities": what Asterisk (chan_pjsip), FreeSWITCH (mod_sofia),
 * a FRITZ!Box and 3CX send to a registered phone, as SIPp scenarios built
 * from data. None of the four is packaged in Debian, so they cannot run
 * here; SIPp replays their messages at the door instead (test/interop-pbx.test.ts,
 * against the Node door and the door's core inside XS). Each personality
 * names the public traces and source it was modelled on (`sources`); where
 * a detail is not in those sources it says "assumed" and why.
 *
 * The PBX is the door's registrar: SIPp runs on the port the door's account
 * names (registrarPort), so the door trusts it as it trusts its real PBX
 * (src/ua/trust), and the doorbell's INVITE goes there.
 *
 * Scenario builders (each returns the XML of one SIPp scenario):
 * - pbxCallsDoor: the PBX's INVITE (its headers, its SDP offer), the door's
 *   100/180/200, ACK, the door code as the PBX relays it (RFC 4733 events
 *   from SIPp's own dtmf_2833_pound.pcap, or SIP INFO), then PBX-specific
 *   in-dialog requests (re-INVITEs, UPDATE), then the PBX's BYE (with its
 *   Reason) or, with `doorHangsUp`, the door's BYE to the PBX's Contact;
 * - pbxCancels: the PBX rings the door and cancels (a ring group answered
 *   elsewhere: Reason: SIP;cause=200, RFC 3326);
 * - qualify: the PBX's keepalive OPTIONS;
 * - mwiNotify: an unsolicited message-summary NOTIFY outside any dialog
 *   (RFC 3842 without a SUBSCRIBE);
 * - pbxEarlyUpdate: a connected-line UPDATE in the early dialog;
 * - pbxRequiresTimer: an INVITE with Require: timer (RFC 4028), then a session refresh by UPDATE;
 * - pbxAnswersDoorbell: SIPp as the PBX answering the door's INVITE: its
 *   challenge (401 or 407, as each PBX words it), 100, its provisional
 *   responses (180, 183 with early media, reliable 183 with PRACK), the 200
 *   with its Contact and SDP, the door code, and the door's BYE.
 */

/** SIPp's own RFC 4733 capture of a "#" (payload type 101, event 11, three end packets), from Debian's sip-tester. */
export const POUND_PCAP = "/usr/share/sip-tester/dtmf_2833_pound.pcap";

export type PbxId = "asterisk" | "freeswitch" | "fritzbox" | "3cx";

/** How the PBX relays the key the person on the phone pressed. */
export type DtmfRelay = "rfc4733" | "info";

/** What the PBX says to the door's unauthenticated INVITE. */
export interface PbxChallenge {
  status: 401 | 407;
  reason: string;
  /** The whole header line(s): WWW-Authenticate or Proxy-Authenticate, as the PBX writes them. */
  lines: string[];
}

/** One in-dialog request the PBX sends while the call is up (after the door code). */
export interface InCallRequest {
  /** For the test's name and the scenario's comment. */
  what: string;
  method: "INVITE" | "UPDATE";
  /** Extra header lines. */
  headers: string[];
  /** SDP body lines (none: a request without a body). */
  sdp?: string[];
  /** An INVITE without an offer: the door offers in its 200 and the PBX answers in the ACK (RFC 3264 §4, RFC 3261 §13.2.1). */
  ackSdp?: string[];
}

export interface PbxPersonality {
  id: PbxId;
  name: string;
  /** Where each detail comes from (URLs, repositories and paths, or "assumed: why"). */
  sources: string[];
  /** The extension the doorbell calls at this PBX. */
  extension: string;
  /** User-Agent of its requests. */
  userAgent: string;
  /** Its requests' Contact (SIPp keywords allowed). */
  contact: string;
  /** Headers of its INVITE to a phone, after CSeq (Contact, Allow, Supported, timers, identities, X- headers...). */
  inviteHeaders: string[];
  /** Its SDP offer to a phone (SIPp keywords for address and port). */
  offer: string[];
  /** The payload type it offers for telephone-event/8000 (the door must answer with it). */
  eventPt: number;
  /** The codec the door must pick: the first G.711 in the offer's order (RFC 3264 §6.1, src/sip/sdp). */
  g711Pt: 0 | 8;
  dtmf: DtmfRelay;
  /** Headers of its BYE (Reason...). */
  byeHeaders: string[];
  /** Its qualify OPTIONS: Request-URI user and extra headers. */
  qualifyHeaders: string[];
  /** What it does while the call is up, in order (after the door code, before the BYE). */
  inCall: InCallRequest[];
  /** Its challenge to the door's INVITE. */
  challenge: PbxChallenge;
  /**
   * Provisional responses it sends the door before the 200: "180", "181" (forwarded, with Diversion),
   * "183" (early media SDP), "183-100rel" (reliable, PRACK).
   */
  provisional: ("180" | "181" | "183" | "183-100rel")[];
  /** Whether its 200 repeats the SDP answer when a reliable 183 already carried it (RFC 3262 §5: pjsip does not). */
  answerSdpIn200: boolean;
  /** How it writes Content-Length (pjsip pads the value to a fixed width: "Content-Length:   312"). */
  lengthHeader: string;
  /** It challenges the phone's BYE too, with a fresh nonce each time (the challenge's status and header line). */
  byeChallenge?: PbxChallenge;
  /** Headers of its 200 to the door's INVITE, and its Contact there. */
  answerHeaders: string[];
  answerContact: string;
  /** Its SDP answer to the door's offer. */
  answerSdp: string[];
}

// ------------------------------------------------------------------ the four PBXes

/**
 * Asterisk 14-20 with chan_pjsip (res_pjsip): the INVITE of a Dial() to a
 * phone, qualify OPTIONS, a 401 (not 407) to a phone's INVITE with
 * opaque and qop, Q.850 Reason in its BYE, direct_media re-INVITEs and
 * connected-line UPDATE, unsolicited MWI.
 */
export const ASTERISK: PbxPersonality = {
  id: "asterisk",
  name: "Asterisk (chan_pjsip)",
  sources: [
    "pjsip logger trace of Asterisk PBX 14.7.7 (Dial to a Zoiper phone; 401 to the phone's INVITE; BYE with Reason: Q.850;cause=16): " +
      "a public GitHub homework repository (Otus, 'простая связь через pjsip', built with github.com/erlong15/tls-asterisk14-ansible)",
    "Asterisk PBX 20.6.0 INVITE (Supported: 100rel, timer, replaces, norefersub, histinfo; Content-Length with three spaces): a public Rust SIP parser's fixture from an NTT NGN pcap",
    "OPTIONS 200 of FreePBX 16 / Asterisk 18.13 (Accept list, Supported, Server): a public sipsak-compatible test server",
    "res/res_pjsip/pjsip_options.c (asterisk/asterisk): qualify OPTIONS to each contact of an AOR every qualify_frequency",
    "res/res_pjsip_session.c / res_pjsip_sdp_rtp.c: direct_media re-INVITE (c= of the other phone), hold as a=sendonly, connected line by UPDATE when the peer allows it (trust_connected_line/send_connected_line) - assumed from the options' documentation, not captured",
    "res/res_pjsip_mwi.c: unsolicited MWI NOTIFY (mailboxes= on the endpoint, no SUBSCRIBE), Event: message-summary, Subscription-State: terminated - format assumed from RFC 3842 §5.1",
  ],
  extension: "6001",
  userAgent: "Asterisk PBX 20.6.0",
  contact: "<sip:asterisk@[local_ip]:[local_port]>",
  inviteHeaders: [
    "Contact: <sip:asterisk@[local_ip]:[local_port]>",
    "Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, INFO, MESSAGE, REFER",
    "Supported: 100rel, timer, replaces, norefersub, histinfo",
    "Session-Expires: 1800",
    "Min-SE: 90",
    "P-Asserted-Identity: \"Front desk\" <sip:6001@[local_ip]>",
    "Max-Forwards: 70",
    "User-Agent: Asterisk PBX 20.6.0",
  ],
  offer: [
    "v=0",
    "o=- 1791768709 1791768709 IN IP[local_ip_type] [local_ip]",
    "s=Asterisk",
    "c=IN IP[media_ip_type] [media_ip]",
    "t=0 0",
    "m=audio [media_port] RTP/AVP 8 0 3 9 101",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:3 GSM/8000",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=ptime:20",
    "a=maxptime:150",
    "a=sendrecv",
  ],
  eventPt: 101,
  g711Pt: 8,
  dtmf: "rfc4733",
  byeHeaders: ["Reason: Q.850;cause=16", "Max-Forwards: 70", "User-Agent: Asterisk PBX 20.6.0"],
  qualifyHeaders: ["Contact: <sip:asterisk@[local_ip]:[local_port]>", "Max-Forwards: 70", "User-Agent: Asterisk PBX 20.6.0"],
  inCall: [
    {
      // direct_media=yes: once the bridge is native, Asterisk re-INVITEs the phone with the other phone's address.
      what: "direct_media re-INVITE (the other phone's address and port)",
      method: "INVITE",
      headers: ["Supported: 100rel, timer, replaces, norefersub, histinfo", "Session-Expires: 1800;refresher=uac", "Min-SE: 90"],
      sdp: [
        "v=0", "o=- 1791768709 1791768710 IN IP4 [local_ip]", "s=Asterisk", "c=IN IP4 127.0.0.1", "t=0 0",
        "m=audio 40960 RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
        "a=ptime:20", "a=maxptime:150", "a=sendrecv",
      ],
    },
    {
      // The other side pressed hold (moh_passthrough / direct media): sendonly towards the phone.
      what: "hold re-INVITE (a=sendonly)",
      method: "INVITE",
      headers: [],
      sdp: [
        "v=0", "o=- 1791768709 1791768711 IN IP4 [local_ip]", "s=Asterisk", "c=IN IP4 127.0.0.1", "t=0 0",
        "m=audio 40960 RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
        "a=ptime:20", "a=maxptime:150", "a=sendonly",
      ],
    },
    {
      // A transfer on the other side: the connected line is sent by UPDATE without a body (the phone allows UPDATE).
      what: "connected-line UPDATE (no body, new P-Asserted-Identity)",
      method: "UPDATE",
      headers: ["P-Asserted-Identity: \"Reception\" <sip:6002@[local_ip]>"],
    },
  ],
  challenge: {
    status: 401,
    reason: "Unauthorized",
    lines: [
      // Asterisk 14 writes two spaces after Digest and algorithm in lower case; its nonce is "<time>/<hash>".
      "WWW-Authenticate: Digest  realm=\"asterisk\",nonce=\"1536747481/da7497c5714dc8d1307ec3f773a5e121\",opaque=\"283dd1d9643e4cf8\",algorithm=md5,qop=\"auth\"",
    ],
  },
  // Dial() to a phone that forwards (res_pjsip_diversion: 181 with Diversion), then the phone's early media, reliably.
  provisional: ["181", "183-100rel"],
  answerSdpIn200: false,
  lengthHeader: "Content-Length:   ",
  answerHeaders: [
    "Server: Asterisk PBX 20.6.0",
    "Allow: OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, INFO, MESSAGE, REFER",
    "Supported: 100rel, timer, replaces, norefersub",
  ],
  // Asterisk's Contact in its answers to a phone has no user part.
  answerContact: "<sip:[local_ip]:[local_port]>",
  answerSdp: [
    "v=0", "o=- 0 2 IN IP[local_ip_type] [local_ip]", "s=Asterisk", "c=IN IP[media_ip_type] [media_ip]", "t=0 0",
    "m=audio [media_port] RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
    "a=ptime:20", "a=maxptime:150", "a=sendrecv",
  ],
};

/**
 * FreeSWITCH 1.10 (mod_sofia): its INVITE to a registered phone, with
 * Remote-Party-ID, X-FS-Support, Allow-Events, a session timer it
 * refreshes, telephone-event at three clock rates, rtcp-mux; a 407 to the
 * phone's INVITE; 183 with early media (ringback) before the 200.
 */
export const FREESWITCH: PbxPersonality = {
  id: "freeswitch",
  name: "FreeSWITCH (mod_sofia)",
  sources: [
    "FreeSWITCH-mod_sofia/1.8.5 INVITE to a phone (PCMA PCMU SPEEX, telephone-event/8000, /16000, /32000, fmtp 0-16; Contact <sip:mod_sofia@...>): an ESP32 SIP client's README trace in a public GitHub repository",
    "FreeSWITCH INVITE with Session-Expires: 7200;refresher=uac, Min-SE: 1800, G722 PCMA, a=rtcp-mux, a=rtcp: a babblevoice project source comment on GitHub",
    "FreeSWITCH-mod_sofia/1.10.12 INVITE (Supported: timer, path, replaces; Session-Expires: 120;refresher=uac; Min-SE: 120): a public WebRTC bridge write-up on GitHub",
    "src/mod/endpoints/mod_sofia/sofia.c (signalwire/freeswitch): 407 Proxy-Authenticate for INVITE (auth-calls), nat-options-ping / all-reg-options-ping OPTIONS",
    "assumed: Reason: SIP;cause=200;text=\"Call completed elsewhere\" on CANCEL of a ring group's other legs (RFC 3326, what mod_sofia sends for LOSE_RACE)",
  ],
  extension: "1000",
  userAgent: "FreeSWITCH-mod_sofia/1.10.12-release~64bit",
  contact: "<sip:mod_sofia@[local_ip]:[local_port]>",
  inviteHeaders: [
    "Contact: <sip:mod_sofia@[local_ip]:[local_port]>",
    "User-Agent: FreeSWITCH-mod_sofia/1.10.12-release~64bit",
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY, PUBLISH, SUBSCRIBE",
    "Supported: timer, path, replaces",
    "Allow-Events: talk, hold, conference, presence, as-feature-event, dialog, line-seize, call-info, sla, include-session-description, presence.winfo, message-summary, refer",
    "Session-Expires: 120;refresher=uac",
    "Min-SE: 120",
    "Content-Disposition: session",
    "X-FS-Support: update_display,send_info",
    "Remote-Party-ID: \"Extension 1000\" <sip:1000@[local_ip]>;party=calling;screen=yes;privacy=off",
    "Max-Forwards: 69",
  ],
  offer: [
    "v=0",
    "o=FreeSWITCH 1592283967 1592283968 IN IP[local_ip_type] [local_ip]",
    "s=FreeSWITCH",
    "c=IN IP[media_ip_type] [media_ip]",
    "t=0 0",
    "m=audio [media_port] RTP/AVP 9 8 0 96 102 101 104 13",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:96 SPEEX/16000",
    "a=rtpmap:102 telephone-event/16000",
    "a=fmtp:102 0-16",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=rtpmap:104 telephone-event/32000",
    "a=fmtp:104 0-16",
    "a=rtpmap:13 CN/8000",
    "a=rtcp-mux",
    // The traces also carry a=rtcp:<the RTP port> IN IP4 <address>; SIPp substitutes [media_port] on m= lines only.
    "a=ptime:20",
  ],
  eventPt: 101,
  g711Pt: 8,
  dtmf: "info",
  byeHeaders: [
    "Max-Forwards: 70",
    "User-Agent: FreeSWITCH-mod_sofia/1.10.12-release~64bit",
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY, PUBLISH, SUBSCRIBE",
    "Supported: timer, path, replaces",
    "Reason: Q.850;cause=16;text=\"NORMAL_CLEARING\"",
  ],
  qualifyHeaders: ["Max-Forwards: 70", "User-Agent: FreeSWITCH-mod_sofia/1.10.12-release~64bit", "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY, PUBLISH, SUBSCRIBE", "Supported: timer, path, replaces"],
  inCall: [
    {
      // RFC 4028 §10: the refresher (uac) re-INVITEs before Session-Expires; the SDP is the same (same o= version).
      what: "session refresh re-INVITE (Session-Expires: 120;refresher=uac, same SDP)",
      method: "INVITE",
      headers: ["Supported: timer, path, replaces", "Session-Expires: 120;refresher=uac", "Min-SE: 120", "Content-Disposition: session"],
      sdp: [
        "v=0", "o=FreeSWITCH 1592283967 1592283968 IN IP4 [local_ip]", "s=FreeSWITCH", "c=IN IP4 [media_ip]", "t=0 0",
        "m=audio [media_port] RTP/AVP 9 8 0 96 102 101 104 13", "a=rtpmap:9 G722/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:96 SPEEX/16000", "a=rtpmap:102 telephone-event/16000", "a=fmtp:102 0-16", "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16", "a=rtpmap:104 telephone-event/32000", "a=fmtp:104 0-16", "a=rtpmap:13 CN/8000", "a=rtcp-mux", "a=ptime:20",
      ],
    },
    {
      // uuid_media (leaving bypass media) and 3pcc re-INVITE without SDP: the phone offers, FreeSWITCH answers in the ACK.
      what: "re-INVITE without SDP (uuid_media / 3pcc), the answer in the ACK",
      method: "INVITE",
      headers: ["Supported: timer, path, replaces", "Session-Expires: 120;refresher=uac", "Min-SE: 120"],
      ackSdp: [
        "v=0", "o=FreeSWITCH 1592283967 1592283969 IN IP4 [local_ip]", "s=FreeSWITCH", "c=IN IP4 [media_ip]", "t=0 0",
        "m=audio [media_port] RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20",
      ],
    },
  ],
  challenge: {
    status: 407,
    reason: "Proxy Authentication Required",
    lines: ["Proxy-Authenticate: Digest realm=\"doorsip.test\", nonce=\"8e3b4a3c-95b4-4bd4-a1f1-7d1d0c6d2b1e\", algorithm=MD5, qop=\"auth\""],
  },
  provisional: ["183"],
  answerSdpIn200: true,
  lengthHeader: "Content-Length: ",
  answerHeaders: [
    "User-Agent: FreeSWITCH-mod_sofia/1.10.12-release~64bit",
    "Accept: application/sdp",
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY, PUBLISH, SUBSCRIBE",
    "Supported: timer, path, replaces",
    "Allow-Events: talk, hold, conference, presence, as-feature-event, dialog, line-seize, call-info, sla, include-session-description, presence.winfo, message-summary, refer",
    "Content-Disposition: session",
    "Remote-Party-ID: \"1000\" <sip:1000@[local_ip]>;party=calling;privacy=off;screen=no",
  ],
  answerContact: "<sip:1000@[local_ip]:[local_port];transport=udp>",
  answerSdp: [
    "v=0", "o=FreeSWITCH 1700000000 1700000001 IN IP[local_ip_type] [local_ip]", "s=FreeSWITCH", "c=IN IP[media_ip_type] [media_ip]", "t=0 0",
    "m=audio [media_port] RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20",
  ],
};

/**
 * A FRITZ!Box (FRITZ!OS 7) as the registrar of an "IP-Telefon": a 401
 * with a bare RFC 2069 challenge (no qop, no algorithm) to every request
 * of the phone, the INVITE too; User-Agent FRITZ!OS; internal numbers
 * such as **610 (the first DECT handset).
 */
export const FRITZBOX: PbxPersonality = {
  id: "fritzbox",
  name: "FRITZ!Box",
  sources: [
    "FRITZ!Box 401 to a doorbell's INVITE to **613: WWW-Authenticate: Digest realm=\"fritz.box\", nonce=\"FC42F7580DB7F4CE\" (no qop, no algorithm), User-Agent: FRITZ!OS: a public PowerShell doorbell script on GitHub",
    "github.com/BelledonneCommunications/linphone-desktop/issues/118: a FRITZ!Box 401 to an INVITE, same form",
    "github.com/pquiring/javaforce/issues/4: AVM support's analysis: FRITZ!OS 7.20 answers an ACK to its 401 that it cannot match with 481 and blocks the client",
    "github.com/chrta/sip_call/pull/47: with telephone-event in the phone's SDP the FRITZ!Box relays keys as RFC 2833, otherwise as SIP INFO",
    "github.com/tmakkonen/sipcmd/issues/52: FRITZ!OS 6.80 offers G.722 and PCMA before PCMU, a=maxptime",
    "assumed (no capture found): the FRITZ!Box INVITE's header set (Allow, Supported without timer, Contact with a uniq= parameter naming the line), its SDP order (G722 PCMA PCMU telephone-event 101 0-15), and its OPTIONS keepalive; checked by the door keeping the Contact's parameters as its remote target",
  ],
  extension: "**610",
  userAgent: "FRITZ!OS",
  contact: "<sip:**611@[local_ip]:[local_port];uniq=8F2EA1E07B7C3C1E>",
  inviteHeaders: [
    "Contact: <sip:**611@[local_ip]:[local_port];uniq=8F2EA1E07B7C3C1E>",
    "Max-Forwards: 70",
    "Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, UPDATE, PRACK, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE, PUBLISH",
    "Supported: 100rel, replaces",
    "User-Agent: FRITZ!OS",
  ],
  offer: [
    "v=0",
    "o=user 16264 18299 IN IP[local_ip_type] [local_ip]",
    "s=call",
    "c=IN IP[media_ip_type] [media_ip]",
    "t=0 0",
    "m=audio [media_port] RTP/AVP 9 8 0 101",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=sendrecv",
    "a=maxptime:20",
  ],
  eventPt: 101,
  g711Pt: 8,
  dtmf: "rfc4733",
  byeHeaders: ["Max-Forwards: 70", "User-Agent: FRITZ!OS"],
  qualifyHeaders: ["Max-Forwards: 70", "User-Agent: FRITZ!OS"],
  inCall: [],
  challenge: {
    status: 401,
    reason: "Unauthorized",
    lines: ["WWW-Authenticate: Digest realm=\"fritz.box\", nonce=\"FC42F7580DB7F4CE\""],
  },
  provisional: ["180"],
  answerSdpIn200: true,
  lengthHeader: "Content-Length: ",
  answerHeaders: ["User-Agent: FRITZ!OS", "Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, UPDATE, PRACK, INFO, SUBSCRIBE, NOTIFY, REFER, MESSAGE, PUBLISH", "Supported: 100rel, replaces"],
  answerContact: "<sip:**610@[local_ip]:[local_port];uniq=1C2B3A49D8E7F605>",
  answerSdp: [
    "v=0", "o=user 5184 5184 IN IP[local_ip_type] [local_ip]", "s=call", "c=IN IP[media_ip_type] [media_ip]", "t=0 0",
    "m=audio [media_port] RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=sendrecv",
  ],
};

/**
 * 3CX (V18-V20): a 407 with the nonce first and no qop, Contact with the
 * extension at the PBX's address, an o= line whose numbers exceed 32 bits,
 * telephone-event events "0-11,16", and a 182 Queued while a queue rings.
 */
export const THREECX: PbxPersonality = {
  id: "3cx",
  name: "3CX",
  sources: [
    "3CXPhoneSystem 11 407: Proxy-Authenticate: Digest nonce=\"414d535c079daad234:38465ad0db9a18427774f51f1dcb7ab3\",algorithm=MD5,realm=\"3CXPhoneSystem\": a public blog post on GitHub Pages (NAT and 3CX)",
    "3CXPhoneSystem 18.0.7.312 180 and 200 to a phone's INVITE (Contact <sip:1501@PBX:5060>, Supported: replaces, timer, o=3cxPS 258335571968 280582160385, a=fmtp:101 0-11,16) and its BYE: a public Python SIP test tool's fixtures",
    "3CXPhoneSystem 20.0.9.995 REGISTER (Allow, Supported: replaces, timer): a public kamailio/openvno note on GitHub",
    "the same fixtures: the phone's BYE to 3CX carries Proxy-Authorization with a nonce other than its INVITE's: 3CX challenges each request of the phone, the BYE too, with a fresh nonce",
    "assumed: the INVITE 3CX sends a phone mirrors its 200's header set and SDP; its OPTIONS keepalive to phones",
  ],
  extension: "100",
  userAgent: "3CXPhoneSystem 20.0.9.995 (995)",
  contact: "<sip:100@[local_ip]:[local_port]>",
  inviteHeaders: [
    "Contact: <sip:100@[local_ip]:[local_port]>",
    "Max-Forwards: 70",
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REGISTER, SUBSCRIBE, NOTIFY, REFER, INFO, MESSAGE, UPDATE",
    "Supported: replaces, timer",
    "User-Agent: 3CXPhoneSystem 20.0.9.995 (995)",
  ],
  offer: [
    "v=0",
    "o=3cxPS 258335571968 280582160385 IN IP[local_ip_type] [local_ip]",
    "s=3cxPS Audio call",
    "c=IN IP[media_ip_type] [media_ip]",
    "t=0 0",
    "m=audio [media_port] RTP/AVP 0 8 9 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:9 G722/8000",
    "a=ptime:20",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-11,16",
    "a=sendrecv",
  ],
  eventPt: 101,
  g711Pt: 0,
  dtmf: "rfc4733",
  byeHeaders: ["Max-Forwards: 70", "User-Agent: 3CXPhoneSystem 20.0.9.995 (995)"],
  qualifyHeaders: ["Max-Forwards: 70", "User-Agent: 3CXPhoneSystem 20.0.9.995 (995)"],
  inCall: [],
  challenge: {
    status: 407,
    reason: "Proxy Authentication Required",
    lines: ["Proxy-Authenticate: Digest nonce=\"414d535c1a469adb00:3f36141d11099417778c7f314279a418\",algorithm=MD5,realm=\"3CXPhoneSystem\""],
  },
  provisional: ["180"],
  answerSdpIn200: true,
  lengthHeader: "Content-Length: ",
  answerHeaders: [
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REGISTER, SUBSCRIBE, NOTIFY, REFER, INFO, MESSAGE, UPDATE",
    "Supported: replaces, timer",
    "User-Agent: 3CXPhoneSystem 20.0.9.995 (995)",
  ],
  answerContact: "<sip:100@[local_ip]:[local_port]>",
  byeChallenge: {
    status: 407,
    reason: "Proxy Authentication Required",
    lines: ["Proxy-Authenticate: Digest nonce=\"414d535c1a46de1911:ec8ada1a3ce6ce91709694a83ebde231\",algorithm=MD5,realm=\"3CXPhoneSystem\""],
  },
  answerSdp: [
    "v=0", "o=3cxPS 258335571968 280582160385 IN IP[local_ip_type] [local_ip]", "s=3cxPS Audio call", "c=IN IP[media_ip_type] [media_ip]", "t=0 0",
    "m=audio [media_port] RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=ptime:20", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-11,16", "a=sendrecv",
  ],
};

export const PBXES: readonly PbxPersonality[] = [ASTERISK, FREESWITCH, FRITZBOX, THREECX];

// ------------------------------------------------------------------ XML pieces

/** XML-comment-safe text (no "--"). */
function comment(lines: string[]): string {
  return lines.map((l) => `  ${l.replace(/--/g, "- -")}`).join("\n");
}

function scenario(name: string, about: string[], body: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!--
${comment(about)}
-->
<scenario name="${name}">
${body}
</scenario>
`;
}

function cdata(lines: string[]): string {
  return `    <![CDATA[

${lines.map((l) => `      ${l}`).join("\n")}

    ]]>`;
}

function send(lines: string[], retrans = true): string {
  return `  <send${retrans ? ` retrans="500"` : ""}>\n${cdata(lines)}\n  </send>`;
}

function withBody(headers: string[], sdp: string[] | undefined, type = "application/sdp", length = "Content-Length: "): string[] {
  if (sdp === undefined) return [...headers, `${length}0`];
  return [...headers, `Content-Type: ${type}`, `${length}[len]`, "", ...sdp];
}

/** The PBX's (UAC's) dialog headers for a request in the call it started. */
function uacDialog(p: PbxPersonality, method: string, cseq: number): string[] {
  return [
    `${method} [next_url] SIP/2.0`,
    "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
    "[routes]",
    `From: "${p.name}" <sip:${p.extension}@[local_ip]>;tag=[pid]PBX[call_number]`,
    "To: <sip:[service]@[remote_ip]>[peer_tag_param]",
    "Call-ID: [call_id]",
    `CSeq: ${cseq} ${method}`,
  ];
}

/** Wait for the door's BYE; a PBX that challenges BYEs answers the first with its challenge and the second (with credentials) 200. */
function doorBye(p: PbxPersonality): string {
  const ok = send(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", `User-Agent: ${p.userAgent}`, "Content-Length: 0"], false);
  const c = p.byeChallenge;
  if (c === undefined) return [`  <recv request="BYE" timeout="6000"/>`, ok].join("\n");
  const header = c.status === 401 ? "Authorization:" : "Proxy-Authorization:";
  return [
    `  <recv request="BYE" timeout="6000"/>`,
    send(["SIP/2.0 " + c.status + " " + c.reason, "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", ...c.lines,
      `User-Agent: ${p.userAgent}`, "Content-Length: 0"], false),
    `  <recv request="BYE" timeout="3000">
    <action>
      <ereg regexp="Digest .*response=" search_in="hdr" header="${header}" check_it="true" assign_to="_"/>
    </action>
  </recv>`,
    ok,
  ].join("\n");
}

function pcapDtmf(): string {
  return `  <nop>\n    <action>\n      <exec play_pcap_audio="${POUND_PCAP}"/>\n    </action>\n  </nop>`;
}

/** INFO application/dtmf-relay as mod_sofia sends it with dtmf-type=info (RFC 6086 legacy usage). */
function infoDtmf(p: PbxPersonality, cseq: number): string {
  return [
    send(withBody([...uacDialog(p, "INFO", cseq), `Contact: ${p.contact}`, "Max-Forwards: 70", `User-Agent: ${p.userAgent}`], ["Signal=#", "Duration=200"], "application/dtmf-relay")),
    `  <recv response="200"/>`,
  ].join("\n");
}

/** The door's answer must hold G.711 and, when the PBX offered it, its telephone-event payload type (RFC 4733 §7.1.1). */
function answerChecks(p: PbxPersonality): string {
  return `    <action>
      <ereg regexp="m=audio [1-9][0-9]* RTP/AVP ${p.g711Pt} ${p.eventPt}" search_in="body" check_it="true" assign_to="_"/>
      <ereg regexp="a=rtpmap:${p.eventPt} telephone-event/8000" search_in="body" check_it="true" assign_to="_"/>
    </action>`;
}

// ------------------------------------------------------------------ the PBX calls the door

export interface PbxCallOptions {
  /** Send the PBX's in-call requests (p.inCall) after the door code. */
  inCall?: boolean;
  /** The door hangs up (hangupAfterOpenMs): expect its BYE at the PBX's Contact instead of sending one. */
  doorHangsUp?: boolean;
}

/**
 * The PBX rings the door (which answers by itself), relays the door code,
 * and hangs up (or waits for the door's BYE).
 */
export function pbxCallsDoor(p: PbxPersonality, o: PbxCallOptions = {}): string {
  const parts: string[] = [];
  parts.push(send(withBody([
    "INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
    "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
    `From: "${p.name}" <sip:${p.extension}@[local_ip]>;tag=[pid]PBX[call_number]`,
    "To: <sip:[service]@[remote_ip]>",
    "Call-ID: [call_id]",
    "CSeq: 102 INVITE",
    ...p.inviteHeaders,
  ], p.offer, "application/sdp", p.lengthHeader)));
  parts.push(`  <recv response="100" optional="true"/>`, `  <recv response="180" optional="true"/>`, `  <recv response="183" optional="true"/>`);
  parts.push(`  <recv response="200" rtd="true" rrs="true">\n${answerChecks(p)}\n  </recv>`);
  parts.push(send([...uacDialog(p, "ACK", 102), "Max-Forwards: 70", "Content-Length: 0"], false));
  parts.push(`  <pause milliseconds="300"/>`);
  let cseq = 103;
  // SIPp aborts a call on a BYE that comes during a pause: when the door hangs up, nothing but its BYE is awaited.
  const settle = o.doorHangsUp === true ? "" : `  <pause milliseconds="400"/>`;
  if (p.dtmf === "rfc4733") parts.push(pcapDtmf());
  else parts.push(infoDtmf(p, cseq++));
  if (settle !== "") parts.push(settle);
  if (o.inCall === true) {
    for (const r of p.inCall) {
      const n = cseq++;
      parts.push(send(withBody([...uacDialog(p, r.method, n), `Contact: ${p.contact}`, "Max-Forwards: 70", `User-Agent: ${p.userAgent}`, ...r.headers], r.sdp, "application/sdp", p.lengthHeader)));
      parts.push(`  <recv response="100" optional="true"/>`);
      parts.push(`  <recv response="200"/>`);
      if (r.method === "INVITE") parts.push(send(withBody([...uacDialog(p, "ACK", n), "Max-Forwards: 70"], r.ackSdp), false));
      parts.push(`  <pause milliseconds="100"/>`);
    }
  }
  if (o.doorHangsUp === true) {
    parts.push(doorBye(p));
    parts.push(`  <timewait milliseconds="300"/>`);
  } else {
    parts.push(send([...uacDialog(p, "BYE", cseq), ...p.byeHeaders, "Content-Length: 0"]));
    parts.push(`  <recv response="200" crlf="true"/>`);
  }
  return scenario(`${p.name} calls the door`, [
    `${p.name} calls the door: INVITE as ${p.name} sends it to a registered phone, 100/180/200 from the door`,
    `(checked: G.711 payload type ${p.g711Pt} and telephone-event ${p.eventPt}), ACK, the door code as ${p.dtmf === "rfc4733" ? "RFC 4733 events (dtmf_2833_pound.pcap)" : "SIP INFO"},`,
    o.inCall === true ? `then: ${p.inCall.map((r) => r.what).join("; ")},` : "",
    o.doorHangsUp === true ? "then the door's BYE (after it opened)." : `then ${p.name}'s BYE.`,
    "Sources:",
    ...p.sources,
  ].filter((l) => l !== ""), parts.join("\n"));
}

/** The PBX rings the door and cancels: CANCEL with the Reason of a ring group answered elsewhere; 200, 487, ACK. */
export function pbxCancels(p: PbxPersonality, reason: string): string {
  const from = `From: "${p.name}" <sip:${p.extension}@[local_ip]>;tag=[pid]PBX[call_number]`;
  const ack = send([
    "ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "[last_Via:]", from, "[last_To:]", "Call-ID: [call_id]", "CSeq: 102 ACK",
    "Max-Forwards: 70", "Content-Length: 0",
  ], false);
  const body = [
    send(withBody([
      "INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
      "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
      from, "To: <sip:[service]@[remote_ip]>", "Call-ID: [call_id]", "CSeq: 102 INVITE", ...p.inviteHeaders,
    ], p.offer)),
    `  <recv response="100" optional="true"/>`,
    `  <recv response="180"/>`,
    `  <pause milliseconds="200"/>`,
    // §9.1: the CANCEL has the INVITE's Request-URI, Call-ID, From, To (no tag), CSeq number and top Via.
    send([
      "CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "[last_Via:]", from, "To: <sip:[service]@[remote_ip]>", "Call-ID: [call_id]",
      "CSeq: 102 CANCEL", `Reason: ${reason}`, "Max-Forwards: 70", `User-Agent: ${p.userAgent}`, "Content-Length: 0",
    ]),
    `  <recv response="200" optional="true" next="cancel_ok"/>`,
    `  <recv response="487"/>`,
    ack,
    `  <recv response="200"/>`,
    `  <nop next="done"/>`,
    `  <label id="cancel_ok"/>`,
    `  <recv response="487"/>`,
    ack,
    `  <label id="done"/>`,
    `  <timewait milliseconds="300"/>`,
  ];
  return scenario(`${p.name} cancels`, [
    `${p.name} rings the door, then cancels (${reason}): the CANCEL gets 200 and the INVITE 487 (RFC 3261 §9.2), then ACK.`,
    "Sources:", ...p.sources,
  ], body.join("\n"));
}

/**
 * Asterisk's connected line while the phone still rings (send_connected_line, the peer allows UPDATE):
 * an UPDATE without a body in the early dialog (RFC 3311 §5.1), then the door answers (after its
 * auto-answer delay), the PBX acknowledges and hangs up.
 */
export function pbxEarlyUpdate(p: PbxPersonality): string {
  const parts = [
    send(withBody([
      "INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
      "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
      `From: "${p.name}" <sip:${p.extension}@[local_ip]>;tag=[pid]PBX[call_number]`,
      "To: <sip:[service]@[remote_ip]>", "Call-ID: [call_id]", "CSeq: 102 INVITE", ...p.inviteHeaders,
    ], p.offer, "application/sdp", p.lengthHeader)),
    `  <recv response="100" optional="true"/>`,
    `  <recv response="180" rrs="true"/>`,
    `  <pause milliseconds="200"/>`,
    send(withBody([...uacDialog(p, "UPDATE", 103), `Contact: ${p.contact}`, "Max-Forwards: 70", `User-Agent: ${p.userAgent}`,
      `P-Asserted-Identity: "Reception" <sip:6002@[local_ip]>`], undefined, "application/sdp", p.lengthHeader)),
    // The UPDATE's 200 first (the door answers the INVITE only after its auto-answer delay), then the INVITE's.
    `  <recv response="200"/>`,
  ];
  parts.push(`  <recv response="200" rtd="true" rrs="true">\n${answerChecks(p)}\n  </recv>`);
  parts.push(send([...uacDialog(p, "ACK", 102), "Max-Forwards: 70", "Content-Length: 0"], false));
  parts.push(`  <pause milliseconds="200"/>`);
  parts.push(send([...uacDialog(p, "BYE", 104), ...p.byeHeaders, "Content-Length: 0"]));
  parts.push(`  <recv response="200" crlf="true"/>`);
  return scenario(`${p.name} early UPDATE`, [
    `${p.name} updates the connected line while the door rings: UPDATE without a body in the early dialog, 200; then the door's 200, ACK, BYE.`,
    "Sources:", ...p.sources,
  ], parts.join("\n"));
}

/**
 * The PBX insists on session timers (Asterisk's endpoint option timers=required, mod_sofia's
 * enable-timer with a required refresher): Require: timer (RFC 4028 §7.1) beside its usual
 * Session-Expires and Min-SE. The door takes "timer": its 200 carries Session-Expires with
 * refresher=uac (the PBX refreshes, §9) and Require: timer. The PBX then refreshes the session
 * by UPDATE without a body (§7.4, as pjsip's timer module does when the peer allows UPDATE) with
 * a shorter interval, which the door's 200 confirms; then the PBX hangs up.
 */
export function pbxRequiresTimer(p: PbxPersonality): string {
  const from = `From: "${p.name}" <sip:${p.extension}@[local_ip]>;tag=[pid]PBX[call_number]`;
  const se = p.inviteHeaders.find((h) => /^Session-Expires:/i.test(h));
  const interval = se === undefined ? 1800 : Number(/^Session-Expires:\s*(\d+)/i.exec(se)![1]);
  const checks = (seconds: number) => `    <action>
      <ereg regexp="^ *${seconds};refresher=uac" search_in="hdr" header="Session-Expires:" check_it="true" assign_to="_"/>
      <ereg regexp="timer" search_in="hdr" header="Require:" check_it="true" assign_to="_"/>
    </action>`;
  return scenario(`${p.name} requires timer`, [
    `${p.name} with session timers required: INVITE with Require: timer; 200 with Session-Expires: ${interval};refresher=uac and Require: timer`,
    "expected; ACK; a refresh by UPDATE (Session-Expires: 90;refresher=uac), 200 with the same; BYE.", "Sources:", ...p.sources,
  ], [
    send(withBody([
      "INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
      "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
      from, "To: <sip:[service]@[remote_ip]>", "Call-ID: [call_id]", "CSeq: 102 INVITE", ...p.inviteHeaders,
      ...(se === undefined ? [`Session-Expires: ${interval}`, "Min-SE: 90"] : []), "Require: timer",
    ], p.offer, "application/sdp", p.lengthHeader)),
    `  <recv response="100" optional="true"/>`,
    `  <recv response="180" optional="true"/>`,
    `  <recv response="200" rtd="true" rrs="true">\n${checks(interval)}\n  </recv>`,
    send([...uacDialog(p, "ACK", 102), "Max-Forwards: 70", "Content-Length: 0"], false),
    `  <pause milliseconds="300"/>`,
    send(withBody([...uacDialog(p, "UPDATE", 103), `Contact: ${p.contact}`, "Max-Forwards: 70", `User-Agent: ${p.userAgent}`,
      "Supported: timer", "Session-Expires: 90;refresher=uac", "Min-SE: 90"], undefined, "application/sdp", p.lengthHeader)),
    `  <recv response="200">\n${checks(90)}\n  </recv>`,
    `  <pause milliseconds="100"/>`,
    send([...uacDialog(p, "BYE", 104), ...p.byeHeaders, "Content-Length: 0"]),
    `  <recv response="200" crlf="true"/>`,
  ].join("\n"));
}

/** The PBX's qualify: one OPTIONS outside a dialog, 200 with Allow (§11.2). */
export function qualify(p: PbxPersonality): string {
  return scenario(`${p.name} qualify`, [`${p.name} checks the door is alive: OPTIONS, 200 with Allow listing INVITE and INFO.`, "Sources:", ...p.sources], [
    send([
      "OPTIONS sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
      "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
      `From: <sip:${p.id === "asterisk" ? "[service]" : p.extension}@[local_ip]>;tag=[pid]Q[call_number]`,
      "To: <sip:[service]@[remote_ip]:[remote_port]>",
      "Call-ID: [call_id]",
      "CSeq: 29295 OPTIONS",
      ...p.qualifyHeaders,
      "Content-Length: 0",
    ]),
    `  <recv response="200">
    <action>
      <ereg regexp="INVITE.*INFO" search_in="hdr" header="Allow:" check_it="true" assign_to="_"/>
    </action>
  </recv>`,
  ].join("\n"));
}

/** An unsolicited message-summary NOTIFY (RFC 3842 body) outside any dialog; the door's final response is `status`. */
export function mwiNotify(p: PbxPersonality, status: number): string {
  return scenario(`${p.name} MWI`, [`${p.name} tells the door about voicemail without a subscription: NOTIFY message-summary out of dialog; ${status} expected.`, "Sources:", ...p.sources], [
    send(withBody([
      "NOTIFY sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
      "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
      "From: <sip:[service]@[local_ip]>;tag=[pid]MWI[call_number]",
      "To: <sip:[service]@[remote_ip]:[remote_port]>",
      `Contact: ${p.contact}`,
      "Call-ID: [call_id]",
      "CSeq: 29296 NOTIFY",
      "Subscription-State: terminated",
      "Event: message-summary",
      "Allow-Events: presence, dialog, message-summary, refer",
      "Max-Forwards: 70",
      `User-Agent: ${p.userAgent}`,
    ], ["Messages-Waiting: yes", "Message-Account: sip:*97@[local_ip]", "Voice-Message: 1/0 (0/0)"], "application/simple-message-summary")),
    `  <recv response="${status}"/>`,
  ].join("\n"));
}

// ------------------------------------------------------------------ the door calls the PBX

/**
 * SIPp as the PBX answering the doorbell: the challenge (the door's
 * INVITE), ACK, the INVITE with credentials (checked present), 100, the
 * PBX's provisional responses, 200 with its Contact and SDP, ACK, the door
 * code (RFC 4733 from the answer's media port, or INFO), and the door's
 * BYE (it hangs up after the door opened).
 */
export function pbxAnswersDoorbell(p: PbxPersonality, challenge: PbxChallenge = p.challenge): string {
  const auth = challenge.status === 401 ? "Authorization:" : "Proxy-Authorization:";
  const toTag = "[last_To:];tag=[pid]PBX[call_number]";
  const reply = (status: string, extra: string[], sdp?: string[]): string =>
    send(withBody([`SIP/2.0 ${status}`, "[last_Via:]", "[last_From:]", toTag, "[last_Call-ID:]", "[last_CSeq:]", ...extra], sdp), false);
  // After the INVITE with credentials, a PRACK may have come in between: the INVITE's responses are written from its own headers.
  const inviteReply = (status: string, extra: string[], sdp?: string[], retrans = false): string =>
    send(withBody([`SIP/2.0 ${status}`, "Via: [$inv_via]", "From: [$remote_party]", "To: [$local_uri];tag=[pid]PBX[call_number]", "Call-ID: [call_id]",
      "CSeq: [$inv_cseq]", ...extra], sdp, "application/sdp", p.lengthHeader), retrans);
  const parts: string[] = [
    `  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="m=audio [0-9]+ RTP/AVP( [0-9]+)*( 0| 8)( |$)" search_in="body" check_it="true" assign_to="_"/>
    </action>
  </recv>`,
    reply(`${challenge.status} ${challenge.reason}`, [...challenge.lines, ...(p.id === "asterisk" ? ["Server: Asterisk PBX 20.6.0"] : [`User-Agent: ${p.userAgent}`])]),
    `  <recv request="ACK"/>`,
    `  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="Digest .*response=" search_in="hdr" header="${auth}" check_it="true" assign_to="_"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" check_it="true" assign_to="local_uri"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" check_it="true" assign_to="remote_party"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="Via:" check_it="true" assign_to="inv_via"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="CSeq:" check_it="true" assign_to="inv_cseq"/>
    </action>
  </recv>`,
    send(["SIP/2.0 100 Trying", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", "Content-Length: 0"], false),
  ];
  for (const pr of p.provisional) {
    if (pr === "180") parts.push(inviteReply("180 Ringing", [`Contact: ${p.answerContact}`, ...p.answerHeaders]));
    else if (pr === "181") {
      // RFC 5806 Diversion: the extension forwards unconditionally (what res_pjsip_diversion adds to the 181).
      parts.push(inviteReply("181 Call is being forwarded", [`Contact: ${p.answerContact}`, ...p.answerHeaders,
        `Diversion: <sip:${p.extension}@[local_ip]>;reason=unconditional;privacy=off;counter=1`]));
    }
    else if (pr === "183") parts.push(inviteReply("183 Session Progress", [`Contact: ${p.answerContact}`, ...p.answerHeaders], p.answerSdp));
    else {
      // RFC 3262: the door's INVITE says Supported: 100rel, so the PBX sends its early media reliably and waits for PRACK.
      parts.push(inviteReply("183 Session Progress", [`Contact: ${p.answerContact}`, ...p.answerHeaders, "Require: 100rel", "RSeq: 1"], p.answerSdp, true));
      parts.push(`  <recv request="PRACK">
    <action>
      <ereg regexp="1 [0-9]+ INVITE" search_in="hdr" header="RAck:" check_it="true" assign_to="_"/>
    </action>
  </recv>`);
      parts.push(send(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", "Content-Length: 0"], false));
      parts.push(`  <pause milliseconds="200"/>`);
    }
  }
  const reliableEarly = p.provisional.includes("183-100rel");
  parts.push(inviteReply("200 OK", [`Contact: ${p.answerContact}`, ...p.answerHeaders], reliableEarly && !p.answerSdpIn200 ? undefined : p.answerSdp, true));
  parts.push(`  <recv request="ACK" crlf="true"/>`);
  parts.push(`  <pause milliseconds="300"/>`);
  if (p.dtmf === "rfc4733") parts.push(pcapDtmf());
  else {
    parts.push(send(withBody([
      "INFO [next_url] SIP/2.0",
      "Via: SIP/2.0/[transport] [local_ip]:[local_port];rport;branch=[branch]",
      "[routes]",
      "From: [$local_uri];tag=[pid]PBX[call_number]",
      "To: [$remote_party]",
      "Call-ID: [call_id]",
      "CSeq: 1 INFO",
      `Contact: ${p.answerContact}`,
      "Max-Forwards: 70",
      `User-Agent: ${p.userAgent}`,
    ], ["Signal=#", "Duration=200"], "application/dtmf-relay")));
    parts.push(`  <recv response="200"/>`);
  }
  parts.push(doorBye(p));
  parts.push(`  <timewait milliseconds="300"/>`);
  return scenario(`${p.name} answers the doorbell`, [
    `${p.name} answers the doorbell: ${challenge.status} to the door's INVITE (${challenge.lines.join(" ")}),`,
    `ACK, the INVITE with credentials, 100, ${p.provisional.join(", ")}, 200 with Contact ${p.answerContact}${p.answerSdpIn200 ? "" : " (no SDP after a reliable 183)"},`,
    `ACK, the door code as ${p.dtmf === "rfc4733" ? "RFC 4733 events" : "SIP INFO"}, the door's BYE${p.byeChallenge !== undefined ? ` (challenged ${p.byeChallenge.status}, then with credentials)` : ""}, 200.`,
    "Sources:", ...p.sources,
  ], parts.join("\n"));
}

/**
 * Asterisk with RFC 8760 digests (res_pjsip's auth objects list
 * supported_algorithms_uas = SHA-256, MD5 in recent releases; assumed from
 * its configuration documentation, not captured): one WWW-Authenticate per
 * algorithm, the preferred first (RFC 8760 §2.4, RFC 7616 §3.7), or
 * SHA-256 alone.
 */
export const ASTERISK_SHA256_AND_MD5: PbxChallenge = {
  status: 401,
  reason: "Unauthorized",
  lines: [
    "WWW-Authenticate: Digest realm=\"asterisk\",nonce=\"1736747481/5c1e0d6e2f1b4a0c9d8e7f6a5b4c3d2e\",opaque=\"6b3f2a1c0d9e8f7a\",algorithm=SHA-256,qop=\"auth\"",
    "WWW-Authenticate: Digest realm=\"asterisk\",nonce=\"1736747481/5c1e0d6e2f1b4a0c9d8e7f6a5b4c3d2e\",opaque=\"6b3f2a1c0d9e8f7a\",algorithm=MD5,qop=\"auth\"",
  ],
};

export const ASTERISK_SHA256_ONLY: PbxChallenge = {
  status: 401,
  reason: "Unauthorized",
  lines: [ASTERISK_SHA256_AND_MD5.lines[0]!],
};
