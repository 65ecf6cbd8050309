/** A shard following its coordinator's commands on a stream (stdin in `canary-gate shard --control stdin`). */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ShardCommand } from '../../../src/shard/protocol.js';
import { followCommands } from '../../../src/shard/shard.js';

describe('followCommands', () => {
  it('applies each command, warns about a bad one, and stops when the stream ends', async () => {
    const got: ShardCommand[] = [];
    const warnings: string[] = [];
    const stop = new AbortController();
    const lines = ['{"type":"stop"}', '', 'not json', ''].join('\n');
    await followCommands(
      Readable.from([lines]),
      (c) => got.push(c),
      stop,
      (w) => warnings.push(w),
    );
    expect(got).toEqual([{ type: 'stop' }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^ignored a command: /);
    expect(stop.signal.aborted).toBe(true);
  });

  it('names the stream when it fails, and still stops', async () => {
    const warnings: string[] = [];
    const stop = new AbortController();
    const long = `${'x'.repeat(70 * 1024)}\n`;
    await followCommands(
      Readable.from([long]),
      () => {},
      stop,
      (w) => warnings.push(w),
    );
    expect(warnings).toEqual(['stdin: a line longer than 65536 bytes']);
    expect(stop.signal.aborted).toBe(true);
  });
});
