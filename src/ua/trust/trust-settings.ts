/*
 * Settings of trusted-source filtering (plain data, so a host can pass
 * them through JSON, e.g. into the XS worker). See trust-policy.ts.
 */

/** What a request from an untrusted source gets. */
export const enum UntrustedAction {
  /** 403 "Forbidden - Untrusted Source", sent statelessly (RFC 3261 §8.2.7). */
  Reject = 0,
  /**
   * Nothing: the sender cannot even tell that a SIP device is here. Every
   * request of an untrusted source outside a live dialog is dropped, OPTIONS
   * and REGISTER too (trust-policy.ts).
   */
  Drop = 1,
}

export interface TrustSettings {
  /**
   * Peers trusted besides the registrar and outbound proxy: "192.0.2.7"
   * (any port), "192.0.2.7:5062", "192.168.1.0/24", "[2001:db8::7]:5060".
   * With no server configured, the default is the local networks.
   */
  allow?: readonly string[];
  /** Default Reject. */
  untrusted?: UntrustedAction;
  /**
   * Take calls, INFO, MESSAGE and REFER from anyone (the device's
   * accept_from=any). They are still counted, and the door code still works
   * only in calls from trusted sources; in the dialog of such a call these
   * requests are still taken only from its peer. Default false.
   */
  acceptAny?: boolean;
  /** Drop requests whose User-Agent is a known SIP scanner (default true). */
  dropScanners?: boolean;
}

/** "reject" | "drop" (hosts' configuration) → the action, or undefined. */
export function parseUntrustedAction(text: string): UntrustedAction | undefined {
  switch (text.trim().toLowerCase()) {
    case "reject": return UntrustedAction.Reject;
    case "drop": return UntrustedAction.Drop;
    default: return undefined;
  }
}
