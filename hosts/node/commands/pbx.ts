/*
 * `doorsip pbx`: the built-in loopback PBX alone (a registrar with digest
 * auth and a desk phone), for a door that runs elsewhere: the Moddable
 * simulator (mcsim, whose default sip_server is 127.0.0.1:5060), a
 * `doorsip run --server` in another terminal, or a board on the LAN. It is
 * the same PBX `doorsip run` starts for itself: the desk phone answers the
 * doorbell, types the door code, and calls the door on request.
 */
import { ladderTap, LOOPBACK_COLUMNS } from "../ladder";
import { LoopbackPbx } from "../pbx/index";
import type { PacketEvent } from "../pbx/tap";
import type { DtmfMode } from "../pbx/phone";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo, type Command } from "./command";
import { listenForKeys } from "./keys";
import { commandOptions } from "./options";
import { validDoorCode } from "../../../src/app/door-opener";
import { randomDoorCode, wrongCode } from "./run";

const USAGE = `usage: doorsip pbx [options]

Runs the built-in PBX on its own, for a door station elsewhere: the Moddable
simulator, "doorsip run --server" in another terminal, or a board on the
LAN. The door registers with the account below; its doorbell calls the desk
phone (extension 100), which answers and types the door code; the traffic
is shown as a ladder.

Keys (or lines on stdin): c / "call"    the desk phone calls the door
                          w / "wrong"   the same with a wrong code
                          q / "quit"    stop (also Ctrl-C, SIGTERM)

Options:
  --listen ip:port        the PBX's address (default 127.0.0.1:5060; a LAN
                          address for a board, with --domain if you like)
  --domain DOMAIN         SIP domain (default the address)
  --user USER             the door's account (default door)
  --password PASSWORD     its password (default doorpass)
  --door-code CODE        what the desk phone types in each call, 1 to 16 of
                          0-9 * # A-D (default a random one, shown at start)
  --dtmf info|rfc4733|inband
                          how the desk phone types it (default info)
  --ascii                 ASCII ladder arrows
`;

const OPTIONS = {
  listen: { type: "string" }, domain: { type: "string" }, user: { type: "string" }, password: { type: "string" },
  "door-code": { type: "string" }, dtmf: { type: "string" }, ascii: { type: "boolean", default: false },
} as const;

const DTMF_MODES: readonly DtmfMode[] = ["info", "rfc4733", "inband"];

/** What `doorsip pbx` starts, from its options; a string is a usage error. */
export interface PbxPlan {
  address: string;
  port: number;
  domain?: string;
  user: string;
  password: string;
  doorCode: string;
  dtmf: DtmfMode;
  ascii: boolean;
}

export function pbxPlan(o: { listen?: string; domain?: string; user?: string; password?: string; "door-code"?: string; dtmf?: string; ascii?: boolean }): PbxPlan | string {
  let address = "127.0.0.1";
  let port = 5060;
  if (o.listen !== undefined) {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(o.listen.trim());
    if (m === null) return `--listen: cannot read "${o.listen}" (expected ip:port)`;
    address = m[1]!;
    port = m[2] !== undefined ? Number(m[2]) : 5060;
    if (port > 65535) return `--listen: port ${port} is above 65535`;
  }
  // The bind address names the PBX in Contact and Via headers: a wildcard there would be given to the door as a next hop.
  if (address === "0.0.0.0") return "--listen: give the address the door reaches the PBX at (a LAN address), not 0.0.0.0";
  const doorCode = o["door-code"] ?? randomDoorCode();
  if (!validDoorCode(doorCode)) return `--door-code must be 1 to 16 of 0-9 * # A-D (got ${doorCode})`;
  const dtmf = (o.dtmf ?? "info") as DtmfMode;
  if (!DTMF_MODES.includes(dtmf)) return `--dtmf must be one of ${DTMF_MODES.join(", ")} (got ${o.dtmf})`;
  const user = o.user ?? "door";
  if (user === "100") return "--user: 100 is the desk phone's extension";
  return {
    address, port, ...(o.domain !== undefined ? { domain: o.domain } : {}), user, password: o.password ?? "doorpass",
    doorCode, dtmf, ascii: o.ascii === true,
  };
}

