/*
 * The server's name looked up by the core's own DNS client (RFC 3263 §4.2:
 * SRV, else A) for src/ua/server-name.ts, which walks the servers it gives
 * on failure (§4.3). One line in the log says what was found.
 */
import { LogLevel, type LogHost, logEnabled } from "../host";
import type { ServerAddress, ServerFinder } from "../ua/server-name";
import { describeLocation, type LocateListener, type Location, type ServerLocator } from "./server-locator";

export class DnsFinder implements ServerFinder, LocateListener {
  private readonly locator: ServerLocator;
  /** The port configured with the name (0: none, so SRV records are asked). */
  private readonly port: number;
  private readonly log: LogHost | undefined;
  private done: ((servers: readonly ServerAddress[]) => void) | null = null;

  constructor(locator: ServerLocator, port: number, log?: LogHost) {
    this.locator = locator;
    this.port = port;
    this.log = log;
  }

  find(name: string, done: (servers: readonly ServerAddress[]) => void): void {
    // One lookup at a time: a later one supersedes (ServerName takes only the latest's answer anyway).
    this.done = done;
    this.locator.locate(name, this.port, this);
  }

  onLocated(location: Location): void {
    const done = this.done;
    this.done = null;
    if (logEnabled(this.log, LogLevel.Info)) this.log.log(location.targets.length > 0 ? LogLevel.Info : LogLevel.Warn, "dns: " + describeLocation(location));
    if (done !== null) done(location.targets);
  }
}
