import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The machine has 2 cores; XS workers and peers are processes of their own.
    pool: "forks",
    maxWorkers: 2,
  },
});
