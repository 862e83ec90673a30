// What the algorithms read: on the strict run (a backend whose storage the host cannot see, which
// counts every read), every pruner x pattern and every recovery method runs with the counters
// reset just before the call, and no single read may exceed a budget of a few times rows + cols
// (a code, a count per row, a diagonal, a norm, the final length-d iterate) — so no algorithm
// copies a whole matrix to the host to loop over it. On the other backends these cases run the
// same calls and only check that they succeed (checkReads is a no-op there).
import { type Case, check, checkReads } from './harness.js';
import { Rng } from './random.js';


const METHODS = ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'] as const;
const PATTERNS = ['0.5', '0.5/row', '2:4'] as const;

/** H = XᵀX of correlated inputs, W random: a rows x cols layer whose matrices outsize the budget. */
function layer(seed: number, rows: number, cols: number, samples: number): { W: number[]; X: number[] } {
  const rng = new Rng(seed);
  const X = rng.normals(samples * cols);
  for (let s = 0; s < samples; s++) for (let j = 1; j < cols; j++) X[s * cols + j] += 0.5 * X[s * cols + j - 1];
  return { W: rng.normals(rows * cols), X };
}

function prunerCase(method: (typeof METHODS)[number], pattern: string, stats: 'matrix' | 'accumulator', solver?: 'cg' | 'cholesky'): Case {
  return {
    name: `read budget: ${method}${solver ? ` (${solver})` : ''} ${pattern} with H as ${stats === 'matrix' ? 'a matrix' : 'an accumulator'} reads at most 4·(rows + cols) at a time`,
    deviceNeutral: true,
    async run(ctx) {
      const { lib, la } = ctx;
      const rows = 20, cols = 48;
      const { W, X } = layer(7301, rows, cols, 3 * cols);
      const scope = la.scope();
      try {
        const Wm = scope.track(la.fromArray(W, rows, cols, 'float64'));
        const acc = new lib.HessianAccumulator(la, cols, { dtype: 'float64' });
        let H: unknown = acc;
        try {
          await acc.addBatch({ data: X, rows: 3 * cols, cols });
          if (stats === 'matrix') H = scope.track(await acc.hessian('float64'));
          const pruner = method === 'iobs' ? lib.iobs(solver ? { solver } : {}) : lib.makePruner(method);
          ctx.strict?.resetReads();
          const r = await lib.pruneLayer(la, Wm, H as never, { pruner, pattern });
          checkReads(ctx, 4 * (rows + cols), `${method} ${pattern}`);
          scope.track(r.weight);
          scope.track(r.mask);
          check(r.relError >= 0 && Number.isFinite(r.relError), () => `relError ${r.relError}`);
        } finally {
          acc.free();
        }
      } finally {
        scope.free();
      }
    },
  };
}

function recoveryCase(method: 'kiht' | 'topk-iobs' | 'iobs', selection?: 'greedy' | 'oneshot'): Case {
  return {
    name: `read budget: recover ${method}${selection ? ` (${selection})` : ''} on least squares reads at most 2·(n + d) at a time`,
    deviceNeutral: true,
    async run(ctx) {
      const { lib, la } = ctx;
      const n = 40, d = 30, rng = new Rng(7302);
      const A = rng.normals(n * d).map((v) => v / Math.sqrt(n));
      const y = rng.normals(n);
      const scope = la.scope();
      try {
        const Am = scope.track(la.fromArray(A, n, d, 'float64')), ym = scope.track(la.fromArray(y, n, 1, 'float64'));
        ctx.strict?.resetReads();
        const problem = await lib.leastSquares(la, Am, ym);
        try {
          const r = await lib.recover(la, problem, { k: 5, method, steps: 20, ...(selection ? { selection } : {}) });
          checkReads(ctx, 2 * (n + d), `recover ${method}`);
          check(r.x.length === d, () => `x has ${r.x.length} entries`);
        } finally {
          problem.free();
        }
      } finally {
        scope.free();
      }
    },
  };
}

export function readBudgetCases(): Case[] {
  const out: Case[] = [];
  for (const method of METHODS) for (const pattern of PATTERNS) for (const stats of ['matrix', 'accumulator'] as const) out.push(prunerCase(method, pattern, stats));
  for (const solver of ['cg', 'cholesky'] as const) out.push(prunerCase('iobs', '0.5', 'accumulator', solver));
  out.push(recoveryCase('kiht'), recoveryCase('topk-iobs'), recoveryCase('iobs', 'greedy'), recoveryCase('iobs', 'oneshot'));
  return out;
}

