/** Requests and load plans from flags: values substituted and redacted, every problem named by its flag. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { loadPlanFromFlags, requestFromFlags } from '../../../src/load/flag-plan.js';
import { Redactor } from '../../../src/scenario/secrets.js';

const FLAGS = [
  { flag: 'rate', path: 'rate' },
  { flag: 'duration', path: 'duration' },
  { flag: 'connections', path: 'connections' },
  { flag: 'max-requests', path: 'maxRequests' },
];

describe('requestFromFlags', () => {
  it('splits the URL into origin and path, substitutes secrets and upper-cases the method', () => {
    const redactor = new Redactor();
    const problems: string[] = [];
    const { base, request } = requestFromFlags(
      { url: 'http://127.0.0.1:8080/a?b=1', method: 'post', header: ['authorization: Bearer ${env:T}'], body: '{}' },
      { T: 'sekret' },
      redactor,
      problems,
    );
    expect(problems).toEqual([]);
    expect(base).toBe('http://127.0.0.1:8080');
    expect(request).toEqual({
      method: 'POST',
      path: '/a?b=1',
      headers: { authorization: 'Bearer sekret' },
      weight: 1,
      body: '{}',
    });
    expect(redactor.redactText('Bearer sekret')).not.toContain('sekret');
  });

  it('collects every problem, each naming its flag, the secret redacted', () => {
    const problems: string[] = [];
    requestFromFlags(
      { url: 'http://127.0.0.1:0/', header: ['no-colon', 'x: ${env:MISSING}'] },
      {},
      new Redactor(),
      problems,
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^--header: expected 'name: value'/);
    expect(problems[1]).toMatch(/--header x/);
    expect(problems[2]).toMatch(/^url: expected a port from 1 to 65535, found 0/);
  });
});

describe('loadPlanFromFlags', () => {
  it('builds the plan of one target with the schema defaults', () => {
    const plan = loadPlanFromFlags(
      FLAGS,
      { url: 'http://127.0.0.1:9/x', rate: '200/s', duration: '2s' },
      {},
      new Redactor(),
    );
    expect(plan.targets).toEqual([{ arm: 'target', url: 'http://127.0.0.1:9', weight: 1 }]);
    expect(plan.mix[0]?.path).toBe('/x');
    expect(plan.ratePerSec).toBe(200);
    expect(plan.durationMs).toBe(2000);
    expect(plan.maxRequests).toBeUndefined();
  });

  it('lists the settings, request, engine and caller problems at once, each by its flag', () => {
    const call = () =>
      loadPlanFromFlags(FLAGS, { url: 'http://127.0.0.1:9/', duration: 'soon', method: 'g e t' }, {}, new Redactor());
    expect(call).toThrow(UsageError);
    expect(call).toThrow(/--duration/);
    const checked = () =>
      loadPlanFromFlags(FLAGS, { url: 'http://127.0.0.1:9/', method: 'g e t' }, {}, new Redactor(), () => [
        '--shards: no',
      ]);
    expect(checked).toThrow(/--method: .*\n {2}- --shards: no/s);
  });
});
