// The OBS kernels (selectMask, obsGreedy, solveOnSupport, pcgStart / pcgStep), every backend
// held to float64 arithmetic written here, independent of the code under test:
// - selectMask equals a sort-based oracle exactly for the three rules, with ties (integer W) and
//   with and without column weights, and writes nothing outside its mask;
// - obsGreedy equals the reference loop (masks exactly; weights tightly in float64, loosely in
//   float32) and satisfies what exact greedy OBS must: ŵ is the exact minimiser on its support
//   (H[S,S] ŵ_S = (H w)_S with H = Hinv⁻¹ by Gauss–Jordan), the losses add up to (w−ŵ)ᵀH(w−ŵ),
//   groups never exceed groupPrune, counts are honoured; for c ≤ 8 the first choice is the best
//   single removal by brute force;
// - solveOnSupport leaves a tiny float64 residual of H[S,S] x = B[r,S], zeros off S, works with
//   X = B, and reports the first row whose H[S,S] is not positive definite;
// - pcgStart / pcgStep follow a float64 transcription of their contract step by step (from the
//   backend's own state before each step), converge, and stop a row whose P·Q is not positive.
// Masks, counts, losses and CG state are backend matrices; every value is written with la.write
// and read with la.read, so the cases run on the strict backend too (all but the one that hands
// over matrices of another backend). Odd sizes (1, 3, 7, 17, 33, 130 columns), several rows and
// seeds, strided views, f32 and f64.
import { type AnyMatrix, type Case, type CaseContext, check, eps, expectClose, expectReject, type MaskRule, type Matrix } from './harness.js';
import { invert } from './downdate.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
type La = CaseContext['la'];
type Rule = MaskRule;

const COLS = [1, 3, 7, 17, 33, 130];

/** A rows x cols operand holding `values`; strided: a window inside a larger random matrix. */
export function operand(la: La, rng: Rng, values: ArrayLike<number>, rows: number, cols: number, dtype: DT, strided: boolean): Matrix {
  if (!strided) return la.fromArray(values, rows, cols, dtype);
  const big = la.fromArray(rng.normals((rows + 2) * (cols + 3)), rows + 2, cols + 3, dtype);
  const M = big.view(1, 2, rows, cols);
  la.write(M, values);
  return M;
}

/** True when two arrays hold the same numbers. */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** SPD H = G Gᵀ / n + c I with G n x n normal: eigenvalues in about [c, c + 4]. */
function spd(rng: Rng, n: number): number[] {
  const G = rng.normals(n * n), c = 0.2 + rng.uniform();
  const H = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += G[i * n + p] * G[j * n + p];
      H[i * n + j] = H[j * n + i] = s / n + (i === j ? c : 0);
    }
  }
  return H;
}

/** The exact symmetric inverse of an SPD matrix, mirrored so both triangles agree bit for bit. */
function symmetricInverse(H: number[], n: number): number[] {
  const inv = invert(H, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[i * n + j] = inv[j * n + i];
  return inv;
}

/** Values as stored in a dtype (float32 rounding), as plain numbers. */
function stored(values: number[], dtype: DT): number[] {
  return dtype === 'float32' ? Array.from(Float32Array.from(values)) : values;
}

/** Solves the SPD system A x = b (n x n, float64) by Gauss–Jordan. */
function solve(A: number[], b: number[], n: number): number[] {
  const inv = invert(A, n);
  return Array.from({ length: n }, (_, i) => b.reduce((s, bj, j) => s + inv[i * n + j] * bj, 0));
}

// ---------------------------------------------------------------- selectMask

/** The oracle: sort each selection range by (score desc, flat index asc), keep the first ones. */
function oracleMask(W: number[], rows: number, cols: number, weight: number[] | null, rule: Rule): Uint8Array {
  const mask = new Uint8Array(rows * cols);
  const score = (i: number) => W[i] * W[i] * (weight ? weight[i % cols] : 1);
  const keepBest = (idx: number[], keep: number) => {
    const sorted = [...idx].sort((a, b) => (score(a) === score(b) ? a - b : score(b) - score(a)));
    for (const i of sorted.slice(0, keep)) mask[i] = 1;
  };
  const range = (from: number, n: number) => Array.from({ length: n }, (_, t) => from + t);
  if (rule.kind === 'layer') keepBest(range(0, rows * cols), rule.keep);
  else if (rule.kind === 'row') for (let r = 0; r < rows; r++) keepBest(range(r * cols, cols), rule.keep);
  else for (let r = 0; r < rows; r++) for (let g = 0; g < cols; g += rule.m) keepBest(range(r * cols + g, rule.m), rule.n);
  return mask;
}

/** Rules worth trying on a rows x cols matrix: edge and random keep counts, every small m dividing cols. */
function rules(rows: number, cols: number, rng: Rng): Rule[] {
  const out: Rule[] = [];
  const n = rows * cols;
  for (const keep of new Set([0, 1, n >> 1, n - 1, n, rng.int(n + 1)])) if (keep >= 0) out.push({ kind: 'layer', keep });
  for (const keep of new Set([0, 1, cols >> 1, cols - 1, cols, rng.int(cols + 1)])) if (keep >= 0) out.push({ kind: 'row', keep });
  for (const m of [1, 2, 3, 4, 5, 8, 13, cols]) {
    if (cols % m !== 0) continue;
    for (const k of new Set([0, 1, m >> 1, m - 1, m])) if (k >= 0) out.push({ kind: 'nm', n: k, m });
  }
  return out;
}

const ruleName = (r: Rule) => (r.kind === 'nm' ? `${r.n}:${r.m}` : `${r.kind} keep ${r.keep}`);

function selectMaskCase(rows: number, cols: number, dtype: DT, ties: boolean, weighted: boolean, seed: number): Case {
  const name = `selectMask ${dtype} ${rows}x${cols}${ties ? ' ties' : ''}${weighted ? ' weighted' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const values = ties ? Array.from({ length: rows * cols }, () => rng.int(5) - 2) : rng.normals(rows * cols);
      const strided = (seed & 1) === 1;
      const W = operand(la, rng, values, rows, cols, dtype, strided);
      let weight: number[] | null = null;
      let cw: Matrix | null = null;
      if (weighted) {
        weight = stored(Array.from({ length: cols }, () => (ties ? 1 + rng.int(2) : 0.1 + rng.uniform())), dtype);
        // A row of a larger matrix (a view at an offset) on odd seeds, a (contiguous) column otherwise.
        cw = strided ? operand(la, rng, weight, 1, cols, dtype, true) : la.fromArray(weight, cols, 1, dtype);
      }
      const w = stored(values, dtype);
      // The mask is the contiguous middle of a larger uint8 matrix: the guard rows above and
      // below must keep their 7s, and every entry of the mask must be written (7 is neither 0 nor 1).
      const frame = la.mask(rows + 2, cols), mask = frame.view(1, 0, rows, cols);
      for (const rule of rules(rows, cols, rng)) {
        await la.fill(frame, 7);
        await la.selectMask(W, cw, rule, mask);
        const all = await la.read(frame);
        const got = all.subarray(cols, cols + rows * cols);
        const want = oracleMask(w, rows, cols, weight, rule);
        for (let i = 0; i < rows * cols; i++) {
          check(got[i] === want[i], () => `${name} ${ruleName(rule)}: mask[${i}] = ${got[i]}, want ${want[i]} (W = ${w[i]})`);
        }
        for (let j = 0; j < cols; j++) {
          check(all[j] === 7 && all[(rows + 1) * cols + j] === 7, () => `${name} ${ruleName(rule)}: wrote outside the mask (column ${j})`);
        }
      }
      check(same(await la.read(W), w), () => `${name}: W changed`);
    },
  };
}

/**
 * float32 scores that are equal or out of order once rounded to float32 but not in float64 (every
 * backend must rank w²·c in float64, as the contract says): in row i every w_ij is the float32
 * nearest to √(t_i / c_j), so the row's scores lie within a few float32 ulps of t_i. The targets
 * span the exponent range (subnormal weights, huge column weights) and one column weight is negative.
 */
function nearTieCase(rows: number, cols: number, seed: number): Case {
  const name = `selectMask float32 ${rows}x${cols} near-ties in float64 seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const targets = [1, 3e-30, 5e-84, 2e40, 7e-3, 1e60];
      const weight = Array.from({ length: cols }, (_, j) => Math.fround(j === 2 ? -0.75 : (0.5 + 1.5 * rng.uniform()) * (j % 5 === 4 ? 1e30 : 1)));
      const w: number[] = [];
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) w.push(Math.fround(Math.sqrt(targets[i % targets.length] / Math.abs(weight[j])) * (rng.uniform() < 0.5 ? -1 : 1)));
      }
      const W = la.fromArray(w, rows, cols, 'float32');
      const cw = la.fromArray(weight, 1, cols, 'float32');
      const mask = la.mask(rows, cols);
      let ordered = 0;
      for (const rule of rules(rows, cols, rng)) {
        await la.selectMask(W, cw, rule, mask);
        const got = await la.read(mask);
        const want = oracleMask(w, rows, cols, weight, rule);
        for (let i = 0; i < rows * cols; i++) {
          check(got[i] === want[i], () => `${name} ${ruleName(rule)}: mask[${i}] = ${got[i]}, want ${want[i]} (W = ${w[i]}, c = ${weight[i % cols]})`);
        }
      }
      // The case is only worth running if float32 rounding would reorder some scores.
      for (let t = 1; t < rows * cols; t++) {
        const a = w[t - 1] ** 2 * weight[(t - 1) % cols], b = w[t] ** 2 * weight[t % cols];
        if (a !== b && Math.fround(a) === Math.fround(b)) ordered++;
      }
      check(ordered > 0, () => `${name}: no scores tie in float32 only`);
    },
  };
}

