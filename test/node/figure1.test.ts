// Figure 1: the measured MNIST claim on one real digit, the instances and curves the experiment
// builds, and `iobs figure1` end to end (dist/cli.js, from `npm run build`). The MNIST tests
// need shared/data/mnist (see shared-data.ts) and say so when it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { readIdxFile } from '../../src/io/files.js';
import { relativeError } from '../../src/experiments/figure1.js';
import { allElements, parseXml, textOf } from './helpers/xml.js';
import { NO_SHARED_DATA, SHARED_DATA } from './shared-data.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist/cli.js');
const MNIST = SHARED_DATA && existsSync(join(SHARED_DATA, 'mnist', 't10k-images-idx3-ubyte.gz')) ? join(SHARED_DATA, 'mnist') : undefined;

function iobs(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(MNIST === undefined)(`the MNIST claim, on the first test digit${NO_SHARED_DATA}`, () => {
  let la: lib.Linalg;
  let inst: lib.Instance;
  beforeAll(async () => {
    la = await lib.init();
    const { data } = await readIdxFile(join(MNIST!, 't10k-images-idx3-ubyte.gz'));
    inst = lib.mnistInstance(new lib.SeededRandom(1), data.subarray(0, 784), 2 * 784);
  });

  it('is the digit: d = 784, n = 2d, k = 2·nnz(θ*), θ* in [0, 1]', () => {
    expect([inst.n, inst.d]).toEqual([1568, 784]);
    const nnz = inst.theta.filter((v) => v !== 0).length;
    expect(inst.k).toBe(2 * nnz);
    expect(Math.max(...inst.theta)).toBe(1);
    expect(Math.min(...inst.theta)).toBe(0);
  });

  it('Top-k I-OBS (η = 1) reaches 1e-6 within 10 iterations; k-IHT needs more than 10 (and, exactly scaled, fewer than 1,000)', async () => {
    const topk = await lib.runVariant(la, inst, { label: 'Top-k I-OBS', method: 'topk-iobs', steps: 10 });
    const hit = lib.firstBelow(topk.errors, 1e-6);
    expect(hit).not.toBeNull();
    expect(hit!).toBeLessThanOrEqual(10);
    expect(topk.errors[10]).toBeLessThan(1e-12);
    const kiht = await lib.runVariant(la, inst, { label: 'k-IHT', method: 'kiht', steps: 1000 });
    const first = lib.firstBelow(kiht.errors, 1e-6);
    expect(kiht.errors[10]).toBeGreaterThan(1e-2);
    expect(first).not.toBeNull();
    expect(first!).toBeGreaterThan(50);
    expect(first!).toBeLessThan(1000);
    // The curve falls monotonically at a linear rate: no stalls, no jumps below the floor.
    for (let t = 1; t <= first!; t++) expect(kiht.errors[t]).toBeLessThan(kiht.errors[t - 1]);
  });

  it("with the authors' 2/n gradient scale k-IHT has not reached 1e-6 after 1,000 iterations", async () => {
    const kiht = await lib.runVariant(la, inst, { label: 'k-IHT', method: 'kiht', steps: 1000, gradientScale: 'paper' });
    expect(lib.firstBelow(kiht.errors, 1e-6)).toBeNull();
    expect(kiht.errors[1000]).toBeGreaterThan(0.1);
  });

  it('I-OBS (greedy OBS support) reaches 1e-6 within 10 iterations too', async () => {
    const iobs = await lib.runVariant(la, inst, { label: 'I-OBS', method: 'iobs', steps: 2, selection: 'greedy' });
    expect(lib.firstBelow(iobs.errors, 1e-6)).not.toBeNull();
    expect(iobs.errors[2]).toBeLessThan(1e-12);
  });
});

describe('figure 1 experiment pieces', () => {
  it('draws reproducible Gaussian instances with y = Aθ* and k* nonzeros', () => {
    const a = lib.gaussianInstance(new lib.SeededRandom(5), 37, 23, 4, 9);
    const b = lib.gaussianInstance(new lib.SeededRandom(5), 37, 23, 4, 9);
    const c = lib.gaussianInstance(new lib.SeededRandom(6), 37, 23, 4, 9);
    expect(a.A).toEqual(b.A);
    expect(a.theta).toEqual(b.theta);
    expect(a.A).not.toEqual(c.A);
    expect(a.theta.filter((v) => v !== 0).length).toBe(4);
    for (let i = 0; i < 37; i++) {
      let s = 0;
      for (let j = 0; j < 23; j++) s += a.A[i * 23 + j] * a.theta[j];
      expect(a.y[i]).toBeCloseTo(s, 12);
    }
    // Entries N(0, 1/n): the mean square over a big draw is close to 1/n.
    const big = lib.gaussianInstance(new lib.SeededRandom(1), 200, 100, 1, 1);
    const ms = big.A.reduce((s, v) => s + v * v, 0) / big.A.length;
    expect(Math.abs(ms * 200 - 1)).toBeLessThan(0.03);
  });

  it('refuses bad MNIST pixels and an empty image, naming the argument', () => {
    expect(() => lib.mnistInstance(new lib.SeededRandom(1), [0, 300], 4)).toThrow(/mnistInstance: argument pixels\[1\] must be a value in \[0, 255\]; got 300/);
    expect(() => lib.mnistInstance(new lib.SeededRandom(1), [0, 0], 4)).toThrow(/mnistInstance: argument pixels .*nonzero/);
    expect(() => lib.figure1Settings({ trials: 0 })).toThrow(/figure1Settings: argument trials/);
  });

  it('records one error per iteration, t = 0 … steps, starting from 1 at θ_0 = 0', async () => {
    const la = await lib.init();
    const inst = lib.gaussianInstance(new lib.SeededRandom(3), 41, 19, 3, 7);
    const run = await lib.runVariant(la, inst, { label: 'k-IHT', method: 'kiht', steps: 25 });
    expect(run.errors.length).toBe(26);
    expect(run.errors[0]).toBe(1);
    // The same iterates straight from recover.
    const A = la.fromArray(inst.A, 41, 19, 'float64'), y = la.fromArray(inst.y, 41, 1, 'float64');
    const p = await lib.leastSquares(la, A, y);
    const seen: number[] = [];
    await lib.recover(la, p, { k: 7, method: 'kiht', steps: 25, onIteration: (t, x) => void (seen[t] = relativeError(x, inst.theta)) });
    p.free();
    A.free();
    y.free();
    for (let t = 1; t <= 25; t++) expect(run.errors[t]).toBe(seen[t]);
  });

  it('stops at an exact fixed point and carries its error to the end', async () => {
    const la = await lib.init();
    const d = 6;
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++) A[i * d + i] = 1; // A = I: one Newton step lands on θ* exactly
    const theta = Float64Array.of(0, 2, 0, -1, 0, 0.5);
    const run = await lib.runVariant(la, { n: d, d, k: 3, A, y: theta.slice(), theta }, { label: 'Top-k I-OBS', method: 'topk-iobs', steps: 50 });
    expect(run.errors[1]).toBe(0);
    expect(run.fixedPointAt).toBe(2);
    expect(Array.from(run.errors.slice(1))).toEqual(new Array(50).fill(0));
  });

  it('turns results into a figure: a panel per setting, a path per curve and band', async () => {
    const la = await lib.init();
    const results = await lib.runFigure1(la, { trials: 2, seed: 2, settings: ['gaussian', 'underdetermined'], steps: { gaussian: 12, underdetermined: 12 } });
    expect(results.map((r) => r.id)).toEqual(['gaussian', 'underdetermined']);
    for (const r of results) {
      for (const c of r.curves) {
        expect(c.mean.length).toBe(13);
        for (let t = 0; t <= 12; t++) expect(c.min[t] <= c.mean[t] && c.mean[t] <= c.max[t]).toBe(true);
      }
    }
    const svg = lib.renderFigure(lib.figure1Figure(results));
    const doc = parseXml(svg);
    const panels = allElements(doc).filter((e) => e.name === 'g' && e.attrs.class === 'panel');
    expect(panels.length).toBe(2);
    const curves = results[0].curves.length + results[1].curves.length;
    expect(allElements(doc).filter((e) => e.name === 'path' && e.attrs.class === 'series').length).toBe(curves);
    expect(allElements(doc).filter((e) => e.name === 'path' && e.attrs.class === 'band').length).toBe(curves);
    expect(textOf(allElements(doc).find((e) => e.attrs.class === 'caption')!)).toMatch(/λ is relative/);
    expect(svg).not.toMatch(/NaN/);
  });
});

