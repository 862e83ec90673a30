// SparseGPT: the pruner against a float64 rendering of the published algorithm written out here
// (its own Cholesky and inverse, the compensation applied to every later column at once instead
// of lazily), within 1% of its relative error over shapes, block sizes, patterns, dtypes, rank-
// deficient and full-rank H and dead inputs; the block kernel of every backend against the
// reference backend's (masks exactly, ties included); pattern validity; a sanity comparison with
// magnitude pruning; and bad options. Values are read only through `await la.read(M)`.
import { type Case, type CaseContext, check, expectClose, expectReject, expectThrow, type Matrix } from './harness.js';
import type { Pattern } from '../../src/pruning/pattern.js';
import { Rng } from './random.js';
import { relErrorTolerance } from './pruning-basic.js';

type DT = 'float32' | 'float64';
type La = CaseContext['la'];
type Rule = { kind: 'layer'; keep: number } | { kind: 'row'; keep: number } | { kind: 'nm'; n: number; m: number };

// ---------------------------------------------------------------------------------------------
// The published algorithm, plainly, in float64.

/** Lower Cholesky factor of the SPD n x n matrix a (row-major). */
function cholLower(a: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        check(s > 0, () => `reference Cholesky: pivot ${i} is ${s}`);
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j];
    }
  }
  return L;
}

/** U upper with a⁻¹ = UᵀU: a⁻¹ = L⁻ᵀL⁻¹ from the Cholesky factor of a, then U = chol(a⁻¹)ᵀ. */
function inverseCholUpper(a: Float64Array, n: number): Float64Array {
  const L = cholLower(a, n);
  const Li = new Float64Array(n * n); // L⁻¹, lower, by forward substitution column by column
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i * n + k] * Li[k * n + c];
      Li[i * n + c] = s / L[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = Math.max(i, j); k < n; k++) s += Li[k * n + i] * Li[k * n + j];
      inv[i * n + j] = s;
    }
  }
  const L2 = cholLower(inv, n), U = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) U[i * n + j] = L2[j * n + i];
  return U;
}

/** Marks in mask (0 = pruned) the `count` smallest scores among the flat indices idx; ties: larger index first. */
function pruneSmallest(idx: number[], score: (t: number) => number, count: number, mask: Uint8Array): void {
  const order = idx.slice().sort((x, y) => score(x) - score(y) || y - x);
  for (let t = 0; t < count; t++) mask[order[t]] = 0;
}

/** tr(ΔHΔᵀ)/tr(WHWᵀ) in float64. */
function relError(W: ArrayLike<number>, What: ArrayLike<number>, H: ArrayLike<number>, rows: number, cols: number): number {
  let num = 0, den = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const di = W[r * cols + i] - What[r * cols + i], wi = W[r * cols + i];
      if (di === 0 && wi === 0) continue;
      for (let j = 0; j < cols; j++) {
        const h = H[i * cols + j];
        num += di * h * (W[r * cols + j] - What[r * cols + j]);
        den += wi * h * W[r * cols + j];
      }
    }
  }
  return num / den;
}

/**
 * IST-DASLab/sparsegpt `fasterprune` in float64 with one deliberate difference: the unstructured
 * mask prunes exactly ⌊rows·i2·p⌋ − ⌊rows·i1·p⌋ in the block [i1, i2) (the published
 * `score <= threshold` prunes ⌊rows·b·p⌋ + 1 plus ties), so the layer total is ⌊rows·cols·p⌋. Per-row prunes ⌊i2·p⌋ − ⌊i1·p⌋ per row and block.
 */
