/**
 * `${env:NAME}` references kept through a printed plan: markers while the plan is built, header
 * values turned back into references, every other place refused by its field.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LoadPlan } from '../../../src/load/plan.js';
import { envMarkers, restoreReferences } from '../../../src/shard/plan-references.js';
import type { ShardCommand } from '../../../src/shard/protocol.js';
import { followCommands } from '../../../src/shard/shard.js';
import { planFor } from '../../helpers/plan.js';

const planWith = (url: string, request: LoadPlan['mix'][number]): LoadPlan => planFor(url, { mix: [request] });

describe('plan references', () => {
  it('gives each variable a marker unique to the call, found again in any case', () => {
    const a = envMarkers('n1');
    const b = envMarkers('n2');
    expect(a.env.TOKEN).not.toBe(b.env.TOKEN);
    expect(a.find(`x ${String(a.env.TOKEN).toUpperCase()} y ${a.env.KEY_2}`)).toEqual([
      { marker: String(a.env.TOKEN).toUpperCase(), name: 'TOKEN' },
      { marker: a.env.KEY_2, name: 'KEY_2' },
    ]);
    expect(a.find(`${b.env.TOKEN}`)).toEqual([]);
  });

  it('turns markers in header values back into sorted references', () => {
    const m = envMarkers();
    const plan = planWith('http://h:1', {
      method: 'GET',
      path: '/',
      weight: 1,
      headers: { authorization: `Bearer ${m.env.TOKEN}`, 'x-key': `${m.env.API_KEY}-${m.env.TOKEN}` },
    });
    const restored = restoreReferences(plan, m, (f) => f);
    expect(restored.problems).toEqual([]);
    expect(restored.names).toEqual(['API_KEY', 'TOKEN']);
    expect(restored.plan.mix[0]?.headers).toEqual({
      authorization: 'Bearer ${env:TOKEN}',
      'x-key': '${env:API_KEY}-${env:TOKEN}',
    });
  });

  it('refuses a reference in the URL, the path, the body or a header name, each by its field', () => {
    const m = envMarkers();
    const plan = planWith(`http://${m.env.HOST}:1`.toLowerCase(), {
      method: 'POST',
      path: `/${m.env.P}`,
      body: `${m.env.B}`,
      weight: 1,
      headers: { [`${m.env.N}`]: 'v' },
    });
    const fields: string[] = [];
    const restored = restoreReferences(plan, m, (f) => {
      fields.push(f);
      return `<${f}>`;
    });
    expect(fields).toEqual(['targets[0].url', 'mix[0].path', 'mix[0].body', 'mix[0].headers']);
    expect(restored.problems[0]).toMatch(/^<targets\[0\]\.url>: holds \$\{env:HOST\}; /i);
    expect(restored.problems).toHaveLength(4);
  });
});

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