describe('iobs figure1 (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iobs-figure1-'));

  it('writes the SVG and prints the JSON summary', () => {
    const out = join(dir, 'fig.svg');
    const r = iobs('figure1', '--quick', '--trials', '2', '--settings', 'gaussian,underdetermined', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/gaussian: Top-k I-OBS, trial 2\/2/);
    const lines = r.stdout.trimEnd().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]);
    expect(summary.out).toBe(out);
    expect(summary.settings.map((s: { id: string }) => s.id)).toEqual(['gaussian', 'underdetermined']);
    const g = summary.settings[0];
    expect([g.n, g.d, g.trials]).toEqual([256, 128, 2]);
    expect(g.curves.map((c: { label: string }) => c.label)).toEqual(['k-IHT', 'Top-k I-OBS', 'I-OBS']);
    expect(g.curves[1].firstBelow).toEqual([1, 1]);
    const doc = parseXml(readFileSync(out, 'utf8'));
    expect(allElements(doc).filter((e) => e.name === 'g' && e.attrs.class === 'panel').length).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses bad flags with exit 2, naming the flag, and writes nothing', () => {
    const out = join(dir, 'never.svg');
    for (const [args, pattern] of [
      [['--trials', '0'], /--trials "0": expected an integer in 1\.\.10000/],
      [['--seed', 'x'], /--seed "x"/],
      [['--settings', 'gaussian,cats'], /--settings "gaussian,cats": unknown setting "cats"/],
      [['--settings', 'mnist', '--mnist', join(dir, 'nowhere')], /--mnist ".*nowhere": no t10k-images-idx3-ubyte\.gz there/],
      [['--bogus'], /bogus/],
    ] as [string[], RegExp][]) {
      const r = iobs('figure1', '--out', out, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('leaves an existing output untouched when it fails', () => {
    const out = join(dir, 'keep.svg');
    writeFileSync(out, 'old');
    const r = iobs('figure1', '--out', out, '--digits', '-1');
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('old');
  });

  it('prints its usage with --help and is listed in iobs help', () => {
    const r = iobs('figure1', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: iobs figure1 \[--out fig1\.svg\] \[--json\] \[--trials N\] \[--seed S\]/);
    expect(iobs('help').stdout).toMatch(/figure1 \[--out fig1\.svg\]/);
  });
});
