/*
 * Option parsing as the `doorsip` subcommands do it: node:util parseArgs
 * with -h/--help added and no positionals; a usage error is reported with
 * the command's usage text (exit 2) and --help prints it (exit 0), so the
 * command goes on only with good options.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT_OK, EXIT_USAGE, type CliIo } from "./command";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

const HELP = { help: { type: "boolean", short: "h", default: false } } as const;

type Config<O extends OptionsConfig> = { args: string[]; options: O & typeof HELP; allowPositionals: false };

/** The values parseArgs gives for these options (and help). */
export type OptionValues<O extends OptionsConfig> = ReturnType<typeof parseArgs<Config<O>>>["values"];

/**
 * `doorsip <name>`'s options from `args`: their values, or the exit code
 * when the command is already done (a usage error, reported on stderr with
 * `usage`; or --help, `usage` printed on stdout).
 */
export function commandOptions<O extends OptionsConfig>(name: string, usage: string, args: string[], io: CliIo, options: O): OptionValues<O> | number {
  let values: OptionValues<O>;
  try {
    ({ values } = parseArgs<Config<O>>({ args, options: { ...options, ...HELP }, allowPositionals: false }));
  } catch (e) {
    io.err(`doorsip ${name}: ${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
    return EXIT_USAGE;
  }
  // OptionValues<O> stays unresolved inside this generic function: read help through the type it surely has.
  if ((values as { help?: boolean }).help === true) {
    io.out(usage);
    return EXIT_OK;
  }
  return values;
}
