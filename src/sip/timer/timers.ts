/*
 * RFC 3261 timer values (§17, summarised in Table 4 of Appendix A), derived
 * from T1, T2 and T4. RFC 6026 (§8.4, §8.7, Table 4 update) adds Timers L
 * and M, both 64*T1. Only the inputs are kept; the timers are getters (on
 * the prototype, in ROM on the device), since in XS each number property
 * is a heap slot for the life of the station (issue 9) and a transaction
 * reads a few of them per start, a multiplication each.
 */

/** The configurable inputs; anything left out takes the RFC default. */
export interface TimerConfig {
  /** RTT estimate, default 500 ms (§17.1.1.1). Larger is allowed on high-latency networks. */
  t1?: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s (§17.1.2.2). */
  t2?: number;
  /** Maximum duration a message remains in the network, default 5 s (§17.1.2.2). */
  t4?: number;
  /** Timer D; at least 32 s for unreliable transports (§17.1.1.2). */
  d?: number;
  /** True on TCP/TLS: Timers D, I, K become 0 and retransmit timers are unused (§17.1.1.2, §17.1.2.2, §17.2.1, §17.2.2). */
  reliable?: boolean;
}

export const DEFAULT_T1 = 500;
export const DEFAULT_T2 = 4000;
export const DEFAULT_T4 = 5000;
/** Timer D for UDP: "at least 32 seconds" (§17.1.1.2, Table 4). */
export const DEFAULT_TIMER_D = 32000;

function positive(value: number | undefined, fallback: number): number {
  // A bad setting must not make the core spin or throw: fall back to the RFC default.
  return value !== undefined && value > 0 && value < Infinity ? value : fallback;
}

/** All timer durations in milliseconds, computed once at construction. */
export class TimerValues {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
  readonly reliable: boolean;
  /** Wait for INVITE response retransmits: >= 32 s on UDP, 0 on reliable (§17.1.1.2); the one timer configured on its own. */
  readonly d: number;

  constructor(config?: TimerConfig) {
    const reliable = config?.reliable === true;
    this.t1 = positive(config?.t1, DEFAULT_T1);
    this.t2 = positive(config?.t2, DEFAULT_T2);
    this.t4 = positive(config?.t4, DEFAULT_T4);
    this.reliable = reliable;
    this.d = reliable ? 0 : positive(config?.d, DEFAULT_TIMER_D);
  }

  /** INVITE request retransmit, initial value; doubles without cap (§17.1.1.2). */
  get a(): number {
    return this.t1;
  }

  /** INVITE transaction timeout (§17.1.1.2). */
  get b(): number {
    return 64 * this.t1;
  }

  /** Non-INVITE request retransmit, initial value; doubles up to T2 (§17.1.2.2). */
  get e(): number {
    return this.t1;
  }

  /** Non-INVITE transaction timeout (§17.1.2.2). */
  get f(): number {
    return 64 * this.t1;
  }

  /** INVITE response retransmit, initial value; doubles up to T2 (§17.2.1). */
  get g(): number {
    return this.t1;
  }

  /** Wait for ACK receipt (§17.2.1). */
  get h(): number {
    return 64 * this.t1;
  }

  /** Wait for ACK retransmits: T4 on UDP, 0 on reliable (§17.2.1). */
  get i(): number {
    return this.reliable ? 0 : this.t4;
  }

  /** Wait for non-INVITE request retransmits: 64*T1 on UDP, 0 on reliable (§17.2.2). */
  get j(): number {
    return this.reliable ? 0 : 64 * this.t1;
  }

  /** Wait for non-INVITE response retransmits: T4 on UDP, 0 on reliable (§17.1.2.2). */
  get k(): number {
    return this.reliable ? 0 : this.t4;
  }

  /** INVITE server, Accepted state (RFC 6026 §8.7). */
  get l(): number {
    return 64 * this.t1;
  }

  /** INVITE client, Accepted state (RFC 6026 §8.4). */
  get m(): number {
    return 64 * this.t1;
  }

  /** Next Timer A interval: "reset the timer with a value of 2*T1" each time, no cap (§17.1.1.2). */
  nextA(previous: number): number {
    return 2 * previous;
  }

  /**
   * Next Timer E / Timer G / 2xx retransmit interval: doubled, capped at T2
   * (§17.1.2.2 for E, §17.2.1 for G, §13.3.1.4 for the 2xx).
   */
  nextCapped(previous: number): number {
    const next = 2 * previous;
    return next < this.t2 ? next : this.t2;
  }
}
