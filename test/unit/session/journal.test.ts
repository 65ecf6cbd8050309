import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { upstreamBlock } from '../../../src/canary/routers/nginx.js';
import { fnv1a } from '../../../src/canary/routers/proxy.js';
import { expandArgv } from '../../../src/canary/routers/router.js';
import { journalState, RunJournal, readJournal } from '../../../src/session/journal.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'canary-gate-journal-')), 'journal.jsonl');

describe('run journal', () => {
  it('counts a weight from its announcement, before it is applied', () => {
    const path = fresh();
    const j = new RunJournal(path, 'r1');
    j.append({ event: 'start', scenarioFile: '/s.yaml', router: 'nginx', digest: 'd' });
    j.append({ event: 'weight', step: 0, weight: 10 });
    j.append({ event: 'applied', step: 0, weight: 10 });
    j.append({ event: 'weight', step: 1, weight: 25 });
    j.close();
    const state = journalState(readJournal(path));
    expect(state).toMatchObject({ weight: 25, settled: false, decision: undefined });
    expect(state.start?.scenarioFile).toBe('/s.yaml');
  });

  it('is settled after a reset or a promotion, and ignores a torn last line', () => {
    const path = fresh();
    const j = new RunJournal(path, 'r2');
    j.append({ event: 'start', scenarioFile: '/s.yaml', router: 'split', digest: 'd' });
    j.append({ event: 'weight', step: 0, weight: 10 });
    j.append({ event: 'reset', reason: 'gate failed' });
    j.append({ event: 'reset-done' });
    j.append({ event: 'end', decision: 'rollback' });
    j.close();
    appendFileSync(path, '{"event":"wei');
    expect(journalState(readJournal(path))).toMatchObject({ weight: 0, settled: true, decision: 'rollback' });
    // An entry appended after the torn line starts on its own line and is read.
    const again = new RunJournal(path, 'r2');
    again.append({ event: 'weight', step: 0, weight: 10 });
    again.close();
    expect(journalState(readJournal(path))).toMatchObject({ weight: 10, settled: false });
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ event: 'start', run: 'r2' });
  });
});

describe('router helpers', () => {
  it('substitutes {weight}, {step} and {run} in argv', () => {
    expect(
      expandArgv(['kubectl', 'set-weight', '--w={weight}', 'step{step}', '{run}'], { weight: 25, step: 1, run: 'r' }),
    ).toEqual(['kubectl', 'set-weight', '--w=25', 'step1', 'r']);
  });

  it('leaves a 0 % or 100 % arm out of the nginx upstream (nginx has no weight 0)', () => {
    expect(upstreamBlock('u', 'a:1', 'b:2', 0, 'g')).not.toContain('b:2');
    expect(upstreamBlock('u', 'a:1', 'b:2', 100, 'g')).not.toContain('a:1');
    expect(upstreamBlock('u', 'a:1', 'b:2', 30, 'g')).toContain('server a:1 weight=70;\n    server b:2 weight=30;');
  });

  it('hashes sticky keys evenly', () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[fnv1a(`user-${i}`) % 10]++;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
