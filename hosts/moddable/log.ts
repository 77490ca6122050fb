/*
 * LogHost through XS `trace`. On the device trace goes to the serial port (or
 * xsbug in debug builds); in the Linux simulator it goes to xsbug when one is
 * listening and always to stdout (xs/sources/xsDebug.c, fxReport).
 *
 * trace takes several arguments and writes them in turn, so a line costs no
 * string concatenation here.
 */
import { LogLevel, type LogHost } from "../../src/host";

const NAMES = Object.freeze(["E ", "W ", "I ", "D "]);

export class TraceLog implements LogHost {
  /** Lines above this level are dropped; the app may change it at any time. */
  level: LogLevel;

  constructor(level: LogLevel = LogLevel.Info) {
    this.level = level;
  }

  log(level: LogLevel, text: string): void {
    if (level > this.level) return;
    trace(NAMES[level] ?? "? ", text, "\n");
  }
}

/** "error" | "warn" | "info" | "debug" (or 0..3), as given in mc/config or a preference. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  switch (value?.toLowerCase()) {
    case "error": case "0": return LogLevel.Error;
    case "warn": case "1": return LogLevel.Warn;
    case "info": case "2": return LogLevel.Info;
    case "debug": case "3": return LogLevel.Debug;
    default: return fallback;
  }
}
