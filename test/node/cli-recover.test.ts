// `iobs recover` end to end through the built CLI (dist/cli.js): x.npy, the trace CSV, --json,
// float32 and Fortran-order inputs, and bad input (non-zero exit, the flag named, nothing written).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatNpy, init, isIobsError, leastSquares, parseNpy, recover } from '../../dist/index.js';
import { Rng } from '../cases/random.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'iobs-recover-'));
const at = (name: string) => join(dir, name);

function iobs(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'recover', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A .npy file with the given dtype and memory order, header laid out by hand. */
function npyBytes(values: ArrayLike<number>, shape: number[], dtype: 'float32' | 'float64', fortran: boolean): Uint8Array {
  const [rows, cols] = shape.length === 2 ? shape : [shape[0], 1];
  const T = dtype === 'float32' ? Float32Array : Float64Array;
  const data = new T(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[fortran ? j * rows + i : i * cols + j] = values[i * cols + j];
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<${dtype === 'float32' ? 'f4' : 'f8'}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer), 10 + header.length);
  return out;
}

// y = Aθ*, A 53 x 21 with N(0, 1/n) entries, θ* 4-sparse.
const n = 53, d = 21;
const rng = new Rng(5);
const A = rng.normals(n * d).map((v) => v / Math.sqrt(n));
const theta = new Array<number>(d).fill(0);
for (const j of [2, 7, 11, 19]) theta[j] = rng.normal() + 1;
const y = Array.from({ length: n }, (_, i) => theta.reduce((s, t, j) => s + A[i * d + j] * t, 0));
writeFileSync(at('A.npy'), formatNpy(Float64Array.from(A), [n, d]));
writeFileSync(at('Af32.npy'), npyBytes(A, [n, d], 'float32', true));
writeFileSync(at('y.npy'), formatNpy(Float64Array.from(y), [n]));
writeFileSync(at('y2.npy'), formatNpy(Float64Array.from(y), [n, 1]));
writeFileSync(at('yshort.npy'), formatNpy(Float64Array.from(y.slice(1)), [n - 1]));
writeFileSync(at('Anan.npy'), formatNpy(Float64Array.from(A, (v, i) => (i === 30 ? NaN : v)), [n, d]));
writeFileSync(at('junk.npy'), 'not a numpy file');

const readX = (name: string) => parseNpy(new Uint8Array(readFileSync(at(name))));
const relErr = (x: ArrayLike<number>) => Math.sqrt(theta.reduce((s, t, i) => s + (x[i] - t) ** 2, 0) / theta.reduce((s, t) => s + t * t, 0));

