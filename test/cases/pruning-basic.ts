// The pruning facade and the mask-only pruners against float64 brute force: HessianAccumulator vs
// XᵀX summed in float64 (odd sizes, batchings, both dtypes), magnitude and Wanda vs sort-based
// selection for every pattern (exact per-row and N:M counts, ties to the smaller index),
// relativeError vs the direct formula, dampedHessian's ×10 retries and factors, dead inputs, and
// pruneLayer's validation errors. Every value is read through `await la.read(M)`, so the cases are
// device-neutral.
import { type Case, type CaseContext, check, eps, expectClose, expectReject, expectThrow, type Matrix } from './harness.js';
import { Rng } from './random.js';
import { refusal } from './refusal.js';

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
const rounded = (v: ArrayLike<number>, dtype: DT): ArrayLike<number> => (dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v));

/** The pruner of a mask-only method. */
const prunerOf = (lib: Lib, method: 'magnitude' | 'wanda') => (method === 'magnitude' ? lib.magnitude() : lib.wanda());

/** Frees every matrix given (the weight and mask of a result, operands). */
function freeAll(...ms: (Matrix | { free(): void } | null | undefined)[]): void {
  for (const M of ms) M?.free();
}

// ---- HessianAccumulator ---------------------------------------------------------------------

function accumulatorCase(N: number, c: number, dtype: DT, chunkRows: number | undefined, batching: 'one' | 'rows' | 'random' | 'matrix', seed: number): Case {
  const name = `HessianAccumulator ${dtype} ${N}x${c} chunk ${chunkRows ?? 'default'} batches ${batching} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ lib, la }) {
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
            const window = big.view(1, 2, b, c);
            la.write(window, part);
            await acc.addBatch(window);
            big.free();
          } else {
            await acc.addBatch({ data: part, rows: b, cols: c });
          }
          p += b;
          if (batching === 'random' && p < N && rng.uniform() < 0.3) (await acc.hessian()).free(); // hessian() midway changes nothing
        }
        check(acc.samples === N, () => `${name}: samples ${acc.samples} != ${N}`);
        const { H: want, abs } = gram(x, N, c);
        const H = await acc.hessian('float64');
        const h = await la.read(H);
        H.free();
        // syrk sums slices of ≤ 256 rows; each chunk's result is rounded once to the dtype.
        expectClose(name, h, want, 4 * (Math.min(N, 256) + 4) * eps(dtype), abs);
        for (let i = 0; i < c; i++) for (let j = 0; j < i; j++) check(h[i * c + j] === h[j * c + i], () => `${name}: H not symmetric at (${i}, ${j})`);
        const H32 = await acc.hessian();
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
  deviceNeutral: true,
  async run({ lib, la }) {
    const N = 10_000, c = 128, rng = new Rng(77);
    const x = Float32Array.from({ length: N * c }, () => 0.5 + rng.normal());
    const acc = new lib.HessianAccumulator(la, c);
    try {
      for (let p = 0; p < N; p += 7) {
        const b = Math.min(7, N - p);
        await acc.addBatch({ data: x.subarray(p * c, (p + b) * c), rows: b, cols: c });
      }
      const { H: want } = gram(x, N, c);
      const H = await acc.hessian('float64'), h = await la.read(H);
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
  deviceNeutral: true,
  async run({ lib, la }) {
    const acc = new lib.HessianAccumulator(la, 3);
    await acc.addBatch({ data: [1, 2, 3], rows: 1, cols: 3 });
    const wide = la.matrix(2, 5);
    await expectReject(() => acc.addBatch({ data: [1, 2, 3, 4], rows: 1, cols: 4 }), /HessianAccumulator\.addBatch: argument X\.cols must be 3 .*got 4/);
    await expectReject(() => acc.addBatch(wide), /argument X must be 3 columns.*got 2x5 float32 matrix/);
    await expectReject(() => acc.addBatch({ data: [1, 2], rows: 1, cols: 3 }), /argument X\.data must be length rows \* cols = 3; got "length 2"/);
    await expectReject(() => acc.addBatch({ data: [1, 2, 3, 4, NaN, 6], rows: 2, cols: 3 }), /argument X\[1, 1\] must be a finite number; got NaN/);
    await expectReject(() => acc.addBatch(null as never), /argument X must be a Matrix or \{ data, rows, cols \}; got null/);
    const nan = la.fromArray([1, 2, 3, 4, 5, Infinity], 2, 3);
    await expectReject(() => acc.addBatch(nan), /argument X\[1, 2\] must be a finite number; got "a non-finite value"/);
    freeAll(wide, nan);
    check(acc.samples === 1, () => `samples ${acc.samples} after refused batches`);
    const H = await acc.hessian();
    expectClose('H after refused batches', await la.read(H), [1, 2, 3, 2, 4, 6, 3, 6, 9], 0);
    H.free();
    await expectThrow(() => new lib.HessianAccumulator(la, 0), /HessianAccumulator: argument cols must be an integer in \[1, /);
    await expectThrow(() => new lib.HessianAccumulator(la, 3, { dtype: 'int8' as never }), /argument options\.dtype must be 'float32' or 'float64'; got "int8"/);
    await expectThrow(() => new lib.HessianAccumulator({} as never, 3), /argument la must be a Linalg/);
    await expectReject(() => acc.hessian('float16' as never), /HessianAccumulator\.hessian: argument dtype must be 'float32' or 'float64'; got "float16"/);
    acc.free();
    await expectReject(() => acc.addBatch({ data: [1, 2, 3], rows: 1, cols: 3 }), /must be an accumulator that has not been freed/);
    await expectReject(() => acc.hessian(), /must be an accumulator that has not been freed/);
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
    deviceNeutral: true,
    async run({ lib, la }) {
      const rng = new Rng(seed);
      const draw = () => (data === 'integer' ? rng.int(7) - 3 : rng.normal());
      const wv = rounded(Array.from({ length: rows * cols }, draw), dtype);
      // H = XᵀX of a few samples; integer data gets a small integer diagonal with repeats (ties).
      const N = 2 + rng.int(cols + 3);
      const xv = Array.from({ length: N * cols }, () => (data === 'integer' ? rng.int(3) : rng.normal()));
      const hv = rounded(gram(xv, N, cols).H, dtype);
      const W = la.fromArray(wv, rows, cols, dtype), H = la.fromArray(hv, cols, cols, dtype);
      const r = await lib.pruneLayer(la, W, H, { pruner: prunerOf(lib, method), pattern });
      try {
        const mask = await la.read(r.mask), w = await la.read(r.weight);
        const score = new Float64Array(rows * cols);
        for (let i = 0; i < rows * cols; i++) score[i] = wv[i] * wv[i] * (method === 'wanda' ? hv[(i % cols) * cols + (i % cols)] : 1);
        const gs = groups(pattern, rows, cols, method === 'wanda');
        const want = bruteMask(score, gs);
        if (data === 'integer') {
          // Scores are exact small integers: the mask must equal brute force, ties included.
          for (let i = 0; i < want.length; i++) check(mask[i] === want[i], () => `${name}: mask[${i}] = ${mask[i]}, brute force ${want[i]}`);
        } else {
          // Exact counts per group; every kept score ≥ every pruned one up to float32 rounding of the score.
          for (const { idx, keep } of gs) {
            let kept = 0, minKept = Infinity, maxPruned = -Infinity;
            for (const i of idx) {
              if (mask[i]) { kept++; minKept = Math.min(minKept, score[i]); } else maxPruned = Math.max(maxPruned, score[i]);
            }
            check(kept === keep, () => `${name}: a group starting at ${idx[0]} keeps ${kept}, want ${keep}`);
            check(minKept >= maxPruned * (1 - 4 * eps('float32')), () => `${name}: kept score ${minKept} < pruned score ${maxPruned} in the group at ${idx[0]}`);
          }
          let same = 0;
          for (let i = 0; i < want.length; i++) same += mask[i] === want[i] ? 1 : 0;
          check(same >= want.length - 2, () => `${name}: mask differs from brute force in ${want.length - same} places`);
        }
        if (pattern.kind === 'nm' || pattern.kind === 'per-row') check((await lib.maskSummary(la, pattern, r.mask)).fits, () => `${name}: mask does not fit the pattern`);
        for (let i = 0; i < w.length; i++) check(w[i] === (mask[i] ? wv[i] : 0), () => `${name}: weight[${i}] = ${w[i]}, want ${mask[i] ? wv[i] : 0}`);
        let zeros = 0;
        for (const m of mask) zeros += 1 - m;
        check(r.sparsity === zeros / (rows * cols), () => `${name}: sparsity ${r.sparsity}, mask has ${zeros} zeros`);
        check(r.method === method && r.dampUsed === null && r.weight.dtype === dtype && r.mask.dtype === 'uint8', () => `${name}: method ${r.method}, dampUsed ${r.dampUsed}, dtype ${r.weight.dtype}, mask ${r.mask.dtype}`);
        check(r.warnings.length === 0 && Number.isFinite(r.seconds) && r.seconds >= 0, () => `${name}: warnings ${r.warnings}, seconds ${r.seconds}`);
        expectClose(`${name}: relError`, [r.relError], [directRelError(wv, w, hv, rows, cols)], 1, Math.max(relErrorTolerance(wv, w, hv, rows, cols, dtype), 1e-300));
      } finally {
        freeAll(r.weight, r.mask, W, H);
      }
    },
  };
}

/** tr(ΔHΔᵀ)/tr(WHWᵀ) by the definition, in float64. */
export function directRelError(w: ArrayLike<number>, wh: ArrayLike<number>, h: ArrayLike<number>, rows: number, cols: number): number {
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

/**
 * How far a relative error computed as the library's summary does (layerObjective: Δ = W − Ŵ and
 * G = ΔᵀΔ in the layer's dtype, ⟨G, H⟩ in float64) may be from the float64 value: each G_ij is
 * rounded once (and Δ once), so tr(ΔHΔᵀ) is within 3ε·Σ_ij |H_ij| ‖Δ_:i‖ ‖Δ_:j‖, tr(WHWᵀ) likewise;
 * with a factor 4 to spare, and never below `floor` times the error itself (the float64 check).
 */
export function relErrorTolerance(w: ArrayLike<number>, wh: ArrayLike<number>, h: ArrayLike<number>, rows: number, cols: number, dtype: DT, floor = 1e-9): number {
  const dn = new Float64Array(cols), wn = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      dn[j] += (w[r * cols + j] - wh[r * cols + j]) ** 2;
      wn[j] += w[r * cols + j] ** 2;
    }
  }
  let sNum = 0, sDen = 0, den = 0;
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) {
      const a = Math.abs(h[i * cols + j]);
      sNum += a * Math.sqrt(dn[i] * dn[j]);
      sDen += a * Math.sqrt(wn[i] * wn[j]);
    }
  }
  for (let r = 0; r < rows; r++) for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) den += w[r * cols + i] * h[i * cols + j] * w[r * cols + j];
  const rel = directRelError(w, wh, h, rows, cols);
  return Math.max(floor * rel, (4 * 3 * eps(dtype) * (sNum + rel * sDen)) / den);
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

// ---- relativeError, dampedHessian, dead inputs ----------------------------------------------

const relErrorCase: Case = {
  name: 'relativeError matches tr(ΔHΔᵀ)/tr(WHWᵀ) on odd sizes and both dtypes',
  deviceNeutral: true,
  async run({ lib, la }) {
    for (const [rows, cols, dtype, seed] of [[1, 1, 'float32', 1], [3, 5, 'float64', 2], [7, 13, 'float32', 3], [10, 33, 'float64', 4]] as [number, number, DT, number][]) {
      const rng = new Rng(seed);
      const wv = rounded(rng.normals(rows * cols), dtype), whv = rounded(rng.normals(rows * cols), dtype);
      const xv = rng.normals((cols + 2) * cols);
      const hv = rounded(gram(xv, cols + 2, cols).H, dtype);
      const W = la.fromArray(wv, rows, cols, dtype), Wh = la.fromArray(whv, rows, cols, dtype), H = la.fromArray(hv, cols, cols, dtype);
      const got = await lib.relativeError(la, W, Wh, H);
      const want = directRelError(wv, whv, hv, rows, cols);
      expectClose(`relativeError ${rows}x${cols} ${dtype}`, [got], [want], 1, relErrorTolerance(wv, whv, hv, rows, cols, dtype, 1e-10));
      check((await lib.relativeError(la, W, W, H)) === 0, () => 'relativeError(W, W) != 0');
      freeAll(W, Wh, H);
    }
  },
};

/** H + added·I checked against what dampedHessian returned: the damped matrix and its factor. */
function checkFactor(name: string, kind: 'cholesky' | 'inverse' | 'invchol' | 'none', m: ArrayLike<number> | null, damped: Float64Array, n: number, dtype: DT): void {
  if (kind === 'none') {
    check(m === null, () => `${name}: factor 'none' returned a matrix`);
    return;
  }
  check(m !== null, () => `${name}: no factor`);
  const f = m!, prod = new Float64Array(n * n), scale = Math.max(...damped.map(Math.abs));
  if (kind === 'cholesky') {
    // L Lᵀ = damped, L lower.
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) check(f[i * n + j] === 0, () => `${name}: L[${i}, ${j}] = ${f[i * n + j]} above the diagonal`);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) prod[i * n + j] += f[i * n + k] * f[j * n + k];
    expectClose(name, prod, damped, 64 * n * eps(dtype), scale);
    return;
  }
  // inverse: M · damped = I; invchol: (UᵀU) · damped = I with U upper.
  const inv = new Float64Array(n * n);
  if (kind === 'inverse') inv.set(f);
  else {
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) check(f[i * n + j] === 0, () => `${name}: U[${i}, ${j}] = ${f[i * n + j]} below the diagonal`);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) inv[i * n + j] += f[k * n + i] * f[k * n + j];
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) prod[i * n + j] += inv[i * n + k] * damped[k * n + j];
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  expectClose(name, prod, I, 1e4 * n * eps(dtype));
}

const dampedHessianCase: Case = {
  name: 'dampedHessian: λ×10 until H + λ·mean(diag H)·I factors, the λ used and a warning reported, every factor',
  deviceNeutral: true,
  async run({ lib, la }) {
    // [H, n, check, asked λ, the λ that must be reported]: a singular Gram matrix (0.01 is
    // enough), indefinite with a positive diagonal (only for a trusted H, as a float32 Σ XᵀX can
    // come out: eigenvalue −0.05 with mean diag 1 needs λ = 0.1; eigenvalue −2 needs λ = 10), and
    // the exactly singular all-ones matrix with λ = 0 asked (its Cholesky pivot is exactly 0,
    // whatever the order of operations, so λ must be raised to 0.01).
    const x = new Rng(9).normals(2 * 5);
    const singular = Array.from(gram(x, 2, 5).H);
    const cases: [number[], number, 'psd' | 'trusted', number, number][] = [
      [singular, 5, 'psd', 0.01, 0.01],
      [[1, 1.05, 1.05, 1], 2, 'trusted', 0.01, 0.1],
      [[1, 3, 3, 1], 2, 'trusted', 0.01, 10],
      [new Array(16).fill(1), 4, 'psd', 0, 0.01],
    ];
    const start = la.liveBytes();
    for (const [hv, n, checkKind, asked, want] of cases) {
      for (const dtype of ['float32', 'float64'] as DT[]) {
        for (const kind of ['cholesky', 'inverse', 'invchol', 'none'] as const) {
          const H = la.fromArray(hv, n, n, dtype);
          const stored = Float64Array.from(rounded(hv, dtype));
          const mean = stored.reduce((s, v, i) => s + (i % (n + 1) === 0 ? v : 0), 0) / n;
          const name = `dampedHessian ${kind} ${dtype} n=${n} ${checkKind} λ ${asked} → ${want}`;
          const d = await lib.dampedHessian(la, H, { fn: 'test', arg: 'H', damp: asked, factor: kind, check: checkKind });
          expectClose(`${name}: dampUsed`, [d.dampUsed ?? NaN], [want], 1e-12, want);
          expectClose(`${name}: added`, [d.added], [want * mean], 1e-6, want * mean);
          expectClose(`${name}: meanDiag`, [d.meanDiag], [mean], 1e-12, mean);
          check(d.dead === null && d.deadCount === 0, () => `${name}: dead inputs reported without deadInputs`);
          check(want === asked ? d.warnings.length === 0 : d.warnings.length === 1 && d.warnings[0].includes(`λ = ${want}`), () => `${name}: warnings ${JSON.stringify(d.warnings)}`);
          check(d.damped.dtype === dtype && (d.factor === null || d.factor.dtype === dtype), () => `${name}: dtypes ${d.damped.dtype} ${d.factor?.dtype}`);
          const damped = Float64Array.from(stored);
          for (let j = 0; j < n; j++) damped[j * n + j] += d.added;
          expectClose(`${name}: damped`, await la.read(d.damped), damped, 4 * eps(dtype), Math.max(...damped.map(Math.abs)));
          checkFactor(name, kind, d.factor === null ? null : await la.read(d.factor), damped, n, dtype);
          expectClose(`${name}: H unchanged`, await la.read(H), stored, 0);
          d.free();
          d.free(); // twice is harmless
          H.free();
          check(la.liveBytes() === start, () => `${name}: ${la.liveBytes() - start} bytes left after free()`);
        }
      }
    }
    // Refusals: not PSD beyond rounding (a caller's H), retries exhausted, H zero, a negative diagonal.
    const indefinite = la.fromArray([1, 3, 3, 1], 2, 2, 'float64');
    await refusal(lib, 'not PSD', () => lib.dampedHessian(la, indefinite, { fn: 'sparseGPT', arg: 'H', damp: 0.01, factor: 'invchol' }), {
      type: 'ArgumentRangeError', fn: 'sparseGPT', arg: 'H', message: /^sparseGPT: argument H must be a positive semidefinite Hessian \(it has an eigenvalue below −τ·max\(diag H\)/,
    });
    await refusal(lib, 'retries exhausted', () => lib.dampedHessian(la, indefinite, { fn: 'obc', arg: 'H', damp: 0.01, factor: 'inverse', check: 'trusted', retries: 2 }), {
      type: 'ComputationError', fn: 'obc', arg: 'options.damp', message: /^obc: no damping up to λ = 1 makes H \+ λ·mean\(diag H\)·I factor in float64 \(options\.damp = 0\.01\)/,
    });
    const zero = la.matrix(3, 3);
    await expectReject(() => lib.dampedHessian(la, zero, { fn: 'f', arg: 'stats', damp: 0.01, factor: 'cholesky', deadInputs: true }), /^f: argument stats must be a Hessian with at least one live input \(H is zero/);
    const negative = la.fromArray([1, 0, 0, -1], 2, 2);
    await expectReject(() => lib.dampedHessian(la, negative, { fn: 'f', arg: 'H', damp: 0.01, factor: 'cholesky', check: 'trusted' }), /argument H must be a positive semidefinite Hessian \(H\[1, 1\] = -1 < 0\)/);
    await expectReject(() => lib.dampedHessian(la, negative, { fn: 'f', arg: 'H', dampArg: 'lambda', damp: -1, factor: 'cholesky', check: 'trusted' }), /argument H must be a positive semidefinite/);
    const spd = la.fromArray([4, 1, 1, 3], 2, 2, 'float64');
    await expectReject(() => lib.dampedHessian(la, spd, { fn: 'f', arg: 'H', dampArg: 'lambda', damp: -1, factor: 'cholesky' }), /^f: argument lambda must be a finite number >= 0; got -1/);
    // 'absolute' adds λ itself; 'auto' adds nothing to a well-conditioned H unless forced.
    const abs = await lib.dampedHessian(la, spd, { fn: 'f', arg: 'H', damp: 0.5, scale: 'absolute', factor: 'none' });
    check(abs.added === 0.5 && abs.dampUsed === 0.5, () => `absolute: added ${abs.added}, dampUsed ${abs.dampUsed}`);
    expectClose('absolute: damped', await la.read(abs.damped), [4.5, 1, 1, 3.5], 0);
    abs.free();
    const auto = await lib.dampedHessian(la, spd, { fn: 'f', arg: 'H', damp: 'auto', factor: 'cholesky' });
    check(auto.added === 0 && auto.dampUsed === null && auto.warnings.length === 0, () => `auto: added ${auto.added}, dampUsed ${auto.dampUsed}`);
    auto.free();
    const forced = await lib.dampedHessian(la, spd, { fn: 'f', arg: 'H', damp: 'auto', forceDamp: true, factor: 'cholesky' });
    check(forced.dampUsed === lib.DEFAULT_DAMP && forced.added === lib.DEFAULT_DAMP * 3.5, () => `auto forced: added ${forced.added}, dampUsed ${forced.dampUsed}`);
    forced.free();
    freeAll(indefinite, zero, negative, spd);
    check(la.liveBytes() === start, () => `dampedHessian: ${la.liveBytes() - start} bytes left after the refusals`);
    check(lib.DEFAULT_DAMP === 0.01 && lib.DAMP_RETRIES === 6, () => `defaults ${lib.DEFAULT_DAMP}, ${lib.DAMP_RETRIES}`);
  },
};

const deadInputsCase: Case = {
  name: 'dead inputs: found, their diagonal set to 1 in the damped copy, mean taken after; every H-aware pruner prunes them first and zeroes them',
  deviceNeutral: true,
  async run({ lib, la }) {
    const rows = 4, cols = 7, rng = new Rng(21);
    const x = rng.normals(12 * cols);
    for (let p = 0; p < 12; p++) { x[p * cols + 2] = 0; x[p * cols + 5] = 0; }
    const hv = gram(x, 12, cols).H;
    for (const dtype of ['float32', 'float64'] as DT[]) {
      const H = la.fromArray(hv, cols, cols, dtype);
      const stored = Float64Array.from(rounded(hv, dtype));
      const d = await lib.dampedHessian(la, H, { fn: 'test', arg: 'H', damp: 0.01, factor: 'none', deadInputs: true });
      check(d.deadCount === 2 && d.dead !== null, () => `deadCount ${d.deadCount}`);
      check(Array.from(await la.read(d.dead!)).join() === '0,0,1,0,0,1,0', () => 'dead mask');
      let s = 0;
      for (let j = 0; j < cols; j++) s += j === 2 || j === 5 ? 1 : stored[j * cols + j];
      expectClose('meanDiag', [d.meanDiag], [s / cols], 1e-12, s / cols);
      expectClose('added', [d.added], [0.01 * d.meanDiag], 1e-12, d.added);
      const damped = await la.read(d.damped), added = d.added;
      check(damped[2 * cols + 2] === Math.fround(1 + added) || damped[2 * cols + 2] === 1 + added, () => `damped H[2, 2] = ${damped[2 * cols + 2]}, want 1 + ${added}`);
      expectClose('damped H[0, 0]', [damped[0]], [stored[0] + added], 2 * eps(dtype), stored[0]);
      expectClose('H unchanged', await la.read(H), stored, 0);
      d.free();
      // A dead input scores 0, so with two pruned per row both dead columns go, and stay 0.
      const W = la.fromArray(rng.normals(rows * cols).map((v) => v + 5), rows, cols, dtype);
      for (const pruner of [lib.wanda(), lib.sparseGPT(), lib.obc(), lib.iobs()]) {
        const r = await lib.pruneLayer(la, W, H, { pruner, pattern: { kind: 'per-row', sparsity: 0.3 } }); // ⌊7·0.3⌋ = 2 per row
        const mask = await la.read(r.mask), w = await la.read(r.weight);
        for (let i = 0; i < rows; i++) {
          const pruned: number[] = [];
          for (let j = 0; j < cols; j++) if (!mask[i * cols + j]) pruned.push(j);
          check(pruned.join() === '2,5', () => `${pruner.method} ${dtype} row ${i} pruned ${pruned}, want the dead inputs 2,5`);
          check(w[i * cols + 2] === 0 && w[i * cols + 5] === 0, () => `${pruner.method} ${dtype} row ${i}: dead weights ${w[i * cols + 2]}, ${w[i * cols + 5]}`);
        }
        if (pruner.method === 'sparsegpt') check((r.details as { deadInputs: number }).deadInputs === 2, () => `sparsegpt details ${JSON.stringify(r.details)}`);
        check(r.relError >= 0, () => `${pruner.method}: relError ${r.relError}`);
        freeAll(r.weight, r.mask);
      }
      freeAll(W, H);
    }
  },
};

// ---- pruneLayer: accumulator input and validation -------------------------------------------

const accumulatorInputCase: Case = {
  name: 'pruneLayer takes a HessianAccumulator as it takes the H it holds',
  deviceNeutral: true,
  async run({ lib, la }) {
    const rows = 5, cols = 12, rng = new Rng(31);
    const x = Float32Array.from(rng.normals(40 * cols));
    const acc = new lib.HessianAccumulator(la, cols);
    await (await acc.addBatch({ data: x.subarray(0, 13 * cols), rows: 13, cols })).addBatch({ data: x.subarray(13 * cols), rows: 27, cols });
    const W = la.fromArray(rng.normals(rows * cols), rows, cols);
    const H = await acc.hessian();
    for (const pattern of [lib.parsePattern('2:4'), lib.parsePattern('0.5'), lib.parsePattern('0.25/row')]) {
      for (const pruner of [lib.wanda(), lib.sparseGPT()]) {
        const a = await lib.pruneLayer(la, W, acc, { pruner, pattern });
        const b = await lib.pruneLayer(la, W, H, { pruner, pattern });
        const ma = (await la.read(a.mask)).join(), mb = (await la.read(b.mask)).join();
        check(a.relError === b.relError && ma === mb, () => `${pruner.method}: accumulator vs H differ for ${lib.formatPattern(pattern)}`);
        expectClose(`${pruner.method} ${lib.formatPattern(pattern)}: weights`, await la.read(a.weight), await la.read(b.weight), 0);
        check(JSON.stringify(a.pattern) === JSON.stringify(pattern), () => `pattern not echoed: ${JSON.stringify(a.pattern)}`);
        freeAll(a.weight, a.mask, b.weight, b.mask);
      }
    }
    freeAll(H, W, acc);
  },
};

const validationCase: Case = {
  name: 'pruneLayer: errors name the argument and its value',
  deviceNeutral: true,
  async run({ lib, la }) {
    const W = la.fromArray([1, 2, 3, 4, 5, 6, 7, 8], 2, 4), H = la.fromArray([2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 3, 1, 0, 0, 1, 3], 4, 4);
    const ok = { pruner: lib.magnitude(), pattern: { kind: 'nm', n: 2, m: 4 } } as const;
    const made: Matrix[] = [];
    const m = (M: Matrix) => (made.push(M), M);
    const prune = (w: unknown, h: unknown, o: unknown) => () => lib.pruneLayer(la, w as never, h as never, o as never);
    await expectReject(prune(W, H, { ...ok, pruner: 'wanda' }), /pruneLayer: argument options\.pruner must be a pruner such as sparseGPT\(\).*; got "wanda"/);
    await expectReject(prune(W, H, { pattern: ok.pattern }), /argument options\.pruner must be a pruner .*; got undefined/);
    await expectReject(prune(W, H, { ...ok, method: 'wanda' }), /argument options\.method must be a known option \(pruner, pattern, onProgress\); got "wanda"/);
    await expectReject(prune(W, H, { ...ok, pattern: { kind: 'nm', n: 2, m: 3 } }), /argument options\.pattern\.m must be a divisor of the layer's 4 inputs; got 3/);
    await expectReject(prune(W, H, { ...ok, pattern: { kind: 'unstructured', sparsity: 1 } }), /options\.pattern\.sparsity must be a number in \[0, 1\); got 1/);
    await expectReject(prune(W, H, { ...ok, pattern: undefined }), /argument options\.pattern must be a pattern/);
    await expectReject(prune(W, H, { ...ok, pattern: '2-4' }), /argument options\.pattern must be a pattern: 'N:M' .*got "2-4"/);
    await expectThrow(() => lib.sparseGPT({ damp: -1 }), /sparseGPT: argument options\.damp must be a finite number >= 0.*got -1/);
    await expectThrow(() => lib.obc({ damp: NaN }), /obc: argument options\.damp must be a finite number; got NaN/);
    await expectReject(prune(W, H, { ...ok, pruner: lib.sparseGPT({ blockSize: 6 }) }), /sparseGPT: argument options\.blockSize must be a multiple of m = 4.*got 6/);
    await expectThrow(() => lib.sparseGPT({ blockSize: 0 }), /sparseGPT: argument options\.blockSize must be an integer in \[1, /);
    await expectThrow(() => lib.iobs({ iterations: -1 }), /iobs: argument options\.iterations must be an integer in \[0, /);
    await expectThrow(() => lib.iobs({ eta: 1.5 }), /iobs: argument options\.eta must be a number in \(0, 1\]; got 1\.5/);
    await expectReject(prune(W, H, { ...ok, onProgress: 3 }), /argument options\.onProgress must be a function; got 3/);
    await expectReject(prune(W, H, { ...ok, iters: 3 }), /argument options\.iters must be a known option \(pruner, pattern, onProgress\); got 3/);
    await expectReject(prune(W, H, null), /argument options must be an object such as .*; got null/);
    await expectReject(prune([1, 2], H, ok), /argument W must be a Matrix; got \[1, 2\]/);
    await expectReject(prune(m(la.fromArray([1, NaN, 3, 4], 1, 4)), H, ok), /argument W must be finite values \(W\[0, 1\] is not finite\); got 1x4 float32 matrix/);
    await expectReject(prune(m(la.matrix(0, 4)), H, ok), /argument W must be a matrix with at least one row and one column; got 0x4 float32 matrix/);
    await expectReject(prune(W, m(la.matrix(3, 3)), ok), /argument stats must be 4x4 \(the Hessian of the 4 inputs of W\); got 3x3 float32 matrix/);
    await expectReject(prune(W, m(la.matrix(4, 4, 'float64')), ok), /argument stats must be a float32 Hessian \(the dtype of W.*; got 4x4 float64 matrix/);
    await expectReject(prune(W, m(la.fromArray([1, 0, 0, 0, 0, Infinity, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 4, 4)), ok), /stats must be a Hessian of finite values \(H\[1, 1\] is not finite\)/);
    await expectReject(prune(W, m(la.fromArray([1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 4, 4)), ok), /stats must be a positive semidefinite Hessian \(H\[1, 1\] = -1 < 0\)/);
    await expectReject(prune(W, m(la.fromArray([1, 0, 0, 0, 0.5, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 4, 4)), ok), /stats must be a symmetric Hessian \(H\[1, 0\] and H\[0, 1\] differ by more than 0\.00001 relative\)/);
    await expectReject(prune(W, 'H.npy', ok), /argument stats must be a Hessian Matrix or a HessianAccumulator; got "H\.npy"/);
    const acc3 = new lib.HessianAccumulator(la, 3), acc4 = new lib.HessianAccumulator(la, 4);
    await expectReject(prune(W, acc3, ok), /argument stats must be one of 4 inputs \(the columns of W\); got "an accumulator of 3 inputs"/);
    await expectReject(prune(W, acc4, ok), /argument stats must be an accumulator with at least one batch added; got "an accumulator of 0 samples"/);
    freeAll(acc3, acc4);
    await expectReject(() => lib.pruneLayer({} as never, W, H, ok as never), /argument la must be a Linalg/);
    const huge = new lib.HessianAccumulator(la, 4);
    await huge.addBatch({ data: [1e20, 1, 1, 1], rows: 1, cols: 4 });
    await expectReject(prune(W, huge, ok), /argument stats must be inputs whose Σ XᵀX is finite in float32; got "an accumulator whose H\[0, 0\] is not finite"/);
    huge.free();
    await expectThrow(() => lib.parsePattern('2-4'), /parsePattern: argument text must be 'N:M'.*got "2-4"/);
    check(lib.formatPattern(lib.parsePattern('0.7/row')) === '70%/row' && lib.formatPattern(lib.parsePattern('4:8')) === '4:8', () => 'formatPattern');
    // Nothing above touched W or H.
    expectClose('W unchanged', await la.read(W), [1, 2, 3, 4, 5, 6, 7, 8], 0);
    expectClose('H unchanged', await la.read(H), [2, 1, 0, 0, 1, 2, 0, 0, 0, 0, 3, 1, 0, 0, 1, 3], 0);
    freeAll(W, H, ...made);
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
    ...selectionCases(), relErrorCase, dampedHessianCase, deadInputsCase, accumulatorInputCase, validationCase,
  ];
}
