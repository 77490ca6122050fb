/*
 * A call target as a user writes it (the device's call_target, Node's
 * --target), made into what UserAgent.dial takes: a target that does not
 * start with "sip:" or "sips:" is a user part, called at the domain
 * (user-agent.ts). So "user@host" gets its "sip:" (else the door would call
 * sip:user@host@domain), the scheme is lower-cased, and what is neither a
 * SIP URI nor a user part is refused with the reason; each host words it.
 * Read once at start: a regular expression is fine here.
 */

/** Why a target cannot be called. */
export const enum TargetProblem {
  /** It holds white space. */
  Space = 1,
  /** Another scheme than sip: or sips: (tel:, http:...), with no "@". */
  Scheme = 2,
  /** Neither a SIP URI nor a user part (RFC 3261 §25.1: unreserved, user-unreserved, escaped). */
  NotUserPart = 3,
}

const USER_PART = /^[A-Za-z0-9\-_.!~*'()&=+$;?/%]+$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** One trimmed, non-empty target, as UserAgent.dial takes it, or why it cannot be called. */
export function normalTarget(t: string): string | TargetProblem {
  if (/\s/.test(t)) return TargetProblem.Space;
  const scheme = SCHEME.exec(t);
  if (scheme !== null && /^sips?$/i.test(scheme[1]!)) return scheme[1]!.toLowerCase() + t.substring(scheme[1]!.length);
  if (scheme !== null && t.indexOf("@") < 0) return TargetProblem.Scheme;
  if (t.indexOf("@") >= 0) return "sip:" + t;
  return USER_PART.test(t) ? t : TargetProblem.NotUserPart;
}
