// The pruning facade and the mask-only pruners against float64 brute force: HessianAccumulator vs
// XᵀX summed in float64 (odd sizes, batchings, both dtypes), magnitude and Wanda vs sort-based
// selection for every pattern (exact per-row and N:M counts, ties to the smaller index),
// relativeError vs the direct formula, factorDamped's ×10 retries, dead inputs, and pruneLayer's
// validation errors.
import { type Case, type CaseContext, check, eps, expectClose, expectThrow, type Matrix } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
type Lib = CaseContext['lib'];
type Pattern = Parameters<Lib['formatPattern']>[0];

/** XᵀX of row-major N x c values, summed in float64, and Σ|x_i||x_j| (the rounding scale). */
function gram(x: ArrayLike<number>, N: number, c: number): { H: Float64Array; abs: Float64Array } {
  const H = new Float64Array(c * c), abs = new Float64Array(c * c);
  for (let p = 0; p < N; p++) {
    const o = p * c;
    for (let i = 0; i < c; i++) {
      const xi = x[o + i];
      for (let j = 0; j <= i; j++) {
        H[i * c + j] += xi * x[o + j];
        abs[i * c + j] += Math.abs(xi * x[o + j]);
      }
    }
  }
  for (let i = 0; i < c; i++) for (let j = i + 1; j < c; j++) {
    H[i * c + j] = H[j * c + i];
    abs[i * c + j] = abs[j * c + i];
  }
  return { H, abs };
}

/** Values rounded to the dtype. */
const rounded = (v: number[], dtype: DT): ArrayLike<number> => (dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v));

// ---- HessianAccumulator ---------------------------------------------------------------------

function accumulatorCase(N: number, c: number, dtype: DT, chunkRows: number | undefined, batching: 'one' | 'rows' | 'random' | 'matrix', seed: number): Case {
  const name = `HessianAccumulator ${dtype} ${N}x${c} chunk ${chunkRows ?? 'default'} batches ${batching} seed ${seed}`;
  return {
    name,
    run({ lib, la }) {
      const rng = new Rng(seed);
      const x = rounded(rng.normals(N * c).map((v) => v + 0.5), dtype);
      const acc = new lib.HessianAccumulator(la, c, { dtype, chunkRows });
      try {
        let p = 0;
        while (p < N) {
          const b = batching === 'one' ? N : batching === 'rows' ? 1 : Math.min(N - p, 1 + rng.int(9));
          const part = Array.from({ length: b * c }, (_, t) => x[p * c + t]);
          if (batching === 'matrix') {
            // A strided window of a larger float64 matrix, whatever the accumulator's dtype.
            const big = la.matrix(b + 2, c + 3, 'float64');
            acc.addBatch(big.view(1, 2, b, c).assign(part));
            big.free();
          } else {
            acc.addBatch({ data: part, rows: b, cols: c });
          }
          p += b;
          if (batching === 'random' && p < N && rng.uniform() < 0.3) acc.hessian().free(); // hessian() midway changes nothing
        }
        check(acc.samples === N, () => `${name}: samples ${acc.samples} != ${N}`);
        const { H: want, abs } = gram(x, N, c);
        const H = acc.hessian('float64');
        // syrk sums slices of ≤ 256 rows; each chunk's result is rounded once to the dtype.
        expectClose(name, H.toArray(), want, 4 * (Math.min(N, 256) + 4) * eps(dtype), abs);
        const h = H.toArray();
        for (let i = 0; i < c; i++) for (let j = 0; j < i; j++) check(h[i * c + j] === h[j * c + i], () => `${name}: H not symmetric at (${i}, ${j})`);
        H.free();
        const H32 = acc.hessian();
        check(H32.dtype === dtype && H32.rows === c && H32.cols === c, () => `${name}: hessian() gave ${H32.rows}x${H32.cols} ${H32.dtype}`);
        H32.free();
      } finally {
        acc.free();
      }
    },
  };
}