describe('iobs recover', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes x.npy, the trace and a JSON summary (Top-k I-OBS recovers θ*)', () => {
    const r = iobs('--A', at('A.npy'), '--y', at('y.npy'), '--k', '6', '--method', 'topk-iobs', '--steps', '4',
      '--out', at('x.npy'), '--trace', at('trace.csv'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const x = readX('x.npy');
    expect(x.dtype).toBe('float64');
    expect(x.shape).toEqual([d]);
    expect(relErr(x.data)).toBeLessThan(1e-8);
    const summary = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!);
    expect(summary).toMatchObject({ method: 'topk-iobs', n, d, k: 6, iterations: 4, converged: false, eta: 1, dampUsed: null, out: at('x.npy') });
    expect(summary.nonzeros).toBeLessThanOrEqual(6);
    expect(summary.objective).toBeLessThan(1e-15);
    const trace = readFileSync(at('trace.csv'), 'utf8').trimEnd().split('\n');
    expect(trace[0]).toBe('iteration,objective,step_size,support_changes');
    expect(trace.length).toBe(5);
    expect(trace.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([1, 2, 3, 4]);
    expect(Number(trace[1].split(',')[3])).toBe(6);
  });

  it('reads float32 Fortran-order A and n x 1 y; --tol stops k-IHT; prints a summary line without --json', () => {
    const r = iobs('--A', at('Af32.npy'), '--y', at('y2.npy'), '--k', '4', '--method', 'kiht', '--steps', '5000', '--tol', '1e-10', '--out', at('x32.npy'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/x32\.npy: 4 nonzeros of 21, \d+ iterations \(converged\)/);
    // A was rounded to float32, y was not: θ* is recovered to float32 accuracy.
    expect(relErr(readX('x32.npy').data)).toBeLessThan(1e-5);
  });

  it('runs I-OBS with oneshot selection, damping and the paper gradient scale', () => {
    const r = iobs('--A', at('A.npy'), '--y', at('y.npy'), '--k', '5', '--method', 'iobs', '--selection', 'oneshot',
      '--damp', '0.001', '--gradient-scale', 'paper', '--steps', '3', '--out', at('xi.npy'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!);
    expect(summary.dampUsed).toBe(0.001);
    expect(summary.nonzeros).toBeLessThanOrEqual(5);
  });

  it.each([
    [['--y', 'y.npy', '--k', '3', '--method', 'kiht'], 2, /--A is required/],
    [['--A', 'A.npy', '--y', 'y.npy', '--method', 'kiht'], 2, /--k is required/],
    [['--A', 'A.npy', '--y', 'y.npy', '--k', 'three', '--method', 'kiht'], 2, /--k "three"/],
    [['--A', 'A.npy', '--y', 'y.npy', '--k', '22', '--method', 'kiht'], 2, /--k 22: expected at most d = 21/],
    [['--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'newton'], 2, /--method "newton"/],
    [['--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'kiht', '--eta=-1'], 2, /--eta "-1"/],
    [['--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'iobs', '--selection', 'best'], 2, /--selection "best"/],
    [['--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'iobs', '--gradient-scale', 'x'], 2, /--gradient-scale "x"/],
    [['--A', 'A.npy', '--y', 'yshort.npy', '--k', '3', '--method', 'kiht'], 2, /--y .*yshort\.npy.*53/],
    [['--A', 'Anan.npy', '--y', 'y.npy', '--k', '3', '--method', 'kiht'], 2, /--A .*Anan\.npy.*NaN at flat index 30/],
    [['--A', 'junk.npy', '--y', 'y.npy', '--k', '3', '--method', 'kiht'], 2, /--A .*junk\.npy.*not a \.npy file/],
    [['--A', 'missing.npy', '--y', 'y.npy', '--k', '3', '--method', 'kiht'], 2, /--A ".*missing\.npy": no such file/],
    [['--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'kiht', '--bogus', '1'], 2, /--bogus/],
  ])('bad input %j: exit %i, flag named, nothing written', (args, code, message) => {
    const out = at(`bad-${Math.random().toString(36).slice(2)}.npy`);
    const r = iobs(...args.map((a) => (a.endsWith('.npy') ? at(a) : a)), '--out', out, '--trace', out + '.csv', '--json');
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(out + '.csv')).toBe(false);
  });

  it('a diverging step names --eta and exits as the library classes the failure (2 for an argument error, 1 for a ComputationError)', async () => {
    // The library reports divergence on options.eta; which class it uses decides the exit code.
    const la = await init();
    const Am = la.fromArray(Float64Array.from(A), n, d, 'float64'), ym = la.fromArray(Float64Array.from(y), n, 1, 'float64');
    const problem = await leastSquares(la, Am, ym);
    let thrown: unknown;
    try {
      await recover(la, problem, { k: 3, method: 'kiht', eta: 1e6, steps: 300 });
    } catch (e) {
      thrown = e;
    }
    problem.free();
    expect(isIobsError(thrown)).toBe(true);
    // Divergence is a failed computation on valid input: exit 1.
    expect((thrown as { kind: string }).kind).toBe('computation');
    const want = 1;
    const out = at('diverge.npy');
    const r = iobs('--A', at('A.npy'), '--y', at('y.npy'), '--k', '3', '--method', 'kiht', '--eta', '1e6', '--steps', '300', '--out', out, '--trace', out + '.csv');
    expect(r.code).toBe(want);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^iobs recover: --eta "1e6": .*diverge/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(out + '.csv')).toBe(false);
  });

  it('never overwrites an input', () => {
    const before = readFileSync(at('A.npy'));
    const base = ['--A', at('A.npy'), '--y', at('y.npy'), '--k', '3', '--method', 'kiht'];
    const cases: [string[], RegExp][] = [
      [['--out', at('A.npy')], /--out ".*A\.npy" is the input --A ".*A\.npy"; refusing to overwrite an input/],
      [['--out', at('y.npy')], /--out ".*y\.npy" is the input --y/],
      [['--out', at('ok.npy'), '--trace', at('A.npy')], /--trace ".*A\.npy" is the input --A/],
      [['--out', at('ok.npy'), '--trace', at('ok.npy')], /--trace ".*ok\.npy" is the same file as --out ".*ok\.npy"/],
      [['--out', at('ok.npy'), '--trace', at('A.npy'), '--force'], /--trace ".*A\.npy" is the input --A/],
    ];
    for (const [args, message] of cases) {
      const r = iobs(...base, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(readFileSync(at('A.npy')).equals(before)).toBe(true);
    expect(existsSync(at('ok.npy'))).toBe(false);
  });
});
