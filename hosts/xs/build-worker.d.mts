/** Types for build-worker.mjs (a plain Node script, so that it runs without a TypeScript step). */
export declare const projectRoot: string;
export declare const buildRoot: string;
export declare const workerName: string;
export declare function inputs(): { sources: string[]; headers: string[] };
export declare function inputHash(): Promise<string>;
/** Build doorsip-xs unless an up-to-date build exists; resolves to the executable's path. */
export declare function ensureWorker(options?: { log?: (line: string) => void }): Promise<string>;