/** 10,000 x 128 inputs in batches of 7 rows stay at the float32 rounding of H (adding into a float32 H would not). */
const bigAccumulatorCase: Case = {
  name: 'HessianAccumulator float32 10000x128 in batches of 7 rows: within 3e-7 of the float64 sum',
  run({ lib, la }) {
    const N = 10_000, c = 128, rng = new Rng(77);
    const x = Float32Array.from({ length: N * c }, () => 0.5 + rng.normal());
    const acc = new lib.HessianAccumulator(la, c);
    try {
      for (let p = 0; p < N; p += 7) {
        const b = Math.min(7, N - p);
        acc.addBatch({ data: x.subarray(p * c, (p + b) * c), rows: b, cols: c });
      }
      const { H: want } = gram(x, N, c);
      const H = acc.hessian('float64'), h = H.toArray();
      H.free();
      let worst = 0;
      for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) {
        worst = Math.max(worst, Math.abs(h[i * c + j] - want[i * c + j]) / Math.sqrt(want[i * c + i] * want[j * c + j]));
      }
      check(worst <= 3e-7, () => `max |ΔH_ij|/√(H_ii H_jj) = ${worst.toExponential(3)} > 3e-7`);
    } finally {
      acc.free();
    }
  },
};

const accumulatorErrorsCase: Case = {
  name: 'HessianAccumulator: bad batches are refused and leave it unchanged',
  run({ lib, la }) {
    const acc = new lib.HessianAccumulator(la, 3);
    acc.addBatch({ data: [1, 2, 3], rows: 1, cols: 3 });
    expectThrow(() => acc.addBatch({ data: [1, 2, 3, 4], rows: 1, cols: 4 }), /HessianAccumulator\.addBatch: argument X\.cols must be 3 .*got 4/);
    expectThrow(() => acc.addBatch(la.matrix(2, 5)), /argument X must be 3 columns.*got 2x5 float32 matrix/);
    expectThrow(() => acc.addBatch({ data: [1, 2], rows: 1, cols: 3 }), /argument X\.data must be length rows \* cols = 3; got "length 2"/);
    expectThrow(() => acc.addBatch({ data: [1, 2, 3, 4, NaN, 6], rows: 2, cols: 3 }), /argument X\[1, 1\] must be a finite number; got NaN/);
    expectThrow(() => acc.addBatch(null as never), /argument X must be a Matrix or \{ data, rows, cols \}; got null/);
    check(acc.samples === 1, () => `samples ${acc.samples} after refused batches`);
    const H = acc.hessian();
    expectClose('H after refused batches', H.toArray(), [1, 2, 3, 2, 4, 6, 3, 6, 9], 0);
    expectThrow(() => new lib.HessianAccumulator(la, 0), /HessianAccumulator: argument cols must be an integer in \[1, /);
    expectThrow(() => new lib.HessianAccumulator(la, 3, { dtype: 'int8' as never }), /argument options\.dtype must be 'float32' or 'float64'; got "int8"/);
    expectThrow(() => new lib.HessianAccumulator({} as never, 3), /argument la must be a Linalg/);
    acc.free();
    expectThrow(() => acc.addBatch({ data: [1, 2, 3], rows: 1, cols: 3 }), /must be an accumulator that has not been freed/);
  },
};

// ---- magnitude and Wanda against sort-based brute force --------------------------------------

/** Groups of flat indices the pattern selects within (Wanda: unstructured compares within rows). */
function groups(p: Pattern, rows: number, cols: number, perRowUnstructured: boolean): { idx: number[]; keep: number }[] {
  const range = (from: number, n: number) => Array.from({ length: n }, (_, t) => from + t);
  if (p.kind === 'nm') {
    const out = [];
    for (let r = 0; r < rows; r++) for (let g = 0; g < cols; g += p.m) out.push({ idx: range(r * cols + g, p.m), keep: p.n });
    return out;
  }
  if (p.kind === 'per-row' || perRowUnstructured) {
    return range(0, rows).map((r) => ({ idx: range(r * cols, cols), keep: cols - Math.floor(cols * p.sparsity) }));
  }
  return [{ idx: range(0, rows * cols), keep: rows * cols - Math.floor(rows * cols * p.sparsity) }];
}

/** The keep-mask by sorting each group: larger score first, then the smaller index. */
function bruteMask(score: Float64Array, gs: { idx: number[]; keep: number }[]): Uint8Array {
  const mask = new Uint8Array(score.length);
  for (const { idx, keep } of gs) {
    const order = idx.slice().sort((a, b) => score[b] - score[a] || a - b);
    for (let t = 0; t < keep; t++) mask[order[t]] = 1;
  }
  return mask;
}

type Scored = 'magnitude' | 'wanda';

function selectionCase(method: Scored, rows: number, cols: number, pattern: Pattern, dtype: DT, data: 'normal' | 'integer', seed: number): Case {
  const name = `pruneLayer ${method} ${rows}x${cols} ${patternText(pattern)} ${dtype} ${data} seed ${seed}`;
  return {
    name,
    run({ lib, la }) {
      const rng = new Rng(seed);
      const draw = () => (data === 'integer' ? rng.int(7) - 3 : rng.normal());
      const wv = rounded(Array.from({ length: rows * cols }, draw), dtype);
      // H = XᵀX of a few samples; integer data gets a small integer diagonal with repeats (ties).
      const N = 2 + rng.int(cols + 3);
      const xv = Array.from({ length: N * cols }, () => (data === 'integer' ? rng.int(3) : rng.normal()));
      const hv = rounded(Array.from(gram(xv, N, cols).H), dtype);
      const W = la.fromArray(wv, rows, cols, dtype), H = la.fromArray(hv, cols, cols, dtype);
      const r = lib.pruneLayer(la, W, H, { method, pattern });
      try {
        const score = new Float64Array(rows * cols);
        for (let i = 0; i < rows * cols; i++) score[i] = wv[i] * wv[i] * (method === 'wanda' ? hv[(i % cols) * cols + (i % cols)] : 1);
        const gs = groups(pattern, rows, cols, method === 'wanda');
        const want = bruteMask(score, gs);
        if (data === 'integer') {
          // Scores are exact small integers: the mask must equal brute force, ties included.
          for (let i = 0; i < want.length; i++) check(r.mask[i] === want[i], () => `${name}: mask[${i}] = ${r.mask[i]}, brute force ${want[i]}`);
        } else {
          // Exact counts per group; every kept score ≥ every pruned one up to float32 rounding of the score.
          for (const { idx, keep } of gs) {
            let kept = 0, minKept = Infinity, maxPruned = -Infinity;
            for (const i of idx) {
              if (r.mask[i]) { kept++; minKept = Math.min(minKept, score[i]); } else maxPruned = Math.max(maxPruned, score[i]);
            }
            check(kept === keep, () => `${name}: a group starting at ${idx[0]} keeps ${kept}, want ${keep}`);
            check(minKept >= maxPruned * (1 - 4 * eps('float32')), () => `${name}: kept score ${minKept} < pruned score ${maxPruned} in the group at ${idx[0]}`);
          }
          let same = 0;
          for (let i = 0; i < want.length; i++) same += r.mask[i] === want[i] ? 1 : 0;
          check(same >= want.length - 2, () => `${name}: mask differs from brute force in ${want.length - same} places`);
        }
        if (pattern.kind === 'nm' || pattern.kind === 'per-row') check(lib.maskFits(pattern, r.mask, rows, cols), () => `${name}: mask does not fit the pattern`);
        const w = r.weight.toArray();
        for (let i = 0; i < w.length; i++) check(w[i] === (r.mask[i] ? wv[i] : 0), () => `${name}: weight[${i}] = ${w[i]}, want ${r.mask[i] ? wv[i] : 0}`);
        let zeros = 0;
        for (const m of r.mask) zeros += 1 - m;
        check(r.sparsity === zeros / (rows * cols), () => `${name}: sparsity ${r.sparsity}, mask has ${zeros} zeros`);
        check(r.method === method && r.dampUsed === null && r.weight.dtype === dtype, () => `${name}: method ${r.method}, dampUsed ${r.dampUsed}, dtype ${r.weight.dtype}`);
        check(Number.isFinite(r.seconds) && r.seconds >= 0, () => `${name}: seconds ${r.seconds}`);
        expectClose(`${name}: relError`, [r.relError], [directRelError(wv, w, hv, rows, cols)], 1e-9, Math.max(r.relError, 1e-300));
      } finally {
        r.weight.free();
        W.free();
        H.free();
      }
    },
  };
}

/** tr(ΔHΔᵀ)/tr(WHWᵀ) by the definition, in float64. */
function directRelError(w: ArrayLike<number>, wh: ArrayLike<number>, h: ArrayLike<number>, rows: number, cols: number): number {
  let num = 0, den = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const di = w[r * cols + i] - wh[r * cols + i], wi = w[r * cols + i];
      for (let j = 0; j < cols; j++) {
        num += di * h[i * cols + j] * (w[r * cols + j] - wh[r * cols + j]);
        den += wi * h[i * cols + j] * w[r * cols + j];
      }
    }
  }
  return den > 0 ? num / den : 0;
}

