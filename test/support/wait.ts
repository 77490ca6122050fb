/* Bounded waits in real time for tests on real sockets and processes (logic on timers is tested on the virtual clock instead). */

/** Wait until `cond()` holds, polling every `stepMs`; throws `timed out waiting for WHAT` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 5000, stepMs = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
