/**
 * A shard container killed mid-step of a staged canary (issue #19): the run names it, exits 3 and
 * leaves nginx at 0 % canary with no container behind (the setup is run-docker.test.ts's:
 * test/helpers/sharded-canary-fixture.ts).
 */
import { describe, expect, it } from 'vitest';
import { journalState, readJournal } from '../../../src/session/journal.js';
import { checkoutShardExecutor, docker } from '../../helpers/docker.js';
import { useShardedCanary } from '../../helpers/sharded-canary-fixture.js';

const { run, canaryInUpstream, containersOf, setCanaryDelay } = useShardedCanary();

describe('run with its load from 2 shard containers', () => {
  it('names a shard container killed mid-step, resets nginx to 0 % canary and aborts (exit 3)', async () => {
    setCanaryDelay(0);
    const shards = checkoutShardExecutor();
    let killed = false;
    const { result, journal } = await run(shards, (second) => {
      if (second < 1 || killed) return;
      killed = true;
      void docker('kill', `canary-gate-shard-${shards.runId}-1`);
    });
    expect(killed).toBe(true);
    expect(result.decision).toBe('aborted');
    expect(result.exitCode).toBe(3);
    expect(result.reason).toContain(`shard 1 (container canary-gate-shard-${shards.runId}-1)`);
    expect(result.reason).toMatch(/exited \(code 137\) before its end line/);
    expect(result.steps).toHaveLength(0);
    expect(canaryInUpstream()).toBe(false);
    expect(journalState(readJournal(journal))).toMatchObject({ weight: 0, settled: true, decision: 'aborted' });
    expect(await containersOf(shards.runId)).toBe('');
  });
});
