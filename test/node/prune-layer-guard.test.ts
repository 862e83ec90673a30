// pruneLayer's last line of defence: whatever a registered pruner returns, a non-finite weight, a
// weight not zero where pruned, a mask breaking an N:M or per-row pattern, or a bad dampUsed is an
// error, never a result. A deliberately broken pruner is put in the table for the test.
import { afterEach, describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { pruneLayer } from '../../src/pruning/prune-layer.js';
import { PRUNERS } from '../../src/pruning/registry.js';
import type { LayerPruner, PruneMethod } from '../../src/pruning/types.js';

const la = await init({ backend: 'reference' });
const table = PRUNERS as Partial<Record<PruneMethod, LayerPruner>>;
const saved = table.obc;
afterEach(() => {
  table.obc = saved;
});

/** A pruner that keeps 2:4 by position, then lets `spoil` damage its output. */
function broken(spoil: (w: Float64Array | Float32Array, mask: Uint8Array) => number | null): LayerPruner {
  return (l, W) => {
    const mask = Uint8Array.from({ length: W.rows * W.cols }, (_, i) => (i % 4 < 2 ? 1 : 0));
    const v = W.toArray();
    for (let i = 0; i < v.length; i++) if (!mask[i]) v[i] = 0;
    const dampUsed = spoil(v, mask);
    return { weight: l.fromArray(v, W.rows, W.cols, W.dtype), mask, dampUsed } as never;
  };
}

describe('pruneLayer checks what a pruner returns', () => {
  const W = la.fromArray([1, 2, 3, 4, 5, 6, 7, 8], 2, 4);
  const H = la.fromArray([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 3, 1, 0, 0, 1, 3], 4, 4);
  const run = (pattern: object) => () => pruneLayer(la, W, H, { method: 'obc', pattern: pattern as never });
  const nm = { kind: 'nm', n: 2, m: 4 };

  it('accepts a sound result', () => {
    table.obc = broken(() => 0.01);
    const r = run(nm)();
    expect(r.dampUsed).toBe(0.01);
    expect(r.sparsity).toBe(0.5);
  });
  it('refuses NaN in the weight', () => {
    table.obc = broken((w) => ((w[1] = NaN), 0.01));
    expect(run(nm)).toThrow(/pruneLayer: method 'obc' produced a non-finite weight \(Ŵ\[0, 1\] = NaN\); no result is returned/);
  });
  it('refuses a pruned weight left non-zero', () => {
    table.obc = broken((w) => ((w[6] = 0.5), null));
    expect(run(nm)).toThrow(/left a pruned weight non-zero \(Ŵ\[1, 2\] = 0\.5\)/);
  });
  it('refuses a mask that breaks N:M or per-row', () => {
    table.obc = broken((w, mask) => ((mask[2] = 1), null));
    expect(run(nm)).toThrow(/returned a mask that does not satisfy the 2:4 pattern/);
    table.obc = broken(() => null);
    expect(run({ kind: 'per-row', sparsity: 0.25 })).toThrow(/does not satisfy the per-row pattern/);
    expect(run({ kind: 'unstructured', sparsity: 0.25 })().sparsity).toBe(0.5);
  });
  it('refuses a bad dampUsed', () => {
    table.obc = broken(() => NaN);
    expect(run(nm)).toThrow(/reported dampUsed = NaN/);
  });
});
