/*
 * The keys of `doorsip run` and `doorsip pbx`: single keys on a terminal
 * (raw mode), lines on stdin otherwise (tests, pipes); SIGINT, SIGTERM,
 * Ctrl-C, Ctrl-D and the end of input finish.
 */
import { emitKeypressEvents } from "node:readline";
import { createInterface } from "node:readline";

/**
 * Call `act` with each key (lower case; Enter is "\r") or line (trimmed,
 * lower case), and `finish` once on the ways out above. Returns what
 * undoes it all (raw mode, listeners; stdin destroyed when it is a pipe,
 * which the other end may leave open).
 */
export function listenForKeys(act: (cmd: string) => void, finish: () => void): () => void {
  const cleanups: Array<() => void> = [];
  const onSignal = (): void => finish();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  cleanups.push(() => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  });
  const stdin = process.stdin;
  if (stdin.isTTY) {
    emitKeypressEvents(stdin);
    stdin.setRawMode(true);
    const onKey = (str: string | undefined, key: { ctrl?: boolean; name?: string }): void => {
      if (key.ctrl === true && (key.name === "c" || key.name === "d")) finish();
      else if (key.name === "return" || key.name === "enter") act("\r");
      else if (str !== undefined) act(str.toLowerCase());
    };
    stdin.on("keypress", onKey);
    stdin.resume();
    cleanups.push(() => {
      stdin.off("keypress", onKey);
      stdin.setRawMode(false);
      stdin.pause();
    });
  } else {
    const rl = createInterface({ input: stdin });
    rl.on("line", (line) => act(line.trim().toLowerCase()));
    rl.on("close", () => finish());
    cleanups.push(() => {
      rl.close();
      // A pipe left open by the other end would keep the process alive after "quit".
      stdin.destroy();
    });
  }
  return () => {
    for (const c of cleanups) c();
  };
}
