// The bad-input classes the library decides, through the CLI: each refused with one line that
// names the flag, exit 2 for bad input and 1 for a failed computation, and nothing written. (The
// same classes through the API are in test/cases/pruning-api.ts and test/cases/recovery.ts.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'iobs-cli-bad-'));
const at = (...names: string[]) => join(dir, ...names);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function iobs(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: r.stderr.trimEnd().split('\n').at(-1) ?? '' };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

// An 8 x 16 layer, 64 samples of its inputs, and H = XᵀX (float64).
const R = 8, C = 16, N = 64, rand = rng(11);
const W = Float32Array.from({ length: R * C }, rand);
const X = Float64Array.from({ length: N * C }, () => rand() + 0.1);
const H = new Float64Array(C * C);
for (let p = 0; p < N; p++) for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) H[i * C + j] += X[p * C + i] * X[p * C + j];
writeFileSync(at('W.npy'), lib.formatNpy(W, [R, C]));
writeFileSync(at('X.npy'), lib.formatNpy(X, [N, C]));
// Indefinite with a positive diagonal: H − 2·λ_max-ish along a vector (1, −1, 0, …) direction.
const Hind = Float64Array.from(H);
Hind[0 * C + 1] = Hind[1 * C + 0] = Math.sqrt(H[0] * H[C + 1]) * 1.5;
writeFileSync(at('Hind.npy'), lib.formatNpy(Hind, [C, C]));
writeFileSync(at('Hzero.npy'), lib.formatNpy(new Float64Array(C * C), [C, C]));
writeFileSync(at('Xzero.npy'), lib.formatNpy(new Float64Array(N * C), [N, C]));
// Weights so large that OBS step losses w²/[H⁻¹]_pp overflow float32.
writeFileSync(at('Whuge.npy'), lib.formatNpy(W.map((v) => v * 1e30), [R, C]));
// A recovery problem, and one whose AᵀA overflows float64.
const n = 30, d = 12;
const A = Float64Array.from({ length: n * d }, rand);
const y = Float64Array.from({ length: n }, rand);
writeFileSync(at('A.npy'), lib.formatNpy(A, [n, d]));
writeFileSync(at('y.npy'), lib.formatNpy(y, [n]));
writeFileSync(at('Ahuge.npy'), lib.formatNpy(A.map((v) => v * 1e200), [n, d]));

const prune = (stats: string[], method: string, out: string) => ['prune-layer', '--weight', 'W.npy', ...stats, '--method', method, '--sparsity', '0.5', '--out', out];

describe('bad input the library decides, through the CLI', () => {
  it('an indefinite --hessian with a positive diagonal is refused (exit 2, names --hessian, says positive semidefinite) for every method; nothing written', () => {
    for (const method of ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs']) {
      const r = iobs(prune(['--hessian', 'Hind.npy'], method, `ind-${method}.npy`));
      expect(r.code, `${method}: ${r.stderr}`).toBe(2);
      expect(r.last).toMatch(/^iobs prune-layer: --hessian .*positive semidefinite/);
      expect(existsSync(at(`ind-${method}.npy`))).toBe(false);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an all-zero --hessian and all-zero --inputs are refused (exit 2, naming the flag), not pruned to a "relative error 0.000"', () => {
    const h = iobs(prune(['--hessian', 'Hzero.npy'], 'sparsegpt', 'zero-h.npy'));
    expect(h.code, h.stderr).toBe(2);
    expect(h.last).toMatch(/^iobs prune-layer: --hessian /);
    expect(h.stdout).toBe('');
    const x = iobs(prune(['--inputs', 'Xzero.npy'], 'wanda', 'zero-x.npy'));
    expect(x.code, x.stderr).toBe(2);
    expect(x.last).toMatch(/^iobs prune-layer: --inputs /);
    expect(existsSync(at('zero-h.npy')) || existsSync(at('zero-x.npy'))).toBe(false);
  });

  it('weights that overflow float32 in OBC are reported as an overflow naming --weight (exit 2), not as "W or H holds NaN", before any work', () => {
    const r = iobs(['prune-layer', '--weight', 'Whuge.npy', '--inputs', 'X.npy', '--method', 'obc', '--sparsity', '0.5', '--dtype', 'float32', '--out', 'huge.npy']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.last).toMatch(/^iobs prune-layer: --weight .*overflows/);
    expect(r.last).not.toMatch(/holds NaN/);
    // In float64 the same layer fits: it prunes.
    const ok = iobs(['prune-layer', '--weight', 'Whuge.npy', '--inputs', 'X.npy', '--method', 'obc', '--sparsity', '0.5', '--dtype', 'float64', '--out', 'huge64.npy']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(at('huge.npy'))).toBe(false);
  });

  it('an AᵀA that overflows is reported against --A, not as a --damp problem when --damp was never given', () => {
    const r = iobs(['recover', '--A', 'Ahuge.npy', '--y', 'y.npy', '--k', '3', '--method', 'iobs', '--out', 'x-huge.npy']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.last).toMatch(/^iobs recover: --A /);
    expect(r.last).not.toMatch(/--damp/);
    expect(existsSync(at('x-huge.npy'))).toBe(false);
  });

  it('a step so small that nothing moves is not reported as converged', () => {
    const r = iobs(['recover', '--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'kiht', '--eta', '1e-300', '--tol', '1e-6', '--steps', '50', '--json', '--out', 'x-tiny.npy']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(summary.converged).toBe(false);
  });

  it('a misspelled --method suggests the closest (exit 2, usage)', () => {
    const r = iobs(prune(['--inputs', 'X.npy'], 'sparsgpt', 'typo.npy'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean 'sparsegpt'/);
  });
});
