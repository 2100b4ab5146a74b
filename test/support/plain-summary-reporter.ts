/**
 * Ends every test run with one plain line, `N passed, N failed, N skipped`, which any CI log
 * reader understands (vitest's own summary is decorated). `npm test` prints it on every
 * machine, so CI runs the README's command as it is.
 */
import type { Reporter, TestModule } from "vitest/node";

export class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      // A file that failed to load has no test cases: count it as a failure, not as nothing.
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) {
        counts.failed += 1;
      }
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed += 1;
        else if (state === "failed") counts.failed += 1;
        else counts.skipped += 1;
      }
    }
    console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  }
}
