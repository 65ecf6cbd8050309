#!/usr/bin/env node
// Writes test/file-seconds.json, the seconds each test file took, from the vitest JSON reports
// `npm run ci` leaves in .tmp (vitest-unit, -judge, -machine, -timed.json): the order in which
// vitest starts files (test/helpers/file-seconds-sequencer.ts). Run it after a green CI run when
// files were added or their lengths changed much; a stale table only costs packing, never a result.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const seconds = {};
for (const run of ['unit', 'judge', 'machine', 'timed']) {
  const report = JSON.parse(readFileSync(`.tmp/vitest-${run}.json`, 'utf8'));
  for (const file of report.testResults) {
    seconds[relative(process.cwd(), file.name)] = Math.round((file.endTime - file.startTime) / 100) / 10;
  }
}
const sorted = Object.fromEntries(Object.entries(seconds).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync('test/file-seconds.json', `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`test/file-seconds.json: ${Object.keys(sorted).length} files`);
