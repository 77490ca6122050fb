/*
 * The settings page on the Moddable SDK's HTTP server (modules/network/http,
 * the `http` module, on the SDK's `socket` Listener). Opt-in: main.ts makes
 * it only when web_password is set; otherwise this module's code stays in
 * flash (preloaded) and nothing is allocated, no socket opened.
 *
 * Every request is authenticated by HTTP Digest (auth.ts: RFC 7616, MD5,
 * qop=auth, nonces from the host's random source and clock, lockout after
 * repeated wrong passwords). Routes:
 *   GET  /       the page (page.ts): state and the settings form
 *   POST /       store the changed settings (submit.ts: each value checked
 *                by the same function boot reads it with), then restart
 *   POST /reset  delete every stored setting (back to the build's values),
 *                then restart
 * Both POSTs need the form's anti-forgery token: a browser sends cached
 * Digest credentials with a form another site makes it submit, and that
 * site cannot read the token from our page.
 *
 * The SDK's server closes each connection after its response. Every
 * connection is held to guard.ts's limits (how many at once, a deadline,
 * a header line's length and the number of header lines), which the SDK
 * does not have: a connection over one is closed through the SDK's own
 * path for a lost connection (its socket callback with -1: our error
 * callback, out of `server.connections`, the socket closed), never from
 * inside one of our callbacks while the SDK is reading (its loop would read
 * the closed socket, and its error path would then remove another
 * connection from the list). A body is
 * taken only for a POST of at most MAX_BODY bytes (Content-Length; larger
 * ones get 413 and are read and dropped by the SDK unbuffered). The
 * response goes out as fixed-length fragments of what the socket can take
 * (the SDK writes a string body in one piece, which a page larger than
 * lwIP's send buffer would never fit).
 *
 * Restart: the SDK's ECMA-419 `system` module (modules/io/system, included
 * through modules/io/manifest.json and preloaded) sets a global System whose
 * restart() is esp_restart() on the ESP32; the simulator's System has none,
 * so the page says to restart it by hand.
 */
import { Server, type Request, type ServerMessages } from "http";
import Time from "time";
import Timer from "timer";
import { LogLevel, type LogHost, type StorageHost } from "../../../src/host";
import { utf8Encode } from "../../../src/util/utf8";
import { DigestHash } from "../hash";
import { MathRandom } from "../random";
import { SETTING_KEYS, type SettingKey } from "../setting-rules";
import { rawSetting } from "../settings";
import { AuthResult, WebAuth } from "./auth";
import { ConnectionGuard, DEADLINE_MS, type Guarded, Overrun } from "./guard";
import { MAX_BODY, parseForm } from "./form";
import { type PageStatus, writeMessage, writePage } from "./page";
import { readSubmission, type SettingChange } from "./submit";

/** When a connection's deadline is checked (guard.ts DEADLINE_MS): once, at the deadline. */
const DEADLINE_CHECK_MS = DEADLINE_MS;

/**
 * Close a connection the way http.js closes a lost one: its socket callback with -1 calls our error callback
 * (ended()), removes the Request from server.connections and closes the socket. Only when it still has its socket:
 * a second -1 would remove another connection from the list (http.js splices at indexOf, which is then -1).
 */
function close(request: Request): void {
  const socket = (request as unknown as SdkRequest).socket;
  const callback = socket?.callback;
  if (callback !== undefined) callback(-1);
}

/** How long after the response the device restarts: the browser gets the whole page first. */
const RESTART_DELAY_MS = 1000;
const HTML = "text/html; charset=utf-8";

interface SdkSystem {
  restart?: () => void;
}

/** The SDK's restart, where there is one (ESP32); undefined in the simulator. */
function restartFunction(): (() => void) | undefined {
  const system = (globalThis as { System?: SdkSystem }).System;
  return typeof system?.restart === "function" ? system.restart : undefined;
}

/** The parts of http.js's Request and socket the guard needs (not in @moddable/typings): see the header comment. */
interface SdkSocket {
  callback?: (message: number, value?: unknown) => void;
}
interface SdkRequest {
  socket?: SdkSocket;
  /** A header line without its newline yet (http.js, Server: partial lines accumulate here). */
  line?: unknown;
}

