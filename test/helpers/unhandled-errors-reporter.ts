/**
 * A vitest reporter for scripts/ci.sh: writes the run's unhandled errors (an error thrown or a
 * promise rejected outside any test) to `.tmp/unhandled-<run>.json`, beside the JSON report
 * `.tmp/vitest-<run>.json` named by --outputFile.json. vitest fails the run for them, but its JSON
 * report has no place for them, so CI's closing summary could not name them.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SerializedError, Vitest } from 'vitest/node';
import type { Reporter } from 'vitest/reporters';

/** One unhandled error as the summary prints it. */
export interface UnhandledError {
  name: string;
  message: string;
  /** The test file (and test) running when it was thrown, when vitest knows. */
  where?: string;
  /** The first frames of its stack. */
  stack?: string;
}

/** Writes the unhandled errors next to the run's JSON report; writes nothing without one. */
export default class UnhandledErrorsReporter implements Reporter {
  #file: string | undefined;

  onInit(vitest: Vitest): void {
    const out = vitest.config.outputFile;
    const json = typeof out === 'string' ? undefined : out?.json;
    const run = json ? /^vitest-(.+)\.json$/.exec(basename(json))?.[1] : undefined;
    this.#file = json && run ? join(dirname(json), `unhandled-${run}.json`) : undefined;
  }

  onTestRunEnd(_modules: unknown, errors: ReadonlyArray<SerializedError>): void {
    if (!this.#file) return;
    const out: UnhandledError[] = errors.map((e) => {
      const path = typeof e.VITEST_TEST_PATH === 'string' ? e.VITEST_TEST_PATH : undefined;
      const test = typeof e.VITEST_TEST_NAME === 'string' ? e.VITEST_TEST_NAME : undefined;
      return {
        name: e.name ?? 'Error',
        message: e.message,
        ...(path ? { where: test ? `${path} > ${test}` : path } : {}),
        ...(e.stack ? { stack: e.stack.split('\n').slice(1, 4).join('\n') } : {}),
      };
    });
    writeFileSync(this.#file, `${JSON.stringify(out, null, 2)}\n`);
  }
}
