/*
 * The transaction layer's counters (TransactionCounters, api.ts) as numbers
 * of a Float64Array, a view of the buffer that holds the layer's other
 * small fields, behind getters (issue #9, the idle heap): in XS a number
 * kept as a property is a slot (16 bytes on the device), an entry of the
 * array 8 bytes, and getters on the prototype cost no heap. The same array
 * holds the layer's own numbers after the counters (layer.ts LayerNum).
 */
import type { TransactionCounters } from "./api";

/** Where each counter is in the layer's numbers (literals: see the note on const enums in layer.ts). */
export const enum Count {
  Retransmissions = 0,
  Reclaimed = 1,
  RequestsAbsorbed = 2,
  ResponsesAbsorbed = 3,
  Rejected = 4,
  Unavailable = 5,
  Unanswerable = 6,
  ClientsReclaimed = 7,
  Dropped = 8,
  SendErrors = 9,
  UserErrors = 10,
  Unstored = 11,
  CopiesDropped = 12,
  /** How many numbers the counters take. */
  Size = 13,
}

export class Counters implements TransactionCounters {
  /** The counters, its first Count.Size entries, then the layer's own numbers (layer.ts LayerNum). */
  readonly numbers: Float64Array;

  constructor(numbers: Float64Array) {
    this.numbers = numbers;
  }

  /** One more of counter `c`. */
  add(c: Count): void {
    this.numbers[c] = this.numbers[c]! + 1;
  }

  get retransmissions(): number { return this.numbers[Count.Retransmissions]!; }
  get reclaimed(): number { return this.numbers[Count.Reclaimed]!; }
  get requestsAbsorbed(): number { return this.numbers[Count.RequestsAbsorbed]!; }
  get responsesAbsorbed(): number { return this.numbers[Count.ResponsesAbsorbed]!; }
  get rejected(): number { return this.numbers[Count.Rejected]!; }
  get unavailable(): number { return this.numbers[Count.Unavailable]!; }
  get unanswerable(): number { return this.numbers[Count.Unanswerable]!; }
  get clientsReclaimed(): number { return this.numbers[Count.ClientsReclaimed]!; }
  get dropped(): number { return this.numbers[Count.Dropped]!; }
  get sendErrors(): number { return this.numbers[Count.SendErrors]!; }
  get userErrors(): number { return this.numbers[Count.UserErrors]!; }
  /**
   * Messages the arena had no room for, even after copies were given up: client
   * requests refused (send() false, nothing sent), responses sent without
   * a copy (not resent), ACKs of failed INVITEs sent once.
   */
  get unstored(): number { return this.numbers[Count.Unstored]!; }
  /** Copies given up by answered transactions to make room in the arena (layer.ts dropRoom). */
  get copiesDropped(): number { return this.numbers[Count.CopiesDropped]!; }
}
