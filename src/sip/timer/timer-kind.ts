/*
 * What a timer stands for. Transaction timers carry the letter RFC 3261 §17
 * gives them (Table 4 lists them all) so logs and tests speak the RFC's
 * language; RFC 6026 adds L and M. The few timers of the transaction user
 * (2xx retransmission, §13.3.1.4; registration refresh, §10.2.4) get names.
 */
export const enum TimerKind {
  None = 0,
  /** INVITE client: request retransmission, T1 doubling (§17.1.1.2). */
  A = 1,
  /** INVITE client: transaction timeout, 64*T1 (§17.1.1.2). */
  B = 2,
  /** INVITE client: wait time for response retransmissions, >= 32 s on UDP (§17.1.1.2). */
  D = 4,
  /** Non-INVITE client: request retransmission, T1 doubling up to T2 (§17.1.2.2). */
  E = 5,
  /** Non-INVITE client: transaction timeout, 64*T1 (§17.1.2.2). */
  F = 6,
  /** INVITE server: response retransmission, T1 doubling up to T2 (§17.2.1). */
  G = 7,
  /** INVITE server: wait time for ACK receipt, 64*T1 (§17.2.1). */
  H = 8,
  /** INVITE server: wait time for ACK retransmissions, T4 (§17.2.1). */
  I = 9,
  /** Non-INVITE server: wait time for request retransmissions, 64*T1 (§17.2.2). */
  J = 10,
  /** Non-INVITE client: wait time for response retransmissions, T4 (§17.1.2.2). */
  K = 11,
  /** INVITE server, Accepted state: wait time for ACK/INVITE retransmissions, 64*T1 (RFC 6026 §8.7). */
  L = 12,
  /** INVITE client, Accepted state: wait time for 2xx retransmissions, 64*T1 (RFC 6026 §8.4). */
  M = 13,
  /** UAS core: 2xx retransmission until ACK, T1 doubling up to T2 (§13.3.1.4). */
  Retransmit2xx = 20,
  /** UAS core: give up waiting for the ACK of a 2xx, 64*T1 (§13.3.1.4). */
  AckTimeout = 21,
  /** Registration refresh before the binding expires (§10.2.4). */
  Refresh = 22,
  /** Anything else a user of the queue needs (call duration, relay pulse, ...). */
  User = 30,
}

/** A short name for logs; returns literals, so no string is built. */
export function timerName(kind: TimerKind): string {
  switch (kind) {
    case TimerKind.A: return "Timer A";
    case TimerKind.B: return "Timer B";
    case TimerKind.D: return "Timer D";
    case TimerKind.E: return "Timer E";
    case TimerKind.F: return "Timer F";
    case TimerKind.G: return "Timer G";
    case TimerKind.H: return "Timer H";
    case TimerKind.I: return "Timer I";
    case TimerKind.J: return "Timer J";
    case TimerKind.K: return "Timer K";
    case TimerKind.L: return "Timer L";
    case TimerKind.M: return "Timer M";
    case TimerKind.Retransmit2xx: return "2xx retransmit";
    case TimerKind.AckTimeout: return "ACK timeout";
    case TimerKind.Refresh: return "refresh";
    case TimerKind.User: return "user";
    default: return "none";
  }
}
