// The OBS kernels of the backend (selectMask, obsGreedy, solveOnSupport), every backend held to
// float64 arithmetic written here, independent of the code under test:
// - selectMask equals a sort-based oracle exactly for the three rules, with ties (integer W) and
//   with and without column weights;
// - obsGreedy equals the reference loop (masks exactly; weights tightly in float64, loosely in
//   float32) and satisfies what exact greedy OBS must: ŵ is the exact minimiser on its support
//   (H[S,S] ŵ_S = (H w)_S with H = Hinv⁻¹ by Gauss–Jordan), the losses add up to (w−ŵ)ᵀH(w−ŵ),
//   groups never exceed groupPrune, counts are honoured; for c ≤ 8 the first choice is the best
//   single removal by brute force;
// - solveOnSupport leaves a tiny float64 residual of H[S,S] x = B[r,S], zeros off S, works with
//   X = B, and reports the first row whose H[S,S] is not positive definite.
// Odd sizes (1, 3, 7, 17, 33, 130 columns), several rows and seeds, strided views, f32 and f64.
import { type Case, type CaseContext, check, eps, expectClose, type Matrix } from './harness.js';
import { invert } from './downdate.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
type La = CaseContext['la'];
type Rule = Parameters<La['backend']['selectMask']>[2];

const COLS = [1, 3, 7, 17, 33, 130];