// ---------------------------------------------------------------- obsGreedy

interface GreedyRun {
  W: number[];
  mask: Uint8Array;
  losses: Float64Array;
  info: number;
}

/** Runs a backend's obsGreedy on copies of the inputs in its memory (masks, counts, losses too). */
async function runGreedy(la: La, rng: Rng, w: number[], hinv: number[], rows: number, c: number, dtype: DT, counts: Int32Array,
  groupSize: number, groupPrune: number, lossStride: number, strided: boolean): Promise<GreedyRun> {
  const W = operand(la, rng, w, rows, c, dtype, strided);
  const Hinv = operand(la, rng, hinv, c, c, dtype, strided);
  const mask = la.mask(rows, c), losses = la.matrix(rows, lossStride, 'float64');
  await la.fill(mask, 9);
  await la.fill(losses, -1);
  // counts as a column (rows x 1) or, with strided operands, as a row (1 x rows).
  const cnt = strided ? la.fromArray(counts, 1, rows, 'int32') : la.fromArray(counts, rows, 1, 'int32');
  const info = await la.obsGreedy(W, Hinv, cnt, mask, { groupSize, groupPrune, losses });
  check(same(await la.read(Hinv), stored(hinv, dtype)), () => `${la.backendName} obsGreedy: Hinv changed`);
  check(same(await la.read(cnt), counts), () => `${la.backendName} obsGreedy: counts changed`);
  return { W: Array.from(await la.read(W)), mask: await la.read(mask), losses: await la.read(losses), info };
}

/** Checks the properties exact greedy OBS has, for every row, from H = (stored Hinv)⁻¹. */
function checkGreedyProperties(name: string, got: GreedyRun, w: number[], H: number[], rows: number, c: number, dtype: DT,
  counts: Int32Array, groupSize: number, groupPrune: number, lossStride: number): void {
  const tol = dtype === 'float32' ? 2e-3 : 1e-9;
  for (let r = 0; r < rows; r++) {
    const row = (a: ArrayLike<number>) => Array.from({ length: c }, (_, j) => a[r * c + j]);
    const w0 = row(w), wh = row(got.W), m = row(got.mask);
    const removed = m.filter((v) => v === 0).length;
    check(m.every((v) => v === 0 || v === 1), () => `${name}: row ${r} mask not 0/1`);
    check(removed === counts[r], () => `${name}: row ${r} removed ${removed}, counts ${counts[r]}`);
    for (let j = 0; j < c; j++) check(m[j] === 1 || wh[j] === 0, () => `${name}: row ${r} removed ${j} but ŵ = ${wh[j]}`);
    if (groupSize > 0) {
      for (let g = 0; g < c; g += groupSize) {
        const n = m.slice(g, g + groupSize).filter((v) => v === 0).length;
        check(n <= groupPrune, () => `${name}: row ${r} group ${g / groupSize} has ${n} removed > ${groupPrune}`);
      }
    }
    // Exact minimiser on S: (H ŵ)_S = (H w)_S.
    const Hx = (x: number[], i: number) => x.reduce((s, xj, j) => s + H[i * c + j] * xj, 0);
    let scale = 0;
    for (let i = 0; i < c; i++) scale = Math.max(scale, Math.abs(Hx(w0, i)), Math.abs(Hx(wh, i)));
    for (let i = 0; i < c; i++) {
      if (!m[i]) continue;
      const res = Hx(wh, i) - Hx(w0, i);
      check(Math.abs(res) <= tol * (scale || 1), () => `${name}: row ${r} not optimal on S: (H(ŵ − w))_${i} = ${res.toExponential(3)} (scale ${scale})`);
    }
    // Losses: non-negative, their sum is the objective; unwritten slots untouched.
    const d = w0.map((v, j) => v - wh[j]);
    const objective = d.reduce((s, di, i) => s + di * Hx(d, i), 0);
    let sum = 0;
    for (let t = 0; t < counts[r]; t++) {
      const l = got.losses[r * lossStride + t];
      check(l >= 0, () => `${name}: row ${r} loss ${t} = ${l}`);
      sum += l;
    }
    for (let t = counts[r]; t < lossStride; t++) check(got.losses[r * lossStride + t] === -1, () => `${name}: row ${r} loss slot ${t} written`);
    const wnorm = w0.reduce((s, v, i) => s + v * Hx(w0, i), 0);
    check(Math.abs(sum - objective) <= tol * Math.max(wnorm, 1e-300) * 10, () => `${name}: row ${r} losses sum ${sum} != objective ${objective}`);
  }
}

/**
 * Greedy removal against the reference loop and the properties. With `ties`, W is integer-valued
 * and Hinv diagonal with entries 1 or 2, so equal scores abound and the tie rule decides.
 */
