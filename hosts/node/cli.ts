/*
 * The `doorsip` command line (bin/doorsip.mjs bundles this file and calls
 * main). Subcommands live in hosts/node/commands/; to add one, write a
 * Command there and list it in COMMANDS.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchCommand } from "./commands/bench";
import { EXIT_OK, EXIT_USAGE, type CliIo, type Command } from "./commands/command";
import { fuzzCommand } from "./commands/fuzz";
import { parseCommand } from "./commands/parse";
import { pbxCommand } from "./commands/pbx";
import { runCommand } from "./commands/run";

/** The subcommands, in the order --help lists them. */
export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  pbx: pbxCommand,
  parse: parseCommand,
  bench: benchCommand,
  fuzz: fuzzCommand,
};

/** The project root: the nearest directory upwards holding doorsip's package.json. */
export function findRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "doorsip") return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const list = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(width)}   ${c.summary}`)
    .join("\n");
  return `usage: doorsip COMMAND [options]\n\ncommands:\n${list}\n\n"doorsip COMMAND --help" describes a command.\n`;
}

export function processIo(root: string = findRoot()): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    root,
  };
}

/** Run the command line (without "node" and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && rest[0] !== undefined && COMMANDS[rest[0]]) {
      io.out(COMMANDS[rest[0]]!.usage);
      return EXIT_OK;
    }
    (name === undefined ? io.err : io.out)(help());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`doorsip: unknown command "${name}"\n\n${help()}`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}
