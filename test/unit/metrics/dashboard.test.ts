import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPORTED_METRICS } from '../../../src/metrics/exporter.js';

const dashboard = JSON.parse(readFileSync(new URL('../../../dashboards/canary-gate.json', import.meta.url), 'utf8'));
const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');

describe('the Grafana dashboard', () => {
  it('queries only metrics canary-gate exports, and shows every one of them', () => {
    const used = new Set(exprs.flatMap((e) => e.match(/canary_gate_[a-z_]+/g) ?? []).map(base));
    for (const name of used) expect(EXPORTED_METRICS).toContain(name);
    for (const name of EXPORTED_METRICS) expect(used).toContain(name);
  });

  it("queries the demo services' own metrics by their real names", () => {
    const serviceMetrics = readFileSync(new URL('../../../src/demo/service-metrics.ts', import.meta.url), 'utf8');
    const used = new Set(exprs.flatMap((e) => e.match(/demo_[a-z_]+/g) ?? []).map(base));
    expect(used.size).toBeGreaterThan(3);
    for (const name of used) expect(serviceMetrics).toContain(`name: '${name}'`);
  });

  it('has unique panel ids and a datasource variable on every panel', () => {
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.datasource.uid).toBe('${datasource}');
  });
});
