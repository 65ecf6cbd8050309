/** A shard that starts on its coordinator's command, and one that starts at its plan file's time. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/exit-codes.js';
import type { LoadPlan } from '../../../src/load/plan.js';
import { parseShardLine, SHARD_PROTOCOL_VERSION, type ShardLine } from '../../../src/shard/protocol.js';
import { runShard } from '../../../src/shard/shard.js';
import type { ShardPlanFile } from '../../../src/shard/split.js';
import { captureIO } from '../../helpers/cli.js';

// Nothing listens on port 9 here: a shard that started would count refused requests.
const plan: LoadPlan = {
  targets: [{ arm: 'target', url: 'http://127.0.0.1:9', weight: 1 }],
  mix: [{ name: 'a', method: 'GET', path: '/', weight: 1 }],
  ratePerSec: 100,
  durationMs: 1000,
  connections: 1,
  pipelining: 1,
  workers: 1,
  timeoutMs: 500,
};

const fileOf = (startOnCommand: boolean): ShardPlanFile => ({
  v: SHARD_PROTOCOL_VERSION,
  shards: 1,
  // Long past: a shard that starts at this time starts at once.
  startAtEpochMs: Date.now() - 60_000,
  ...(startOnCommand ? { startOnCommand } : {}),
  plan,
});

function shardOf(file: ShardPlanFile) {
  const lines: ShardLine[] = [];
  const warnings: string[] = [];
  const stop = new AbortController();
  const run = runShard({
    index: 0,
    file,
    write: (text) => lines.push(parseShardLine(text.trimEnd())),
    stop: stop.signal,
    warn: (w) => warnings.push(w),
  });
  return { run, lines, warnings, stop };
}

describe('the start command', () => {
  it('a shard that starts on command sends nothing before it, however long past the planned start', async () => {
    const shard = shardOf(fileOf(true));
    expect(shard.lines.map((l) => l.type)).toEqual(['hello']);
    // Several macrotasks: a shard that started at the plan file's time would be sending by now.
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    shard.stop.abort();
    await shard.run.done;
    const end = shard.lines.at(-1);
    expect(end?.type).toBe('end');
    expect(end?.type === 'end' && end.arms).toEqual([]);
    expect(end?.type === 'end' && end.stopped).toBe(true);
  });

  it('is refused, with a warning, by a shard that starts at its plan file time, and taken once by one that waits', async () => {
    const timed = shardOf(fileOf(false));
    timed.run.command({ type: 'start', atEpochMs: Date.now() });
    expect(timed.warnings).toEqual([
      "start refused: this shard starts at the plan file's time, or was told its start already",
    ]);
    timed.stop.abort();
    await timed.run.done;

    const waiting = shardOf(fileOf(true));
    waiting.run.command({ type: 'start', atEpochMs: Date.now() + 60_000 });
    waiting.run.command({ type: 'start', atEpochMs: Date.now() });
    expect(waiting.warnings).toHaveLength(1);
    waiting.stop.abort();
    await waiting.run.done;
  });
});

describe('canary-gate shard and a plan file whose shards start on command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'canary-gate-start-command-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to run without the control channel that brings the command (exit 2, naming the file)', async () => {
    const path = join(dir, 'plan.json');
    await writeFile(path, JSON.stringify(fileOf(true)));
    const { io, stdout, stderr } = captureIO();
    const code = await main(['shard', '--plan', path, '--index', '0'], io).catch(() => EXIT.usage);
    expect(code).toBe(EXIT.usage);
    expect(stdout() + stderr()).toContain(`--control: ${path} says its shards start on the coordinator's command`);
    // An error line, never a hello: nothing was sent.
    expect(stdout()).not.toContain('"hello"');
  });
});
