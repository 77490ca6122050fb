/*
 * The built-in loopback PBX: what `doorsip run` starts when no SIP server is
 * configured, so that the intercom can be seen working with no PBX of one's
 * own. Everything is on 127.0.0.1 with real UDP sockets (ephemeral ports by
 * default):
 *
 *   door (the intercom)  <->  PbxServer (registrar + proxy)  <->  DeskPhone (ext. 100)
 *
 *   const pbx = await LoopbackPbx.start({ tap: (ev) => ladder.write(ev) });
 *   // configure the door with pbx.door: registrar pbx.door.serverHost:serverPort,
 *   // user "door", password pbx.door.password, target pbx.door.target
 *   ...
 *   await pbx.stop();
 *
 * start() resolves once the phone is registered (so the door can call it at
 * once). The tap sees every datagram of the PBX and the phone once; label
 * endpoints with pbx.labels / pbx.label() ("pbx", "phone", anything else
 * "door").
 */
import type { AccountConfig } from "../../../src/ua/account";
import { DeskPhone, type DeskPhoneBehaviour } from "./phone";
import { PbxServer, type PbxUser } from "./server";
import { endpoint } from "./sip";
import { TapHub, type PacketTap } from "./tap";

export { DeskPhone, sdpAnswer, sdpOffer } from "./phone";
export { mediaProblems, type PhoneMediaReport } from "./phone-media";
export type {
  DtmfMode, CallDirection, CallResult, DeskPhoneBehaviour, DeskPhoneOptions, EndReason, PhoneEventData, PhoneEventName,
  PhoneEvents, PhoneHistoryEntry,
} from "./phone";
export { PbxServer } from "./server";
export type { PbxBinding, PbxServerEvents, PbxServerOptions, PbxUser } from "./server";
export { pcapTap, splitEndpoint, TapHub, TappedSocket } from "./tap";
export type { PacketEvent, PacketTap } from "./tap";

/** The accounts of the loopback PBX: the door and the desk phone. */
export const DEFAULT_USERS: readonly PbxUser[] = Object.freeze([
  Object.freeze({ user: "door", password: "doorpass" }),
  Object.freeze({ user: "100", password: "deskpass" }),
]);

export interface LoopbackPbxOptions extends DeskPhoneBehaviour {
  /** Bind address of every socket (default 127.0.0.1). */
  address?: string;
  /** The PBX's port (default 0: ephemeral; 5060 for a fixed one). */
  port?: number;
  /** SIP domain (default the address). */
  domain?: string;
  /** Digest realm (default the domain). */
  realm?: string;
  /** Accounts (default door/doorpass and 100/deskpass); must include the door's and the phone's. */
  users?: readonly PbxUser[] | Readonly<Record<string, string>>;
  /** The door's account name (default "door"). */
  doorUser?: string;
  /** The desk phone's extension (default "100"); false: no phone. */
  phoneUser?: string | false;
  /** Challenge INVITEs with 407 (default true). */
  authenticateInvite?: boolean;
  /** Longest registration granted, s (default 3600). */
  maxExpires?: number;
  /** RFC 3261 T1 of the phone and of the PBX's forwarded INVITEs, ms (default 500). */
  t1Ms?: number;
  /** RFC 3261 T2 of the phone, ms (default 4000). */
  t2Ms?: number;
  /** How long start() waits for the phone's registration (default 5000 ms). */
  startTimeoutMs?: number;
  /** Every datagram of the PBX and the phone. */
  tap?: PacketTap;
  /** Diagnostic lines ("pbx: ...", "phone: ..."). */
  log?: (line: string) => void;
}

/** What the intercom needs to use the loopback PBX. */
export interface DoorAccount {
  /** "127.0.0.1:port" */
  server: string;
  serverHost: string;
  serverPort: number;
  domain: string;
  user: string;
  password: string;
  /** The digest username when the door's account has one apart from its user (PbxUser.authId). */
  authUser?: string;
  /** Who the doorbell calls: "sip:100@<domain>". */
  target: string;
  /** The same as an extension: "100". */
  extension: string;
  /** Ready for Registration / Keepalive (src/ua/account.ts). */
  account: AccountConfig;
}

export class LoopbackPbx {
  readonly server: PbxServer;
  /** Null with phoneUser: false. */
  readonly phone: DeskPhone | null;
  readonly address: string;
  readonly port: number;
  readonly domain: string;
  readonly realm: string;
  /** The door's settings. */
  readonly door: DoorAccount;
  /** addr:port -> "pbx" | "phone" for the ladder. */
  readonly labels: ReadonlyMap<string, string>;
  /** Date.now() at start (PacketEvent.time is relative to it, e.g. for pcapTap). */
  readonly startedAt: number;
  private readonly hub: TapHub;
  private stopped = false;

  private constructor(hub: TapHub, server: PbxServer, phone: DeskPhone | null, door: DoorAccount, startedAt: number) {
    this.hub = hub;
    this.server = server;
    this.phone = phone;
    this.address = server.address;
    this.port = server.port;
    this.domain = server.domain;
    this.realm = server.realm;
    this.door = door;
    this.startedAt = startedAt;
    const labels = new Map<string, string>([[endpoint(server.address, server.port), "pbx"]]);
    if (phone !== null) labels.set(phone.endpoint, "phone");
    this.labels = labels;
  }