function greedyCase(rows: number, c: number, dtype: DT, groupSize: number, seed: number, ties = false): Case {
  const groupPrune = groupSize > 0 ? Math.max(1, groupSize >> 1) : 0;
  const name = `obsGreedy ${dtype} ${rows}x${c}${groupSize ? ` groups ${groupPrune}/${groupSize}` : ''}${ties ? ' ties' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      const w = ties ? Array.from({ length: rows * c }, () => rng.int(5) - 2) : rng.normals(rows * c);
      const hinv = ties
        ? Array.from({ length: c * c }, (_, i) => (i % (c + 1) === 0 ? 1 + rng.int(2) : 0))
        : symmetricInverse(spd(rng, c), c);
      const most = groupSize > 0 ? (c / groupSize) * groupPrune : c;
      const counts = Int32Array.from({ length: rows }, (_, r) => (r === 0 ? most : r === 1 ? 0 : r === 2 ? most >> 1 : rng.int(most + 1)));
      const lossStride = c + 1;
      const strided = (seed & 1) === 1;
      const got = await runGreedy(la, rng, w, hinv, rows, c, dtype, counts, groupSize, groupPrune, lossStride, strided);
      check(got.info === -1, () => `${name}: returned ${got.info}`);
      // The reference loop on the same stored numbers, in float64.
      const want = await runGreedy(ref, rng, stored(w, dtype), stored(hinv, dtype), rows, c, 'float64', counts, groupSize, groupPrune, lossStride, false);
      const maskSame = got.mask.every((v, i) => v === want.mask[i]);
      // float32 follows float64 only while no two scores come within its rounding: compare masks
      // where the data are well separated (few steps), and always check the properties.
      if (dtype === 'float64' || c <= 33 || ties) {
        check(maskSame, () => `${name}: mask differs from the reference at ${got.mask.findIndex((v, i) => v !== want.mask[i])}`);
        let scale = 0;
        for (const v of want.W) scale = Math.max(scale, Math.abs(v));
        expectClose(`${name} W`, got.W, want.W, dtype === 'float64' ? 1e-10 : 1e-3, scale);
        const lossScale = Math.max(...want.losses);
        expectClose(`${name} losses`, got.losses, want.losses, dtype === 'float64' ? 1e-10 : 1e-3, lossScale);
      }
      const H = invert(stored(hinv, dtype), c);
      checkGreedyProperties(name, got, stored(w, dtype), H, rows, c, dtype, counts, groupSize, groupPrune, lossStride);
    },
  };
}

/** For c ≤ 8: the first removal is the single index whose removal costs least, by brute force. */
function firstChoiceCase(c: number, dtype: DT, seed: number): Case {
  const name = `obsGreedy ${dtype} c=${c}: first choice is the brute-force best single removal, seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const rows = 4;
      const w = stored(rng.normals(rows * c), dtype);
      const hinv = stored(symmetricInverse(spd(rng, c), c), dtype);
      const H = invert(hinv, c);
      const got = await runGreedy(la, rng, w, hinv, rows, c, dtype, new Int32Array(rows).fill(1), 0, 0, 1, false);
      for (let r = 0; r < rows; r++) {
        const w0 = w.slice(r * c, r * c + c);
        const Hw = Array.from({ length: c }, (_, i) => w0.reduce((s, v, j) => s + H[i * c + j] * v, 0));
        let best = -1, bestCost = Infinity;
        for (let p = 0; p < c; p++) {
          const S = Array.from({ length: c }, (_, j) => j).filter((j) => j !== p);
          const xs = solve(S.flatMap((i) => S.map((j) => H[i * c + j])), S.map((i) => Hw[i]), S.length);
          const d = w0.slice();
          S.forEach((j, t) => (d[j] -= xs[t]));
          const cost = d.reduce((s, di, i) => s + di * d.reduce((u, dj, j) => u + H[i * c + j] * dj, 0), 0);
          if (cost < bestCost) (best = p), (bestCost = cost);
        }
        const removed = Array.from({ length: c }, (_, j) => j).filter((j) => got.mask[r * c + j] === 0);
        check(removed.length === 1 && removed[0] === best, () => `${name}: row ${r} removed [${removed}], brute force ${best}`);
        const tol = dtype === 'float64' ? 1e-9 : 1e-4;
        check(Math.abs(got.losses[r] - bestCost) <= tol * Math.max(bestCost, 1e-12), () => `${name}: row ${r} loss ${got.losses[r]} != ${bestCost}`);
      }
    },
  };
}

// ---------------------------------------------------------------- solveOnSupport

/** Random masks with runs of equal rows (factor reuse), an empty and a full row when rows allow. */
function supportMasks(rows: number, c: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(rows * c);
  for (let r = 0; r < rows; r++) {
    if (r > 0 && rng.uniform() < 0.4) {
      mask.copyWithin(r * c, (r - 1) * c, r * c);
      continue;
    }
    const density = r === 1 ? 0 : r === 2 ? 1 : rng.uniform();
    for (let j = 0; j < c; j++) mask[r * c + j] = rng.uniform() < density ? 1 : 0;
  }
  return mask;
}