function published(W0: ArrayLike<number>, H0: ArrayLike<number>, rows: number, cols: number, pattern: Pattern, blockSize: number, damp = 0.01): { weight: Float64Array; mask: Uint8Array } {
  const W = Float64Array.from(W0), H = Float64Array.from(H0);
  for (let j = 0; j < cols; j++) {
    if (H[j * cols + j] !== 0) continue;
    H[j * cols + j] = 1;
    for (let r = 0; r < rows; r++) W[r * cols + j] = 0;
  }
  let mean = 0;
  for (let j = 0; j < cols; j++) mean += H[j * cols + j] / cols;
  for (let j = 0; j < cols; j++) H[j * cols + j] += damp * mean;
  const U = inverseCholUpper(H, cols);
  const mask = new Uint8Array(rows * cols).fill(1);
  const score = (t: number): number => {
    const j = t % cols, w = W[t];
    return (w * w) / (U[j * cols + j] * U[j * cols + j]);
  };
  for (let i1 = 0; i1 < cols; i1 += blockSize) {
    const i2 = Math.min(i1 + blockSize, cols);
    // Flat indices r·cols + j of the block, in the block's row-major order.
    const block = (r0: number, r1: number, c0: number, c1: number): number[] => {
      const out: number[] = [];
      for (let r = r0; r < r1; r++) for (let j = c0; j < c1; j++) out.push(r * cols + j);
      return out;
    };
    if (pattern.kind === 'unstructured') pruneSmallest(block(0, rows, i1, i2), score, Math.floor(rows * i2 * pattern.sparsity) - Math.floor(rows * i1 * pattern.sparsity), mask);
    if (pattern.kind === 'per-row') {
      const count = Math.floor(i2 * pattern.sparsity) - Math.floor(i1 * pattern.sparsity);
      for (let r = 0; r < rows; r++) pruneSmallest(block(r, r + 1, i1, i2), score, count, mask);
    }
    for (let i = i1; i < i2; i++) {
      if (pattern.kind === 'nm' && (i - i1) % pattern.m === 0) {
        for (let r = 0; r < rows; r++) pruneSmallest(block(r, r + 1, i, i + pattern.m), score, pattern.m - pattern.n, mask);
      }
      for (let r = 0; r < rows; r++) {
        if (mask[r * cols + i]) continue;
        const e = W[r * cols + i] / U[i * cols + i];
        for (let j = i + 1; j < cols; j++) W[r * cols + j] -= e * U[i * cols + j];
        W[r * cols + i] = 0;
      }
    }
  }
  return { weight: W, mask };
}

/** Magnitude pruning under the same pattern (smallest |w| of the layer, of each row, of each group). */
function magnitude(W: ArrayLike<number>, rows: number, cols: number, pattern: Pattern): Float64Array {
  const mask = new Uint8Array(rows * cols).fill(1), score = (t: number) => Math.abs(W[t]);
  const range = (a: number, n: number) => Array.from({ length: n }, (_, t) => a + t);
  if (pattern.kind === 'unstructured') pruneSmallest(range(0, rows * cols), score, Math.floor(rows * cols * pattern.sparsity), mask);
  else if (pattern.kind === 'per-row') for (let r = 0; r < rows; r++) pruneSmallest(range(r * cols, cols), score, Math.floor(cols * pattern.sparsity), mask);
  else for (let t = 0; t < rows * cols; t += pattern.m) pruneSmallest(range(t, pattern.m), score, pattern.m - pattern.n, mask);
  return Float64Array.from(W, (w, t) => (mask[t] ? w : 0));
}

// ---------------------------------------------------------------------------------------------
// Problems.

/**
 * Calibration inputs: features of varied scale, each plus `corr` times the one before (so H is far
 * from diagonal); `dead` columns never active.
 */
function inputs(rng: Rng, samples: number, cols: number, dead: number[], corr = 0.6): Float64Array {
  const X = new Float64Array(samples * cols), scale = Array.from({ length: cols }, () => 0.2 + 2 * rng.uniform());
  for (let n = 0; n < samples; n++) {
    for (let j = 0; j < cols; j++) X[n * cols + j] = scale[j] * rng.normal() + (j > 0 ? corr * X[n * cols + j - 1] : 0);
  }
  for (const j of dead) for (let n = 0; n < samples; n++) X[n * cols + j] = 0;
  return X;
}

/** H = XᵀX, exactly symmetric. */
function gram(X: Float64Array, samples: number, cols: number): Float64Array {
  const H = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let n = 0; n < samples; n++) s += X[n * cols + i] * X[n * cols + j];
      H[i * cols + j] = H[j * cols + i] = s;
    }
  }
  return H;
}

interface Problem {
  W: Float64Array;
  H: Float64Array;
  dead: number[];
}

