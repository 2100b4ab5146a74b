import { defineConfig } from "vitest/config";
import { PlainSummaryReporter } from "./test/support/plain-summary-reporter.ts";

/**
 * The suites that run the pipeline, serving, batch scoring and the operator commands against
 * the embedded S3 and DynamoDB do so under the deployed IAM (test/support/iam-setup.ts): each
 * call is authorized against its role's policy first, as on AWS.
 */
const IAM_ENFORCED = [
  "test/integration/**/*.test.ts",
  "test/reliability/**/*.test.ts",
  "test/serving/**/*.test.ts",
  "test/drift/**/*.test.ts",
  "test/feature-store/stocks-example.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", new PlainSummaryReporter()],
    projects: [
      {
        extends: true,
        test: {
          name: "iam-enforced",
          include: IAM_ENFORCED,
          setupFiles: ["test/support/iam-setup.ts"],
        },
      },
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: IAM_ENFORCED },
      },
    ],
  },
});