/** One request, from its connection to its response's last byte. */
class Exchange implements Guarded {
  readonly request: Request;
  readonly openedAt: number;
  /** No request line yet. */
  idle = true;
  headers = 0;
  /** Over a limit, seen in a callback: closed once the SDK is done with the event. */
  doomed = false;
  /** The deadline's timer. */
  timer: Timer | undefined = undefined;
  method = "";
  path = "";
  authorization: string | undefined = undefined;
  length = 0;
  body = "";
  /** The response being sent, and how much of it went out. */
  bytes: Uint8Array | null = null;
  sent = 0;
  /** Restart once this response is out. */
  restart = false;

  constructor(request: Request, now: number) {
    this.request = request;
    this.openedAt = now;
  }
}

/**
 * What headersComplete returns to have the body collected as one string: the String constructor (http.js tests
 * `String === this.request`), which @moddable/typings' HTTPServerCallback does not list among its return types.
 */
const BODY_AS_STRING = String as unknown as string;

/** StorageHost with the deletion storage.ts's PreferenceStorage has ("reset to build defaults"). */
export interface SettingStore extends StorageHost {
  delete(key: string): void;
}

type Response = { status: number; headers: string[]; body: true };

export class SettingsPage {
  private readonly server: Server;
  private readonly auth: WebAuth;
  private readonly storage: SettingStore;
  private readonly log: LogHost;
  private readonly status: () => PageStatus;
  private readonly token: string;
  private readonly exchanges = new Map<Request, Exchange>();
  /** Limits on the connections (guard.ts); its counts say what was turned away. */
  readonly guard = new ConnectionGuard<Exchange>();
  /** Requests served (for the log and the tests). */
  served = 0;

  /**
   * Listen on `port`; throws when the port cannot be had (main.ts logs it).
   * `status` gives the device's state when the page is written.
   */
  constructor(port: number, password: string, storage: SettingStore, log: LogHost, status: () => PageStatus) {
    this.storage = storage;
    this.log = log;
    this.status = status;
    this.auth = new WebAuth(new DigestHash(), new MathRandom(), { now: (): number => Time.ticks }, password);
    this.token = this.auth.randomToken();
    this.server = new Server({ port });
    // The SDK calls back with `this` the connection's Request (modules/network/http/http.js, Server).
    const page = this;
    this.server.callback = function (this: Request, message: ServerMessages, value?: unknown, etc?: unknown) {
      return page.message(this, message, value, etc);
    };
  }

  close(): void {
    this.server.close();
    this.exchanges.forEach((ex) => this.ended(ex));
    this.exchanges.clear();
  }