function problem(seed: number, rows: number, cols: number, fewSamples: boolean, withDead: boolean, corr = 0.6): Problem {
  const rng = new Rng(seed);
  const dead = withDead ? [0, Math.floor(cols / 3), cols - 2] : [];
  const samples = fewSamples ? Math.floor(cols / 2) + 1 : 2 * cols;
  const H = gram(inputs(rng, samples, cols, dead, corr), samples, cols);
  return { W: Float64Array.from(rng.normals(rows * cols)), H, dead };
}

function patternName(p: Pattern): string {
  return p.kind === 'nm' ? `${p.n}:${p.m}` : `${p.sparsity * 100}%${p.kind === 'per-row' ? '/row' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Cases.

function prunerCase(rows: number, cols: number, pattern: Pattern, blockSize: number, dtype: DT, seed: number): Case {
  const few = seed % 2 === 0, withDead = seed % 3 === 0;
  const name = `sparseGPT ${dtype} ${rows}x${cols} ${patternName(pattern)} blockSize ${blockSize}${few ? ' samples < cols' : ''}${withDead ? ' dead inputs' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ lib, la }) {
      const { W, H, dead } = problem(seed, rows, cols, few, withDead);
      const Wm = la.fromArray(W, rows, cols, dtype), Hm = la.fromArray(H, cols, cols, dtype);
      const progress: number[] = [];
      const before = [await la.read(Wm), await la.read(Hm)];
      const out = await lib.pruneLayer(la, Wm, Hm, { pruner: lib.sparseGPT({ blockSize }), pattern, onProgress: (f) => progress.push(f) });
      const got = await la.read(out.weight), mask = await la.read(out.mask);
      expectClose(`${name}: W unchanged`, await la.read(Wm), before[0], 0);
      expectClose(`${name}: H unchanged`, await la.read(Hm), before[1], 0);
      check(out.dampUsed === 0.01 && out.warnings.length === 0, () => `${name}: dampUsed ${out.dampUsed}, warnings ${out.warnings}`);
      const blocks = Math.ceil(cols / blockSize);
      check(progress.length === blocks && progress[blocks - 1] === 1, () => `${name}: progress ${progress.join(', ')}`);
      for (let t = 0; t < rows * cols; t++) check(mask[t] === 1 || got[t] === 0, () => `${name}: pruned entry ${t} is ${got[t]}`);
      for (const j of dead) for (let r = 0; r < rows; r++) check(got[r * cols + j] === 0, () => `${name}: dead input ${j} of row ${r} is ${got[r * cols + j]}`);
      let pruned = 0;
      for (const k of mask) pruned += 1 - k;
      check((await lib.maskSummary(la, pattern, out.mask)).fits, () => `${name}: the mask does not fit the pattern (${pruned} pruned)`);
      check(pruned === lib.prunedCount(pattern, rows, cols), () => `${name}: ${pruned} pruned, the pattern prunes ${lib.prunedCount(pattern, rows, cols)}`);
      const details = out.details as { blockSize: number; blocks: number; deadInputs: number };
      check(details.blockSize === blockSize && details.blocks === blocks && details.deadInputs === dead.length, () => `${name}: details ${JSON.stringify(details)}`);
      const pub = published(W, H, rows, cols, pattern, blockSize);
      const stored = [Float64Array.from(before[0]), Float64Array.from(before[1])];
      const want = relError(W, pub.weight, H, rows, cols), have = relError(W, got, H, rows, cols);
      check(Number.isFinite(have) && Math.abs(have - want) <= 0.01 * want, () => `${name}: relative error ${have} vs published ${want} (${(100 * (have / want - 1)).toFixed(3)}%)`);
      // The summary's relError is the float64 one of the stored values, to its stated accuracy.
      const direct = relError(stored[0], got, stored[1], rows, cols);
      expectClose(`${name}: summary relError`, [out.relError], [direct], 1, relErrorTolerance(stored[0], got, stored[1], rows, cols, dtype));
      if (dtype === 'float64') {
        // Same arithmetic up to rounding: the masks agree and the weights to many digits.
        let differ = 0;
        for (let t = 0; t < mask.length; t++) differ += +(mask[t] !== pub.mask[t]);
        check(differ === 0, () => `${name}: ${differ} mask entries differ from the published algorithm`);
        let scale = 0;
        for (const v of pub.weight) scale = Math.max(scale, Math.abs(v));
        expectClose(`${name}: weights`, got, pub.weight, 1e-9, scale);
      }
      for (const M of [out.weight, out.mask, Wm, Hm]) M.free();
    },
  };
}

