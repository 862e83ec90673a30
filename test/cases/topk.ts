// stopk / dtopk: the selected index set equals the reference's exactly (ties go to the smaller
// index) and is checked independently here (every chosen entry ranks before every other one),
// over random, tied, sorted, reverse-sorted and organ-pipe vectors (the last defeats median-of-3
// pivots and exercises the heap-selection guard), n x 1 (strided) and 1 x n vectors.
import { type Case, type CaseContext, check, type Matrix, expectReject } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
type Kind = 'normal' | 'ties' | 'sorted' | 'reversed' | 'organ' | 'equal';

function values(kind: Kind, n: number, rng: Rng): number[] {
  switch (kind) {
    case 'normal': return rng.normals(n);
    case 'ties': return Array.from({ length: n }, () => rng.int(5) - 2);
    case 'sorted': return Array.from({ length: n }, (_, i) => i - n / 3);
    case 'reversed': return Array.from({ length: n }, (_, i) => n / 3 - i);
    case 'organ': return Array.from({ length: n }, (_, i) => Math.min(i, n - 1 - i));
    case 'equal': return Array.from({ length: n }, () => -1.5);
  }
}

function vector(la: CaseContext['la'], v: number[], dtype: DT, form: number, rng: Rng): Matrix {
  const n = v.length;
  if (form === 0) return la.fromArray(v, n, 1, dtype);
  if (form === 1) return la.fromArray(v, 1, n, dtype);
  // A column of a larger matrix: stride 3.
  const big = la.fromArray(rng.normals(n * 3 + 6), n + 2, 3, dtype);
  const x = big.view(1, 1, n, 1);
  la.write(x, v);
  return x;
}

/** Throws unless `got` is ascending, in range, and every chosen entry ranks before every other. */
function verify(name: string, got: Int32Array, v: ArrayLike<number>, k: number, byValue: boolean): void {
  check(got.length === k, () => `${name}: length ${got.length} != ${k}`);
  const chosen = new Uint8Array(v.length);
  for (let i = 0; i < k; i++) {
    check(got[i] >= 0 && got[i] < v.length && (i === 0 || got[i] > got[i - 1]), () => `${name}: not ascending/in range at ${i}: ${got[i]}`);
    chosen[got[i]] = 1;
  }
  const score = (i: number) => (byValue ? v[i] : Math.abs(v[i]));
  const ranksBefore = (a: number, b: number) => score(a) > score(b) || (score(a) === score(b) && a < b);
  let worst = -1, best = -1;
  for (let i = 0; i < v.length; i++) {
    if (chosen[i]) {
      if (worst < 0 || ranksBefore(worst, i)) worst = i;
    } else if (best < 0 || ranksBefore(i, best)) best = i;
  }
  check(worst < 0 || best < 0 || ranksBefore(worst, best), () => `${name}: chosen ${worst} (${v[worst]}) ranks after unchosen ${best} (${v[best]})`);
}

function topkCase(kind: Kind, n: number, dtype: DT, byValue: boolean, seed: number): Case {
  const name = `${dtype === 'float32' ? 's' : 'd'}topk ${kind} n=${n} by ${byValue ? 'value' : 'abs'} seed ${seed}`;
  return {
    name,
    deviceNeutral: true,
    async run({ la, ref }) {
      const rng = new Rng(seed);
      const v = values(kind, n, rng);
      const ks = [...new Set([0, 1, 2, n >> 1, n - 1, n, rng.int(n + 1)])].filter((k) => k >= 0 && k <= n);
      for (const k of ks) {
        const form = (seed + k) % 3;
        const x = vector(la, v, dtype, form, rng);
        const stored = await la.read(x);
        const opts = byValue ? { by: 'value' as const } : undefined;
        const got = dtype === 'float32' ? await la.stopk(x as never, k, opts) : await la.dtopk(x as never, k, opts);
        const want = await ref.dtopk(ref.fromArray(stored, n, 1, 'float64') as never, k, opts);
        const what = `${name} k=${k} form ${form}`;
        check(got.join() === want.join(), () => `${what}: got [${got.slice(0, 12).join()}…], want [${want.slice(0, 12).join()}…]`);
        verify(what, got, stored, k, byValue);
      }
    },
  };
}

export function topkCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1300;
  for (const dtype of ['float32', 'float64'] as DT[]) {
    for (const kind of ['normal', 'ties', 'sorted', 'reversed', 'organ', 'equal'] as Kind[]) {
      for (const n of [1, 3, 17, 130, 10000]) {
        for (const byValue of [false, true]) cases.push(topkCase(kind, n, dtype, byValue, seed++));
      }
    }
  }
  cases.push({
    name: 'stopk: documented examples, -0 ties with 0, NaN is an error naming x',
    deviceNeutral: true,
    async run({ la }) {
      const x = la.fromArray([0.5, -3, 2, 0], 4, 1);
      const abs = (await la.stopk(x, 2)).join(), byValue = (await la.stopk(x, 2, { by: 'value' })).join();
      check(abs === '1,2', () => `abs gave ${abs}`);
      check(byValue === '0,2', () => `value gave ${byValue}`);
      const zeros = (await la.stopk(la.fromArray([-0, 0, -0], 1, 3), 2)).join();
      check(zeros === '0,1', () => `-0 / 0 tie not broken by index: ${zeros}`);
      // The dtype-generic entry, with the indices also written to an int32 vector in backend
      // storage: a row, a column, and a column of a larger matrix.
      const frame = la.matrix(4, 3, 'int32');
      for (const into of [la.matrix(1, 2, 'int32'), la.matrix(2, 1, 'int32'), frame.view(1, 1, 2, 1)]) {
        const generic = await la.topk(la.fromArray([0.5, -3, 2, 0], 1, 4, 'float64'), 2, undefined, into);
        const stored = (await la.read(into)).join();
        check(generic.join() === '1,2' && stored === '1,2', () => `topk (float64) gave ${generic.join()}, into ${into.rows}x${into.cols}: ${stored}`);
      }
      const f = (await la.read(frame)).join();
      check(f === '0,0,0,0,1,0,0,2,0,0,0,0', () => `topk into a view wrote outside it: ${f}`);
      for (const at of [0, 5, 16]) {
        const v = Array.from({ length: 17 }, (_, i) => i);
        v[at] = NaN;
        await expectReject(() => la.stopk(la.fromArray(v, 17, 1), 3), new RegExp(`stopk: argument x .*NaN at index ${at}`));
      }
    },
  });
  cases.push({
    name: 'stopk rejects bad arguments with their names',
    deviceNeutral: true,
    async run({ la }) {
      const x = la.matrix(5, 1);
      await expectReject(() => la.stopk(la.matrix(2, 3), 1), /stopk: argument x .*vector.*2x3/);
      await expectReject(() => la.stopk(x, 6), /stopk: argument k .*\[0, 5\].*6/);
      await expectReject(() => la.stopk(x, -1), /stopk: argument k .*-1/);
      await expectReject(() => la.stopk(x, 1.5), /stopk: argument k .*integer/);
      await expectReject(() => la.stopk(x, 1, { by: 'max' as never }), /options\.by .*"max"/);
      await expectReject(() => la.dtopk(x as never, 1), /dtopk: argument x .*float64/);
      await expectReject(() => la.topk(x, 2, undefined, la.matrix(3, 1, 'int32')), /topk: argument into .*vector of 2/);
      await expectReject(() => la.topk(x, 2, undefined, la.matrix(2, 1) as never), /topk: argument into .*int32/);
    },
  });
  return cases;
}
