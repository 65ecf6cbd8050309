/**
 * `${env:NAME}` references kept through a printed plan: markers while the plan is built, header
 * values turned back into references, every other place refused by its field.
 */
import { describe, expect, it } from 'vitest';
import type { LoadPlan } from '../../../src/load/plan.js';
import { envMarkers, restoreReferences } from '../../../src/shard/plan-references.js';
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
