/*
 * The media sockets on the device: per call slot an RTP socket on
 * rtp_port + 2 i and an RTCP socket on the next port (RFC 3550 §11), ECMA-419
 * UDP like the SIP socket (udp.ts), attached to the intercom, which sends its
 * RTP from them (symmetric RTP, RFC 4961) and advertises their ports.
 */
import { LogLevel, type LogHost } from "../../src/host";
import type { Intercom } from "../../src/app/intercom";
import { ModdableUdp } from "./udp";

export function attachMediaSockets(intercom: Intercom, firstPort: number, localAddress: string, log: LogHost): ModdableUdp[] {
  const sockets: ModdableUdp[] = [];
  const slots = intercom.ua.calls.length;
  for (let slot = 0; slot < slots; slot++) {
    const rtpReceiver = intercom.rtpReceiver(slot);
    const rtcpReceiver = intercom.rtcpReceiver(slot);
    if (rtpReceiver === null || rtcpReceiver === null) break;
    const port = firstPort + 2 * slot;
    try {
      const rtp = new ModdableUdp({ port, localAddress, log });
      const rtcp = new ModdableUdp({ port: port + 1, localAddress, log });
      rtp.attach(rtpReceiver);
      rtcp.attach(rtcpReceiver);
      intercom.attachMedia(slot, rtp, rtcp);
      sockets.push(rtp, rtcp);
    } catch (e) {
      log.log(LogLevel.Error, `rtp: cannot bind ports ${port}/${port + 1} for call slot ${slot}: ${String(e)}`);
    }
  }
  return sockets;
}