function patternText(p: Pattern): string {
  return p.kind === 'nm' ? `${p.n}:${p.m}` : `${p.kind} ${p.sparsity}`;
}

function selectionCases(): Case[] {
  const out: Case[] = [];
  let seed = 500;
  const dense: [number, number][] = [[1, 1], [3, 7], [9, 13], [17, 31]];
  for (const method of ['magnitude', 'wanda'] as const) {
    for (const [rows, cols] of dense) {
      for (const sparsity of [0, 0.3, 0.5, 0.7, 0.95]) {
        for (const kind of ['unstructured', 'per-row'] as const) {
          out.push(selectionCase(method, rows, cols, { kind, sparsity }, seed % 2 ? 'float32' : 'float64', 'normal', seed++));
        }
      }
    }
    const nm: [number, number, number, number][] = [[2, 4, 5, 12], [1, 3, 7, 9], [3, 4, 3, 8], [4, 8, 7, 24], [2, 4, 1, 4], [1, 1, 3, 5]];
    for (const [n, m, rows, cols] of nm) {
      out.push(selectionCase(method, rows, cols, { kind: 'nm', n, m }, 'float32', 'normal', seed++));
      out.push(selectionCase(method, rows, cols, { kind: 'nm', n, m }, 'float64', 'integer', seed++));
    }
    for (const kind of ['unstructured', 'per-row'] as const) {
      out.push(selectionCase(method, 5, 11, { kind, sparsity: 0.5 }, 'float32', 'integer', seed++));
      out.push(selectionCase(method, 8, 6, { kind, sparsity: 0.4 }, 'float64', 'integer', seed++));
    }
  }
  return out;
}