function solveCase(rows: number, c: number, dtype: DT, alias: boolean, seed: number): Case {
  const name = `solveOnSupport ${dtype} ${rows}x${c}${alias ? ' X = B' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      const h = stored(spd(rng, c), dtype), b = stored(rng.normals(rows * c), dtype);
      const mask = supportMasks(rows, c, rng);
      const strided = (seed & 1) === 1;
      const H = operand(la, rng, h, c, c, dtype, strided);
      const B = operand(la, rng, b, rows, c, dtype, strided);
      const X = alias ? B : operand(la, rng, rng.normals(rows * c), rows, c, dtype, !strided);
      const M = la.fromArray(mask, rows, c, 'uint8');
      const info = await la.solveOnSupport(H, B, M, X);
      check(info === -1, () => `${name}: returned ${info}`);
      const x = await la.read(X);
      if (!alias) check(same(await la.read(B), b), () => `${name}: B changed`);
      check(same(await la.read(M), mask), () => `${name}: mask changed`);
      for (let r = 0; r < rows; r++) {
        const S = Array.from({ length: c }, (_, j) => j).filter((j) => mask[r * c + j]);
        for (let j = 0; j < c; j++) if (!mask[r * c + j]) check(x[r * c + j] === 0, () => `${name}: row ${r} off-support ${j} = ${x[r * c + j]}`);
        // Normwise residual ‖H[S,S] x − b‖∞ / (‖H[S,S]‖∞ ‖x‖∞ + ‖b‖∞): backward stable ⇒ O(c·eps).
        let res = 0, hn = 0, xn = 0, bn = 0;
        for (const i of S) {
          let s = -b[r * c + i], rowSum = 0;
          for (const j of S) {
            s += h[i * c + j] * x[r * c + j];
            rowSum += Math.abs(h[i * c + j]);
          }
          res = Math.max(res, Math.abs(s));
          hn = Math.max(hn, rowSum);
          xn = Math.max(xn, Math.abs(x[r * c + i]));
          bn = Math.max(bn, Math.abs(b[r * c + i]));
        }
        const rel = S.length ? res / (hn * xn + bn) : 0;
        check(rel <= 8 * (c + 1) * eps(dtype), () => `${name}: row ${r} relative residual ${rel.toExponential(3)} (|S| = ${S.length})`);
      }
      const R = ref.fromArray(b, rows, c, 'float64');
      const refInfo = await ref.solveOnSupport(ref.fromArray(h, c, c, 'float64'), R, ref.fromArray(mask, rows, c, 'uint8'), R);
      check(refInfo === -1, () => `${name}: reference failed`);
      const want = await ref.read(R);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      expectClose(`${name} vs reference`, x, want, dtype === 'float64' ? 1e-11 : 1e-4, scale || 1);
    },
  };
}

// ---------------------------------------------------------------- pcgStart / pcgStep

/** Masked PCG state on the host: X, R, P (rows x c) and the rows x 4 state (rz, rr, bb, status). */
interface Pcg {
  x: Float64Array;
  r: Float64Array;
  p: Float64Array;
  s: Float64Array;
}

/** What the float64 transcription of a PCG kernel expects, and the rows too close to call. */
interface PcgWant extends Pcg {
  active: number;
  /** Rows whose rr lies within 0.1% of the threshold tolerance²·bb (their status may go either way). */
  near: boolean[];
  /** Per row, the step length α (0 where none was taken). */
  alpha: Float64Array;
}

const copyPcg = (a: Pcg): Pcg => ({ x: a.x.slice(), r: a.r.slice(), p: a.p.slice(), s: a.s.slice() });
const nearThreshold = (rr: number, limit: number) => limit > 0 && Math.abs(rr - limit) <= 1e-3 * limit;

/** pcgStart as its contract says, in float64, from X (0 off the mask) and R = B − X·H. */
function pcgStartOracle(pre: Pcg, b: ArrayLike<number>, mask: ArrayLike<number>, dinv: number[], tol: number, rows: number, c: number): PcgWant {
  const w: PcgWant = { ...copyPcg(pre), active: 0, near: new Array(rows).fill(false), alpha: new Float64Array(rows) };
  for (let i = 0; i < rows; i++) {
    let bb = 0, rr = 0, rz = 0;
    for (let j = 0; j < c; j++) {
      const k = i * c + j, on = mask[k] !== 0;
      if (on) bb += b[k] * b[k];
      w.r[k] = on ? w.r[k] : 0;
      w.p[k] = dinv[j] * w.r[k];
      rr += w.r[k] * w.r[k];
      rz += w.r[k] * w.p[k];
    }
    const status = bb > 0 && rr > tol * tol * bb ? 1 : 0;
    if (bb === 0) for (let j = 0; j < c; j++) w.x[i * c + j] = w.r[i * c + j] = w.p[i * c + j] = 0;
    w.s.set([rz, rr, bb, status], 4 * i);
    w.near[i] = nearThreshold(rr, tol * tol * bb);
    w.active += status;
  }
  return w;
}

/** pcgStep as its contract says, in float64, from the state before the step and Q = P·H. */
function pcgStepOracle(pre: Pcg, q: ArrayLike<number>, mask: ArrayLike<number>, dinv: number[], tol: number, rows: number, c: number): PcgWant {
  const w: PcgWant = { ...copyPcg(pre), active: 0, near: new Array(rows).fill(false), alpha: new Float64Array(rows) };
  for (let i = 0; i < rows; i++) {
    if (w.s[4 * i + 3] !== 1) continue;
    const o = i * c, rz = w.s[4 * i], bb = w.s[4 * i + 2];
    let pq = 0;
    for (let j = 0; j < c; j++) pq += w.p[o + j] * q[o + j];
    const alpha = rz / pq;
    if (!(pq > 0) || !Number.isFinite(alpha)) {
      w.s[4 * i + 3] = 2;
      continue;
    }
    w.alpha[i] = alpha;
    let rr = 0, rzNew = 0;
    for (let j = 0; j < c; j++) {
      w.x[o + j] += alpha * w.p[o + j];
      if (mask[o + j] !== 0) w.r[o + j] -= alpha * q[o + j];
      rr += w.r[o + j] ** 2;
      rzNew += w.r[o + j] * dinv[j] * w.r[o + j];
    }
    w.s[4 * i + 1] = rr;
    w.near[i] = nearThreshold(rr, tol * tol * bb);
    if (rr <= tol * tol * bb) {
      w.s[4 * i + 3] = 0;
      continue;
    }
    const beta = rzNew / rz;
    for (let j = 0; j < c; j++) w.p[o + j] = dinv[j] * w.r[o + j] + beta * w.p[o + j];
    w.s[4 * i] = rzNew;
    w.active++;
  }
  return w;
}

const rowMax = (a: ArrayLike<number>, i: number, c: number, f = 1) => {
  let m = 0;
  for (let j = 0; j < c; j++) m = Math.max(m, Math.abs(f * a[i * c + j]));
  return m;
};

/**
 * Compares a kernel's result with the oracle's row by row (rows too close to the threshold to
 * call are skipped): statuses exactly, X, R, P and rz, rr, bb within tol of their scale (X:
 * |X| and |α P| before; R: |R| and |α Q| before; P: |P| before and after, and max(dinv)·|R|).
 */
function comparePcg(what: string, got: Pcg & { active: number }, want: PcgWant, pre: Pcg, q: ArrayLike<number> | null, dmax: number, rows: number, c: number, tol: number): void {
  let active = 0;
  for (let i = 0; i < rows; i++) active += got.s[4 * i + 3] === 1 ? 1 : 0;
  check(got.active === active, () => `${what}: returned ${got.active} active rows, state says ${active}`);
  if (!want.near.some(Boolean)) check(got.active === want.active, () => `${what}: ${got.active} active rows, want ${want.active}`);
  for (let i = 0; i < rows; i++) {
    if (want.near[i]) continue;
    check(got.s[4 * i + 3] === want.s[4 * i + 3], () => `${what}: row ${i} status ${got.s[4 * i + 3]}, want ${want.s[4 * i + 3]}`);
    const a = want.alpha[i];
    const scales = {
      X: Math.max(rowMax(pre.x, i, c), rowMax(want.x, i, c), rowMax(pre.p, i, c, a)),
      R: Math.max(rowMax(pre.r, i, c), q ? rowMax(q, i, c, a) : 0),
      P: Math.max(rowMax(pre.p, i, c), rowMax(want.p, i, c), dmax * rowMax(pre.r, i, c)),
    };
    for (const [part, g, w] of [['X', got.x, want.x], ['R', got.r, want.r], ['P', got.p, want.p]] as const) {
      const o = i * c;
      expectClose(`${what}: row ${i} ${part}`, g.subarray(o, o + c), w.subarray(o, o + c), tol, scales[part] || 1);
    }
    const s = (a: Float64Array, k: number) => a[4 * i + k];
    for (const [k, label] of [[0, 'rz'], [1, 'rr'], [2, 'bb']] as const) {
      const scale = Math.max(Math.abs(s(pre.s, k)), Math.abs(s(want.s, k)));
      check(Math.abs(s(got.s, k) - s(want.s, k)) <= tol * (scale || 1), () => `${what}: row ${i} ${label} = ${s(got.s, k)}, want ${s(want.s, k)}`);
    }
  }
}

/** Reads a PCG state back from the backend. */
async function readPcg(la: La, X: Matrix, R: Matrix, P: Matrix, state: AnyMatrix): Promise<Pcg> {
  return { x: Float64Array.from(await la.read(X)), r: Float64Array.from(await la.read(R)), p: Float64Array.from(await la.read(P)), s: Float64Array.from(await la.read(state)) };
}

/** Masks for PCG: row 0 full, row 1 empty, row 2 with B zero on its support (bb = 0), the rest random. */
function pcgMask(rows: number, c: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(rows * c);
  for (let r = 0; r < rows; r++) {
    const density = r === 0 ? 1 : r === 1 ? 0 : 0.3 + 0.6 * rng.uniform();
    for (let j = 0; j < c; j++) mask[r * c + j] = r === 0 || rng.uniform() < density ? 1 : 0;
  }
  return mask;
}

/**
 * A masked PCG problem: H SPD (c x c), the masks of pcgMask, B (0 on row 2's support, so bb = 0
 * there), a start X0 zero off the masks, and Jacobi's dinv = 1/H_jj with its largest entry.
 */
function pcgProblem(rng: Rng, rows: number, c: number, dtype: DT) {
  const h = stored(spd(rng, c), dtype), mask = pcgMask(rows, c, rng);
  const b = stored(rng.normals(rows * c).map((v, k) => (Math.floor(k / c) === 2 && mask[k] ? 0 : v)), dtype);
  const x0 = stored(rng.normals(rows * c).map((v, k) => (mask[k] ? v : 0)), dtype);
  const dinv = stored(Array.from({ length: c }, (_, j) => 1 / h[j * c + j]), dtype);
  return { h, mask, b, x0, dinv, dmax: Math.max(...dinv) };
}

/**
 * pcgStart, then pcgStep with Q = P·H (la.gemm) until no row is active: each call against the
 * oracle applied to the backend's own state before it; at the end every row converged, X solves
 * H[S,S] x = B[r,S] to the tolerance (true residual, and against Gauss–Jordan), zero off S.
 */
function pcgCase(rows: number, c: number, dtype: DT, strided: boolean, seed: number): Case {
  const name = `pcgStart/pcgStep ${dtype} ${rows}x${c}${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const { h, mask, b, x0, dinv, dmax } = pcgProblem(rng, rows, c, dtype);
      const tolerance = dtype === 'float32' ? 1e-3 : 1e-10, tol = dtype === 'float32' ? 1e-4 : 1e-11;
      const H = operand(la, rng, h, c, c, dtype, strided);
      const [X, B, R, P, Q] = [x0, b, b, new Array(rows * c).fill(0), new Array(rows * c).fill(0)].map((v) => operand(la, rng, v, rows, c, dtype, strided));
      // dinv as a row, or a (contiguous) column on odd seeds.
      const D = seed % 2 ? la.fromArray(dinv, c, 1, dtype) : la.fromArray(dinv, 1, c, dtype);
      const M = la.fromArray(mask, rows, c, 'uint8'), state = la.matrix(rows, 4, 'float64');
      await la.gemm(X, H, R, { alpha: -1, beta: 1 });
      let pre = await readPcg(la, X, R, P, state);
      let active = await la.pcgStart(X, B, R, P, M, D, tolerance, state);
      comparePcg(`${name} start`, { ...(await readPcg(la, X, R, P, state)), active }, pcgStartOracle(pre, b, mask, dinv, tolerance, rows, c), pre, null, dmax, rows, c, tol);
      let steps = 0;
      while (active > 0) {
        check(++steps <= 4 * c + 20, () => `${name}: still ${active} rows active after ${steps - 1} steps`);
        await la.gemm(P, H, Q);
        pre = await readPcg(la, X, R, P, state);
        const q = await la.read(Q);
        active = await la.pcgStep(X, R, P, Q, M, D, tolerance, state);
        const got = { ...(await readPcg(la, X, R, P, state)), active };
        comparePcg(`${name} step ${steps}`, got, pcgStepOracle(pre, q, mask, dinv, tolerance, rows, c), pre, q, dmax, rows, c, tol);
      }
      const end = await readPcg(la, X, R, P, state);
      for (let r = 0; r < rows; r++) {
        check(end.s[4 * r + 3] === 0, () => `${name}: row ${r} ended with status ${end.s[4 * r + 3]}`);
        const S = Array.from({ length: c }, (_, j) => j).filter((j) => mask[r * c + j]);
        for (let j = 0; j < c; j++) if (!mask[r * c + j]) check(end.x[r * c + j] === 0, () => `${name}: row ${r} off-support X[${j}] = ${end.x[r * c + j]}`);
        const bS = S.map((j) => b[r * c + j]), bn = Math.hypot(...bS);
        if (bn === 0) {
          check(S.every((j) => end.x[r * c + j] === 0), () => `${name}: row ${r} (B = 0 on S) has X ≠ 0`);
          continue;
        }
        const xS = S.map((j) => end.x[r * c + j]);
        const res = Math.hypot(...S.map((i, t) => bS[t] - S.reduce((acc, j, u) => acc + h[i * c + j] * xS[u], 0)));
        check(res <= 2 * tolerance * bn, () => `${name}: row ${r} true residual ${(res / bn).toExponential(3)} > 2·${tolerance}`);
        const exact = solve(S.flatMap((i) => S.map((j) => h[i * c + j])), bS, S.length);
        expectClose(`${name}: row ${r} X vs Gauss–Jordan`, xS, exact, 100 * tolerance, Math.max(...exact.map(Math.abs)));
      }
    },
  };
}