/** A rows x cols operand holding `values`; strided: a window inside a larger random matrix. */
function operand(la: La, rng: Rng, values: ArrayLike<number>, rows: number, cols: number, dtype: DT, strided: boolean): Matrix {
  if (!strided) return la.fromArray(values, rows, cols, dtype);
  const big = la.fromArray(rng.normals((rows + 2) * (cols + 3)), rows + 2, cols + 3, dtype);
  return big.view(1, 2, rows, cols).assign(values);
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
    run({ la }) {
      const rng = new Rng(seed);
      const values = ties ? Array.from({ length: rows * cols }, () => rng.int(5) - 2) : rng.normals(rows * cols);
      const strided = (seed & 1) === 1;
      const W = operand(la, rng, values, rows, cols, dtype, strided);
      let weight: number[] | null = null;
      let cw: Matrix | null = null;
      if (weighted) {
        weight = stored(Array.from({ length: cols }, () => (ties ? 1 + rng.int(2) : 0.1 + rng.uniform())), dtype);
        // A column of a larger matrix (stride 3) on odd seeds, a row vector otherwise.
        cw = strided ? operand(la, rng, weight, cols, 1, dtype, true) : la.fromArray(weight, 1, cols, dtype);
      }
      const w = stored(values, dtype);
      for (const rule of rules(rows, cols, rng)) {
        const mask = new Uint8Array(rows * cols + 3).fill(7);
        la.backend.selectMask(W, cw, rule, mask);
        const want = oracleMask(w, rows, cols, weight, rule);
        for (let i = 0; i < rows * cols; i++) {
          check(mask[i] === want[i], () => `${name} ${ruleName(rule)}: mask[${i}] = ${mask[i]}, want ${want[i]} (W = ${w[i]})`);
        }
        check(mask[rows * cols] === 7, () => `${name} ${ruleName(rule)}: wrote past rows·cols`);
      }
      check(W.toArray().every((v, i) => v === w[i]), () => `${name}: W changed`);
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

/** Runs a backend's obsGreedy on copies of the inputs in its memory. */
function runGreedy(la: La, rng: Rng, w: number[], hinv: number[], rows: number, c: number, dtype: DT, counts: Int32Array,
  groupSize: number, groupPrune: number, lossStride: number, strided: boolean): GreedyRun {
  const W = operand(la, rng, w, rows, c, dtype, strided);
  const Hinv = operand(la, rng, hinv, c, c, dtype, strided);
  const mask = new Uint8Array(rows * c).fill(9);
  const losses = new Float64Array(rows * lossStride).fill(-1);
  const info = la.backend.obsGreedy(W, Hinv, counts, groupSize, groupPrune, mask, losses, lossStride);
  const hs = stored(hinv, dtype);
  check(Hinv.toArray().every((v, i) => v === hs[i]), () => `${la.backendName} obsGreedy: Hinv changed`);
  return { W: Array.from(W.toArray()), mask, losses, info };
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
    run({ la, ref }) {
      const rng = new Rng(seed);
      const w = ties ? Array.from({ length: rows * c }, () => rng.int(5) - 2) : rng.normals(rows * c);
      const hinv = ties
        ? Array.from({ length: c * c }, (_, i) => (i % (c + 1) === 0 ? 1 + rng.int(2) : 0))
        : symmetricInverse(spd(rng, c), c);
      const most = groupSize > 0 ? (c / groupSize) * groupPrune : c;
      const counts = Int32Array.from({ length: rows }, (_, r) => (r === 0 ? most : r === 1 ? 0 : r === 2 ? most >> 1 : rng.int(most + 1)));
      const lossStride = c + 1;
      const strided = (seed & 1) === 1;
      const got = runGreedy(la, rng, w, hinv, rows, c, dtype, counts, groupSize, groupPrune, lossStride, strided);
      check(got.info === -1, () => `${name}: returned ${got.info}`);
      // The reference loop on the same stored numbers, in float64.
      const want = runGreedy(ref, rng, stored(w, dtype), stored(hinv, dtype), rows, c, 'float64', counts, groupSize, groupPrune, lossStride, false);
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
    run({ la }) {
      const rng = new Rng(seed);
      const rows = 4;
      const w = stored(rng.normals(rows * c), dtype);
      const hinv = stored(symmetricInverse(spd(rng, c), c), dtype);
      const H = invert(hinv, c);
      const got = runGreedy(la, rng, w, hinv, rows, c, dtype, new Int32Array(rows).fill(1), 0, 0, 1, false);
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
    run({ la, ref }) {
      const rng = new Rng(seed);
      const h = stored(spd(rng, c), dtype), b = stored(rng.normals(rows * c), dtype);
      const mask = supportMasks(rows, c, rng);
      const strided = (seed & 1) === 1;
      const H = operand(la, rng, h, c, c, dtype, strided);
      const B = operand(la, rng, b, rows, c, dtype, strided);
      const X = alias ? B : operand(la, rng, rng.normals(rows * c), rows, c, dtype, !strided);
      const info = la.backend.solveOnSupport(H, B, mask, X);
      check(info === -1, () => `${name}: returned ${info}`);
      const x = X.toArray();
      if (!alias) check(B.toArray().every((v, i) => v === b[i]), () => `${name}: B changed`);
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
      check(ref.backend.solveOnSupport(ref.fromArray(h, c, c, 'float64'), R, mask, R) === -1, () => `${name}: reference failed`);
      let scale = 0;
      for (const v of R.toArray()) scale = Math.max(scale, Math.abs(v));
      expectClose(`${name} vs reference`, x, R.toArray(), dtype === 'float64' ? 1e-11 : 1e-4, scale || 1);
    },
  };
}

// ---------------------------------------------------------------- assembled

export function obsCases(): Case[] {
  const cases: Case[] = [];
  let seed = 2100;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const cols of COLS) {
      const rows = cols >= 130 ? 3 : cols === 1 ? 4 : 5;
      for (const ties of [false, true]) for (const weighted of [false, true]) cases.push(selectMaskCase(rows, cols, dtype, ties, weighted, seed++));
    }
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
  }
  cases.push({
    name: 'obsGreedy: a non-positive pivot or no eligible index returns that row',
    run({ la }) {
      for (const dtype of ['float32', 'float64'] as DT[]) {
        // Hinv = [[1, 2], [2, 1]] is indefinite: after removing 0, Hinv[1, 1] = 1 − 4 = −3.
        const hinv = [1, 2, 2, 1];
        const ok = runGreedy(la, new Rng(1), [1, 1, 1, 1], hinv, 2, 2, dtype, Int32Array.from([1, 1]), 0, 0, 2, false);
        check(ok.info === -1, () => `${dtype}: one step each gave ${ok.info}`);
        const bad = runGreedy(la, new Rng(1), [1, 1, 1, 1], hinv, 2, 2, dtype, Int32Array.from([1, 2]), 0, 0, 2, false);
        check(bad.info === 1, () => `${dtype}: second row's −3 pivot gave ${bad.info}`);
        check(bad.mask[0] === 0 && bad.mask[1] === 1, () => `${dtype}: row 0 mask ${bad.mask[0]},${bad.mask[1]}`);
        // Groups of 2 with 1 removal each: 3 removals from 4 columns is infeasible in row 0.
        const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        const full = runGreedy(la, new Rng(1), [1, 2, 3, 4], eye, 1, 4, dtype, Int32Array.from([3]), 2, 1, 4, false);
        check(full.info === 0, () => `${dtype}: infeasible count gave ${full.info}`);
        // With identity Hinv the greedy removes the smallest |w| of each group and changes nothing else.
        const easy = runGreedy(la, new Rng(1), [4, -1, 3, 2], eye, 1, 4, dtype, Int32Array.from([2]), 2, 1, 2, false);
        check(easy.info === -1 && easy.W.join() === '4,0,3,0' && Array.from(easy.mask).join() === '1,0,1,0', () => `${dtype}: identity case gave ${easy.W.join()} / ${easy.mask.join()}`);
        check(easy.losses.join() === '1,4', () => `${dtype}: identity losses ${easy.losses.join()}`);
      }
    },
  });
  cases.push({
    name: 'solveOnSupport: the first row whose H[S,S] is not positive definite is returned',
    run({ la }) {
      for (const dtype of ['float32', 'float64'] as DT[]) {
        // H[0,1] = 2 > √(H00 H11) = 1: any support holding both 0 and 1 is indefinite.
        const H = la.fromArray([1, 2, 0, 2, 1, 0, 0, 0, 1], 3, 3, dtype);
        const B = la.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3, dtype);
        const X = la.matrix(3, 3, dtype);
        const good = Uint8Array.from([1, 0, 1, 0, 1, 1, 1, 0, 0]);
        check(la.backend.solveOnSupport(H, B, good, X) === -1, () => `${dtype}: good masks failed`);
        check(X.toArray().join() === '1,0,3,0,5,6,7,0,0', () => `${dtype}: got ${X.toArray().join()}`);
        const bad = Uint8Array.from([1, 0, 1, 1, 1, 0, 1, 1, 1]);
        check(la.backend.solveOnSupport(H, B, bad, X) === 1, () => `${dtype}: bad row not reported`);
      }
    },
  });
  cases.push({
    name: 'OBS kernels on matrices from another backend (staged copies, aliasing kept)',
    run({ la, ref }) {
      const rng = new Rng(77);
      const c = 9, rows = 3;
      const h = spd(rng, c), b = rng.normals(rows * c), mask = supportMasks(rows, c, rng);
      const B = ref.fromArray(b, rows, c, 'float64');
      check(la.backend.solveOnSupport(ref.fromArray(h, c, c, 'float64'), B, mask, B) === -1, () => 'staged solve failed');
      const R = la.fromArray(b, rows, c, 'float64');
      check(la.backend.solveOnSupport(la.fromArray(h, c, c, 'float64'), R, mask, R) === -1, () => 'solve failed');
      expectClose('staged solve, X = B', B.toArray(), R.toArray(), 0, 1);
      const W = ref.fromArray(b, rows, c, 'float64');
      const got = new Uint8Array(rows * c);
      la.backend.selectMask(W, ref.fromArray(h.slice(0, c), c, 1, 'float64'), { kind: 'row', keep: 4 }, got);
      const want = oracleMask(b, rows, c, h.slice(0, c), { kind: 'row', keep: 4 });
      check(got.join() === want.join(), () => 'staged selectMask differs');
      const counts = Int32Array.from([2, 5, 0]);
      const losses = new Float64Array(rows * 5);
      const Wg = ref.fromArray(b, rows, c, 'float64');
      check(la.backend.obsGreedy(Wg, ref.fromArray(symmetricInverse(h, c), c, c, 'float64'), counts, 0, 0, got, losses, 5) === -1, () => 'staged greedy failed');
      check(got.reduce((s, v) => s + v, 0) === rows * c - 7 && losses[1] > 0 && losses[6] > 0 && losses[10] === 0, () => 'staged greedy results not copied back');
      check(Wg.toArray().some((v, i) => v !== b[i]), () => 'staged greedy did not write W back');
    },
  });
  return cases;
}
