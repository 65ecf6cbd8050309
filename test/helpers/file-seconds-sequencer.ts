/**
 * The order in which vitest starts test files: longest first, by the seconds a CI run measured
 * (test/file-seconds.json, written by scripts/file-seconds.mjs). vitest's own order comes from its
 * results cache, which a fresh clone lacks: it then starts larger files first, and CI from a fresh
 * clone (which is what CI always is) ended its machine phase 17 s later than a warm run for the
 * short files it started early and the long ones it left for the end. Groups and projects keep
 * vitest's order; a file the table does not know starts first, as vitest starts unknown files.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds per test file (path from the repository root) of a measured CI run. */
const TABLE = new URL('../file-seconds.json', import.meta.url);

/** vitest's sequencer with longest-first order inside each group and project. */
export class FileSecondsSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = JSON.parse(readFileSync(TABLE, 'utf8')) as Record<string, number>;
    const root = this.ctx.config.root;
    const known = (f: TestSpecification) => seconds[relative(root, f.moduleId)] ?? Number.POSITIVE_INFINITY;
    const together = (a: TestSpecification, b: TestSpecification) =>
      a.project.config.sequence.groupOrder === b.project.config.sequence.groupOrder &&
      a.project.name === b.project.name;
    const base = await super.sort(files);
    // Stable: between groups and projects, vitest's order; inside one, longest first.
    return base
      .map((f, index) => ({ f, index }))
      .sort((a, b) => (together(a.f, b.f) ? known(b.f) - known(a.f) || a.index - b.index : a.index - b.index))
      .map(({ f }) => f);
  }
}