/** pcgUpdate as its contract says, in float64: the first half of pcgStepOracle (rz unchanged). */
function pcgUpdateOracle(pre: Pcg, q: ArrayLike<number>, mask: ArrayLike<number>, tol: number, rows: number, c: number): PcgWant {
  const w: PcgWant = { ...copyPcg(pre), active: 0, near: new Array(rows).fill(false), alpha: new Float64Array(rows) };
  for (let i = 0; i < rows; i++) {
    if (w.s[4 * i + 3] !== 1) continue;
    const o = i * c;
    let pq = 0;
    for (let j = 0; j < c; j++) pq += w.p[o + j] * q[o + j];
    const alpha = w.s[4 * i] / pq;
    if (!(pq > 0) || !Number.isFinite(alpha)) {
      w.s[4 * i + 3] = 2;
      continue;
    }
    w.alpha[i] = alpha;
    let rr = 0;
    for (let j = 0; j < c; j++) {
      w.x[o + j] += alpha * w.p[o + j];
      if (mask[o + j] !== 0) w.r[o + j] -= alpha * q[o + j];
      rr += w.r[o + j] ** 2;
    }
    w.s[4 * i + 1] = rr;
    w.near[i] = nearThreshold(rr, tol * tol * w.s[4 * i + 2]);
    if (rr <= tol * tol * w.s[4 * i + 2]) w.s[4 * i + 3] = 0;
    else w.active++;
  }
  return w;
}

/** pcgDirection as its contract says, in float64: z = dinv ⊙ r − corr on the support, p := z (+ β p). */
function pcgDirectionOracle(pre: Pcg, corr: ArrayLike<number> | null, mask: ArrayLike<number>, dinv: number[], restart: boolean, rows: number, c: number): PcgWant {
  const w: PcgWant = { ...copyPcg(pre), active: 0, near: new Array(rows).fill(false), alpha: new Float64Array(rows) };
  for (let i = 0; i < rows; i++) {
    if (w.s[4 * i + 3] !== 1) continue;
    const o = i * c, z = new Float64Array(c);
    let rz = 0;
    for (let j = 0; j < c; j++) {
      z[j] = dinv[j] * w.r[o + j] - (corr !== null && mask[o + j] ? corr[o + j] : 0);
      rz += w.r[o + j] * z[j];
    }
    if (!(rz > 0)) {
      w.s[4 * i + 3] = 2;
      continue;
    }
    const beta = restart ? 0 : rz / w.s[4 * i];
    for (let j = 0; j < c; j++) w.p[o + j] = z[j] + beta * w.p[o + j];
    w.s[4 * i] = rz;
    w.active++;
  }
  return w;
}

