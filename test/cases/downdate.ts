// sdowndate / ddowndate: the downdated H⁻¹ must equal the inverse of H with the removed rows and
// columns deleted (embedded with zeros there), computed here by a float64 Gauss–Jordan inverse
// of the reduced matrix — single downdates and sequences, odd sizes, strided views.
import { type Case, type CaseContext, check, eps, expectClose, type Matrix, expectReject } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';

/** Inverse of a general n x n matrix by Gauss–Jordan with partial pivoting (float64). */
export function invert(M: ArrayLike<number>, n: number): number[] {
  const a = Array.from(M), b = Array.from({ length: n * n }, (_, i): number => (i % (n + 1) === 0 ? 1 : 0));
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    for (let j = 0; j < n; j++) {
      [a[c * n + j], a[piv * n + j]] = [a[piv * n + j], a[c * n + j]];
      [b[c * n + j], b[piv * n + j]] = [b[piv * n + j], b[c * n + j]];
    }
    const d = a[c * n + c];
    for (let j = 0; j < n; j++) {
      a[c * n + j] /= d;
      b[c * n + j] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[c * n + j];
        b[r * n + j] -= f * b[c * n + j];
      }
    }
  }
  return b;
}

/** SPD H = B Bᵀ / n + c I with B n x n normal. */
function spd(rng: Rng, n: number): number[] {
  const B = rng.normals(n * n), c = 0.2 + rng.uniform();
  const H = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += B[i * n + p] * B[j * n + p];
      H[i * n + j] = H[j * n + i] = s / n + (i === j ? c : 0);
    }
  }
  return H;
}

/** The inverse of H with the indices in `removed` deleted, embedded back with zeros. */
function reducedInverse(H: number[], n: number, removed: number[]): number[] {
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !removed.includes(i));
  const m = keep.length;
  const R = invert(keep.flatMap((i) => keep.map((j) => H[i * n + j])), m);
  const out = new Array<number>(n * n).fill(0);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) out[keep[a] * n + keep[b]] = R[a * m + b];
  return out;
}

function operand(la: CaseContext['la'], rng: Rng, n: number, dtype: DT, strided: boolean, values: number[]): Matrix {
  if (!strided) return la.fromArray(values, n, n, dtype);
  const big = la.fromArray(rng.normals((n + 3) * (n + 2)), n + 3, n + 2, dtype);
  const M = big.view(1, 2, n, n);
  la.write(M, values);
  return M;
}

function downdateCase(n: number, removed: number[], dtype: DT, strided: boolean, seed: number): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}downdate n=${n} remove [${removed.join(', ')}]${strided ? ' strided' : ''} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la }) {
      const rng = new Rng(seed);
      const H = spd(rng, n);
      // Gauss–Jordan's inverse is symmetric only to rounding; the kernel's input is symmetric.
      const inv = invert(H, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[i * n + j] = inv[j * n + i];
      const Hinv = operand(la, rng, n, dtype, strided, inv);
      const want = reducedInverse(H, n, removed);
      for (const p of removed) {
        if (dtype === 'float32') await la.sdowndate(Hinv as never, p);
        else await la.ddowndate(Hinv as never, p);
      }
      const got = await la.read(Hinv);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      // H is well conditioned (eigenvalues in [c, c + ~4]); each downdate adds a few roundings.
      expectClose(name, got, want, 64 * (removed.length + 1) * eps(dtype), scale || 1);
      for (const p of removed) {
        for (let i = 0; i < n; i++) {
          check(got[p * n + i] === 0 && got[i * n + p] === 0, () => `${name}: row/column ${p} not exactly zero at ${i}`);
        }
      }
      if (la.backendName.startsWith('wasm')) {
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) check(got[i * n + j] === got[j * n + i], () => `${name}: not symmetric at (${i}, ${j})`);
      }
    },
  };
}

export function downdateCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1700;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    cases.push(downdateCase(1, [0], dtype, false, seed++));
    for (const n of [3, 17, 130]) {
      for (const p of [0, n >> 1, n - 1]) cases.push(downdateCase(n, [p], dtype, (seed & 1) === 0, seed++));
      const rng = new Rng(seed);
      const seq = [...new Set(Array.from({ length: Math.min(n - 1, 6) }, () => rng.int(n)))];
      cases.push(downdateCase(n, seq, dtype, (seed & 1) === 0, seed++));
    }
    // Removing all but one index of a small matrix, in a scrambled order.
    cases.push(downdateCase(5, [3, 0, 4, 1], dtype, true, seed++));
  }
  cases.push({
    name: 'sdowndate: 2x2 example; bad pivot and arguments are errors naming them',
    deviceNeutral: true,
    async run({ la }) {
      const A = la.fromArray([2, 1, 1, 2], 2, 2);
      await la.sdowndate(A, 0);
      const a = (await la.read(A)).join();
      check(a === '0,0,0,1.5', () => `got ${a}`);
      // A was downdated at 0: its pivot there is now 0.
      await expectReject(() => la.sdowndate(A, 0), /sdowndate: argument Hinv\[0, 0\] .*positive.*got 0/);
      await expectReject(() => la.sdowndate(la.fromArray([-1, 0, 0, 1], 2, 2), 0), /Hinv\[0, 0\] .*got -1/);
      await expectReject(() => la.sdowndate(la.fromArray([1, 0, 0, NaN], 2, 2), 1), /Hinv\[1, 1\] .*got NaN/);
      await expectReject(() => la.sdowndate(la.fromArray([1, 0, 0, Infinity], 2, 2), 1), /Hinv\[1, 1\] .*got Infinity/);
      await expectReject(() => la.sdowndate(la.matrix(2, 2), 2), /sdowndate: argument p .*\[0, 1\].*2/);
      await expectReject(() => la.sdowndate(la.matrix(2, 3), 0), /sdowndate: argument Hinv .*square/);
      await expectReject(() => la.ddowndate(la.matrix(2, 2) as never, 0), /ddowndate: argument Hinv .*float64/);
      await expectReject(() => la.downdate(la.fromArray([0, 0, 0, 1], 2, 2, 'float64'), 0), /downdate: argument Hinv\[0, 0\] .*got 0/);
      // The pivot of a strided view is its own (1, 1), not the parent's.
      const big = la.fromArray([9, 9, 9, 9, 4, 2, 9, 2, 3], 3, 3);
      const V = big.view(1, 1, 2, 2);
      await la.sdowndate(V, 1);
      const v = await la.read(big);
      const frame = [0, 1, 2, 3, 6].every((i) => v[i] === 9) && v[5] === 0 && v[7] === 0 && v[8] === 0;
      check(frame && Math.abs(v[4] - 8 / 3) <= 1e-6, () => `view downdate gave ${v.join()} (want 9,9,9,9,8/3,0,9,0,0)`);
      const B = la.fromArray([4, 2, 2, 3], 2, 2);
      await expectReject(() => la.sdowndate(B, 5), /sdowndate: argument p/);
      const b = (await la.read(B)).join();
      check(b === '4,2,2,3', () => `a rejected call changed Hinv: ${b}`);
    },
  });
  return cases;
}