  static async start(options: LoopbackPbxOptions = {}): Promise<LoopbackPbx> {
    const address = options.address ?? "127.0.0.1";
    const users = normaliseUsers(options.users);
    const doorUser = options.doorUser ?? "door";
    const phoneUser = options.phoneUser === false ? null : options.phoneUser ?? "100";
    const passwordOf = (u: string): string => {
      const found = users.find((x) => x.user === u);
      if (found === undefined) throw new RangeError(`LoopbackPbx: no account "${u}" in users`);
      return found.password;
    };
    const doorPassword = passwordOf(doorUser);
    const doorAuthId = users.find((x) => x.user === doorUser)?.authId;
    const phonePassword = phoneUser === null ? "" : passwordOf(phoneUser);
    const log = options.log;
    const startedAt = Date.now();
    let server: PbxServer | null = null;
    let phone: DeskPhone | null = null;
    const hub = new TapHub(options.tap, (e) => log?.(`tap: ${e instanceof Error ? e.message : String(e)}`));
    try {
      server = await PbxServer.start({
        hub, address, port: options.port ?? 0, domain: options.domain, realm: options.realm, users, t1Ms: options.t1Ms,
        authenticateInvite: options.authenticateInvite, maxExpires: options.maxExpires, log,
      });
      if (phoneUser !== null) {
        phone = await DeskPhone.create({
          ...pickBehaviour(options),
          hub, pbx: { address: server.address, port: server.port }, domain: server.domain,
          user: phoneUser, password: phonePassword, address, t1Ms: options.t1Ms, t2Ms: options.t2Ms, log,
        });
        let timer: NodeJS.Timeout | undefined;
        const registered = await Promise.race([
          phone.register(),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), options.startTimeoutMs ?? 5000);
          }),
        ]);
        clearTimeout(timer);
        if (!registered) throw new Error("LoopbackPbx: the desk phone did not register");
      }
    } catch (e) {
      await phone?.stop();
      await server?.stop();
      throw e;
    }
    const domain = server.domain;
    const door: DoorAccount = {
      server: endpoint(server.address, server.port),
      serverHost: server.address,
      serverPort: server.port,
      domain,
      user: doorUser,
      password: doorPassword,
      ...(doorAuthId !== undefined ? { authUser: doorAuthId } : {}),
      target: `sip:${phoneUser ?? "100"}@${domain}`,
      extension: phoneUser ?? "100",
      account: {
        registrarHost: server.address, registrarPort: server.port, domain, user: doorUser, password: doorPassword,
        ...(doorAuthId !== undefined ? { authUser: doorAuthId } : {}),
      },
    };
    return new LoopbackPbx(hub, server, phone, door, startedAt);
  }

  /** The name of an endpoint for the ladder: "pbx", "phone", or "door" for anything else. */
  label(ep: string): string {
    return this.labels.get(ep) ?? "door";
  }

  /** Milliseconds since start (the time base of PacketEvent.time). */
  now(): number {
    return this.hub.now();
  }

  /** Close every socket and clear every timer (a call in progress ends with reason "stopped"). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.phone?.stop();
    await this.server.stop();
  }
}

function normaliseUsers(users: LoopbackPbxOptions["users"]): PbxUser[] {
  if (users === undefined) return DEFAULT_USERS.map((u) => ({ ...u }));
  if (Array.isArray(users)) return (users as readonly PbxUser[]).map((u) => ({ user: u.user, password: u.password, ...(u.authId !== undefined ? { authId: u.authId } : {}) }));
  return Object.entries(users as Readonly<Record<string, string>>).map(([user, password]) => ({ user, password }));
}

function pickBehaviour(o: LoopbackPbxOptions): DeskPhoneBehaviour {
  const b: DeskPhoneBehaviour = {};
  if (o.ringMs !== undefined) b.ringMs = o.ringMs;
  if (o.answerMs !== undefined) b.answerMs = o.answerMs;
  if (o.incoming !== undefined) b.incoming = o.incoming;
  if (o.doorCode !== undefined) b.doorCode = o.doorCode;
  if (o.dtmfDelayMs !== undefined) b.dtmfDelayMs = o.dtmfDelayMs;
  if (o.dtmfGapMs !== undefined) b.dtmfGapMs = o.dtmfGapMs;
  if (o.dtmfDurationMs !== undefined) b.dtmfDurationMs = o.dtmfDurationMs;
  if (o.hangup !== undefined) b.hangup = o.hangup;
  if (o.hangupMs !== undefined) b.hangupMs = o.hangupMs;
  if (o.callHoldMs !== undefined) b.callHoldMs = o.callHoldMs;
  if (o.dtmf !== undefined) b.dtmf = o.dtmf;
  if (o.rtp !== undefined) b.rtp = o.rtp;
  if (o.toneHz !== undefined) b.toneHz = o.toneHz;
  if (o.toneMs !== undefined) b.toneMs = o.toneMs;
  return b;
}