/** A random upper factor like SparseGPT's: U of a damped Gram matrix's inverse, b x b, in float64. */
function factorBlock(rng: Rng, b: number): Float64Array {
  const samples = b + 3, X = inputs(rng, samples, b, []);
  const H = gram(X, samples, b);
  let mean = 0;
  for (let j = 0; j < b; j++) mean += H[j * b + j] / b;
  for (let j = 0; j < b; j++) H[j * b + j] += 0.01 * mean;
  return inverseCholUpper(H, b);
}

function ruleName(r: Rule): string {
  return r.kind === 'nm' ? `${r.n}:${r.m}` : `${r.kind} keep ${r.keep}`;
}

/** A matrix with `values`, plain or as a view inside a larger one filled with NaN (free it with release). */
function operand(la: La, values: ArrayLike<number>, rows: number, cols: number, dtype: DT, strided: boolean): Matrix {
  if (!strided) return la.fromArray(values, rows, cols, dtype);
  const big = la.fromArray(new Float64Array((rows + 2) * (cols + 3)).fill(NaN), rows + 2, cols + 3, dtype);
  const M = big.view(1, 2, rows, cols);
  la.write(M, values);
  return M;
}

/** Frees a matrix, or the matrix a view was made from. */
function release(M: { parent: { free(): void } | null; free(): void }): void {
  (M.parent ?? M).free();
}