// ---- relativeError, factorDamped, dead inputs -----------------------------------------------

const relErrorCase: Case = {
  name: 'relativeError matches tr(ΔHΔᵀ)/tr(WHWᵀ) on odd sizes and both dtypes',
  run({ lib, la }) {
    for (const [rows, cols, dtype, seed] of [[1, 1, 'float32', 1], [3, 5, 'float64', 2], [7, 13, 'float32', 3], [10, 33, 'float64', 4]] as [number, number, DT, number][]) {
      const rng = new Rng(seed);
      const wv = rounded(rng.normals(rows * cols), dtype), whv = rounded(rng.normals(rows * cols), dtype);
      const xv = rng.normals((cols + 2) * cols);
      const hv = rounded(Array.from(gram(xv, cols + 2, cols).H), dtype);
      const W = la.fromArray(wv, rows, cols, dtype), Wh = la.fromArray(whv, rows, cols, dtype), H = la.fromArray(hv, cols, cols, dtype);
      const got = lib.relativeError(la, W, Wh, H);
      expectClose(`relativeError ${rows}x${cols} ${dtype}`, [got], [directRelError(wv, whv, hv, rows, cols)], 1e-10, directRelError(wv, whv, hv, rows, cols));
      check(lib.relativeError(la, W, W, H) === 0, () => 'relativeError(W, W) != 0');
      W.free(); Wh.free(); H.free();
    }
  },
};

