/*
 * The account the door station registers (RFC 3261 §10.2): who it is (the
 * address-of-record sip:user@domain), where the registrar is, and how to
 * authenticate (§22). Plain settings, read once: Registration and Keepalive
 * encode what they need to bytes at construction.
 */
import { ALLOW } from "./call/capabilities";

export interface AccountConfig {
  /** Address of the registrar (what the host's UdpHost.send accepts, e.g. "192.168.178.1"). */
  registrarHost: string;
  /** Default 5060 (RFC 3261 §19.1.2). */
  registrarPort?: number;
  /**
   * The DNS name `registrarHost` was resolved from (by the host, before
   * start). With a resolver host (ResolverHost) and no outbound proxy, the
   * core looks it up again when the server stops answering, and moves to
   * its new address (src/ua/server-name.ts); with a proxy it follows
   * `outboundProxyName` instead.
   */
  serverName?: string;
  /**
   * The port configured with `serverName` (absent or 0: none). Without
   * one, and with DNS servers for the core's own client (IntercomHosts
   * dnsServers), the name's SRV records are asked (RFC 3263 §4.2).
   */
  serverNamePort?: number;
  /**
   * Every server the host's first lookup of `serverName` gave, in the
   * order to try (SRV targets, RFC 3263 §4.2); the first is registrarHost
   * and registrarPort. On failure the station moves to the next (§4.3).
   */
  serverTargets?: ReadonlyArray<{ address: string; port: number }>;
  /** The domain of the address-of-record and of the REGISTER Request-URI (§10.2); default registrarHost. */
  domain?: string;
  /** User part of the address-of-record (sip:user@domain) and of the Contact. */
  user: string;
  password: string;
  /** Digest username when it differs from `user` (§22.4). */
  authUser?: string;
  /** Binding lifetime asked for, in seconds (§10.2.1.1); default 3600. */
  expires?: number;
  /** Outbound proxy address: requests go there with a Route to it (§8.1.2, loose routing ";lr"). */
  outboundProxyHost?: string;
  /** Default 5060. */
  outboundProxyPort?: number;
  /**
   * The DNS name `outboundProxyHost` was located from (by the host, before
   * start). With a proxy every request goes there, so this is the name the
   * core follows (src/ua/server-name.ts), as it follows `serverName`
   * without one: looked up again, or its next SRV target taken, when the
   * proxy stops answering.
   */
  outboundProxyName?: string;
  /** The port configured with `outboundProxyName` (absent or 0: none, so its SRV records are asked, RFC 3263 §4.2). */
  outboundProxyNamePort?: number;
  /** Every server the host's first lookup of `outboundProxyName` gave, in order (RFC 3263 §4.3); the first is the proxy's address and port. */
  outboundProxyTargets?: ReadonlyArray<{ address: string; port: number }>;
  /** User-Agent header value (§20.41); default "doorsip". */
  userAgent?: string;
  /** Allow header value of REGISTER (§20.5, §10.2); default the methods the calls take (DEFAULT_ALLOW). */
  allow?: string;
}

export const DEFAULT_SIP_PORT = 5060;
export const DEFAULT_EXPIRES = 3600;
export const DEFAULT_USER_AGENT = "doorsip";
/**
 * What REGISTER tells the registrar the door takes: the list its calls and
 * OPTIONS answers give (capabilities.ts), so that a registrar or PBX that
 * reads it (to decide whether to send MESSAGE, REFER, UPDATE...) sees what
 * the door does.
 */
export const DEFAULT_ALLOW = ALLOW;

/** A port setting, or the default when absent or out of range. */
export function portOr(port: number | undefined, fallback: number): number {
  return port !== undefined && port > 0 && port <= 65535 && port === Math.floor(port) ? port : fallback;
}

/**
 * A digest username as a setting may give it: the core writes it inside
 * the quoted username="..." of RFC 3261 §25.1, so a space, a quote or a
 * backslash is a typo, not a name.
 */
export function usableAuthUser(name: string): boolean {
  return !/[\s"\\]/.test(name);
}

/** An outbound proxy is configured (§8.1.2: requests go there, with a Route to it). */
export function hasOutboundProxy(a: AccountConfig): a is AccountConfig & { outboundProxyHost: string } {
  return a.outboundProxyHost !== undefined && a.outboundProxyHost !== "";
}

/**
 * The preloaded Route to the outbound proxy at `host`:`port` (§8.1.2, loose routing ";lr", §16.12.1.1), named by
 * the address requests are sent to, so that the proxy there recognises itself in it (§16.4); rewritten when the
 * proxy's name leads elsewhere (src/ua/server-name.ts).
 */
export function proxyRouteLine(host: string, port: number): string {
  return "Route: <sip:" + hostForUri(host) + ":" + port + ";lr>\r\n";
}

/** Where requests go first: the outbound proxy when configured, else the registrar (§8.1.2). */
export function nextHopHost(a: AccountConfig): string {
  return hasOutboundProxy(a) ? a.outboundProxyHost : a.registrarHost;
}

export function nextHopPort(a: AccountConfig): number {
  return hasOutboundProxy(a) ? portOr(a.outboundProxyPort, DEFAULT_SIP_PORT) : portOr(a.registrarPort, DEFAULT_SIP_PORT);
}

/** An IPv6 literal goes in brackets inside a URI or sent-by (RFC 3261 §25.1 IPv6reference). */
export function hostForUri(host: string): string {
  return host.indexOf(":") >= 0 && host.charAt(0) !== "[" ? "[" + host + "]" : host;
}