  private message(request: Request, message: ServerMessages, value: unknown, etc: unknown): string | boolean | ArrayBuffer | Response | undefined {
    const ex = this.exchanges.get(request);
    if (message === Server.connection || ex === undefined) {
      if (message === Server.connection) this.connected(request);
      return undefined;
    }
    switch (message) {
      case Server.status:
        ex.idle = false;
        ex.path = typeof value === "string" ? value : "";
        ex.method = typeof etc === "string" ? etc : "";
        return undefined;
      case Server.header:
        // Counted here, closed when the SDK is done with this read (watch()).
        ex.headers++;
        if (!ex.doomed && this.guard.overrun(0, ex.headers) !== Overrun.None) ex.doomed = true;
        if (value === "authorization" && typeof etc === "string") ex.authorization = etc;
        else if (value === "content-length" && typeof etc === "string") {
          // Read as http.js reads it (parseInt, and a 0 or unreadable value keeps the one before): the length bounded
          // here must be the one the SDK buffers. Number() took "100000x" or a second "Content-Length: 0" as 0, and
          // the SDK then collected 100 kB as one string before any password was checked.
          const length = parseInt(etc);
          if (length) ex.length = length;
        }
        return undefined;
      case Server.headersComplete:
        // The body as one string, only for a POST small enough; any other body is read and dropped by the SDK.
        return ex.method === "POST" && ex.length >= 0 && ex.length <= MAX_BODY ? BODY_AS_STRING : false;
      case Server.requestComplete:
        ex.body = typeof value === "string" ? value : "";
        return undefined;
      case Server.prepareResponse:
        return this.respond(ex);
      case Server.responseFragment: {
        const bytes = ex.bytes;
        const room = typeof value === "number" ? value : 0;
        if (bytes === null || ex.sent >= bytes.length || room <= 0) return undefined;
        const end = ex.sent + room < bytes.length ? ex.sent + room : bytes.length;
        const chunk = new ArrayBuffer(end - ex.sent);
        new Uint8Array(chunk).set(bytes.subarray(ex.sent, end));
        ex.sent = end;
        return chunk;
      }
      case Server.responseComplete:
      case Server.error:
        this.ended(ex);
        // A client may close as soon as it has Content-Length bytes, before the SDK's last write callback: then the
        // SDK reports an error, though the whole response went out.
        if (ex.restart && (message === Server.responseComplete || (ex.bytes !== null && ex.sent >= ex.bytes.length))) this.restartSoon();
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * A new connection (http.js has made its Request and socket, set the socket's callback and listed it in
   * server.connections): held to the limits, or closed at once.
   */
  private connected(request: Request): void {
    const ex = new Exchange(request, Time.ticks);
    const admission = this.guard.admit(ex);
    if (admission.kind === "refuse") {
      this.report();
      close(request);
      return;
    }
    this.exchanges.set(request, ex);
    this.watch(ex);
    ex.timer = Timer.set(() => {
      ex.timer = undefined;
      if (this.exchanges.get(request) === ex && this.guard.expiredAt(ex, Time.ticks)) {
        this.report();
        close(request);
      }
    }, DEADLINE_CHECK_MS);
    if (admission.kind === "evict") {
      this.report();
      close(admission.victim.request);
    }
  }

  /**
   * Wrap the connection socket's callback (http.js's `server` function bound to the Request): after the SDK has
   * handled each event, a header line still without its newline that is too long, or a request marked over a limit
   * by a callback, closes the connection. http.js keeps no other reference to the callback.
   */
  private watch(ex: Exchange): void {
    const sdk = ex.request as unknown as SdkRequest;
    const socket = sdk.socket;
    const inner = socket?.callback;
    if (socket === undefined || inner === undefined) return;
    const guard = this.guard;
    socket.callback = (message: number, value?: unknown): void => {
      inner(message, value);
      // The SDK closed it (answered, or lost): nothing to check.
      if (sdk.socket === undefined || this.exchanges.get(ex.request) !== ex) return;
      const line = sdk.line;
      if (ex.doomed || (typeof line === "string" && guard.overrun(line.length, 0) !== Overrun.None)) {
        this.report();
        close(ex.request);
      }
    };
  }

  /** The exchange is over (answered, lost or closed): its hold released, its timer cleared. */
  private ended(ex: Exchange): void {
    if (this.exchanges.get(ex.request) === ex) this.exchanges.delete(ex.request);
    this.guard.release(ex);
    if (ex.timer !== undefined) {
      Timer.clear(ex.timer);
      ex.timer = undefined;
    }
  }

  private report(): void {
    const line = this.guard.report(Time.ticks);
    if (line !== "") this.log.log(LogLevel.Warn, line);
  }

  private reply(ex: Exchange, status: number, text: string, extra?: string[]): Response {
    ex.bytes = utf8Encode(text);
    ex.sent = 0;
    const headers = ["content-type", HTML, "content-length", String(ex.bytes.length), "cache-control", "no-store",
      "x-frame-options", "DENY", "content-security-policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'"];
    if (extra !== undefined) for (let i = 0; i < extra.length; i++) headers.push(extra[i]!);
    return { status, headers, body: true };
  }

  private respond(ex: Exchange): Response {
    this.served++;
    const result = this.auth.check(ex.method, ex.path, ex.authorization);
    if (result === AuthResult.Locked) {
      return this.reply(ex, 403, writeMessage("locked", `Too many wrong passwords: try again in ${Math.ceil(this.auth.lockedForMs() / 1000)} s.`));
    }
    if (result !== AuthResult.Ok) {
      if (result === AuthResult.Wrong) this.log.log(LogLevel.Warn, `web: wrong password (${this.auth.wrongInRow} in a row)`);
      return this.reply(ex, 401, writeMessage("doorsip", "The settings page needs its password (user admin)."),
        ["www-authenticate", this.auth.challenge(result === AuthResult.Stale)]);
    }
    const route = ex.method + " " + ex.path;
    if (route === "GET /") return this.reply(ex, 200, this.page([], ""));
    if (route === "POST /" || route === "POST /reset") {
      if (ex.length < 0 || ex.length > MAX_BODY) return this.reply(ex, 413, writeMessage("too large", `The form is larger than ${MAX_BODY} bytes.`));
      const form = parseForm(ex.body);
      ex.body = "";
      if (!form.ok) return this.reply(ex, 400, this.page([form.problem], ""));
      const current = (key: SettingKey): string | undefined => rawSetting(this.storage, key);
      if (route === "POST /reset") {
        const checked = readSubmission(form.fields, this.token, () => undefined);
        if (!checked.ok && checked.forged) return this.reply(ex, 403, this.page(checked.problems, ""));
        let kept = "";
        for (let i = 0; i < SETTING_KEYS.length; i++) {
          const key = SETTING_KEYS[i]!;
          this.storage.delete(key);
          // The store reports no failure (storage.ts): what is still there was not deleted.
          if (this.storage.get(key) !== undefined) kept += (kept !== "" ? ", " : "") + key;
        }
        if (kept !== "") {
          this.log.log(LogLevel.Error, `web: could not delete ${kept}`);
          return this.reply(ex, 500, this.page([`could not delete ${kept}: the device's storage fails; not restarting`], ""));
        }
        this.log.log(LogLevel.Info, "web: stored settings deleted (build defaults)");
        ex.restart = true;
        return this.reply(ex, 200, this.page([], `Stored settings deleted: the build's values apply ${this.afterRestart()}.`));
      }
      const submission = readSubmission(form.fields, this.token, current);
      if (!submission.ok) return this.reply(ex, submission.forged ? 403 : 400, this.page(submission.problems, ""));
      if (submission.changes.length === 0) return this.reply(ex, 200, this.page([], "Nothing changed."));
      const failed = this.store(submission.changes);
      if (failed !== "") {
        this.log.log(LogLevel.Error, `web: could not store ${failed}`);
        return this.reply(ex, 500, this.page([failed], ""));
      }
      let names = "";
      for (let i = 0; i < submission.changes.length; i++) names += (i > 0 ? ", " : "") + submission.changes[i]!.key;
      this.log.log(LogLevel.Info, `web: stored ${names}`);
      ex.restart = true;
      return this.reply(ex, 200, this.page([], `Saved ${names}: the new values apply ${this.afterRestart()}.`));
    }
    if (ex.path !== "/" && ex.path !== "/reset") return this.reply(ex, 404, writeMessage("not found", "Not found."));
    return this.reply(ex, 405, writeMessage("method not allowed", "Method not allowed."), ["allow", ex.path === "/" ? "GET, POST" : "POST"]);
  }

  /**
   * Store the changes, all or none: each is read back (the store logs a failure rather than throw, storage.ts), and
   * when one did not take (NVS full, a file not writable) those stored before it get their old values back, so
   * the next boot does not start with half a SIP account. "" when all were stored, else why not.
   */
  private store(changes: readonly SettingChange[]): string {
    const before: (string | undefined)[] = [];
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i]!;
      before.push(this.storage.get(change.key));
      this.storage.set(change.key, change.value);
      if (this.storage.get(change.key) === change.value) continue;
      let stuck = "";
      for (let j = i; j >= 0; j--) {
        const key = changes[j]!.key;
        const old = before[j];
        if (old === undefined) this.storage.delete(key);
        else this.storage.set(key, old);
        if (j < i && this.storage.get(key) !== old) stuck += (stuck !== "" ? ", " : "") + key;
      }
      return `${change.key} could not be stored (the device's storage is full or fails)` +
        (stuck !== "" ? `; ${stuck} could not be put back and apply at the next restart` : "; nothing was changed");
    }
    return "";
  }

  private page(problems: readonly string[], notice: string): string {
    return writePage({ status: this.status(), value: (key) => rawSetting(this.storage, key), token: this.token, problems, notice });
  }

  private afterRestart(): string {
    return restartFunction() !== undefined ? "now: restarting" : "when the device restarts (the simulator: restart it to apply)";
  }

  private restartSoon(): void {
    const restart = restartFunction();
    if (restart === undefined) {
      this.log.log(LogLevel.Info, "web: restart to apply (no restart in the simulator)");
      return;
    }
    this.log.log(LogLevel.Info, "web: restarting");
    Timer.set(() => restart(), RESTART_DELAY_MS);
  }
}