/** H + λ·mean·I reconstructed from what factorDamped returned, checked against the damped H. */
function checkFactor(name: string, kind: 'cholesky' | 'inverse' | 'invchol' | 'damped', M: Matrix, damped: Float64Array, n: number, dtype: DT): void {
  const m = M.toArray();
  const prod = new Float64Array(n * n);
  if (kind === 'damped') {
    expectClose(name, m, damped, 4 * eps(dtype), Math.max(...damped.map(Math.abs)));
    return;
  }
  if (kind === 'cholesky') {
    // L Lᵀ = damped
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) prod[i * n + j] += m[i * n + k] * m[j * n + k];
    expectClose(name, prod, damped, 64 * n * eps(dtype), Math.max(...damped.map(Math.abs)));
    return;
  }
  // inverse: M · damped = I; invchol: (UᵀU) · damped = I
  const inv = new Float64Array(n * n);
  if (kind === 'inverse') inv.set(m);
  else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) inv[i * n + j] += m[k * n + i] * m[k * n + j];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) prod[i * n + j] += inv[i * n + k] * damped[k * n + j];
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  expectClose(name, prod, I, 1e4 * n * eps(dtype));
}

const factorDampedCase: Case = {
  name: 'factorDamped: λ×10 until H + λ·mean(diag H)·I factors, the λ used reported, every kind',
  run({ lib, la }) {
    // [H, n, the λ that must be reported]: PSD singular (0.01 is enough), indefinite needing ×10²
    // (eigenvalue −0.05 with mean diag 0.475: λ = 1) and ×10³ (eigenvalue −2, mean 1: λ > 2 → 10).
    const rng = new Rng(9);
    const x = rng.normals(2 * 5);
    const singular = Array.from(gram(x, 2, 5).H);
    const cases: [number[], number, number][] = [
      [singular, 5, 0.01],
      [[1, 0, 0, -0.05], 2, 1],
      [[1, 3, 3, 1], 2, 10],
    ];
    for (const [hv, n, want] of cases) {
      for (const dtype of ['float32', 'float64'] as DT[]) {
        for (const kind of ['cholesky', 'inverse', 'invchol', 'damped'] as const) {
          const H = la.fromArray(hv, n, n, dtype);
          const mean = hv.reduce((s, v, i) => s + (i % (n + 1) === 0 ? v : 0), 0) / n;
          const { M, dampUsed } = lib.factorDamped(la, H, mean, 0.01, kind);
          const name = `factorDamped ${kind} ${dtype} n=${n} want λ ${want}`;
          expectClose(`${name}: dampUsed`, [dampUsed], [want], 1e-12, want);
          check(M.dtype === dtype, () => `${name}: dtype ${M.dtype}`);
          const damped = Float64Array.from(rounded(hv, dtype));
          for (let j = 0; j < n; j++) damped[j * n + j] += dampUsed * mean;
          checkFactor(name, kind, M, damped, n, dtype);
          expectClose(`${name}: H unchanged`, H.toArray(), rounded(hv, dtype), 0);
          M.free();
          H.free();
        }
      }
    }
    const bad = la.fromArray([-1, 0, 0, -1], 2, 2, 'float64');
    expectThrow(() => lib.factorDamped(la, bad, -1, 0.01, 'cholesky', 'sparsegpt'), /^sparsegpt: argument damp must be a damping under which .* factors \(tried up to λ = 10000/);
  },
};

const deadInputsCase: Case = {
  name: 'dead inputs: found, their diagonal set to 1 in a copy, mean taken after; Wanda prunes them first',
  run({ lib, la }) {
    const rows = 4, cols = 7, rng = new Rng(21);
    const x = rng.normals(12 * cols);
    for (let p = 0; p < 12; p++) { x[p * cols + 2] = 0; x[p * cols + 5] = 0; }
    const hv = gram(x, 12, cols).H;
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const H = la.fromArray(hv, cols, cols, dtype);
      const dead = lib.deadInputs(H);
      check(Array.from(dead).join() === '2,5', () => `deadInputs: ${Array.from(dead)}`);
      const { H: F, meanDiag } = lib.withDeadInputs(la, H, dead);
      let s = 0;
      for (let j = 0; j < cols; j++) s += j === 2 || j === 5 ? 1 : H.get(j, j);
      expectClose('meanDiag', [meanDiag], [s / cols], 1e-12, s / cols);
      check(F.get(2, 2) === 1 && F.get(5, 5) === 1 && H.get(2, 2) === 0 && F.get(0, 0) === H.get(0, 0), () => 'withDeadInputs: diagonal not fixed in the copy only');
      F.free();
      // Wanda: a dead input scores 0, so with two pruned per row both dead columns go.
      const W = la.fromArray(rng.normals(rows * cols).map((v) => v + 5), rows, cols, dtype);
      const r = lib.pruneLayer(la, W, H, { method: 'wanda', pattern: { kind: 'per-row', sparsity: 0.3 } }); // ⌊7·0.3⌋ = 2 per row
      for (let i = 0; i < rows; i++) {
        const pruned: number[] = [];
        for (let j = 0; j < cols; j++) if (!r.mask[i * cols + j]) pruned.push(j);
        check(pruned.join() === '2,5', () => `wanda row ${i} pruned ${pruned}, want the dead inputs 2,5`);
      }
      r.weight.free();
      W.free();
      H.free();
    }
  },
};

