// Ends a vitest run with one line `node: N passed, N failed` for scripts/test.mjs to collect.
// Failed tests count one each; so does every error that is not a test's own (a module that
// failed to load, a describe() that threw, an unhandled error), since those hide tests.
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0, failed = unhandledErrors.length;
    for (const module of testModules) {
      failed += module.errors().length;
      for (const suite of module.children.allSuites()) failed += suite.errors().length;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
      }
    }
    // After the default reporter's summary (reporters run in order).
    process.stdout.write(`node: ${passed} passed, ${failed} failed\n`);
  }
}
