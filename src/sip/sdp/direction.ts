/*
 * Media stream direction (RFC 4566 §6: a=sendrecv, a=sendonly, a=recvonly,
 * a=inactive) and how an answer's direction follows from an offer's
 * (RFC 3264 §6.1). Directions are combined as two bits, "we send" and "we
 * receive", so that intersecting what the offer allows with what we want is
 * one AND, with no tables or objects.
 */

export const enum Direction {
  SendRecv = 0,
  SendOnly = 1,
  RecvOnly = 2,
  Inactive = 3,
}

const SEND = 1;
const RECV = 2;

/** The send/receive bits of a direction, seen from the side that wrote it. */
function bits(d: Direction): number {
  if (d === Direction.SendRecv) return SEND | RECV;
  if (d === Direction.SendOnly) return SEND;
  if (d === Direction.RecvOnly) return RECV;
  return 0;
}

function fromBits(b: number): Direction {
  if (b === (SEND | RECV)) return Direction.SendRecv;
  if (b === SEND) return Direction.SendOnly;
  if (b === RECV) return Direction.RecvOnly;
  return Direction.Inactive;
}

/**
 * RFC 3264 §6.1: the answer's direction for an offered one. A sendonly offer
 * is answered recvonly (or inactive), recvonly with sendonly (or inactive),
 * inactive with inactive, sendrecv with any of them; this returns the most
 * permissive, i.e. the offer's direction mirrored.
 */
export function answerDirection(offered: Direction): Direction {
  if (offered === Direction.SendOnly) return Direction.RecvOnly;
  if (offered === Direction.RecvOnly) return Direction.SendOnly;
  return offered;
}

/**
 * The answer's direction when we also have a wish of our own (`local`, e.g.
 * Inactive while we hold, or SendOnly for a doorbell announcement): RFC 3264
 * §6.1 lets the answerer narrow the mirrored direction, never widen it, so
 * this is the intersection of the two.
 */
export function combineDirection(offered: Direction, local: Direction): Direction {
  return fromBits(bits(answerDirection(offered)) & bits(local));
}

/** Whether a stream with this direction (seen from our side) lets us send media. */
export function canSend(d: Direction): boolean {
  return (bits(d) & SEND) !== 0;
}

/** Whether a stream with this direction (seen from our side) lets us receive media. */
export function canReceive(d: Direction): boolean {
  return (bits(d) & RECV) !== 0;
}
