/*
 * `doorsip run`: the intercom on Node. Not written yet: the lead wires it
 * (replace this command's `run`).
 */
import { EXIT_USAGE, type Command } from "./command";

export const runCommand: Command = {
  summary: "run the intercom on this machine (not yet available)",
  usage: "usage: doorsip run [options]\n\nRun the door intercom with the Node host.\n",
  async run(_args, io) {
    io.err("doorsip run: not yet available in this build (the Node runtime is still being written)\n");
    return EXIT_USAGE;
  },
};