/**
 * pcgStart, then pcgDirection (restart) and pcgUpdate / pcgDirection with Q = P·H until no row is
 * active, preconditioned by z = dinv ⊙ r − (r·V)·Wt on the support (a positive definite
 * diagonal-minus-low-rank M⁻¹, the shape lowRankPreconditioner builds; the correction formed by
 * la.gemm): each call against its oracle on the backend's own state before it; at the end every
 * row solves H[S,S] x = B[r,S]. Also: pcgUpdate then pcgDirection with no correction is pcgStep.
 */
function pcgSplitCase(rows: number, c: number, k: number, dtype: DT, strided: boolean, seed: number): Case {
  const name = `pcgUpdate/pcgDirection ${dtype} ${rows}x${c} rank ${k}${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const { h, mask, b, x0, dinv, dmax } = pcgProblem(rng, rows, c, dtype);
      // M⁻¹ = diag(dinv) − V diag(g) Vᵀ with V = diag(√dinv)·U, U orthonormal-ish of norm ≤ 1 and
      // g ∈ (0, 0.5): positive definite (eigenvalues of D^{-1/2} M⁻¹ D^{-1/2} ≥ 1 − 0.5·‖U‖²).
      const u = rng.normals(c * k).map((v) => v / Math.sqrt(c * k));
      const v = stored(u.map((x, t) => Math.sqrt(dinv[Math.floor(t / k)]) * x), dtype);
      const g = Array.from({ length: k }, () => 0.1 + 0.4 * rng.uniform());
      const wt = stored(Array.from({ length: k * c }, (_, t) => g[Math.floor(t / c)] * v[(t % c) * k + Math.floor(t / c)]), dtype);
      const tolerance = dtype === 'float32' ? 1e-3 : 1e-10, tol = dtype === 'float32' ? 1e-4 : 1e-11;
      const H = operand(la, rng, h, c, c, dtype, strided);
      const [X, B, R, P, Q] = [x0, b, b, new Array(rows * c).fill(0), new Array(rows * c).fill(0)].map((a) => operand(la, rng, a, rows, c, dtype, strided));
      const V = operand(la, rng, v, c, k, dtype, strided), Wt = operand(la, rng, wt, k, c, dtype, strided);
      const Y = la.matrix(rows, k, dtype), C = operand(la, rng, new Array(rows * c).fill(0), rows, c, dtype, strided);
      const D = la.fromArray(dinv, 1, c, dtype);
      const M = la.fromArray(mask, rows, c, 'uint8'), state = la.matrix(rows, 4, 'float64');
      await la.gemm(X, H, R, { alpha: -1, beta: 1 });
      let active = await la.pcgStart(X, B, R, P, M, D, tolerance, state);
      const direction = async (restart: boolean, what: string): Promise<number> => {
        await la.gemm(R, V, Y);
        await la.gemm(Y, Wt, C);
        const pre = await readPcg(la, X, R, P, state), corr = await la.read(C);
        const got = await la.pcgDirection(R, C, P, M, D, restart, state);
        const want = pcgDirectionOracle(pre, corr, mask, dinv, restart, rows, c);
        comparePcg(`${name} ${what}`, { ...(await readPcg(la, X, R, P, state)), active: got }, want, pre, null, dmax + Math.max(...corr.map(Math.abs)), rows, c, tol);
        return got;
      };
      active = await direction(true, 'first direction');
      let steps = 0;
      while (active > 0) {
        check(++steps <= 4 * c + 20, () => `${name}: still ${active} rows active after ${steps - 1} steps`);
        await la.gemm(P, H, Q);
        const pre = await readPcg(la, X, R, P, state), q = await la.read(Q);
        active = await la.pcgUpdate(X, R, P, Q, M, tolerance, state);
        comparePcg(`${name} update ${steps}`, { ...(await readPcg(la, X, R, P, state)), active }, pcgUpdateOracle(pre, q, mask, tolerance, rows, c), pre, q, dmax, rows, c, tol);
        if (active > 0) active = await direction(false, `direction ${steps}`);
      }
      const end = await readPcg(la, X, R, P, state);
      for (let r = 0; r < rows; r++) {
        check(end.s[4 * r + 3] === 0, () => `${name}: row ${r} ended with status ${end.s[4 * r + 3]}`);
        const S = Array.from({ length: c }, (_, j) => j).filter((j) => mask[r * c + j]);
        const bS = S.map((j) => b[r * c + j]), bn = Math.hypot(...bS);
        if (bn === 0) continue;
        const xS = S.map((j) => end.x[r * c + j]);
        const res = Math.hypot(...S.map((i, t) => bS[t] - S.reduce((acc, j, w) => acc + h[i * c + j] * xS[w], 0)));
        check(res <= 2 * tolerance * bn, () => `${name}: row ${r} true residual ${(res / bn).toExponential(3)} > 2·${tolerance}`);
      }
      // The halves without a correction are pcgStep, from one state.
      const X2 = await la.copy(X), R2 = await la.copy(R), P2 = await la.copy(P), s2 = la.matrix(rows, 4, 'float64');
      await la.copy(B, R);
      await la.copy(B, R2);
      await la.fill(X, 0);
      await la.fill(X2, 0);
      const a1 = await la.pcgStart(X, B, R, P, M, D, tolerance, state), a2 = await la.pcgStart(X2, B, R2, P2, M, D, tolerance, s2);
      check(a1 === a2, () => `${name}: two starts from one state differ`);
      await la.gemm(P, H, Q);
      const fused = await la.pcgStep(X, R, P, Q, M, D, tolerance, state);
      let halves = await la.pcgUpdate(X2, R2, P2, Q, M, tolerance, s2);
      if (halves > 0) halves = await la.pcgDirection(R2, null, P2, M, D, false, s2);
      check(fused === halves, () => `${name}: pcgStep left ${fused} rows active, the halves ${halves}`);
      for (const [what, A, A2] of [['X', X, X2], ['R', R, R2], ['P', P, P2], ['state', state, s2]] as const) {
        const x = await la.read(A), y = await la.read(A2);
        check(x.every((t, i) => t === y[i]), () => `${name}: pcgStep and the halves differ in ${what}`);
      }
    },
  };
}

/** The hand-worked PCG example: one row converges in one step, one stops on P·Q < 0, one has bb = 0. */
const pcgExample: Case = {
  name: 'pcgStart/pcgStep: a 3x2 example by hand (convergence, P·Q < 0 stops a row, bb = 0), bad arguments named',
  deviceNeutral: true,
  async run({ la }) {
    for (const dtype of ['float32', 'float64'] as DT[]) {
      // H = diag(1, −1), so dinv = (1, −1): row 1's support {1} sees a negative curvature.
      const H = la.fromArray([1, 0, 0, -1], 2, 2, dtype), D = la.fromArray([1, -1], 1, 2, dtype);
      const B = la.fromArray([3, 7, 5, 2, 0, 0], 3, 2, dtype), X = la.fromArray([0, 0, 0, 0.5, 1, -1], 3, 2, dtype);
      const R = await la.copy(B), P = la.matrix(3, 2, dtype), Q = la.matrix(3, 2, dtype);
      const M = la.fromArray([1, 0, 0, 1, 1, 1], 3, 2, 'uint8'), state = la.matrix(3, 4, 'float64');
      await la.gemm(X, H, R, { alpha: -1, beta: 1 });
      const started = await la.pcgStart(X, B, R, P, M, D, 1e-6, state);
      const s0 = await la.read(state), x0 = (await la.read(X)).join(), r0 = (await la.read(R)).join(), p0 = (await la.read(P)).join();
      check(started === 2, () => `${dtype}: pcgStart gave ${started} active rows, want 2`);
      check([...s0.subarray(0, 8)].join() === '9,9,9,1,-6.25,6.25,4,1' && s0[10] === 0 && s0[11] === 0, () => `${dtype}: start state ${s0.join()}`);
      check(x0 === '0,0,0,0.5,0,0' && r0 === '3,0,0,2.5,0,0' && p0 === '3,0,0,-2.5,0,0', () => `${dtype}: start X ${x0}, R ${r0}, P ${p0}`);
      await la.gemm(P, H, Q);
      const stepped = await la.pcgStep(X, R, P, Q, M, D, 1e-6, state);
      const s1 = await la.read(state), x1 = (await la.read(X)).join(), r1 = (await la.read(R)).join(), p1 = (await la.read(P)).join();
      check(stepped === 0, () => `${dtype}: pcgStep gave ${stepped} active rows, want 0`);
      // Row 0: α = 1 solves it exactly (P and rz stay); row 1: P·Q = −6.25, status 2, untouched.
      check([...s1.subarray(0, 8)].join() === '9,0,9,0,-6.25,6.25,4,2', () => `${dtype}: step state ${s1.join()}`);
      check(x1 === '3,0,0,0.5,0,0' && r1 === '0,0,0,2.5,0,0' && p1 === '3,0,0,-2.5,0,0', () => `${dtype}: step X ${x1}, R ${r1}, P ${p1}`);
      check((await la.pcgStep(X, R, P, Q, M, D, 1e-6, state)) === 0 && same(await la.read(state), s1), () => `${dtype}: a step with no active row changed something`);
      await expectReject(() => la.pcgStart(X, B, R, P, M, D, 0, state), /pcgStart: argument tolerance .*positive.*got 0/);
      await expectReject(() => la.pcgStep(X, R, P, Q, M, D, 1e-6, la.matrix(3, 3, 'float64')), /pcgStep: argument state .*3x4/);
      await expectReject(() => la.pcgStep(X, R, P, Q, M, D, 1e-6, la.matrix(3, 4, dtype === 'float32' ? 'float32' : 'int32') as never), /pcgStep: argument state .*float64/);
      await expectReject(() => la.pcgStart(X, B, R, P, la.mask(3, 4).view(0, 0, 3, 2), D, 1e-6, state), /pcgStart: argument mask .*contiguous/);
      await expectReject(() => la.pcgStart(X, B, R, la.matrix(2, 2, dtype), M, D, 1e-6, state), /pcgStart: argument P .*3x2/);
    }
  },
};

// ---------------------------------------------------------------- assembled

/** Bad arguments of selectMask, obsGreedy and solveOnSupport: rejections that name them. */
const badArguments: Case = {
  name: 'selectMask / obsGreedy / solveOnSupport reject bad arguments with their names',
  deviceNeutral: true,
  async run({ la }) {
    const W = la.matrix(2, 4), H = la.matrix(4, 4), mask = la.mask(2, 4), counts = la.matrix(2, 1, 'int32');
    await expectReject(() => la.selectMask(W, null, { kind: 'layer', keep: 9 }, mask), /selectMask: argument rule\.keep .*\[0, 8\].*got 9/);
    await expectReject(() => la.selectMask(W, null, { kind: 'row', keep: 5 }, mask), /selectMask: argument rule\.keep .*\[0, 4\].*got 5/);
    await expectReject(() => la.selectMask(W, null, { kind: 'nm', n: 2, m: 3 }, mask), /selectMask: argument rule\.m .*divisor.*got 3/);
    await expectReject(() => la.selectMask(W, null, { kind: 'top' } as never, mask), /selectMask: argument rule\.kind .*'layer', 'row' or 'nm'.*"top"/);
    await expectReject(() => la.selectMask(W, null, { kind: 'row', keep: 2 }, la.matrix(2, 4) as never), /selectMask: argument mask .*uint8/);
    await expectReject(() => la.selectMask(W, null, { kind: 'row', keep: 2 }, la.mask(2, 5).view(0, 0, 2, 4)), /selectMask: argument mask .*contiguous/);
    await expectReject(() => la.selectMask(W, la.matrix(1, 3), { kind: 'row', keep: 2 }, mask), /selectMask: argument colWeight .*vector of 4/);
    await expectReject(() => la.selectMask(W, la.matrix(1, 4, 'float64') as never, { kind: 'row', keep: 2 }, mask), /selectMask: argument colWeight .*float32/);
    // A column weight must be contiguous (a column of a larger matrix is refused).
    await expectReject(() => la.selectMask(W, la.matrix(4, 3).view(0, 1, 4, 1), { kind: 'row', keep: 2 }, mask), /selectMask: argument colWeight .*contiguous 4x1/);
    await expectReject(() => la.obsGreedy(W, la.matrix(3, 3), counts, mask), /obsGreedy: argument Hinv .*4x4/);
    await expectReject(() => la.obsGreedy(W, H, la.matrix(2, 1) as never, mask), /obsGreedy: argument counts .*int32/);
    await expectReject(() => la.obsGreedy(W, H, la.matrix(3, 1, 'int32'), mask), /obsGreedy: argument counts .*vector of 2/);
    await expectReject(() => la.obsGreedy(W, H, counts, mask, { groupSize: 3, groupPrune: 1 }), /obsGreedy: argument options\.groupSize .*divisor.*got 3/);
    await expectReject(() => la.obsGreedy(W, H, counts, mask, { groupSize: 2, groupPrune: 3 }), /obsGreedy: argument options\.groupPrune .*\[0, 2\].*got 3/);
    await expectReject(() => la.obsGreedy(W, H, counts, mask, { losses: la.matrix(3, 4, 'float64') }), /obsGreedy: argument options\.losses .*2 rows/);
    await expectReject(() => la.obsGreedy(W, H, counts, mask, { losses: la.matrix(2, 4) as never }), /obsGreedy: argument options\.losses .*float64/);
    await expectReject(() => la.obsGreedy(W, la.matrix(4, 4, 'float64') as never, counts, mask), /obsGreedy: argument Hinv .*float32/);
    await expectReject(() => la.solveOnSupport(H, W, mask, la.matrix(2, 3)), /solveOnSupport: argument X .*2x4/);
    await expectReject(() => la.solveOnSupport(la.matrix(3, 3), W, mask, W), /solveOnSupport: argument H .*4x4/);
    await expectReject(() => la.solveOnSupport(H, W, la.mask(4, 2), W), /solveOnSupport: argument mask .*2x4/);
  },
};

export function obsCases(): Case[] {
  const cases: Case[] = [];
  let seed = 2100;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const cols of COLS) {
      const rows = cols >= 130 ? 3 : cols === 1 ? 4 : 5;
      for (const ties of [false, true]) for (const weighted of [false, true]) cases.push(selectMaskCase(rows, cols, dtype, ties, weighted, seed++));
    }
    if (dtype === 'float32') for (const [rows, cols] of [[6, 65], [12, 130]]) cases.push(nearTieCase(rows, cols, seed++));
    for (const c of COLS) {
      const rows = c >= 130 ? 3 : 5;
      cases.push(greedyCase(rows, c, dtype, 0, seed++));
      for (const m of [2, 4, 8, 13]) if (c % m === 0 && c > m) cases.push(greedyCase(rows, c, dtype, m, seed++));
    }
    for (const c of [33, 130]) cases.push(greedyCase(4, c, dtype, 0, seed++, true));
    cases.push(greedyCase(4, 130, dtype, 13, seed++, true));
    // Groups on sizes the odd widths cannot divide.
    cases.push(greedyCase(3, 16, dtype, 4, seed++), greedyCase(2, 24, dtype, 8, seed++), greedyCase(2, 66, dtype, 2, seed++));
    for (const c of [1, 2, 3, 5, 8]) cases.push(firstChoiceCase(c, dtype, seed++));
    for (const c of COLS) {
      cases.push(solveCase(c >= 130 ? 4 : 7, c, dtype, false, seed++));
      cases.push(solveCase(c >= 130 ? 3 : 6, c, dtype, true, seed++));
    }
    for (const [rows, c] of [[3, 1], [4, 3], [6, 13], [9, 34], [5, 130]]) cases.push(pcgCase(rows, c, dtype, (seed & 1) === 0, seed++));
    for (const [rows, c, k] of [[3, 2, 1], [5, 7, 2], [6, 33, 3], [4, 130, 5]]) cases.push(pcgSplitCase(rows, c, k, dtype, (seed & 1) === 0, seed++));
  }
  cases.push({
    name: 'obsGreedy: a non-positive pivot or no eligible index returns that row',
    deviceNeutral: true,
    async run({ la }) {
      for (const dtype of ['float32', 'float64'] as DT[]) {
        // Hinv = [[1, 2], [2, 1]] is indefinite: after removing 0, Hinv[1, 1] = 1 − 4 = −3.
        const hinv = [1, 2, 2, 1];
        const ok = await runGreedy(la, new Rng(1), [1, 1, 1, 1], hinv, 2, 2, dtype, Int32Array.from([1, 1]), 0, 0, 2, false);
        check(ok.info === -1, () => `${dtype}: one step each gave ${ok.info}`);
        const bad = await runGreedy(la, new Rng(1), [1, 1, 1, 1], hinv, 2, 2, dtype, Int32Array.from([1, 2]), 0, 0, 2, false);
        check(bad.info === 1, () => `${dtype}: second row's −3 pivot gave ${bad.info}`);
        check(bad.mask[0] === 0 && bad.mask[1] === 1, () => `${dtype}: row 0 mask ${bad.mask[0]},${bad.mask[1]}`);
        // Groups of 2 with 1 removal each: 3 removals from 4 columns is infeasible in row 0.
        const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        const full = await runGreedy(la, new Rng(1), [1, 2, 3, 4], eye, 1, 4, dtype, Int32Array.from([3]), 2, 1, 4, false);
        check(full.info === 0, () => `${dtype}: infeasible count gave ${full.info}`);
        // With identity Hinv the greedy removes the smallest |w| of each group and changes nothing else.
        const easy = await runGreedy(la, new Rng(1), [4, -1, 3, 2], eye, 1, 4, dtype, Int32Array.from([2]), 2, 1, 2, false);
        check(easy.info === -1 && easy.W.join() === '4,0,3,0' && Array.from(easy.mask).join() === '1,0,1,0', () => `${dtype}: identity case gave ${easy.W.join()} / ${easy.mask.join()}`);
        check(easy.losses.join() === '1,4', () => `${dtype}: identity losses ${easy.losses.join()}`);
      }
    },
  });
  cases.push({
    name: 'solveOnSupport: the first row whose H[S,S] is not positive definite is returned',
    deviceNeutral: true,
    async run({ la }) {
      for (const dtype of ['float32', 'float64'] as DT[]) {
        // H[0,1] = 2 > √(H00 H11) = 1: any support holding both 0 and 1 is indefinite.
        const H = la.fromArray([1, 2, 0, 2, 1, 0, 0, 0, 1], 3, 3, dtype);
        const B = la.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3, dtype);
        const X = la.matrix(3, 3, dtype);
        const good = la.fromArray([1, 0, 1, 0, 1, 1, 1, 0, 0], 3, 3, 'uint8');
        check((await la.solveOnSupport(H, B, good, X)) === -1, () => `${dtype}: good masks failed`);
        const x = (await la.read(X)).join();
        check(x === '1,0,3,0,5,6,7,0,0', () => `${dtype}: got ${x}`);
        const bad = la.fromArray([1, 0, 1, 1, 1, 0, 1, 1, 1], 3, 3, 'uint8');
        check((await la.solveOnSupport(H, B, bad, X)) === 1, () => `${dtype}: bad row not reported`);
      }
    },
  });
  cases.push({
    name: 'OBS kernels on matrices from another backend (staged copies, aliasing kept)',
    async run({ la, ref }) {
      const rng = new Rng(77);
      const c = 9, rows = 3;
      const h = spd(rng, c), b = rng.normals(rows * c), mask = supportMasks(rows, c, rng);
      const B = ref.fromArray(b, rows, c, 'float64'), refMask = ref.fromArray(mask, rows, c, 'uint8');
      check((await la.solveOnSupport(ref.fromArray(h, c, c, 'float64'), B, refMask, B)) === -1, () => 'staged solve failed');
      const R = la.fromArray(b, rows, c, 'float64');
      check((await la.solveOnSupport(la.fromArray(h, c, c, 'float64'), R, la.fromArray(mask, rows, c, 'uint8'), R)) === -1, () => 'solve failed');
      expectClose('staged solve, X = B', await ref.read(B), await la.read(R), 0, 1);
      const W = ref.fromArray(b, rows, c, 'float64');
      const got = ref.mask(rows, c);
      await la.selectMask(W, ref.fromArray(h.slice(0, c), c, 1, 'float64'), { kind: 'row', keep: 4 }, got);
      const want = oracleMask(b, rows, c, h.slice(0, c), { kind: 'row', keep: 4 });
      check(same(await ref.read(got), want), () => 'staged selectMask differs');
      const counts = ref.fromArray([2, 5, 0], rows, 1, 'int32');
      const losses = ref.matrix(rows, 5, 'float64');
      const Wg = ref.fromArray(b, rows, c, 'float64');
      const info = await la.obsGreedy(Wg, ref.fromArray(symmetricInverse(h, c), c, c, 'float64'), counts, got, { losses });
      check(info === -1, () => `staged greedy failed (${info})`);
      const m = await ref.read(got), l = await ref.read(losses);
      check(m.reduce((s, v) => s + v, 0) === rows * c - 7 && l[1] > 0 && l[6] > 0 && l[10] === 0, () => 'staged greedy results not copied back');
      check((await ref.read(Wg)).some((v, k) => v !== b[k]), () => 'staged greedy did not write W back');
    },
  });
  cases.push(pcgExample, badArguments);
  return cases;
}