// ---- pruneLayer: accumulator input and validation -------------------------------------------

const accumulatorInputCase: Case = {
  name: 'pruneLayer takes a HessianAccumulator as it takes the H it holds',
  run({ lib, la }) {
    const rows = 5, cols = 12, rng = new Rng(31);
    const x = Float32Array.from(rng.normals(40 * cols));
    const acc = new lib.HessianAccumulator(la, cols);
    acc.addBatch({ data: x.subarray(0, 13 * cols), rows: 13, cols }).addBatch({ data: x.subarray(13 * cols), rows: 27, cols });
    const W = la.fromArray(rng.normals(rows * cols), rows, cols);
    const H = acc.hessian();
    for (const pattern of [lib.parsePattern('2:4'), lib.parsePattern('0.5'), lib.parsePattern('0.25/row')]) {
      const a = lib.pruneLayer(la, W, acc, { method: 'wanda', pattern });
      const b = lib.pruneLayer(la, W, H, { method: 'wanda', pattern });
      check(a.relError === b.relError && a.mask.join() === b.mask.join(), () => `accumulator vs H differ for ${lib.formatPattern(pattern)}`);
      check(a.pattern.kind === pattern.kind, () => 'pattern not echoed');
      a.weight.free();
      b.weight.free();
    }
    H.free();
    W.free();
    acc.free();
  },
};

