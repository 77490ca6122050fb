/*
 * What a client and a server transaction share (RFC 3261 §17): the numbers
 * every transaction has (method, state, the arena span of its stored
 * message, the two timers of timer-pair.ts), kept in one table of the
 * layer rather than as properties (issue #9, the idle heap). In XS each
 * property is a heap slot per transaction (16 bytes on the device), a
 * number in the table 8 bytes, and the table one view for all, read
 * through the owner; the accessors live on the prototype (no slot per
 * instance). Each transaction is also the one queue entry of both its
 * timers (a TimerNode): no entry object, no property holding one, no
 * target pointing back.
 */
import type { Method } from "../message/method";
import type { StoredMessage } from "./arena";
import { TimerNode } from "../timer/timer-queue";
import { TimerKind } from "../timer/timer-kind";
import type { TimerPair } from "../timer/timer-pair";

/** The owner's table of numbers: each transaction has its own run of it from its `base`. */
export interface NumberTable {
  readonly numbers: Float64Array;
}

/** Where the shared numbers are in a transaction's run; each kind appends its own from Shared.Count. */
export const enum Shared {
  Method, State, UserData,
  /** Reserved (a client before it is sent) or running. */
  InUse,
  /** The stored message: arena bytes [at, at + length), none when at < 0. */
  At, Length,
  /** Where the request goes, or responses go (§18.2.2): the port (the address is a string property). */
  Port,
  /** The retransmission timer: due time (-1: stopped) and last interval; the timeout: due time (-1: stopped); both kinds. */
  RetransmitAt, RetransmitInterval, TimeoutAt, Kinds,
  Count,
}

export abstract class TransactionRow<S extends number, O extends NumberTable> extends TimerNode implements StoredMessage, TimerPair {
  /** Where this transaction's numbers start in the owner's table. */
  protected readonly base: number;
  protected readonly owner: O;

  /** `count` numbers from `base` in the owner's table, set to those of a free transaction. */
  constructor(owner: O, base: number, count: number, idle: S, none: Method) {
    super(TimerKind.None);
    this.owner = owner;
    this.base = base;
    const numbers = owner.numbers;
    for (let i = 0; i < count; i++) numbers[base + i] = 0;
    this.method = none;
    this.state = idle;
    this.at = -1;
    this.retransmitAt = -1;
    this.timeoutAt = -1;
  }

  get method(): Method { return this.owner.numbers[this.base + Shared.Method]!; }
  set method(v: Method) { this.owner.numbers[this.base + Shared.Method] = v; }
  get state(): S { return this.owner.numbers[this.base + Shared.State]! as S; }
  set state(v: S) { this.owner.numbers[this.base + Shared.State] = v; }
  get userData(): number { return this.owner.numbers[this.base + Shared.UserData]!; }
  set userData(v: number) { this.owner.numbers[this.base + Shared.UserData] = v; }
  get inUse(): boolean { return this.owner.numbers[this.base + Shared.InUse] !== 0; }
  set inUse(v: boolean) { this.owner.numbers[this.base + Shared.InUse] = v ? 1 : 0; }
  get at(): number { return this.owner.numbers[this.base + Shared.At]!; }
  set at(v: number) { this.owner.numbers[this.base + Shared.At] = v; }
  get length(): number { return this.owner.numbers[this.base + Shared.Length]!; }
  set length(v: number) { this.owner.numbers[this.base + Shared.Length] = v; }
  get port(): number { return this.owner.numbers[this.base + Shared.Port]!; }
  set port(v: number) { this.owner.numbers[this.base + Shared.Port] = v; }
  get retransmitAt(): number { return this.owner.numbers[this.base + Shared.RetransmitAt]!; }
  set retransmitAt(v: number) { this.owner.numbers[this.base + Shared.RetransmitAt] = v; }
  get retransmitInterval(): number { return this.owner.numbers[this.base + Shared.RetransmitInterval]!; }
  set retransmitInterval(v: number) { this.owner.numbers[this.base + Shared.RetransmitInterval] = v; }
  get timeoutAt(): number { return this.owner.numbers[this.base + Shared.TimeoutAt]!; }
  set timeoutAt(v: number) { this.owner.numbers[this.base + Shared.TimeoutAt] = v; }
  get kinds(): number { return this.owner.numbers[this.base + Shared.Kinds]!; }
  set kinds(v: number) { this.owner.numbers[this.base + Shared.Kinds] = v; }
}
