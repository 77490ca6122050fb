/*
 * Run as a child process by test/pbx.test.ts (bundled with esbuild): start
 * the loopback PBX, register a scripted door, let the phone call it, stop
 * everything while the call rings, and then simply end. The test checks
 * that the process exits by itself: no socket or timer left behind.
 */
import { LoopbackPbx } from "../../hosts/node/pbx/index";
import { answer, credentials, hex, PbxClient } from "./pbx-client";
import { SipMsg } from "../../hosts/node/pbx/sip";

const pbx = await LoopbackPbx.start({ answerMs: 50, dtmfDelayMs: 10, hangupMs: 20 });
const c = await PbxClient.open();

const reg = (auth?: string, cseq = 1): void => {
  const req = SipMsg.request("REGISTER", `sip:${pbx.domain}`);
  req.add("Via", c.via()).add("Max-Forwards", "70").add("From", `<sip:door@${pbx.domain}>;tag=${hex(4)}`)
    .add("To", `<sip:door@${pbx.domain}>`).add("Call-ID", "exit-test").add("CSeq", `${cseq} REGISTER`)
    .add("Contact", `<sip:door@${c.hostPort}>`).add("Expires", "3600");
  if (auth !== undefined) req.add("Authorization", auth);
  c.send(req, pbx.port);
};
reg();
const challenge = (await c.response("REGISTER", 401)).msg.get("WWW-Authenticate")!;
reg(credentials(challenge, "door", pbx.door.password, "REGISTER", `sip:${pbx.domain}`), 2);
await c.response("REGISTER", 200);
console.log("registered door");

const phone = pbx.phone!;
const result = phone.call("door");
const inv = await c.request("INVITE");
c.send(answer(inv.msg, 180, "Ringing", "t1"), inv.port);
await phone.waitFor("ringing", { match: (e) => e.direction === "outgoing" });
console.log("phone ringing");

await pbx.stop();
await c.close();
const r = await result;
console.log(`stopped (${r.reason})`);
