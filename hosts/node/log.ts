/* LogHost on stderr: one line per entry, levels above the threshold dropped. */
import { LogLevel, type LogHost } from "../../src/host";

const NAMES = ["ERROR", "WARN", "INFO", "DEBUG"];

export interface LogSink {
  write(text: string): unknown;
}

export class NodeLog implements LogHost {
  level: LogLevel;
  private readonly sink: LogSink;

  constructor(level: LogLevel = LogLevel.Info, sink: LogSink = process.stderr) {
    this.level = level;
    this.sink = sink;
  }

  log(level: LogLevel, text: string): void {
    if (level > this.level) return;
    this.sink.write(`${new Date().toISOString()} ${NAMES[level] ?? String(level)} ${text}\n`);
  }
}

/** Parse "error" | "warn" | "info" | "debug" (case-insensitive) for command-line flags. */
export function parseLogLevel(name: string): LogLevel | undefined {
  switch (name.toLowerCase()) {
    case "error": return LogLevel.Error;
    case "warn": return LogLevel.Warn;
    case "info": return LogLevel.Info;
    case "debug": return LogLevel.Debug;
    default: return undefined;
  }
}