function blockCase(rows: number, b: number, rule: Rule, dtype: DT, strided: boolean, ties: boolean, seed: number): Case {
  const name = `sparsegptBlock ${dtype} ${rows}x${b} ${ruleName(rule)}${strided ? ' strided' : ''}${ties ? ' ties' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      // Ties: small integers and a U whose diagonal is constant (scaled identity plus a strict
      // upper part), so equal scores are common and the tie rule decides.
      const W = Array.from({ length: rows * b }, () => (ties ? rng.int(5) - 2 : rng.normal()));
      const U = ties ? Float64Array.from({ length: b * b }, (_, t) => (t % b === Math.floor(t / b) ? 0.5 : t % b > Math.floor(t / b) ? 0.25 * (rng.int(5) - 2) : 0)) : factorBlock(rng, b);
      const run = async (L: La, s: boolean) => {
        const W1 = operand(L, W, rows, b, dtype, s), U1 = operand(L, U, b, b, dtype, s), E = operand(L, new Float64Array(rows * b).fill(NaN), rows, b, dtype, s);
        const mask = L.fromArray(new Uint8Array(rows * b).fill(7), rows, b, 'uint8');
        const info = await L.sparsegptBlock(W1, U1, rule, E, mask);
        const out = { info, W: await L.read(W1), E: await L.read(E), mask: await L.read(mask), U: await L.read(U1) };
        for (const M of [W1, U1, E, mask]) release(M);
        return out;
      };
      const got = await run(la, strided), want = await run(ref, false);
      check(got.info === -1 && want.info === -1, () => `${name}: info ${got.info} / ${want.info}`);
      expectClose(`${name}: U1 unchanged`, got.U, want.U, 0);
      let differ = 0;
      for (let t = 0; t < rows * b; t++) differ += +(got.mask[t] !== want.mask[t]);
      check(differ === 0, () => `${name}: ${differ} mask entries differ from the reference (got ${Array.from(got.mask).join('')}, want ${Array.from(want.mask).join('')})`);
      let kept = 0;
      for (let t = 0; t < rows * b; t++) {
        check(want.mask[t] <= 1, () => `${name}: mask byte ${t} is ${want.mask[t]}`);
        kept += want.mask[t];
        if (!want.mask[t]) check(got.W[t] === 0 && want.W[t] === 0, () => `${name}: pruned (${Math.floor(t / b)}, ${t % b}) is ${got.W[t]}`);
        else check(got.E[t] === 0, () => `${name}: kept (${Math.floor(t / b)}, ${t % b}) has error ${got.E[t]}`);
      }
      const wantKept = rule.kind === 'layer' ? rule.keep : rule.kind === 'row' ? rows * rule.keep : (rows * b * rule.n) / rule.m;
      check(kept === wantKept, () => `${name}: ${kept} kept, want ${wantKept}`);
      let scale = 1;
      for (const v of [...want.W, ...want.E]) scale = Math.max(scale, Math.abs(v));
      const tol = dtype === 'float32' ? 2e-5 * Math.sqrt(b) : 1e-13 * Math.sqrt(b);
      expectClose(`${name}: W1`, got.W, want.W, tol, scale);
      expectClose(`${name}: Err1`, got.E, want.E, tol, scale);
    },
  };
}

function blockCases(): Case[] {
  const cases: Case[] = [];
  let seed = 5100;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const [rows, b] of [[1, 1], [1, 7], [5, 16], [4, 33], [9, 40], [13, 64], [6, 128]]) {
      const rules: Rule[] = [
        { kind: 'layer', keep: rows * b - Math.floor(rows * b * 0.5) },
        { kind: 'row', keep: b - Math.floor(b * 0.7) },
      ];
      if (b % 4 === 0) rules.push({ kind: 'nm', n: 2, m: 4 });
      if (b % 8 === 0) rules.push({ kind: 'nm', n: 4, m: 8 }, { kind: 'nm', n: 1, m: 8 });
      for (const rule of rules) cases.push(blockCase(rows, b, rule, dtype, seed % 2 === 1, false, seed++));
    }
    // Ties everywhere; pruning nothing and everything.
    for (const rule of [{ kind: 'layer', keep: 27 }, { kind: 'row', keep: 5 }, { kind: 'nm', n: 2, m: 4 }, { kind: 'nm', n: 3, m: 4 }] as Rule[]) {
      cases.push(blockCase(7, 12, rule, dtype, seed % 2 === 1, true, seed++));
    }
    cases.push(blockCase(5, 9, { kind: 'layer', keep: 45 }, dtype, false, false, seed++));
    cases.push(blockCase(5, 9, { kind: 'layer', keep: 0 }, dtype, true, false, seed++));
    cases.push(blockCase(6, 8, { kind: 'nm', n: 4, m: 4 }, dtype, false, false, seed++));
  }
  cases.push({
    name: 'sparsegptBlock: a 1x2 example by hand; a bad diagonal of U1 is reported',
    deviceNeutral: true,
    async run({ la }) {
      // Scores 1²/2² = 0.25 and 3²/1² = 9: column 0 goes, e = 1/2, w_1 = 3 − 0.5·1 = 2.5.
      const W1 = la.fromArray([1, 3], 1, 2), U1 = la.fromArray([2, 1, 0, 1], 2, 2), E = la.matrix(1, 2), mask = la.mask(1, 2);
      check((await la.sparsegptBlock(W1, U1, { kind: 'layer', keep: 1 }, E, mask)) === -1, () => 'info');
      const [w, e, m] = [await la.read(W1), await la.read(E), await la.read(mask)];
      check(w.join() === '0,2.5' && e.join() === '0.5,0' && m.join() === '0,1', () => `got W ${w.join()} E ${e.join()} mask ${m.join()}`);
      const bad = la.fromArray([1, 0, 0, 0], 2, 2), W2 = la.fromArray([1, 3], 1, 2);
      check((await la.sparsegptBlock(W2, bad, { kind: 'layer', keep: 1 }, E, mask)) === 1, () => 'bad diagonal not reported');
      check((await la.read(W2)).join() === '1,3', () => 'W1 written despite a bad diagonal');
      await expectReject(() => la.sparsegptBlock(W2, bad, { kind: 'nm', n: 1, m: 3 }, E, mask), /sparsegptBlock: argument rule\.m must be a divisor of the 2 columns; got 3/);
      for (const M of [W1, U1, E, mask, bad, W2]) M.free();
    },
  });
  return cases;
}

function prunerCases(): Case[] {
  const cases: Case[] = [];
  let seed = 5000;
  const patterns: Pattern[] = [
    { kind: 'unstructured', sparsity: 0.5 }, { kind: 'unstructured', sparsity: 0.7 }, { kind: 'per-row', sparsity: 0.5 },
    { kind: 'nm', n: 2, m: 4 }, { kind: 'nm', n: 4, m: 8 },
  ];
  for (const [rows, cols] of [[7, 33], [16, 130], [31, 257]]) {
    for (const pattern of patterns) {
      // N:M needs cols a multiple of m: the next multiple of 8.
      const c = pattern.kind === 'nm' ? Math.ceil(cols / 8) * 8 : cols;
      for (const blockSize of [32, 128]) {
        for (const dtype of ['float32', 'float64'] as DT[]) cases.push(prunerCase(rows, c, pattern, blockSize, dtype, seed++));
      }
    }
  }
  cases.push({
    name: 'sparseGPT: below magnitude pruning on the same H (independent inputs of varied scale)',
    deviceNeutral: true,
    async run({ lib, la }) {
      // A sanity check, not a theorem: with strongly correlated inputs a tiny layer can go either way.
      for (let seed = 5200; seed < 5212; seed++) {
        const pattern = [{ kind: 'unstructured', sparsity: 0.5 }, { kind: 'per-row', sparsity: 0.7 }, { kind: 'nm', n: 2, m: 4 }][seed % 3] as Pattern;
        const rows = 6 + (seed % 4), cols = 48, { W, H } = problem(seed, rows, cols, seed % 2 === 0, false, 0);
        const Wm = la.fromArray(W, rows, cols, 'float64'), Hm = la.fromArray(H, cols, cols, 'float64');
        const out = await lib.pruneLayer(la, Wm, Hm, { pruner: lib.sparseGPT({ blockSize: 16 }), pattern });
        const have = relError(W, await la.read(out.weight), H, rows, cols), mag = relError(W, magnitude(W, rows, cols, pattern), H, rows, cols);
        check(have < 0.8 * mag, () => `seed ${seed} ${patternName(pattern)}: relative error ${have} not below 0.8 × magnitude's ${mag}`);
        for (const M of [out.weight, out.mask, Wm, Hm]) M.free();
      }
    },
  });
  cases.push({
    name: 'sparseGPT: sparsity 0 leaves W as it is; 1x1, 3x2 with a dead input (ties) and 1xN layers',
    deviceNeutral: true,
    async run({ lib, la }) {
      const prune = async (W: Matrix, H: Matrix, pattern: Pattern | string, blockSize = 128) => {
        const r = await lib.pruneLayer(la, W, H, { pruner: lib.sparseGPT({ blockSize }), pattern });
        const out = { weight: await la.read(r.weight), mask: await la.read(r.mask), r };
        r.weight.free();
        r.mask.free();
        return out;
      };
      const { W, H } = problem(5300, 3, 20, false, false);
      for (const dtype of ['float32', 'float64'] as DT[]) {
        const Wm = la.fromArray(W, 3, 20, dtype), Hm = la.fromArray(H, 20, 20, dtype);
        for (const pattern of [{ kind: 'unstructured', sparsity: 0 }, { kind: 'per-row', sparsity: 0 }, { kind: 'nm', n: 4, m: 4 }] as Pattern[]) {
          const out = await prune(Wm, Hm, pattern, 8);
          expectClose(`${dtype} ${patternName(pattern)}`, out.weight, await la.read(Wm), 0);
          check(out.mask.every((k) => k === 1) && out.r.relError === 0 && out.r.sparsity === 0, () => `${dtype} ${patternName(pattern)}: something pruned (relError ${out.r.relError})`);
        }
        Wm.free();
        Hm.free();
      }
      const w11 = la.fromArray([2], 1, 1), h11 = la.fromArray([3], 1, 1);
      const one = await prune(w11, h11, '0.99/row');
      check(one.mask[0] === 1 && one.weight[0] === 2, () => `1x1 at 99%/row: ${one.weight[0]}, mask ${one.mask[0]}`);
      // A dead input: its three weights are zeroed and score 0, so the two pruned of them are the
      // later rows (the tie rule keeps the smaller index); the live column is untouched (no error
      // flows from a zero weight).
      const w32 = la.fromArray([1, 5, -3, 6, 2, 7], 3, 2), h32 = la.fromArray([0, 0, 0, 1], 2, 2);
      const col = await prune(w32, h32, '0.34'); // ⌊6·0.34⌋ = 2 pruned
      check(col.weight.join() === '0,5,0,6,0,7' && col.mask.join() === '1,1,0,1,0,1', () => `3x2 dead input: ${col.weight.join()} mask ${col.mask.join()}`);
      check((col.r.details as { deadInputs: number }).deadInputs === 1, () => `3x2 dead input: details ${JSON.stringify(col.r.details)}`);
      const { W: w1, H: h1 } = problem(5301, 1, 24, true, true);
      const w124 = la.fromArray(w1, 1, 24, 'float64'), h124 = la.fromArray(h1, 24, 24, 'float64');
      const row = await prune(w124, h124, { kind: 'nm', n: 1, m: 4 }, 8);
      const pub = published(w1, h1, 1, 24, { kind: 'nm', n: 1, m: 4 }, 8);
      expectClose('1x24 1:4', row.weight, pub.weight, 1e-12, 1);
      check(row.mask.join() === pub.mask.join(), () => `1x24 1:4 mask ${row.mask.join('')} vs ${pub.mask.join('')}`);
      for (const M of [w11, h11, w32, h32, w124, h124]) M.free();
    },
  });
  cases.push({
    name: 'sparseGPT: bad options are errors naming them; an H it is handed directly is checked; a smaller damping is used as given',
    deviceNeutral: true,
    async run({ lib, la }) {
      const W = la.fromArray(new Rng(3).normals(2 * 8), 2, 8), H = la.fromArray(gram(inputs(new Rng(4), 12, 8, []), 12, 8), 8, 8);
      const nm: Pattern = { kind: 'nm', n: 2, m: 4 }, half: Pattern = { kind: 'unstructured', sparsity: 0.5 };
      const prune = (w: Matrix, h: Matrix, pattern: Pattern, options: object) => () => lib.pruneLayer(la, w, h, { pruner: lib.sparseGPT(options as never), pattern });
      await expectReject(prune(W, H, nm, { blockSize: 6 }), /sparseGPT: argument options\.blockSize must be a multiple of m = 4.*got 6/);
      await expectThrow(() => lib.sparseGPT({ blockSize: 0 }), /sparseGPT: argument options\.blockSize .*got 0/);
      await expectThrow(() => lib.sparseGPT({ blockSize: 2.5 }), /sparseGPT: argument options\.blockSize must be an integer; got 2\.5/);
      for (const damp of [-0.01, NaN, Infinity]) await expectThrow(() => lib.sparseGPT({ damp }), new RegExp(`sparseGPT: argument options\\.damp .*got ${damp}`));
      await expectThrow(() => lib.sparseGPT({ damp: '0.1' as never }), /sparseGPT: argument options\.damp must be a number; got "0\.1"/);
      await expectThrow(() => lib.sparseGPT({ blocksize: 64 } as never), /sparseGPT: argument options\.blocksize must be a known option \(damp, blockSize\); did you mean 'blockSize'\?; got 64/);
      const H7 = la.matrix(7, 7), Wnan = la.fromArray([1, NaN, 0, 0, 0, 0, 0, 0], 1, 8);
      await expectReject(prune(W, H7, half, {}), /pruneLayer: argument stats must be 8x8/);
      await expectReject(prune(Wnan, H, half, {}), /pruneLayer: argument W must be finite values \(W\[0, 1\] is not finite\)/);
      // Indefinite H (a negative diagonal): refused, by pruneLayer and by the pruner run directly.
      const bad = la.fromArray(Array.from({ length: 64 }, (_, t) => (t === 0 ? -1000 : t % 9 === 0 ? 1 : 0)), 8, 8);
      await expectReject(prune(W, bad, half, {}), /pruneLayer: argument stats must be a positive semidefinite Hessian \(H\[0, 0\] = -1000 < 0\)/);
      await expectReject(() => lib.sparseGPT().run(la, W, bad, half, { check: 'psd', onProgress: null }), /^sparseGPT: argument H must be a positive semidefinite Hessian \(H\[0, 0\] = -1000 < 0\)/);
      // A smaller damping, and none at all, are used as given when H factors.
      for (const damp of [1e-3, 0]) {
        const out = await prune(W, H, half, { damp })();
        check(out.dampUsed === damp && out.warnings.length === 0 && JSON.stringify(out.options) === JSON.stringify({ damp, blockSize: 128 }), () => `damp ${damp}: dampUsed ${out.dampUsed}, options ${JSON.stringify(out.options)}`);
        for (const M of [out.weight, out.mask]) M.free();
      }
      for (const M of [W, H, H7, Wnan, bad]) M.free();
    },
  });
  return cases;
}

export function sparsegptCases(): Case[] {
  return [...blockCases(), ...prunerCases()];
}
