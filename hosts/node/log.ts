/* LogHost on stderr: one line per entry, levels above the threshold dropped. */
import { LogLevel, type LogHost } from "../../src/host";

const NAMES = ["ERROR", "WARN", "INFO", "DEBUG"];

export interface LogSink {
  write(text: string): unknown;
}

export class NodeLog implements LogHost {
  level: LogLevel;
  /** Strings never to write (passwords): masked with as many '*' in every line. */
  readonly secrets: string[] = [];
  private readonly sink: LogSink;

  constructor(level: LogLevel = LogLevel.Info, sink: LogSink = process.stderr) {
    this.level = level;
    this.sink = sink;
  }

  log(level: LogLevel, text: string): void {
    if (level > this.level) return;
    this.sink.write(`${new Date().toISOString()} ${NAMES[level] ?? String(level)} ${redact(text, this.secrets)}\n`);
  }
}

/** `text` with every non-empty secret replaced by as many '*'. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== "" && out.includes(s)) out = out.split(s).join("*".repeat(s.length));
  return out;
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
