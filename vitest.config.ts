import { defineConfig } from "vitest/config";
import { PlainSummaryReporter } from "./test/support/plain-summary-reporter.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", new PlainSummaryReporter()],
  },
});
