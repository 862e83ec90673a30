// pruneLayer's last line of defence: whatever a pruner returns, a non-finite weight, a weight not
// zero where pruned, a mask breaking an N:M or per-row pattern, a weight or mask of the wrong
// shape, or a bad dampUsed is an error, never a result, and what the pruner returned is freed. A
// deliberately broken Pruner value is handed to pruneLayer for the test.
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { ComputationError } from '../../src/core/errors.js';
import type { Linalg } from '../../src/linalg/linalg.js';
import type { Matrix } from '../../src/core/matrix.js';
import { pruneLayer } from '../../src/pruning/prune-layer.js';
import type { Pruner } from '../../src/pruning/types.js';

const la = await init({ backend: 'reference' });

interface Output {
  weight: Float64Array;
  mask: Uint8Array;
  dampUsed: number | null;
  /** Shape of the weight and mask to return (default W's). */
  rows?: number;
  cols?: number;
}

/** A pruner that keeps 2:4 by position, then lets `spoil` damage its output before returning it. */
function broken(spoil: (out: Output) => void): Pruner {
  return {
    method: 'obc',
    options: {},
    factorsHessian: true,
    checkPattern() {},
    async run(l: Linalg, W: Matrix) {
      const mask = Uint8Array.from({ length: W.rows * W.cols }, (_, i) => (i % 4 < 2 ? 1 : 0));
      const weight = Float64Array.from(await l.read(W), (v, i) => (mask[i] ? v : 0));
      const out: Output = { weight, mask, dampUsed: 0.01 };
      spoil(out);
      const rows = out.rows ?? W.rows, cols = out.cols ?? W.cols;
      return {
        weight: l.fromArray(out.weight.subarray(0, rows * cols), rows, cols, W.dtype),
        mask: l.fromArray(out.mask.subarray(0, rows * cols), rows, cols, 'uint8'),
        dampUsed: out.dampUsed,
        warnings: [],
        details: {},
      } as never;
    },
  };
}

describe('pruneLayer checks what a pruner returns', () => {
  const W = la.fromArray([1, 2, 3, 4, 5, 6, 7, 8], 2, 4);
  const H = la.fromArray([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 3, 1, 0, 0, 1, 3], 4, 4);
  const nm = '2:4';
  const run = (pruner: Pruner, pattern: string = nm) => pruneLayer(la, W, H, { pruner, pattern });

  /** Runs a refused pruner and checks the error and that nothing it returned stays allocated. */
  async function refused(pruner: Pruner, message: RegExp, pattern: string = nm) {
    const before = la.liveBytes();
    const err = await run(pruner, pattern).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ComputationError);
    expect((err as Error).message).toMatch(message);
    expect((err as ComputationError).fn).toBe('pruneLayer');
    expect(la.liveBytes()).toBe(before);
  }

  it('accepts a sound result', async () => {
    const r = await run(broken(() => {}));
    expect(r.dampUsed).toBe(0.01);
    expect(r.sparsity).toBe(0.5);
    expect(Array.from(await la.read(r.weight))).toEqual([1, 2, 0, 0, 5, 6, 0, 0]);
    r.weight.free();
    r.mask.free();
  });
  it('refuses NaN in the weight', async () => {
    await refused(broken((o) => (o.weight[1] = NaN)), /^pruneLayer: method 'obc' produced a non-finite weight \(Ŵ\[0, 1\]\).*; no result is returned/);
  });
  it('refuses a pruned weight left non-zero', async () => {
    await refused(broken((o) => (o.weight[6] = 0.5)), /left a pruned weight non-zero \(Ŵ\[1, 2\]\)/);
  });
  it('refuses a mask that breaks N:M or per-row; unstructured counts are the method\'s', async () => {
    await refused(broken((o) => (o.mask[2] = 1)), /returned a mask that does not satisfy the pattern/);
    await refused(broken(() => {}), /returned a mask that does not satisfy the pattern/, '0.25/row');
    const r = await run(broken(() => {}), '0.25');
    expect(r.sparsity).toBe(0.5);
    r.weight.free();
    r.mask.free();
  });
  it('refuses a weight or a mask of the wrong shape', async () => {
    await refused(broken((o) => (o.rows = 1)), /returned a weight of the wrong shape \(1x4 float32 matrix, want 2x4 float32\)/);
  });
  it('refuses a bad dampUsed', async () => {
    await refused(broken((o) => (o.dampUsed = NaN)), /reported dampUsed = NaN/);
    await refused(broken((o) => (o.dampUsed = -1)), /reported dampUsed = -1/);
  });
});
