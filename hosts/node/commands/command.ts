/* What every `doorsip` subcommand is: see hosts/node/cli.ts for the table. */

export interface CliIo {
  /** Write to standard output (text as given: add the newlines). */
  out(text: string): void;
  /** Write to standard error. */
  err(text: string): void;
  /** The project root (the directory of package.json). */
  root: string;
}

export interface Command {
  /** One line for `doorsip --help`. */
  summary: string;
  /** The command's own help text. */
  usage: string;
  /** Run with the arguments after the command name; resolves to the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** Exit codes: 0 ok, 1 the command's subject failed (a message did not parse), 2 usage error or not available. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
