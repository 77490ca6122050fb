/*
 * The media sockets of the Node host: for each call slot an RTP socket on an
 * even port and an RTCP socket on the next (RFC 3550 §11), bound on the
 * door's address and attached to the intercom (Intercom.attachMedia), which
 * then advertises the RTP port in its SDP and sends RTP from that socket
 * (symmetric RTP, RFC 4961).
 *
 * Ports: slot i asks for `preferred + 2 i` when a preferred first port is
 * given (CallOptions.rtpPort); when that is taken, or none is given, the
 * pair is found among ephemeral ports (the OS picks the RTP port; odd
 * picks or a taken neighbour are retried).
 */
import type { Intercom } from "../../../src/app/intercom";
import { LogLevel, type LogHost, type UdpReceiver } from "../../../src/host";
import { NodeUdp } from "../udp";

export interface MediaSocketPair {
  rtp: NodeUdp;
  rtcp: NodeUdp;
}

async function tryBind(receiver: UdpReceiver, address: string, port: number, type: "udp4" | "udp6", log?: LogHost): Promise<NodeUdp | null> {
  try {
    return await NodeUdp.bind({ receiver, address, port, type, onError: (e) => log?.log(LogLevel.Debug, `rtp socket: ${e.message}`) });
  } catch {
    return null;
  }
}

/** An RTP/RTCP pair at exactly `port` / `port + 1`, or null. */
async function bindAt(rtpRx: UdpReceiver, rtcpRx: UdpReceiver, address: string, port: number, type: "udp4" | "udp6", log?: LogHost): Promise<MediaSocketPair | null> {
  const rtp = await tryBind(rtpRx, address, port, type, log);
  if (rtp === null) return null;
  if (port === 0 && (rtp.localPort & 1) !== 0) {
    await rtp.close();
    return null;
  }
  const rtcp = await tryBind(rtcpRx, address, rtp.localPort + 1, type, log);
  if (rtcp === null) {
    await rtp.close();
    return null;
  }
  return { rtp, rtcp };
}

/** Bind and attach a pair for every call slot of `intercom`. */
export async function bindMediaSockets(intercom: Intercom, address: string, preferred: number, log?: LogHost): Promise<MediaSocketPair[]> {
  const pairs = await bindMediaPairs(intercom.ua.calls.length, (slot) => {
    const rtp = intercom.rtpReceiver(slot);
    const rtcp = intercom.rtcpReceiver(slot);
    return rtp !== null && rtcp !== null ? { rtp, rtcp } : null;
  }, address, preferred, log);
  for (let slot = 0; slot < pairs.length; slot++) intercom.attachMedia(slot, pairs[slot]!.rtp, pairs[slot]!.rtcp);
  return pairs;
}

/**
 * Bind a pair for each of `slots` call slots, delivering to `receivers(slot)`
 * (null: stop there). The XS host uses it with receivers that forward into
 * the worker.
 */
export async function bindMediaPairs(
  slots: number, receivers: (slot: number) => { rtp: UdpReceiver; rtcp: UdpReceiver } | null, address: string, preferred: number, log?: LogHost,
): Promise<MediaSocketPair[]> {
  const type = address.includes(":") ? "udp6" : "udp4";
  const pairs: MediaSocketPair[] = [];
  try {
    for (let slot = 0; slot < slots; slot++) {
      const rx = receivers(slot);
      if (rx === null) break;
      let pair = preferred > 0 ? await bindAt(rx.rtp, rx.rtcp, address, preferred + 2 * slot, type, log) : null;
      if (pair === null && preferred > 0) log?.log(LogLevel.Info, `rtp: port ${preferred + 2 * slot} is taken, using an ephemeral pair for call slot ${slot}`);
      for (let tries = 0; pair === null && tries < 50; tries++) pair = await bindAt(rx.rtp, rx.rtcp, address, 0, type, log);
      if (pair === null) throw new Error(`rtp: no free even/odd port pair on ${address} for call slot ${slot}`);
      pairs.push(pair);
    }
  } catch (e) {
    await closeMediaSockets(pairs);
    throw e;
  }
  return pairs;
}

export async function closeMediaSockets(pairs: MediaSocketPair[]): Promise<void> {
  await Promise.all(pairs.flatMap((p) => [p.rtp.close(), p.rtcp.close()]));
  pairs.length = 0;
}
