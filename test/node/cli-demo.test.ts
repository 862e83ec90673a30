// `iobs demo --quick --only llama` through the built CLI: the dense run and one run per method and
// pattern, finite perplexities, --out's demo.json and figures; and demo's bad input (--only, --out),
// which exits 2 and writes nothing. The CNN's demo is in cli-demo-cnn.test.ts (it takes longer).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandLines, iobs, lastJson } from './helpers/cli.js';
import { checkModel, checkOut, type DemoModel } from './helpers/demo-check.js';

const dir = mkdtempSync(join(tmpdir(), 'iobs-cli-demo-'));
const at = (...names: string[]) => join(dir, ...names);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iobs demo --quick --only llama', () => {
  it('the dense run and every method at 50% and 2:4, finite perplexities; --out writes demo.json and the two figures', () => {
    mkdirSync(at('out'));
    const r = iobs(dir, ['demo', '--quick', '--only', 'llama', '--json', '--out', 'out']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<{ quick: boolean; seconds: number; peakRssBytes: number; models: DemoModel[] }>(r.stdout);
    expect(s.quick).toBe(true);
    expect(s.models.map((m) => m.model)).toEqual(['tinystories-llama']);
    const m = s.models[0];
    checkModel(m, ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'], ['50%', '2:4'], 'perplexity');
    // Every pruned model is worse than the dense one; 2:4 is worse than 50% for each method.
    for (const run of m.runs) expect(run.metric.value, `${run.method} ${run.pattern}`).toBeGreaterThan(m.dense.metric.value);
    for (const method of ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs']) {
      const of = (p: string) => m.runs.find((x) => x.method === method && x.pattern === p)!.metric.value;
      expect(of('2:4'), method).toBeGreaterThan(of('50%'));
    }
    expect(readdirSync(at('out')).sort()).toEqual(['demo.json', 'llama-2of4.svg', 'llama-50.svg']);
    checkOut(at('out'), s, ['llama-50.svg', 'llama-2of4.svg']);
  });
});

describe('help', () => {
  it('iobs --help lists prune, eval and demo; each one\'s --help is its usage, exit 0', () => {
    const r = iobs(dir, ['--help']);
    expect(r.code).toBe(0);
    for (const c of ['prune MODEL', 'eval MODEL', 'demo [--quick]']) expect(r.stdout).toMatch(new RegExp(`^  ${c.replace(/[[\]]/g, '\\$&')}`, 'm'));
    for (const c of ['prune', 'eval', 'demo']) {
      const h = iobs(dir, [c, '--help']);
      expect(h.code, c).toBe(0);
      expect(h.stdout, c).toMatch(new RegExp(`^usage: iobs ${c}`));
      expect(h.stderr, c).toBe('');
    }
  });
});

describe('iobs demo: bad input exits 2 and writes nothing', () => {
  it('--only of another model', () => {
    const r = iobs(dir, ['demo', '--only', 'gpt']);
    expect(r.code).toBe(2);
    expect(commandLines(r.stderr, 'demo')).toEqual(['iobs demo: --only "gpt": expected llama or cnn']);
  });

  it('--out a missing directory', () => {
    const r = iobs(dir, ['demo', '--quick', '--only', 'llama', '--out', 'missing']);
    expect(r.code).toBe(2);
    expect(commandLines(r.stderr, 'demo')).toEqual(['iobs demo: --out demo.json "missing/demo.json": directory "missing" does not exist']);
    expect(readdirSync(dir)).not.toContain('missing');
  });

  it('--out holding an earlier demo.json: refused without --force, the folder as it was', () => {
    mkdirSync(at('taken'));
    writeFileSync(at('taken', 'demo.json'), '{"mine":true}\n');
    const r = iobs(dir, ['demo', '--quick', '--only', 'llama', '--out', 'taken']);
    expect(r.code).toBe(2);
    expect(commandLines(r.stderr, 'demo')).toEqual(['iobs demo: --out demo.json "taken/demo.json" exists; pass --force to replace it']);
    expect(readdirSync(at('taken'))).toEqual(['demo.json']);
    expect(readFileSync(at('taken', 'demo.json'), 'utf8')).toBe('{"mine":true}\n');
  });
});
