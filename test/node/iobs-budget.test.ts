// I-OBS's budget where solver 'auto' picks CG (a 2048-input layer at 50%: per-row Cholesky would
// cost more than AUTO_CG_ITERATIONS GEMMs): by default one iteration after the re-solved start,
// at most AUTO_CG_BUDGET low-rank-preconditioned CG iterations per re-solve, and still below
// SparseGPT's error; options given explicitly override the budget. Wasm backend, float32; few rows
// so that the GEMMs are cheap.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { syntheticHessian, syntheticWeight } from '../../src/cli/bench/layers.js';
import { pruneLayer } from '../../src/pruning/prune-layer.js';
import { AUTO_CG_BUDGET, autoSolver, iobs } from '../../src/pruning/iobs.js';
import { sparseGPT } from '../../src/pruning/sparsegpt.js';

const la = await init({ wasmPaths: pathToFileURL(resolve('dist')).href + '/' });
const cols = 2048, rows = 16; // 16 rows: one exchange round would cost 5.1e10 flops, so it is off

describe('I-OBS budget on a 16 x 2048 layer', () => {
  it('defaults to one iteration of capped, low-rank-preconditioned CG re-solves; explicit options win', async () => {
    const acc = await syntheticHessian(la, cols, 2 * cols, 77);
    const H = await acc.hessian('float32');
    acc.free();
    const W = syntheticWeight(la, rows, cols, 5);
    try {
      const s = await pruneLayer(la, W, H, { pruner: sparseGPT(), pattern: '0.5' });
      expect(await autoSolver(la, s.mask)).toBe('cg');
      const d = await pruneLayer(la, W, H, { pruner: iobs(), pattern: '0.5' });
      const dd = d.details as { steps: string[]; solver: string; cg: { iterations: number }[]; relError: number[] };
      expect(dd.steps).toEqual(['start', 'start re-solved', 'iteration 1']);
      expect(dd.solver).toBe('cg');
      expect(dd.cg.map((c) => c.iterations)).toEqual([AUTO_CG_BUDGET, AUTO_CG_BUDGET]);
      expect(d.relError).toBeLessThan(0.9 * s.relError);
      // The step objectives come from CG's sums: the kept one is the summary's own (float32 SYRK).
      expect(Math.abs(dd.relError[dd.relError.indexOf(Math.min(...dd.relError))] - d.relError)).toBeLessThan(1e-4 * d.relError);
      const e = await pruneLayer(la, W, H, { pruner: iobs({ iterations: 2, maxSolverIterations: 3 }), pattern: '0.5' });
      const ed = e.details as { steps: string[]; cg: { iterations: number }[] };
      expect(ed.steps.length).toBeGreaterThanOrEqual(3);
      expect(ed.cg.every((c) => c.iterations <= 3)).toBe(true);
      const j = await pruneLayer(la, W, H, { pruner: iobs({ preconditioner: 'jacobi' }), pattern: '0.5' });
      // Same budget, Jacobi alone: the low-rank term is what makes 5 iterations enough.
      expect(d.relError).toBeLessThan(j.relError);
      for (const r of [s, d, e, j]) { r.weight.free(); r.mask.free(); }
    } finally {
      W.free();
      H.free();
    }
  }, 120_000);
});