export const pbxCommand: Command = {
  summary: "the built-in PBX alone (registrar and desk phone), for the simulator or a door elsewhere",
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const values = commandOptions("pbx", USAGE, args, io, OPTIONS);
    if (typeof values === "number") return values;
    const p = pbxPlan(values);
    if (typeof p === "string") {
      io.err(`doorsip pbx: ${p}\n\n${USAGE}\ndoorsip pbx: ${p}\n`);
      return EXIT_USAGE;
    }
    let labels: ReadonlyMap<string, string> = new Map();
    // Anything that is not the PBX or its phone is the door ("door" is the ladder's name for an unknown party).
    const ladder = ladderTap((t) => io.out(t), { labels: (ep) => labels.get(ep) ?? "door", columns: LOOPBACK_COLUMNS, ascii: p.ascii, redact: [p.password] });
    let held: PacketEvent[] | null = [];
    let pbx: LoopbackPbx;
    try {
      pbx = await LoopbackPbx.start({
        address: p.address, port: p.port, ...(p.domain !== undefined ? { domain: p.domain } : {}),
        users: [{ user: p.user, password: p.password }, { user: "100", password: "deskpass" }], doorUser: p.user,
        doorCode: p.doorCode, dtmf: p.dtmf, answerMs: 800, ringMs: 100, dtmfDelayMs: 600, hangupMs: 1500, callHoldMs: 2500,
        // Held until the PBX knows its phone's address (the ladder names the parties), then shown after the start lines.
        tap: (ev) => (held !== null ? held.push(ev) : ladder(ev)),
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const busy = /EADDRINUSE/.test(message) ? `: another program has UDP port ${p.port} (a PBX, a softphone, a door); try --listen ${p.address}:5062` : "";
      io.err(`doorsip pbx: ${message}${busy}\n`);
      return EXIT_FAILED;
    }
    labels = pbx.labels;
    const d = pbx.door;
    io.out(`doorsip pbx: at ${d.server}, domain ${d.domain}; the door's account ${d.user} / ${p.password}; the desk phone is extension ${d.extension} and types ${p.doorCode} (${p.dtmf})\n`);
    io.out(`  simulator: mcconfig -d -m -p lin -t build sip_server=${d.server} sip_domain=${d.domain} sip_user=${d.user} sip_password=${p.password} call_target=${d.extension} door_code='${p.doorCode}'\n`);
    io.out(`  Node:      doorsip run --server sip:${d.server} --domain ${d.domain} --user ${d.user} --password ${p.password} --target ${d.extension} --door-code '${p.doorCode}' --listen ${p.address}:0\n`);
    io.out("keys: c = desk phone calls the door, w = the same with a wrong code, q = quit\n");
    const shown = held;
    held = null;
    for (const ev of shown) ladder(ev);
    try {
      await keys(io, pbx, p.doorCode);
    } finally {
      await pbx.stop();
    }
    return EXIT_OK;
  },
};

/** Keys on a terminal, lines otherwise; resolves on quit, end of input, SIGINT or SIGTERM. */
function keys(io: CliIo, pbx: LoopbackPbx, doorCode: string): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    let stop = (): void => {};
    const finish = (): void => {
      if (done) return;
      done = true;
      stop();
      resolve();
    };
    const door = `sip:${pbx.door.user}@${pbx.domain}`;
    // Calls asked for one after the other, each placed once the phone's call before it has ended: a key pressed
    // while the phone is still in a call (its BYE's 200 not yet in) would otherwise be refused as busy, unseen.
    let queue: Promise<unknown> = Promise.resolve();
    let queued = 0;
    const dial = (code: string | undefined): void => {
      const phone = pbx.phone;
      if (phone === null) return;
      if (phone.inCall || queued > 0) io.out("doorsip pbx: the desk phone is in a call; it calls the door when that call has ended\n");
      queued++;
      // The PBX forwards it to the door's registered Contact; a door not registered gets 480 from the PBX.
      queue = queue
        .then(() => phone.whenIdle())
        .then(() => phone.call(door, code === undefined ? {} : { code }))
        .catch(() => {})
        .finally(() => queued--);
    };
    const act = (cmd: string): void => {
      switch (cmd) {
        case "c": case "call":
          dial(undefined);
          return;
        case "w": case "wrong":
          dial(wrongCode(doorCode));
          return;
        case "q": case "quit": case "exit":
          finish();
          return;
        case "": case "\r":
          return;
        default:
          io.out(`doorsip pbx: unknown command "${cmd}" (call, wrong, quit)\n`);
      }
    };
    stop = listenForKeys(act, finish);
    // Finished already (the runtime failed meanwhile): undo at once.
    if (done) stop();
  });
}
