/**
 * `attack(name, fn)`: a node:test case that also counts its outcome, so the
 * suite can end with `N passed, N failed`. The count is of the cases
 * themselves: a case that throws, fails an assertion, or runs past its time
 * is a failure (the fixture starts inside the cases, so a fixture that
 * cannot start fails them rather than hiding them).
 */
import { after, type TestContext, test } from 'node:test';

const tally = { passed: 0, failed: 0 };

/** Registers one attack case (`timeoutMs` bounds it, counted as a failure when exceeded). */
export function attack(name: string, fn: (t: TestContext) => Promise<void>, timeoutMs = 60_000): void {
  test(name, { timeout: timeoutMs + 10_000 }, async (t) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(t),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      tally.passed++;
    } catch (error) {
      tally.failed++;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Prints `N passed, N failed` when the file's cases are done (call once, at the top level). */
export function summarizeAttacks(cleanup: () => Promise<void>): void {
  after(async (t) => {
    await cleanup();
    const line = `security suite: ${tally.passed} passed, ${tally.failed} failed`;
    (t as TestContext).diagnostic(line);
  });
}

/** Fails with the first `max` problems listed, one a line, and how many there were. */
export function assertNoProblems(problems: readonly string[], what: string, max = 8): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, max).map((p) => `  - ${p}`);
  const more = problems.length > max ? `\n  … and ${problems.length - max} more` : '';
  throw new Error(`${what}: ${problems.length} problem(s)\n${shown.join('\n')}${more}`);
}
