// `iobs demo --quick --only cnn` through the built CLI: the dense run and one run per method and
// pattern (50%, 2:4, 70%), finite top-1s, SparseGPT at least as accurate as magnitude at 70%, and
// --out's demo.json and three figures.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iobs, lastJson } from './helpers/cli.js';
import { checkModel, checkOut, type DemoModel } from './helpers/demo-check.js';

const dir = mkdtempSync(join(tmpdir(), 'iobs-cli-demo-cnn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iobs demo --quick --only cnn', () => {
  it('every method at 50%, 2:4 and 70%; at 70% SparseGPT keeps more accuracy than magnitude; --out writes demo.json and three figures', () => {
    mkdirSync(join(dir, 'out'));
    const r = iobs(dir, ['demo', '--quick', '--only', 'cnn', '--json', '--out', 'out'], 300_000);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<{ quick: boolean; models: DemoModel[] }>(r.stdout);
    expect(s.models.map((m) => m.model)).toEqual(['mnist-cnn']);
    const m = s.models[0];
    checkModel(m, ['magnitude', 'wanda', 'sparsegpt', 'iobs (cg ≤ 50)'], ['50%', '2:4', '70%'], 'top1');
    expect(m.dense.metric.value).toBeGreaterThan(0.95);
    const top1 = (method: string, pattern: string) => m.runs.find((x) => x.method === method && x.pattern === pattern)!.metric.value;
    expect(top1('sparsegpt', '70%')).toBeGreaterThanOrEqual(top1('magnitude', '70%'));
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['cnn-2of4.svg', 'cnn-50.svg', 'cnn-70.svg', 'demo.json']);
    checkOut(join(dir, 'out'), s, ['cnn-50.svg', 'cnn-2of4.svg', 'cnn-70.svg']);
  });
});
