// The device-neutral cases on the webgpu backend (Dawn through the `webgpu` package). With no GPU
// here it runs on SwiftShader: scripts/test.mjs points VK_ICD_FILENAMES at Debian chromium's
// SwiftShader ICD when it is installed and the variable is unset. With IOBS_REQUIRE_WEBGPU=1 (CI)
// a missing adapter fails the suite; otherwise the cases are skipped with the reason.
// IOBS_CASES=kernels (or algorithms) runs only that part of the list.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iobs, lastJson } from './helpers/cli.js';
import * as lib from '../../dist/index.js';
import { algorithmCases, allCases, casesFor, kernelCases, runCase } from '../cases/index.js';

const pick = process.env.IOBS_CASES ?? 'all';
const cases = casesFor(pick === 'kernels' ? kernelCases() : pick === 'algorithms' ? algorithmCases() : allCases(), 'strict');
const required = process.env.IOBS_REQUIRE_WEBGPU === '1';

let backend: lib.KernelBackend | null = null;
let why = '';
try {
  backend = (await lib.defaultRegistry().resolve(['webgpu'], () => {})).backend;
} catch (err) {
  why = err instanceof Error ? err.message : String(err);
}

afterAll(() => backend?.dispose());

describe('webgpu backend', () => {
  if (required || backend !== null) {
    it('has an adapter', () => {
      expect(why, 'IOBS_REQUIRE_WEBGPU=1 and the webgpu backend did not start').toBe('');
      expect(backend!.name).toBe('webgpu');
    });
  } else it.skip(`no WebGPU adapter (${why})`, () => {});
});

if (backend) {
  const la = new lib.Linalg(backend);
  const ref = await lib.init({ backend: 'reference' });
  describe('webgpu', () => {
    const ctx = { lib: lib as never, la: la as never, ref: ref as never, strict: null };
    for (const c of cases) it(c.name, () => runCase(c, ctx));
    it('iobs prune-layer --backend webgpu reproduces the Wasm backend (relative error within 1%, masks 99.9% equal)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'iobs-webgpu-'));
      try {
        // A 40 x 96 layer with correlated inputs (600 samples), pruned from its inputs.
        let seed = 12345;
        const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
        const R = 40, C = 96, N = 600;
        const W = Float32Array.from({ length: R * C }, next);
        const Z = Float32Array.from({ length: N * C }, next);
        const X = new Float32Array(N * C);
        for (let n = 0; n < N; n++) for (let j = 0; j < C; j++) X[n * C + j] = Z[n * C + j] + 0.7 * Z[n * C + (j + 1) % C];
        writeFileSync(join(dir, 'W.npy'), lib.formatNpy(W, [R, C]));
        writeFileSync(join(dir, 'X.npy'), lib.formatNpy(X, [N, C]));
        for (const method of ['sparsegpt', 'iobs']) {
          const got: Record<string, { relError: number; w: Float32Array }> = {};
          for (const b of ['wasm-simd', 'webgpu']) {
            const out = join(dir, `${method}-${b}.npy`);
            const r = iobs(dir, ['prune-layer', '--weight', 'W.npy', '--inputs', 'X.npy', '--method', method, '--sparsity', '0.5', '--out', out, '--json', '--backend', b]);
            expect(r.code, r.stderr).toBe(0);
            expect(r.stderr).toContain(`backend ${b}`);
            got[b] = { relError: lastJson<{ relError: number }>(r.stdout).relError, w: lib.parseNpy(new Uint8Array(readFileSync(out))).data as Float32Array };
          }
          const a = got['wasm-simd'], g = got.webgpu;
          expect(Math.abs(g.relError - a.relError) / a.relError, method).toBeLessThanOrEqual(0.01);
          let same = 0;
          for (let k = 0; k < a.w.length; k++) if ((a.w[k] === 0) === (g.w[k] === 0)) same++;
          expect(same / a.w.length, method).toBeGreaterThanOrEqual(0.999);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    it('ran float32 gemm, syrk and the elementwise kernels on the GPU', () => {
      if (pick === 'algorithms') return;
      const gpu = (backend as unknown as { calls(): { gpu: Record<string, number> } }).calls().gpu;
      for (const k of ['gemm', 'syrk', 'copy', 'fill', 'axpby', 'applyMask', 'scaleRows', 'addDiagonal']) expect(gpu[k] ?? 0, k).toBeGreaterThan(0);
    });
  });
}