const validationCase: Case = {
  name: 'pruneLayer: errors name the argument and its value',
  run({ lib, la }) {
    const W = la.fromArray([1, 2, 3, 4, 5, 6, 7, 8], 2, 4), H = la.fromArray([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 3, 1, 0, 0, 1, 3], 4, 4);
    const ok = { method: 'magnitude', pattern: { kind: 'nm', n: 2, m: 4 } } as const;
    const prune = (w: unknown, h: unknown, o: unknown) => () => lib.pruneLayer(la, w as never, h as never, o as never);
    expectThrow(prune(W, H, { ...ok, method: 'foo' }), /pruneLayer: argument options\.method must be one of 'magnitude', 'wanda'.*; got "foo"/);
    expectThrow(prune(W, H, { pattern: ok.pattern }), /argument options\.method must be one of 'magnitude', 'wanda'.*; got undefined/);
    expectThrow(prune(W, H, { ...ok, pattern: { kind: 'nm', n: 2, m: 3 } }), /argument options\.pattern\.m must be a divisor of the layer's 4 inputs; got 3/);
    expectThrow(prune(W, H, { ...ok, pattern: { kind: 'unstructured', sparsity: 1 } }), /options\.pattern\.sparsity must be a number in \[0, 1\); got 1/);
    expectThrow(prune(W, H, { ...ok, pattern: undefined }), /argument options\.pattern must be a pattern/);
    expectThrow(prune(W, H, { ...ok, damp: 0 }), /argument options\.damp must be a positive number.*got 0/);
    expectThrow(prune(W, H, { ...ok, damp: NaN }), /argument options\.damp must be a finite number; got NaN/);
    expectThrow(prune(W, H, { ...ok, blockSize: 6 }), /argument options\.blockSize must be a multiple of m = 4.*got 6/);
    expectThrow(prune(W, H, { ...ok, blockSize: 0 }), /argument options\.blockSize must be an integer in \[1, /);
    expectThrow(prune(W, H, { ...ok, iterations: -1 }), /argument options\.iterations must be an integer in \[0, /);
    expectThrow(prune(W, H, { ...ok, eta: 1.5 }), /argument options\.eta must be a step in \(0, 1\]; got 1\.5/);
    expectThrow(prune(W, H, { ...ok, onProgress: 3 }), /argument options\.onProgress must be a function; got 3/);
    expectThrow(prune(W, H, { ...ok, iters: 3 }), /argument options\.iters must be one of the known options.*got 3/);
    expectThrow(prune(W, H, null), /argument options must be an object; got null/);
    expectThrow(prune([1, 2], H, ok), /argument W must be a Matrix; got \[1, 2\]/);
    expectThrow(prune(la.fromArray([1, NaN, 3, 4], 1, 4), H, ok), /argument W must be finite values \(W\[0, 1\] = NaN\); got 1x4 float32 matrix/);
    expectThrow(prune(W, la.matrix(3, 3), ok), /argument stats must be 4x4 \(the Hessian of the 4 inputs of W\); got 3x3 float32 matrix/);
    expectThrow(prune(W, la.matrix(4, 4, 'float64'), ok), /argument stats must be a float32 matrix.*got 4x4 float64 matrix/);
    expectThrow(prune(W, la.fromArray([1, 0, 0, 0, 0, Infinity, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 4, 4), ok), /stats must be a Hessian of finite values \(H\[1, 1\] = Infinity\)/);
    expectThrow(prune(W, la.fromArray([1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 4, 4), ok), /non-negative diagonal \(H\[1, 1\] = -1\)/);
    expectThrow(prune(W, la.fromArray([1, 0, 0, 0, 0.5, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 4, 4), ok), /symmetric Hessian \(H\[1, 0\] = 0\.5 but H\[0, 1\] = 0\)/);
    expectThrow(prune(W, 'H.npy', ok), /argument stats must be a Hessian Matrix or a HessianAccumulator; got "H\.npy"/);
    expectThrow(prune(W, new lib.HessianAccumulator(la, 3), ok), /argument stats must be one of 4 inputs \(the columns of W\); got "an accumulator of 3 inputs"/);
    expectThrow(prune(W, new lib.HessianAccumulator(la, 4), ok), /argument stats must be an accumulator with at least one batch added; got "an accumulator of 0 samples"/);
    expectThrow(() => lib.pruneLayer({} as never, W, H, ok as never), /argument la must be a Linalg/);
    const huge = new lib.HessianAccumulator(la, 4);
    huge.addBatch({ data: [1e20, 1, 1, 1], rows: 1, cols: 4 });
    expectThrow(prune(W, huge, ok), /argument stats must be inputs whose Σ XᵀX is finite in float32; got "an accumulator whose H\[0, 0\] = Infinity"/);
    huge.free();
    expectThrow(() => lib.parsePattern('2-4'), /parsePattern: argument text must be 'N:M'.*got "2-4"/);
    check(lib.formatPattern(lib.parsePattern('0.7/row')) === '70%/row' && lib.formatPattern(lib.parsePattern('4:8')) === '4:8', () => 'formatPattern');
    // Nothing above touched W or H.
    expectClose('W unchanged', W.toArray(), [1, 2, 3, 4, 5, 6, 7, 8], 0);
    W.free();
    H.free();
  },
};

export function pruningBasicCases(): Case[] {
  const acc: Case[] = [];
  let seed = 300;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const [N, c] of [[1, 1], [7, 3], [100, 17], [600, 33]] as [number, number][]) {
      acc.push(accumulatorCase(N, c, dtype, undefined, 'one', seed++));
      acc.push(accumulatorCase(N, c, dtype, 5, 'random', seed++));
      acc.push(accumulatorCase(N, c, dtype, 64, 'matrix', seed++));
    }
    acc.push(accumulatorCase(50, 9, dtype, 7, 'rows', seed++));
  }
  return [
    ...acc, bigAccumulatorCase, accumulatorErrorsCase,
    ...selectionCases(), relErrorCase, factorDampedCase, deadInputsCase, accumulatorInputCase, validationCase,
  ];
}
