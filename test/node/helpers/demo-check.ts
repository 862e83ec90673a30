// What the `iobs demo` tests check of one model's results and of the files --out wrote.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseXml } from './xml.js';

export interface DemoRun {
  method: string;
  pattern: string;
  layers: { name: string; relError: number; sparsity: number }[];
  metric: { kind: string; value: number; count: number };
  seconds: number;
}
export interface DemoModel {
  model: string;
  dense: DemoRun;
  runs: DemoRun[];
}

/** The dense run, then one run per method and pattern, in that order, each with finite numbers. */
export function checkModel(m: DemoModel, methods: string[], patterns: string[], kind: 'top1' | 'perplexity'): void {
  expect(m.dense).toMatchObject({ method: 'dense', pattern: 'dense', layers: [] });
  expect(m.runs.map((r) => `${r.method} ${r.pattern}`)).toEqual(patterns.flatMap((p) => methods.map((x) => `${x} ${p}`)));
  for (const r of [m.dense, ...m.runs]) {
    const what = `${m.model} ${r.method} ${r.pattern}`;
    expect(r.metric.kind, what).toBe(kind);
    expect(Number.isFinite(r.metric.value), what).toBe(true);
    expect(r.metric.count, what).toBe(m.dense.metric.count);
    if (kind === 'top1') expect(r.metric.value >= 0 && r.metric.value <= 1, what).toBe(true);
    else expect(r.metric.value, what).toBeGreaterThan(1);
    expect(Number.isFinite(r.seconds) && r.seconds >= 0, what).toBe(true);
    for (const l of r.layers) expect(Number.isFinite(l.relError) && l.relError >= 0, `${what} ${l.name}`).toBe(true);
  }
  for (const r of m.runs) expect(r.layers.length, `${r.method} ${r.pattern}`).toBeGreaterThan(0);
}

/** demo.json is the --json line; each figure is well-formed SVG without NaN. */
export function checkOut(out: string, stdoutJson: unknown, figures: string[]): void {
  expect(JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8'))).toEqual(stdoutJson);
  for (const f of figures) {
    expect(existsSync(join(out, f)), f).toBe(true);
    const svg = readFileSync(join(out, f), 'utf8');
    expect(svg, f).not.toMatch(/NaN|Infinity|undefined/);
    expect(parseXml(svg).name, f).toBe('svg');
  }
}
