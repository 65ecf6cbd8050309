#!/usr/bin/env node
// Writes test/file-seconds.json, the seconds each test file took, from the vitest JSON reports
// `npm run ci` leaves in .tmp (vitest-unit, -judge, -machine, -timed, -late.json): the order in which
// vitest starts files (test/helpers/file-seconds-sequencer.ts). Run it after a green CI run when
// files were added or their lengths changed much; a stale table only costs packing, never a result.
// Given folders holding the reports of several green runs (`node scripts/file-seconds.mjs run1
// run2 run3`), each file's median: one run's busy neighbour does not reorder the table.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const dirs = process.argv.length > 2 ? process.argv.slice(2) : ['.tmp'];
const runs = new Map();
for (const dir of dirs) {
  for (const run of ['unit', 'judge', 'machine', 'timed', 'late']) {
    const path = join(dir, `vitest-${run}.json`);
    if (!existsSync(path)) throw new Error(`${path}: no such report (expected the reports of a green \`npm run ci\`)`);
    const report = JSON.parse(readFileSync(path, 'utf8'));
    for (const file of report.testResults) {
      // Reports name files by absolute path, in whatever checkout ran them: keep the repository part.
      const at = file.name.lastIndexOf('/test/');
      const name = at >= 0 ? file.name.slice(at + 1) : relative(process.cwd(), file.name);
      runs.set(name, [...(runs.get(name) ?? []), (file.endTime - file.startTime) / 1000]);
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const gone = [...runs.keys()].filter((name) => !existsSync(name));
if (gone.length === runs.size) throw new Error(`none of the reports' ${runs.size} files is in this checkout`);
if (gone.length > 0) console.log(`left out, not in this checkout: ${gone.join(', ')}`);
const sorted = Object.fromEntries(
  [...runs]
    // A file since removed or renamed has no place in the table.
    .filter(([name]) => existsSync(name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, xs]) => [name, Math.round(median(xs) * 10) / 10]),
);
writeFileSync('test/file-seconds.json', `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`test/file-seconds.json: ${Object.keys(sorted).length} files, the median of ${dirs.length} run(s)`);
