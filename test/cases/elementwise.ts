// The elementwise, reduction and mask kernels (copy and convert, fill, addDiagonal, diagonal,
// deadInputs, zeroColumns, axpby, applyMask, firstNonFinite, dot, objective, symmetryViolation,
// maskCounts, maskDifference, maskViolation, obcAllocate) through the async facade, every backend
// held to float64 computations written here from the values as stored (read back), not to the
// reference backend:
// - odd sizes (1, 3, 17, 130) and non-square ones, strided windows inside larger matrices (whose
//   frame must come back untouched), several seeds, float32 and float64 (and mixed dtypes where
//   a kernel takes them);
// - half precision: a float16/bfloat16 codec written here from the definitions (decoding by the
//   formula, encoding by a search of the monotone table of finite values, so rounding to nearest
//   even is checked independently); all 65,536 patterns of each through copy both ways (decode
//   exactness, encode round trip), every midpoint between neighbours (ties to even) and just off;
// - edge cases: NaN/Inf for firstNonFinite and obcAllocate, ties for obcAllocate, beta = 0 with
//   NaN in Y for axpby, NaN where applyMask prunes, empty matrices, N:M groups for maskCounts;
// - validation through the facade: wrong shape, wrong dtype, a freed matrix.
// Every case also checks that the backend's live bytes come back to where they were.
import type * as Lib from '../../src/index.js';
import { type Case, type CaseContext, check, eps } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
type Storage = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'uint8' | 'int32';
type La = CaseContext['la'];
type AnyMatrix = Lib.Matrix<any>;
type Mask = Lib.Matrix<'uint8'>;
type Scope = ReturnType<La['scope']>;

const DTYPES: DT[] = ['float32', 'float64'];
const SHAPES: [number, number][] = [[1, 1], [3, 3], [17, 17], [130, 130], [5, 130], [130, 3]];
const SQUARE = [1, 3, 17, 130];
/** Each (kernel, dtype, shape) runs with these many seeds; odd runs use strided windows. */
const RUNS = 2;

// ---- half precision, from the definitions --------------------------------------------------

const f32buf = new Float32Array(1), u32buf = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1), u64buf = new BigUint64Array(f64buf.buffer);

/** The value of a float16 pattern: (-1)^s · 2^(e−15) · 1.f, or 2⁻¹⁴ · 0.f for e = 0. */
function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, f = h & 1023;
  if (e === 31) return f ? NaN : s * Infinity;
  return e === 0 ? s * f * 2 ** -24 : s * (1024 + f) * 2 ** (e - 25);
}

/** The value of a bfloat16 pattern: the top 16 bits of a float32. */
function bf16Value(h: number): number {
  u32buf[0] = (h & 0xffff) << 16;
  return f32buf[0];
}

/** A format's finite non-negative values by pattern (0 … last, increasing) and the value the next pattern would have. */
interface HalfFormat {
  table: Float64Array;
  beyond: number;
  nan: (h: number) => boolean;
}

function format(value: (h: number) => number, last: number, beyond: number): HalfFormat {
  const table = Float64Array.from({ length: last + 1 }, (_, h) => value(h));
  return { table, beyond, nan: (h) => Number.isNaN(value(h)) };
}

const F16 = format(f16Value, 0x7bff, 65536);
const BF16 = format(bf16Value, 0x7f7f, 2 ** 128);

/** The pattern nearest to x ≥ 0 (ties to the even pattern; at or past the last midpoint: Inf). */
function nearest(x: number, f: HalfFormat): number {
  const t = f.table, last = t.length - 1;
  let lo = 0, hi = last;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  if (t[lo] === x) return lo;
  const up = lo < last ? t[lo + 1] : f.beyond;
  const midpoint = (t[lo] + up) / 2; // exact: both have few significant bits
  if (x < midpoint) return lo;
  if (x > midpoint) return lo + 1;
  return lo % 2 === 0 ? lo : lo + 1;
}

/** The float16 pattern of x, or null for NaN (any NaN pattern will do). */
function toF16(x: number): number | null {
  if (Number.isNaN(x)) return null;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  return sign | nearest(Math.abs(x), F16);
}

/** The bfloat16 pattern of x (rounded to float32 first, as the contract says), or null for NaN. */
function toBf16(x: number): number | null {
  if (Number.isNaN(x)) return null;
  const y = Math.fround(x);
  const sign = y < 0 || Object.is(y, -0) ? 0x8000 : 0;
  return sign | nearest(Math.abs(y), BF16);
}

/** The next float32 above (dir 1) or below (dir -1) a positive float32 x. */
function nextF32(x: number, dir: 1 | -1): number {
  f32buf[0] = x;
  u32buf[0] += dir;
  return f32buf[0];
}

/** The next float64 above (dir 1) or below (dir -1) a positive x. */
function nextF64(x: number, dir: 1 | -1): number {
  f64buf[0] = x;
  u64buf[0] += BigInt(dir);
  return f64buf[0];
}

// ---- helpers ---------------------------------------------------------------------------------

/** Runs body with a scope whose matrices are freed afterwards, and checks nothing leaked. */
async function scoped(la: La, body: (s: Scope) => Promise<void>): Promise<void> {
  const before = la.liveBytes();
  const s = la.scope();
  try {
    await body(s);
  } finally {
    s.free();
  }
  check(la.liveBytes() === before, () => `live bytes ${la.liveBytes()} after the case, ${before} before`);
}

/** Random values for a storage dtype: normals for floats, raw patterns for halves, integers otherwise. */
function randomValues(rng: Rng, n: number, dtype: Storage): number[] {
  switch (dtype) {
    case 'float16':
    case 'bfloat16':
      return Array.from({ length: n }, () => rng.int(65536));
    case 'uint8':
      return Array.from({ length: n }, () => rng.int(256));
    case 'int32':
      return Array.from({ length: n }, () => rng.int(2 ** 32) - 2 ** 31);
    default:
      return rng.normals(n);
  }
}

/** A rows x cols operand: a plain matrix, or a window at (1, 2) of a larger one with a random frame. */
class Placed {
  private constructor(readonly M: AnyMatrix, readonly big: AnyMatrix | null, readonly frame: ArrayLike<number> | null) {}

  static async make(la: La, s: Scope, rng: Rng, values: ArrayLike<number>, rows: number, cols: number, dtype: Storage, strided: boolean): Promise<Placed> {
    if (!strided) return new Placed(s.track(la.fromArray(values, rows, cols, dtype)), null, null);
    const R = rows + 3, C = cols + 5;
    const big = s.track(la.fromArray(randomValues(rng, R * C, dtype), R, C, dtype));
    const M = big.view(1, 2, rows, cols);
    la.write(M, values);
    return new Placed(M, big, await la.read(big));
  }

  /** Checks every element outside the window is as it was (bit for bit, NaN patterns aside). */
  async checkFrame(la: La, what: string): Promise<void> {
    if (!this.big || !this.frame) return;
    const now = await la.read(this.big), C = this.big.cols;
    for (let k = 0; k < now.length; k++) {
      const i = Math.floor(k / C), j = k % C;
      if (i >= 1 && i < 1 + this.M.rows && j >= 2 && j < 2 + this.M.cols) continue;
      check(Object.is(now[k], this.frame[k]), () => `${what}: frame element (${i}, ${j}) changed from ${this.frame![k]} to ${now[k]}`);
    }
  }
}

/** Makes a placed operand, strided or not, and reads back what it holds. */
async function place(la: La, s: Scope, rng: Rng, values: ArrayLike<number>, rows: number, cols: number, dtype: Storage, strided: boolean): Promise<[Placed, number[]]> {
  const p = await Placed.make(la, s, rng, values, rows, cols, dtype, strided);
  return [p, Array.from(await la.read(p.M))];
}

/** Checks two arrays are equal element for element (Object.is: -0 and NaN count). */
function expectSame(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  check(got.length === want.length, () => `${what}: length ${got.length}, want ${want.length}`);
  for (let k = 0; k < got.length; k++) check(Object.is(got[k], want[k]), () => `${what}: element ${k} is ${got[k]}, want ${want[k]}`);
}

/** Checks |got_k − want_k| <= tol_k for every k (NaN fails). */
function expectWithin(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: (k: number) => number): void {
  check(got.length === want.length, () => `${what}: length ${got.length}, want ${want.length}`);
  for (let k = 0; k < got.length; k++) {
    const d = Math.abs(got[k] - want[k]);
    check(d <= tol(k) || Object.is(got[k], want[k]), () => `${what}: element ${k} is ${got[k]}, want ${want[k]} (error ${d}, tolerance ${tol(k)})`);
  }
}

/** Checks |got − want| <= tol for one number; a non-finite want (or tolerance) must be matched exactly. */
function expectNear(what: string, got: number, want: number, tol: number): void {
  const ok = Number.isFinite(want) && Number.isFinite(tol) ? Math.abs(got - want) <= tol : Object.is(got, want);
  check(ok, () => `${what}: got ${got}, want ${want} (tolerance ${tol})`);
}

/** Awaits f and checks it rejects (or throws) with a message matching pattern. */
async function expectReject(f: () => unknown, pattern: RegExp): Promise<void> {
  let msg = '(no error)';
  try {
    await f();
  } catch (e) {
    msg = (e as Error).message;
  }
  check(pattern.test(msg), () => `expected an error matching ${pattern}, got ${JSON.stringify(msg)}`);
}

const round = (dtype: DT, v: number): number => (dtype === 'float32' ? Math.fround(v) : v);

/** One case per dtype, shape and run, with a fresh seed each; `strided` alternates. */
function grid(kernel: string, dtypes: readonly string[], shapes: readonly [number, number][],
  body: (ctx: CaseContext, rng: Rng, dtype: string, rows: number, cols: number, strided: boolean, s: Scope) => Promise<void>): Case[] {
  const cases: Case[] = [];
  let seed = 1;
  for (const dtype of dtypes) {
    for (const [rows, cols] of shapes) {
      for (let run = 0; run < RUNS; run++) {
        const strided = run % 2 === 1, mySeed = 1000 * kernel.length + seed++;
        cases.push({
          name: `${kernel} ${dtype} ${rows}x${cols}${strided ? ' strided' : ''} seed ${mySeed}`,
          // Operands go in and out through la.write / la.read only (Placed), so the grid runs
          // on the strict and device backends too.
          deviceNeutral: true,
          run: (ctx) => scoped(ctx.la, (s) => body(ctx, new Rng(mySeed), dtype, rows, cols, strided, s)),
        });
      }
    }
  }
  return cases;
}

// ---- copy and convert ---------------------------------------------------------------------------

/** Values a float test feeds to conversions: random magnitudes and every awkward spot of the half formats. */
function conversionInputs(rng: Rng, n: number): number[] {
  const special = [0, -0, Infinity, -Infinity, NaN, 65504, 65519, 65520, 65536, -65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26,
    2 ** -14, 1e-10, 3.4028234663852886e38, 1e300, -1e-300, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 2 ** 128 * (1 - 2 ** -9)];
  return Array.from({ length: n }, (_, k) => (k < special.length && rng.uniform() < 0.5 ? special[k] : rng.normal() * 2 ** (rng.int(50) - 30)));
}

/** The value of an element of a float dtype (half formats hold patterns). */
function valueOf(dtype: Storage, v: number): number {
  return dtype === 'float16' ? f16Value(v) : dtype === 'bfloat16' ? bf16Value(v) : v;
}

/** What converting the number x into dtype stores (null: some NaN). */
function encode(dtype: Storage, x: number): number | null {
  if (dtype === 'float16') return toF16(x);
  if (dtype === 'bfloat16') return toBf16(x);
  if (Number.isNaN(x)) return null;
  return dtype === 'float32' ? Math.fround(x) : x;
}

/** Checks stored elements of dtype against encoded expectations (null: must be NaN). */
function expectEncoded(what: string, dtype: Storage, got: ArrayLike<number>, want: (number | null)[]): void {
  check(got.length === want.length, () => `${what}: length ${got.length}, want ${want.length}`);
  for (let k = 0; k < got.length; k++) {
    const w = want[k];
    if (w === null) check(Number.isNaN(valueOf(dtype, got[k])), () => `${what}: element ${k} is ${got[k]}, want a NaN`);
    else check(Object.is(got[k], w), () => `${what}: element ${k} is ${got[k]}${dtype.includes('16') ? ` (0x${got[k].toString(16)})` : ''}, want ${w}`);
  }
}

function copyCases(): Case[] {
  const same = grid('copy', ['float32', 'float64', 'float16', 'bfloat16', 'uint8', 'int32'], SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const d = dtype as Storage;
    const [A, a] = await place(la, s, rng, randomValues(rng, rows * cols, d), rows, cols, d, strided);
    const [B] = await place(la, s, rng, randomValues(rng, rows * cols, d), rows, cols, d, !strided || rows === 17);
    await la.copy(A.M, B.M);
    expectSame(`copy ${dtype}`, await la.read(B.M), a);
    await B.checkFrame(la, 'copy B');
    await A.checkFrame(la, 'copy A');
  });
  const floats: Storage[] = ['float32', 'float64', 'float16', 'bfloat16'];
  const pairs = floats.flatMap((from) => floats.filter((to) => to !== from).map((to) => `${from}>${to}`));
  const convert = grid('convert', pairs, [[1, 1], [3, 3], [17, 17], [130, 130], [5, 130], [130, 3]], async ({ la }, rng, pair, rows, cols, strided, s) => {
    const [from, to] = pair.split('>') as [Storage, Storage];
    const n = rows * cols;
    const input = from.includes('16') ? randomValues(rng, n, from) : conversionInputs(rng, n);
    const [A, a] = await place(la, s, rng, input, rows, cols, from, strided);
    const [B] = await place(la, s, rng, randomValues(rng, n, to), rows, cols, to, strided);
    await la.copy(A.M, B.M);
    expectEncoded(`convert ${pair}`, to, await la.read(B.M), a.map((v) => encode(to, valueOf(from, v))));
    await B.checkFrame(la, 'convert B');
    // The allocating form: la.convert / la.copy with a dtype make a new matrix.
    const C = s.track(await la.copy(A.M, undefined, to));
    check(C.dtype === to && C.rows === rows && C.cols === cols, () => `copy with dtype made a ${C.rows}x${C.cols} ${C.dtype}`);
    expectEncoded(`copy(A, undefined, ${to})`, to, await la.read(C), a.map((v) => encode(to, valueOf(from, v))));
  });
  return [...same, ...convert, ...halfPatternCases(), ...midpointCases(), ...nanPayloadCases(), ...subnormalConversionCases()];
}

/**
 * float64 → float32 where rounding is hardest: results below 2^-126 (subnormal), exact ties
 * between two float32s (normal and subnormal), 2^-150 (a tie with 0), the overflow edge; and
 * float32 subnormals widened to float64 exactly. Held to Math.fround bit for bit.
 */
function subnormalConversionCases(): Case[] {
  const values = (rng: Rng): number[] => {
    const out: number[] = [2 ** -150, -(2 ** -150), 2 ** -150 * (1 + 2 ** -40), 3 * 2 ** -150, 2 ** -149, 2 ** -126 * (1 - 2 ** -25), 2 ** 128 * (1 - 2 ** -25), 2 ** 128 * (1 - 2 ** -24)];
    for (let k = 0; k < 600; k++) {
      const sign = rng.uniform() < 0.5 ? -1 : 1;
      out.push(sign * (rng.int(2 ** 23) + 0.5) * 2 ** -149); // subnormal ties
      out.push(sign * (rng.int(2 ** 23) + rng.uniform()) * 2 ** -149); // subnormal, not ties
      out.push(sign * ((2 * rng.int(2 ** 23) + 1) / 2) * 2 ** (rng.int(200) - 100 - 23)); // normal ties
    }
    return out;
  };
  return [
    {
      name: 'convert float64>float32 rounds subnormal results, ties and the overflow edge to nearest even',
      deviceNeutral: true,
      run: ({ la }) => scoped(la, async (s) => {
        const v = values(new Rng(4242));
        const A = s.track(la.fromArray(v, 1, v.length, 'float64'));
        const got = await la.read(s.track(await la.copy(A, undefined, 'float32')));
        expectSame('float64>float32', got, v.map((x) => Math.fround(x)));
      }),
    },
    {
      name: 'convert float32>float64 widens float32 subnormals exactly',
      deviceNeutral: true,
      run: ({ la }) => scoped(la, async (s) => {
        const rng = new Rng(4343);
        const v = Array.from({ length: 1000 }, (_, k) => (k % 2 ? -1 : 1) * (1 + rng.int(2 ** 23 - 1)) * 2 ** -149);
        const A = s.track(la.fromArray(v, 1, v.length, 'float32'));
        const got = await la.read(s.track(await la.copy(A, undefined, 'float64')));
        expectSame('float32>float64', got, v);
      }),
    },
  ];
}

/** NaNs with payloads (quiet, top and bottom payload bits, both signs) stay NaN through every narrowing. */
function nanPayloadCases(): Case[] {
  const bits = [0x7ff8000000000000n, 0xfff8000000000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn, 0x7ff8000020000000n,
    0x7ffc000000000000n, 0x7fffffffe0000000n, 0x7ff80000ffffffffn];
  const nans = new Float64Array(new BigUint64Array(bits).buffer);
  return (['float32', 'float64'] as const).flatMap((wide) => (['float16', 'bfloat16', 'float32'] as const).filter((to) => to !== wide).map((to): Case => ({
    name: `convert ${wide} NaNs with payloads to ${to}`,
    run: ({ la }) => scoped(la, async (s) => {
      const A = s.track(la.fromArray(nans, 1, nans.length, wide));
      const got = await la.read(s.track(await la.copy(A, undefined, to)));
      got.forEach((v, k) => check(Number.isNaN(valueOf(to, v)), () => `NaN 0x${bits[k].toString(16)} became ${v} in ${to}`));
    }),
  })));
}

/** All 65,536 patterns of a half format: decode to float32/float64 exactly, encode back to the same pattern. */
function halfPatternCases(): Case[] {
  return (['float16', 'bfloat16'] as const).flatMap((half) => (['float32', 'float64'] as const).map((wide): Case => ({
    name: `copy all 65,536 ${half} patterns to ${wide} and back`,
    run: ({ la }) => scoped(la, async (s) => {
      const patterns = Uint16Array.from({ length: 65536 }, (_, h) => h);
      const value = half === 'float16' ? f16Value : bf16Value;
      const H = s.track(la.fromArray(patterns, 1, 65536, half));
      const W = s.track(await la.convert(H, wide));
      const got = await la.read(W);
      for (let h = 0; h < 65536; h++) {
        const want = value(h);
        if (Number.isNaN(want)) check(Number.isNaN(got[h]), () => `${half} 0x${h.toString(16)} decoded to ${got[h]}, want NaN`);
        else check(Object.is(got[h], want), () => `${half} 0x${h.toString(16)} decoded to ${got[h]}, want ${want}`);
      }
      const back = await la.read(s.track(await la.copy(W, undefined, half)));
      for (let h = 0; h < 65536; h++) {
        if (Number.isNaN(value(h))) check(Number.isNaN(value(back[h])), () => `${half} NaN 0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
        else check(back[h] === h, () => `${half} 0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
      }
    }),
  })));
}

/**
 * Every midpoint between neighbouring finite patterns of a half format (and between the largest
 * finite and the overflow point), both signs, goes to the even pattern; one step of the source
 * dtype either side goes to the nearer one (float64 → bfloat16: to the even one, as the value is
 * rounded to float32 first).
 */
function midpointCases(): Case[] {
  const cases: Case[] = [];
  for (const half of ['float16', 'bfloat16'] as const) {
    for (const wide of ['float32', 'float64'] as const) {
      cases.push({
        name: `copy ${wide} midpoints of ${half} round to even, off-midpoints to nearest`,
        run: ({ la }) => scoped(la, async (s) => {
          const f = half === 'float16' ? F16 : BF16, t = f.table, last = t.length - 1;
          const values: number[] = [], want: number[] = [];
          const next = wide === 'float32' ? nextF32 : nextF64;
          for (let p = 0; p <= last; p++) {
            const up = p < last ? t[p + 1] : f.beyond, m = (t[p] + up) / 2;
            const even = p % 2 === 0 ? p : p + 1;
            // float64 → bfloat16 rounds to float32 first: one float64 step off a midpoint lands on it.
            const twice = half === 'bfloat16' && wide === 'float64';
            const offs: [number, number][] = [[m, even], [next(m, -1), twice ? even : p], [next(m, 1), twice ? even : p + 1]];
            for (const [v, w] of offs) {
              values.push(v, -v);
              want.push(w, 0x8000 | w);
            }
          }
          const A = s.track(la.fromArray(values, 1, values.length, wide));
          expectSame(`${wide} midpoints are exact`, await la.read(A), values);
          const got = await la.read(s.track(await la.copy(A, undefined, half)));
          for (let k = 0; k < values.length; k++) {
            check(got[k] === want[k], () => `${wide} ${values[k]} → ${half} 0x${got[k].toString(16)}, want 0x${want[k].toString(16)}`);
          }
        }),
      });
    }
  }
  return cases;
}

// ---- fill, diagonal kernels ---------------------------------------------------------------------

function fillCases(): Case[] {
  return grid('fill', ['float32', 'float64', 'float16', 'bfloat16', 'uint8', 'int32'], SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const d = dtype as Storage;
    const value = d === 'uint8' ? rng.int(256) : d === 'int32' ? rng.int(2 ** 32) - 2 ** 31 : rng.uniform() < 0.2 ? NaN : rng.normal() * 100;
    const [A] = await place(la, s, rng, randomValues(rng, rows * cols, d), rows, cols, d, strided);
    await la.fill(A.M, value);
    const want = encode(d, value);
    expectEncoded(`fill ${dtype} ${value}`, d, await la.read(A.M), new Array(rows * cols).fill(want));
    await A.checkFrame(la, 'fill');
  });
}

function addDiagonalCases(): Case[] {
  return grid('addDiagonal', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT, alpha = rng.normal() * 10;
    const [A, a] = await place(la, s, rng, rng.normals(rows * cols), rows, cols, dt, strided);
    await la.addDiagonal(A.M as Lib.Matrix, alpha);
    const got = await la.read(A.M);
    const want = a.map((v, k) => (Math.floor(k / cols) === k % cols ? round(dt, v + alpha) : v));
    expectWithin(`addDiagonal ${dtype}`, got, want, (k) => (Math.floor(k / cols) === k % cols ? 2 * eps(dt) * (Math.abs(a[k]) + Math.abs(alpha)) : 0));
    await A.checkFrame(la, 'addDiagonal');
  });
}

function diagonalCases(): Case[] {
  const pairs = ['float32>float32', 'float64>float64', 'float32>float64', 'float64>float32'];
  const shapes = SHAPES;
  return ['copy', 'reciprocal'].flatMap((op) => grid(`diagonal ${op}`, pairs, shapes, async ({ la }, rng, pair, rows, cols, strided, s) => {
    const [da, dx] = pair.split('>') as [DT, DT];
    const n = Math.min(rows, cols);
    const [A, a] = await place(la, s, rng, rng.normals(rows * cols).map((v) => v + Math.sign(v)), rows, cols, da, strided);
    const column = rng.uniform() < 0.5; // n x 1 (a strided column when strided) or 1 x n
    const [X] = await place(la, s, rng, rng.normals(n), column ? n : 1, column ? 1 : n, dx, strided);
    await la.diagonal(A.M as Lib.Matrix, X.M as Lib.Matrix, op as 'copy' | 'reciprocal');
    const d = Array.from({ length: n }, (_, j) => a[j * cols + j]);
    const want = d.map((v) => round(dx, op === 'copy' ? v : 1 / v));
    expectWithin(`diagonal ${op} ${pair}`, await la.read(X.M), want, (j) => (op === 'copy' ? 0 : 2 * eps(dx) * Math.abs(want[j])));
    await X.checkFrame(la, 'diagonal x');
  }));
}

function deadInputsCases(): Case[] {
  return grid('deadInputs', DTYPES, SQUARE.map((n): [number, number] => [n, n]), async ({ la }, rng, dtype, n, _n, strided, s) => {
    const dt = dtype as DT;
    const h = rng.normals(n * n);
    for (let j = 0; j < n; j++) if (rng.uniform() < 0.3) h[j * n + j] = rng.uniform() < 0.5 ? 0 : -0;
    const [H, hv] = await place(la, s, rng, h, n, n, dt, strided);
    const [D] = await place(la, s, rng, Array.from({ length: n }, () => 7), 1, n, 'uint8', strided);
    const count = await la.deadInputs(H.M as Lib.Matrix, D.M as Mask);
    const dead = Array.from({ length: n }, (_, j): number => (hv[j * n + j] === 0 ? 1 : 0));
    const want = dead.reduce((x, y) => x + y, 0);
    check(count === want, () => `deadInputs counted ${count}, want ${want}`);
    expectSame('deadInputs mask', await la.read(D.M), dead);
    expectSame('deadInputs H', await la.read(H.M), hv.map((v, k) => (Math.floor(k / n) === k % n && dead[k % n] ? 1 : v)));
    await H.checkFrame(la, 'deadInputs H');
    await D.checkFrame(la, 'deadInputs dead');
  });
}

// ---- elementwise updates ----------------------------------------------------------------------

/** Mask bytes: 0 (pruned) with probability p0, otherwise 1 or now and then another nonzero byte. */
function maskBytes(rng: Rng, n: number, p0 = 0.5, other = true): number[] {
  return Array.from({ length: n }, () => (rng.uniform() < p0 ? 0 : other && rng.uniform() < 0.2 ? 1 + rng.int(255) : 1));
}

function gramDiagonalCases(): Case[] {
  const general = grid('gramDiagonal', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT;
    const [A, a] = await place(la, s, rng, rng.normals(rows * cols).map((v, k) => (k % cols === 2 ? 0 : v)), rows, cols, dt, strided);
    for (const op of ['copy', 'reciprocal'] as const) {
      // x as a row, or (odd cols) a column of a wider matrix, so its stride is not 1.
      const column = cols % 2 === 1;
      const X = s.track(la.matrix(column ? cols : 1, column ? 2 : cols, dt));
      const x = column ? X.view(0, 1, cols, 1) : X;
      await la.gramDiagonal(A.M as Lib.Matrix, x, op);
      const got = await la.read(x);
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        for (let i = 0; i < rows; i++) sum += a[i * cols + j] ** 2;
        const v = op === 'reciprocal' ? 1 / sum : sum, want = dt === 'float32' ? Math.fround(v) : v;
        check(got[j] === want, () => `gramDiagonal ${op} x[${j}] = ${got[j]}, want ${want}`);
      }
    }
    await A.checkFrame(la, 'gramDiagonal');
  });
  // Bit for bit at the ends of each dtype's range: squares and sums that overflow, underflow to
  // subnormals or to 0, reciprocals of those, NaN and ±Inf; each column has its own scale.
  const extremes: Case = {
    name: 'gramDiagonal bit for bit: overflow, subnormal and zero sums, their reciprocals, NaN and ±Inf',
    deviceNeutral: true,
    run: ({ la }) => scoped(la, async (s) => {
      const rng = new Rng(9191);
      const scales: Record<DT, number[]> = {
        float32: [1, 3e38, 1e19, 1.2e-19, 1e-23, 2.5e-22, 1e-38, 1e-45, 0],
        float64: [1, 1e200, 1e154, 1.5e-154, 1e-162, 3e-161, 1e-308, 5e-324, 0],
      };
      for (const dt of ['float32', 'float64'] as const) {
        const rows = 6, cols = scales[dt].length + 3;
        const values = Array.from({ length: rows * cols }, (_, k) => {
          const j = k % cols;
          if (j === cols - 3) return k === j + cols ? NaN : rng.normal();
          if (j === cols - 2) return k === j + 2 * cols ? -Infinity : rng.normal();
          if (j === cols - 1) return k === j ? Infinity : 0;
          return rng.normal() * scales[dt][j];
        });
        const [A, a] = await place(la, s, rng, values, rows, cols, dt, true);
        for (const op of ['copy', 'reciprocal'] as const) {
          const x = s.track(la.matrix(1, cols, dt));
          await la.gramDiagonal(A.M as Lib.Matrix, x, op);
          const want = Array.from({ length: cols }, (_, j) => {
            let sum = 0;
            for (let i = 0; i < rows; i++) sum += a[i * cols + j] * a[i * cols + j];
            const v = op === 'reciprocal' ? 1 / sum : sum;
            return dt === 'float32' ? Math.fround(v) : v;
          });
          expectSame(`gramDiagonal ${dt} ${op}`, await la.read(x), want);
        }
      }
    }),
  };
  return [...general, extremes];
}

function scaleRowsCases(): Case[] {
  return grid('scaleRows', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT;
    const [A, a] = await place(la, s, rng, rng.normals(rows * cols), rows, cols, dt, strided);
    // x as a row, or (odd rows) a column of a wider matrix, so its stride is not 1.
    const xv = rng.normals(rows).map((v, i) => (i % 7 === 3 ? 0 : v));
    const column = rows % 2 === 1;
    const X = s.track(la.fromArray(column ? xv.flatMap((v) => [v, 9]) : xv, column ? rows : 1, column ? 2 : rows, dt));
    const x = column ? X.view(0, 0, rows, 1) : X;
    const xs = Array.from(await la.read(x));
    await la.scaleRows(A.M as Lib.Matrix, x);
    const got = await la.read(A.M);
    a.forEach((v, k) => {
      const p = xs[Math.floor(k / cols)] * v, want = dt === 'float32' ? Math.fround(p) : p;
      check(Object.is(got[k], want), () => `scaleRows element ${k}: ${got[k]}, want ${want}`);
    });
    await A.checkFrame(la, 'scaleRows');
  });
}

function zeroColumnsCases(): Case[] {
  return grid('zeroColumns', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT;
    const [A, a] = await place(la, s, rng, rng.normals(rows * cols), rows, cols, dt, strided);
    const [C, c] = await place(la, s, rng, maskBytes(rng, cols, 0.6), 1, cols, 'uint8', strided);
    await la.zeroColumns(A.M as Lib.Matrix, C.M as Mask);
    const got = await la.read(A.M);
    a.forEach((v, k) => {
      const want = c[k % cols] !== 0 ? 0 : v;
      check(got[k] === want && (want === 0 || Object.is(got[k], want)), () => `zeroColumns element ${k}: ${got[k]}, want ${want}`);
    });
    await A.checkFrame(la, 'zeroColumns');
  });
}

function axpbyCases(): Case[] {
  const general = grid('axpby', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT, n = rows * cols;
    const alpha = rng.normal(), beta = rng.uniform() < 0.3 ? 0 : rng.normal();
    const y0 = rng.normals(n);
    if (beta === 0) for (let k = 0; k < n; k += 1 + rng.int(4)) y0[k] = NaN; // must not survive
    const [X, x] = await place(la, s, rng, rng.normals(n), rows, cols, dt, strided);
    const [Y, y] = await place(la, s, rng, y0, rows, cols, dt, !strided);
    await la.axpby(alpha, X.M as Lib.Matrix, beta, Y.M as Lib.Matrix);
    const want = x.map((v, k) => round(dt, beta === 0 ? alpha * v : alpha * v + beta * y[k]));
    const tol = (k: number) => 2 * eps(dt) * (Math.abs(alpha * x[k]) + (beta === 0 ? 0 : Math.abs(beta * y[k])));
    expectWithin(`axpby ${dtype} alpha ${alpha} beta ${beta}`, await la.read(Y.M), want, tol);
    await X.checkFrame(la, 'axpby X');
    await Y.checkFrame(la, 'axpby Y');
  });
  const aliased = DTYPES.map((dt): Case => ({
    name: `axpby ${dt} with X = Y (the same view)`,
    run: ({ la }) => scoped(la, async (s) => {
      const rng = new Rng(77);
      const [Y, y] = await place(la, s, rng, rng.normals(17 * 130), 17, 130, dt, true);
      await la.axpby(0.75, Y.M as Lib.Matrix, -2, Y.M as Lib.Matrix);
      expectWithin(`axpby X = Y ${dt}`, await la.read(Y.M), y.map((v) => round(dt, 0.75 * v - 2 * v)), (k) => 4 * eps(dt) * Math.abs(y[k]));
      await Y.checkFrame(la, 'axpby X = Y');
    }),
  }));
  // float64 bit for bit: every backend forms alpha·x and beta·y each rounded once, then their sum
  // rounded once (no fused multiply-add), so all agree with JavaScript's own arithmetic, also for
  // NaN, ±Inf, signed zeros, subnormal results (gradual underflow) and overflow to ±Inf.
  const exact: Case = {
    name: 'axpby float64 bit for bit: special values, subnormals, overflow, random exponents',
    deviceNeutral: true,
    run: ({ la }) => scoped(la, async (s) => {
      const rng = new Rng(4242);
      const special = [0, -0, NaN, Infinity, -Infinity, 5e-324, -2.5e-310, 2.2250738585072014e-308, Number.MAX_VALUE, -1.5e308, 1e-300, 1, -1];
      const value = () => (rng.uniform() < 0.3 ? special[rng.int(special.length)]
        : (rng.uniform() < 0.5 ? -1 : 1) * (1 + rng.uniform()) * 2 ** (rng.int(2098) - 1074));
      const pairs: [number, number][] = [[1, 1], [-1, 1], [0.75, -2], [1e300, 1e10], [1e-300, -1e-20], [3, 0], [0, 1], [-0, 2.5], [5e-324, 1], [Math.PI, -Math.E]];
      const rows = 7, cols = 13;
      for (const [alpha, beta] of pairs) {
        const [X, x] = await place(la, s, rng, Array.from({ length: rows * cols }, value), rows, cols, 'float64', true);
        const [Y, y] = await place(la, s, rng, Array.from({ length: rows * cols }, value), rows, cols, 'float64', false);
        await la.axpby(alpha, X.M as Lib.Matrix, beta, Y.M as Lib.Matrix);
        expectSame(`axpby float64 alpha ${alpha} beta ${beta}`, await la.read(Y.M), x.map((v, k) => (beta === 0 ? alpha * v : alpha * v + beta * y[k])));
        await X.checkFrame(la, 'axpby X');
      }
    }),
  };
  return [...general, ...aliased, exact];
}

function applyMaskCases(): Case[] {
  return grid('applyMask', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT, n = rows * cols;
    const values = rng.normals(n).map((v) => (rng.uniform() < 0.05 ? [NaN, Infinity, -Infinity, -0][rng.int(4)] : v));
    const [A, a] = await place(la, s, rng, values, rows, cols, dt, strided);
    const [M, m] = await place(la, s, rng, maskBytes(rng, n), rows, cols, 'uint8', strided);
    await la.applyMask(A.M as Lib.Matrix, M.M as Mask);
    const got = await la.read(A.M);
    for (let k = 0; k < n; k++) {
      if (m[k] === 0) check(got[k] === 0, () => `applyMask pruned element ${k} is ${got[k]}, want 0`);
      else check(Object.is(got[k], a[k]), () => `applyMask kept element ${k} is ${got[k]}, want ${a[k]}`);
    }
    await A.checkFrame(la, 'applyMask A');
    await M.checkFrame(la, 'applyMask mask');
  });
}

// ---- reductions -------------------------------------------------------------------------------

function firstNonFiniteCases(): Case[] {
  return grid('firstNonFinite', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT, n = rows * cols;
    const big = dt === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
    const values = rng.normals(n).map((v) => (rng.uniform() < 0.02 ? big * Math.sign(v) : v)); // large but finite
    const plant = rng.int(3); // none, one or two non-finite values
    for (let q = 0; q < plant; q++) values[rng.int(n)] = [NaN, Infinity, -Infinity][rng.int(3)];
    const [A, a] = await place(la, s, rng, values, rows, cols, dt, strided);
    if (A.big) {
      // Non-finite values in the frame (outside the window) must not be seen.
      la.write(A.big.view(0, 0, 1, 1), [NaN]);
      la.write(A.big.view(1, 0, 1, 1), [Infinity]);
      la.write(A.big.view(A.big.rows - 1, A.big.cols - 1, 1, 1), [-Infinity]);
    }
    const at = a.findIndex((v) => !Number.isFinite(v));
    const got = await la.firstNonFinite(A.M as Lib.Matrix);
    const want = at < 0 ? null : [Math.floor(at / cols), at % cols];
    check(JSON.stringify(got) === JSON.stringify(want), () => `firstNonFinite gave ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  });
}

function dotCases(): Case[] {
  const pairs = ['float32>float32', 'float64>float64', 'float32>float64', 'float64>float32'];
  const general = grid('dot', pairs, SHAPES, async ({ la }, rng, pair, rows, cols, strided, s) => {
    const [da, db] = pair.split('>') as [DT, DT];
    const [A, a] = await place(la, s, rng, rng.normals(rows * cols), rows, cols, da, strided);
    const [B, b] = await place(la, s, rng, rng.normals(rows * cols).map((v) => v * 1e3), rows, cols, db, !strided);
    let want = 0, abs = 0;
    for (let k = 0; k < a.length; k++) {
      want += a[k] * b[k];
      abs += Math.abs(a[k] * b[k]);
    }
    const got = await la.dot(A.M as Lib.Matrix, B.M as Lib.Matrix);
    expectNear(`dot ${pair}`, got, want, 2 * (a.length + 2) * eps('float64') * abs);
  });
  // IEEE's rules where an operand is NaN or ±Inf or the sum overflows, and a sum far below 1.
  const special: Case = {
    name: 'dot: NaN, ±Inf, overflow and tiny products in every dtype pairing',
    deviceNeutral: true,
    run: ({ la }) => scoped(la, async (s) => {
      const rng = new Rng(515);
      const n = 300;
      const base = () => rng.normals(n);
      const tiny = (v: number[]) => v.map((x) => x * 1e-160);
      const rows: [string, (a: number[], b: number[]) => void, boolean][] = [
        ['a NaN', (a) => { a[17] = NaN; }, true],
        ['+Inf', (a) => { a[5] = Infinity; }, true],
        ['+Inf and -Inf', (a) => { a[5] = Infinity; a[250] = -Infinity; }, true],
        ['Inf times 0', (a, b) => { a[9] = Infinity; b[9] = 0; }, true],
        ['an overflowing sum', (a, b) => { for (let k = 0; k < 4; k++) { a[k] = 1e200; b[k] = 1e200; } }, false],
        ['products near 2^-1074', (a, b) => { a.splice(0, n, ...tiny(a)); b.splice(0, n, ...tiny(b)); }, false],
      ];
      for (const pair of ['float32>float32', 'float64>float64', 'float32>float64', 'float64>float32']) {
        const [da, db] = pair.split('>') as [DT, DT];
        for (const [what, spoil, float32Too] of rows) {
          if (!float32Too && (da === 'float32' || db === 'float32')) continue;
          const a = base(), b = base();
          spoil(a, b);
          const [A, av] = await place(la, s, rng, a, 15, 20, da, true);
          const [B, bv] = await place(la, s, rng, b, 15, 20, db, false);
          let want = 0, abs = 0;
          for (let k = 0; k < n; k++) { want += av[k] * bv[k]; abs += Math.abs(av[k] * bv[k]); }
          const got = await la.dot(A.M as Lib.Matrix, B.M as Lib.Matrix);
          if (Number.isFinite(want)) expectNear(`dot ${pair} ${what}`, got, want, 2 * (n + 2) * eps('float64') * abs + 2 ** -1074 * n);
          else check(Object.is(got, want), () => `dot ${pair} ${what}: ${got}, want ${want}`);
        }
      }
    }),
  };
  return [...general, special];
}

/** tr(D H Dᵀ) for D rows x cols and H cols x cols (row-major arrays), and Σ |D| |H| |D|ᵀ. */
function quadratic(d: number[], h: number[], rows: number, cols: number): [number, number] {
  let total = 0, abs = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      let s = 0, sa = 0;
      for (let j = 0; j < cols; j++) {
        s += h[i * cols + j] * d[r * cols + j];
        sa += Math.abs(h[i * cols + j] * d[r * cols + j]);
      }
      total += d[r * cols + i] * s;
      abs += Math.abs(d[r * cols + i]) * sa;
    }
  }
  return [total, abs];
}

function objectiveCases(): Case[] {
  return ['with X', 'X null'].flatMap((form) => grid(`objective ${form}`, DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT, withX = form === 'with X';
    const [W, w] = await place(la, s, rng, rng.normals(rows * cols), rows, cols, dt, strided);
    const [X, x] = withX ? await place(la, s, rng, rng.normals(rows * cols), rows, cols, dt, !strided) : [null, null];
    // A general (non-symmetric) H: both triangles are read.
    const [H, h] = await place(la, s, rng, rng.normals(cols * cols), cols, cols, 'float64', strided);
    const d = w.map((v, k) => v - (x ? x[k] : 0));
    const [want, abs] = quadratic(d, h, rows, cols);
    const got = await la.objective(W.M as Lib.Matrix, X ? (X.M as Lib.Matrix) : null, H.M as Lib.Matrix<'float64'>);
    expectNear(`objective ${form} ${dtype}`, got, want, 4 * (cols + rows + 2) * eps('float64') * abs);
  }));
}

function symmetryCases(): Case[] {
  return grid('symmetryViolation', DTYPES, SQUARE.map((n): [number, number] => [n, n]), async ({ la }, rng, dtype, n, _n, strided, s) => {
    const dt = dtype as DT, tol = dt === 'float32' ? 1e-5 : 1e-10;
    const h = new Array<number>(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) h[i * n + j] = h[j * n + i] = round(dt, rng.normal() + (i === j ? n : 0));
    const pick = (): [number, number] => {
      const i = 1 + rng.int(n - 1);
      return [i, rng.int(i)];
    };
    if (n > 1) {
      for (let q = rng.int(3); q > 0; q--) { // violations: far outside the tolerance, or NaN
        const [i, j] = pick(), hj = h[j * n + i];
        h[i * n + j] = rng.uniform() < 0.2 ? NaN : round(dt, hj + (Math.abs(hj) + 1) * 50 * tol * (rng.uniform() < 0.5 ? 1 : -1));
      }
      for (let q = 0; q < 3; q++) { // well inside the tolerance, in either triangle
        const [i, j] = pick(), [a, b] = rng.uniform() < 0.5 ? [i, j] : [j, i];
        if (Number.isNaN(h[a * n + b])) continue;
        h[a * n + b] = round(dt, h[a * n + b] * (1 + tol / 50));
      }
    }
    const [H, hv] = await place(la, s, rng, h, n, n, dt, strided);
    let want: [number, number] | null = null;
    search: for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const a = hv[i * n + j], b = hv[j * n + i];
        const bound = tol * (Math.sqrt(Math.abs(hv[i * n + i] * hv[j * n + j])) + Math.abs(a) + Math.abs(b));
        if (!(Math.abs(a - b) <= bound)) {
          want = [i, j];
          break search;
        }
      }
    }
    const got = await la.symmetryViolation(H.M as Lib.Matrix, tol);
    check(JSON.stringify(got) === JSON.stringify(want), () => `symmetryViolation gave ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  });
}

/** Violations in one band of rows, the earlier one (row-major) in a later block of columns, and one in a later band. */
function symmetryOrderCases(): Case[] {
  return DTYPES.flatMap((dt) => [70, 130].map((n): Case => ({
    name: `symmetryViolation ${dt} ${n}x${n}: the first violation in row-major order, wherever it lies`,
    deviceNeutral: true,
    run: ({ la }) => scoped(la, async (s) => {
      const rng = new Rng(n), h = new Array<number>(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) h[i * n + j] = h[j * n + i] = round(dt, rng.normal() + (i === j ? n : 0));
      const H = s.track(la.fromArray(h, n, n, dt));
      const plant = async (i: number, j: number) => la.write(H.view(i, j, 1, 1), [h[j * n + i] + 1]);
      for (const [i, j] of [[45, 3], [40, 35], [66, 0], [69, 68]]) await plant(i, j);
      const got = await la.symmetryViolation(H, 1e-6);
      check(JSON.stringify(got) === '[40,35]', () => `symmetryViolation gave ${JSON.stringify(got)}, want [40,35]`);
      la.write(H.view(40, 35, 1, 1), [h[40 * n + 35]]);
      la.write(H.view(45, 3, 1, 1), [h[45 * n + 3]]);
      const next = await la.symmetryViolation(H, 1e-6);
      check(JSON.stringify(next) === '[66,0]', () => `after repairing band 1: ${JSON.stringify(next)}, want [66,0]`);
    }),
  })));
}

/**
 * Pairs on the edge of the tolerance: tol is chosen so that |H_ij − H_ji| = tol · scale up to the
 * last bits of float64, then nudged by an ulp either way; every backend must decide as float64
 * arithmetic does (the JavaScript formula below, the one the Wasm kernels evaluate). A clear
 * violation sits before the edge pair in one matrix and after it in another, so the answer comes
 * from the edge pair in some of these runs and from the clear one in others.
 */
function symmetryEdgeCases(): Case[] {
  return DTYPES.map((dt): Case => ({
    name: `symmetryViolation ${dt}: pairs within float64 rounding of the tolerance decided as float64 decides them`,
    deviceNeutral: true,
    run: ({ la }) => scoped(la, async (s) => {
      const n = 6, rng = new Rng(61);
      const h = new Array<number>(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) h[i * n + j] = h[j * n + i] = round(dt, rng.normal() + (i === j ? n : 0));
      const scale = (i: number, j: number) => Math.sqrt(Math.abs(h[i * n + i] * h[j * n + j])) + Math.abs(h[i * n + j]) + Math.abs(h[j * n + i]);
      const violates = (tol: number): [number, number] | null => {
        for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) if (!(Math.abs(h[i * n + j] - h[j * n + i]) <= tol * scale(i, j))) return [i, j];
        return null;
      };
      h[4 * n + 2] = round(dt, h[2 * n + 4] * (1 + 3e-6));
      const edge = Math.abs(h[4 * n + 2] - h[2 * n + 4]) / scale(4, 2);
      for (const clear of [[1, 0], [5, 3]] as const) {
        const saved = h[clear[0] * n + clear[1]];
        h[clear[0] * n + clear[1]] = saved + 1;
        const H = s.track(la.fromArray(h, n, n, dt));
        for (const tol of [edge * (1 - 2 ** -52), edge, edge * (1 + 2 ** -52), edge * (1 - 1e-13), edge * (1 + 1e-13)]) {
          const got = await la.symmetryViolation(H, tol), want = violates(tol);
          check(JSON.stringify(got) === JSON.stringify(want), () => `symmetryViolation tol ${tol} (edge ${edge}), clear ${clear}: gave ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        }
        h[clear[0] * n + clear[1]] = saved;
      }
    }),
  }));
}

// ---- mask kernels -------------------------------------------------------------------------------

/** A rows-element int32 vector: rows x 1 (a strided column when strided) or 1 x rows. */
async function countsVector(la: La, s: Scope, rng: Rng, rows: number, strided: boolean): Promise<Placed> {
  const column = rng.uniform() < 0.5;
  return Placed.make(la, s, rng, new Array(rows).fill(-5), column ? rows : 1, column ? 1 : rows, 'int32', strided);
}

function maskCountsCases(): Case[] {
  const divisors = (c: number) => [0, 1, ...[2, 3, 4, 5, 10, 13, 17, 26, 65].filter((g) => g < c && c % g === 0), c];
  const general = grid('maskCounts', ['uint8'], SHAPES, async ({ la }, rng, _dtype, rows, cols, strided, s) => {
    const [M, m] = await place(la, s, rng, maskBytes(rng, rows * cols, rng.uniform(), false), rows, cols, 'uint8', strided);
    for (const g of divisors(cols)) {
      const C = await countsVector(la, s, rng, rows, strided);
      const most = await la.maskCounts(M.M as Mask, g, C.M as Lib.Matrix<'int32'>);
      const counts = Array.from({ length: rows }, (_, i) => m.slice(i * cols, (i + 1) * cols).reduce((x, y) => x + y, 0));
      let want = 0;
      if (g > 0) for (let k = 0; k < m.length; k += g) want = Math.max(want, m.slice(k, k + g).reduce((x, y) => x + y, 0));
      expectSame(`maskCounts rows (group ${g})`, await la.read(C.M), counts);
      check(most === want, () => `maskCounts group ${g}: most kept ${most}, want ${want}`);
      await C.checkFrame(la, 'maskCounts rowCounts');
    }
  });
  const groups: Case = {
    name: 'maskCounts finds the one 4-group of a 2:4 mask that keeps 3',
    run: ({ la }) => scoped(la, async (s) => {
      const rng = new Rng(24), rows = 9, cols = 64;
      const m: number[] = [];
      for (let k = 0; k < rows * cols; k += 4) {
        const keep = [0, 1, 2, 3].sort(() => rng.uniform() - 0.5).slice(0, 2);
        for (let q = 0; q < 4; q++) m.push(keep.includes(q) ? 1 : 0);
      }
      const M = s.track(la.fromArray(m, rows, cols, 'uint8')), C = s.track(la.matrix(rows, 1, 'int32'));
      check((await la.maskCounts(M, 4, C)) === 2, () => 'a 2:4 mask keeps at most 2 of 4');
      expectSame('2:4 row counts', await la.read(C), new Array(rows).fill(cols / 2));
      const bad = 7 * cols + 36 + m.slice(7 * cols + 36, 7 * cols + 40).indexOf(0);
      la.write(M.view(7, bad - 7 * cols, 1, 1), [1]);
      check((await la.maskCounts(M, 4, C)) === 3, () => 'one group keeping 3 of 4 was missed');
      check((await la.maskCounts(M, 8, C)) === 5, () => 'groups of 8 around it keep 5');
      check((await la.maskCounts(M, 0, C)) === 0, () => 'groupSize 0 returns 0');
      expectSame('row counts after the change', await la.read(C), Array.from({ length: rows }, (_, i) => cols / 2 + (i === 7 ? 1 : 0)));
    }),
  };
  return [...general, groups];
}

function maskDifferenceCases(): Case[] {
  return grid('maskDifference', ['uint8'], SHAPES, async ({ la }, rng, _dtype, rows, cols, strided, s) => {
    const n = rows * cols;
    const [A, a] = await place(la, s, rng, maskBytes(rng, n, 0.5, false), rows, cols, 'uint8', strided);
    const flip = rng.uniform();
    const [B, b] = await place(la, s, rng, a.map((v) => (rng.uniform() < flip ? 1 - v : v)), rows, cols, 'uint8', !strided);
    const want = a.reduce((t, v, k) => t + (v !== b[k] ? 1 : 0), 0);
    const got = await la.maskDifference(A.M as Mask, B.M as Mask);
    check(got === want, () => `maskDifference gave ${got}, want ${want}`);
    check((await la.maskDifference(A.M as Mask, A.M as Mask)) === 0, () => 'a mask differs from itself');
  });
}

function maskViolationCases(): Case[] {
  return grid('maskViolation', DTYPES, SHAPES, async ({ la }, rng, dtype, rows, cols, strided, s) => {
    const dt = dtype as DT, n = rows * cols;
    const m = maskBytes(rng, n);
    const w = rng.normals(n).map((v, k) => (m[k] === 0 ? (rng.uniform() < 0.3 ? -0 : 0) : v));
    for (let q = rng.int(3); q > 0; q--) {
      const k = rng.int(n);
      if (m[k] === 0) w[k] = [NaN, 1e-30, -2, Infinity][rng.int(4)];
    }
    const [W, wv] = await place(la, s, rng, w, rows, cols, dt, strided);
    const [M] = await place(la, s, rng, m, rows, cols, 'uint8', !strided);
    const at = wv.findIndex((v, k) => m[k] === 0 && v !== 0);
    const want = at < 0 ? null : [Math.floor(at / cols), at % cols];
    const got = await la.maskViolation(W.M as Lib.Matrix, M.M as Mask);
    check(JSON.stringify(got) === JSON.stringify(want), () => `maskViolation gave ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  });
}

/** The oracle: sort indices by (loss, index), take the first total; per-row counts and the sum in that order. */
function allocation(l: number[], rows: number, steps: number, total: number): { counts: number[]; sum: number; abs: number } {
  const order = l.map((_, k) => k).sort((p, q) => (l[p] < l[q] ? -1 : l[p] > l[q] ? 1 : p - q));
  const counts = new Array<number>(rows).fill(0);
  let sum = 0, abs = 0;
  for (const k of order.slice(0, total)) {
    counts[Math.floor(k / steps)]++;
    sum += l[k];
    abs += Math.abs(l[k]);
  }
  return { counts, sum, abs };
}

function obcAllocateCases(): Case[] {
  const general = grid('obcAllocate', ['float64'], SHAPES, async ({ la }, rng, _dtype, rows, steps, strided, s) => {
    const n = rows * steps;
    // Few distinct levels (many ties), now and then ±Inf, or plain random losses.
    const levels = rng.uniform() < 0.5 ? 1 + rng.int(6) : 0;
    const l = Array.from({ length: n }, () => (levels ? rng.int(levels) * 0.25 : Math.abs(rng.normal())));
    if (rng.uniform() < 0.3) for (let q = 0; q < 3; q++) l[rng.int(n)] = rng.uniform() < 0.7 ? Infinity : -Infinity;
    const [L, lv] = await place(la, s, rng, l, rows, steps, 'float64', strided);
    for (const total of [0, 1, rng.int(n + 1), n - 1, n].filter((t) => t >= 0)) {
      const C = await countsVector(la, s, rng, rows, strided);
      const want = allocation(lv, rows, steps, total);
      const got = await la.obcAllocate(L.M as Lib.Matrix<'float64'>, total, C.M as Lib.Matrix<'int32'>);
      expectSame(`obcAllocate total ${total} counts`, await la.read(C.M), want.counts);
      expectNear(`obcAllocate total ${total} sum`, got, want.sum, 2 * (total + 2) * eps('float64') * want.abs);
      await C.checkFrame(la, 'obcAllocate rowCounts');
    }
    await L.checkFrame(la, 'obcAllocate losses');
  });
  const ties: Case = {
    name: 'obcAllocate: equal losses go to the smaller row-major index; NaN gives NaN; 0 total and empty',
    run: ({ la }) => scoped(la, async (s) => {
      const rows = 5, steps = 7;
      const L = s.track(la.fromArray(new Array(rows * steps).fill(0.5), rows, steps, 'float64'));
      const C = s.track(la.matrix(rows, 1, 'int32'));
      for (const total of [1, 6, 7, 8, 20, 35]) {
        const sum = await la.obcAllocate(L, total, C);
        const want = Array.from({ length: rows }, (_, r) => Math.max(0, Math.min(steps, total - r * steps)));
        expectSame(`all ties, total ${total}`, await la.read(C), want);
        check(sum === total * 0.5, () => `all ties, total ${total}: sum ${sum}`);
      }
      // A tie at the threshold between rows 1 and 3: the earlier one is taken.
      la.write(L, [9, 9, 9, 9, 9, 9, 9, 1, 2, 9, 9, 9, 9, 9, 3, 3, 3, 3, 3, 3, 3, 2, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
      check((await la.obcAllocate(L, 3, C)) === 4, () => 'sum of 1 + 1 + 2');
      expectSame('tie between rows 1 and 3', await la.read(C), [0, 2, 0, 1, 0]);
      la.write(L.view(2, 3, 1, 1), [NaN]);
      check(Number.isNaN(await la.obcAllocate(L, 3, C)), () => 'NaN in losses must give NaN');
      check((await la.obcAllocate(L, 0, C)) === 0, () => 'total 0 gives 0 even with a NaN');
      expectSame('total 0 counts', await la.read(C), [0, 0, 0, 0, 0]);
      // No steps at all: counts are zeroed, the sum is 0.
      const E = s.track(la.matrix(3, 0, 'float64')), EC = s.track(la.fromArray([4, 4, 4], 1, 3, 'int32'));
      check((await la.obcAllocate(E, 0, EC)) === 0, () => 'empty losses give 0');
      expectSame('empty losses counts', await la.read(EC), [0, 0, 0]);
    }),
  };
  const everyTotal = ['distinct', 'ties'].map((kind): Case => ({
    name: `obcAllocate on 10 x 23 ${kind} losses for every total from 0 to 230`,
    run: ({ la }) => scoped(la, async (s) => {
      const rng = new Rng(kind.length), rows = 10, steps = 23, n = rows * steps;
      const l = Array.from({ length: n }, () => (kind === 'ties' ? rng.int(9) : rng.normal()));
      const L = s.track(la.fromArray(l, rows, steps, 'float64')), C = s.track(la.matrix(1, rows, 'int32'));
      for (let total = 0; total <= n; total++) {
        const want = allocation(l, rows, steps, total);
        const got = await la.obcAllocate(L, total, C);
        expectSame(`${kind} total ${total} counts`, await la.read(C), want.counts);
        expectNear(`${kind} total ${total} sum`, got, want.sum, 2 * (total + 2) * eps('float64') * want.abs);
      }
    }),
  }));
  return [...general, ties, ...everyTotal];
}

// ---- empty matrices and validation ------------------------------------------------------------

function emptyCases(): Case {
  return {
    name: 'elementwise kernels on empty matrices',
    run: ({ la }) => scoped(la, async (s) => {
      const A = s.track(la.matrix(0, 3)), B = s.track(la.matrix(0, 3, 'float64')), Z = s.track(la.matrix(3, 0));
      await la.copy(A, B);
      await la.fill(Z, 2);
      await la.axpby(2, A, 1, s.track(la.matrix(0, 3)));
      await la.applyMask(A, s.track(la.mask(0, 3)));
      await la.zeroColumns(Z, s.track(la.mask(1, 0)));
      await la.addDiagonal(Z, 1);
      check((await la.dot(A, B)) === 0, () => 'dot of empty matrices is 0');
      check((await la.firstNonFinite(A)) === null, () => 'firstNonFinite of an empty matrix is null');
      check((await la.objective(A, null, s.track(la.matrix(3, 3, 'float64')))) === 0, () => 'objective of 0 rows is 0');
      check((await la.maskViolation(Z, s.track(la.mask(3, 0)))) === null, () => 'maskViolation of an empty matrix is null');
      check((await la.maskDifference(s.track(la.mask(0, 4)), s.track(la.mask(0, 4)))) === 0, () => 'maskDifference of empty masks is 0');
      check((await la.maskCounts(s.track(la.mask(0, 4)), 2, s.track(la.matrix(0, 1, 'int32')))) === 0, () => 'maskCounts of an empty mask is 0');
      check((await la.symmetryViolation(s.track(la.matrix(0, 0)), 0)) === null, () => 'symmetryViolation of 0 x 0 is null');
      check((await la.deadInputs(s.track(la.matrix(0, 0)), s.track(la.mask(1, 0)))) === 0, () => 'deadInputs of 0 x 0 is 0');
      const C = s.track(await la.copy(Z, undefined, 'float16'));
      check(C.rows === 3 && C.cols === 0 && C.dtype === 'float16', () => 'copy of an empty matrix keeps its shape');
    }),
  };
}

function validationCases(): Case[] {
  return [{
    name: 'elementwise kernels reject wrong shapes, wrong dtypes and freed matrices',
    run: ({ la }) => scoped(la, async (s) => {
      const A = s.track(la.matrix(2, 3)), B = s.track(la.matrix(3, 2)), D = s.track(la.matrix(2, 3, 'float64'));
      const H = s.track(la.matrix(3, 3, 'float64')), mask = s.track(la.mask(2, 3)), counts = s.track(la.matrix(2, 1, 'int32'));
      await expectReject(() => la.copy(A, B), /copy: argument B .*2x3/);
      await expectReject(() => la.copy(A, s.track(la.matrix(2, 3, 'uint8'))), /copy: argument B .*only float dtypes/);
      await expectReject(() => la.copy(A, A.view(0, 0, 2, 3)), /copy: argument B .*overlap/);
      await expectReject(() => la.fill(s.track(la.mask(2, 2)), 300), /fill: argument value .*\[0, 255\]/);
      await expectReject(() => la.fill(A, '1' as never), /fill: argument value .*number/);
      await expectReject(() => la.addDiagonal(s.track(la.mask(2, 2)) as never, 1), /addDiagonal: argument A .*float32 or float64/);
      await expectReject(() => la.diagonal(A, s.track(la.matrix(1, 3)), 'copy'), /diagonal: argument x .*vector of 2/);
      await expectReject(() => la.diagonal(A, s.track(la.matrix(1, 2)), 'invert' as never), /diagonal: argument op/);
      await expectReject(() => la.deadInputs(A, s.track(la.mask(1, 2))), /deadInputs: argument H .*square/);
      await expectReject(() => la.deadInputs(H as never, s.track(la.matrix(1, 3, 'int32')) as never), /deadInputs: argument dead .*uint8/);
      await expectReject(() => la.zeroColumns(A, s.track(la.mask(1, 2))), /zeroColumns: argument cols .*1x3/);
      await expectReject(() => la.scaleRows(A, s.track(la.matrix(1, 3))), /scaleRows: argument x .*vector of 2/);
      await expectReject(() => la.gramDiagonal(A, s.track(la.matrix(1, 2))), /gramDiagonal: argument x .*vector of 3/);
      await expectReject(() => la.gramDiagonal(A, s.track(la.matrix(1, 3)), 'sqrt' as never), /gramDiagonal: argument op/);
      await expectReject(() => la.scaleRows(A, D as never), /scaleRows: argument x .*float32/);
      await expectReject(() => la.axpby(1, A, 1, D as never), /axpby: argument Y .*float32/);
      await expectReject(() => la.axpby(1, A, 1, B), /axpby: argument Y .*2x3/);
      await expectReject(() => la.axpby(NaN, A, 1, A), /axpby: argument alpha .*finite/);
      const wide = s.track(la.matrix(2, 4));
      await expectReject(() => la.axpby(1, wide.view(0, 0, 2, 3), 1, wide.view(0, 1, 2, 3)), /axpby: argument Y .*overlap/);
      await expectReject(() => la.applyMask(A, s.track(la.mask(3, 2))), /applyMask: argument mask .*2x3/);
      await expectReject(() => la.applyMask(A, counts as never), /applyMask: argument mask .*uint8/);
      await expectReject(() => la.firstNonFinite(mask as never), /firstNonFinite: argument A .*float32 or float64/);
      await expectReject(() => la.dot(A, B), /dot: argument B .*2x3/);
      await expectReject(() => la.objective(A, null, s.track(la.matrix(3, 3)) as never), /objective: argument H .*float64/);
      await expectReject(() => la.objective(A, null, s.track(la.matrix(2, 2, 'float64'))), /objective: argument H .*3x3/);
      await expectReject(() => la.objective(A, D as never, H), /objective: argument X .*float32/);
      await expectReject(() => la.symmetryViolation(A, 0), /symmetryViolation: argument H .*square/);
      await expectReject(() => la.symmetryViolation(H, -1), /symmetryViolation: argument tolerance/);
      await expectReject(() => la.maskCounts(mask, 2, counts), /maskCounts: argument groupSize .*divisor/);
      await expectReject(() => la.maskCounts(mask, 3, s.track(la.matrix(3, 1, 'int32'))), /maskCounts: argument rowCounts .*vector of 2/);
      await expectReject(() => la.maskCounts(A as never, 3, counts), /maskCounts: argument mask .*uint8/);
      await expectReject(() => la.maskDifference(mask, s.track(la.mask(3, 2))), /maskDifference: argument b .*2x3/);
      await expectReject(() => la.maskViolation(A, s.track(la.mask(2, 2))), /maskViolation: argument mask .*2x3/);
      await expectReject(() => la.obcAllocate(D as never, 7, counts), /obcAllocate: argument total/);
      await expectReject(() => la.obcAllocate(A as never, 1, counts), /obcAllocate: argument losses .*float64/);
      await expectReject(() => la.obcAllocate(D as never, 1, s.track(la.matrix(1, 3, 'int32'))), /obcAllocate: argument rowCounts .*vector of 2/);
      const F = la.matrix(2, 3);
      F.free();
      await expectReject(() => la.copy(F, A), /copy: argument A .*not been freed/);
      await expectReject(() => la.copy(A, F), /copy: argument B .*not been freed/);
      await expectReject(() => la.dot(A, F), /dot: argument B .*not been freed/);
      await expectReject(() => la.fill(F, 0), /fill: argument A .*not been freed/);
      await expectReject(() => la.axpby(1, A, 1, F), /axpby: argument Y .*not been freed/);
      await expectReject(() => la.objective(F, null, H), /objective: argument W .*not been freed/);
      await expectReject(() => la.read(F), /read: argument M .*not been freed/);
      const G = la.mask(2, 3);
      G.free();
      await expectReject(() => la.applyMask(A, G), /applyMask: argument mask .*not been freed/);
      await expectReject(() => la.maskCounts(G, 0, counts), /maskCounts: argument mask .*not been freed/);
    }),
  }];
}

/** Every case of the elementwise, reduction and mask kernels. */
export function elementwiseCases(): Case[] {
  return [
    ...copyCases(), ...fillCases(), ...addDiagonalCases(), ...diagonalCases(), ...deadInputsCases(),
    ...zeroColumnsCases(), ...gramDiagonalCases(), ...scaleRowsCases(), ...axpbyCases(), ...applyMaskCases(), ...firstNonFiniteCases(), ...dotCases(),
    ...objectiveCases(), ...symmetryCases(), ...symmetryOrderCases(), ...symmetryEdgeCases(), ...maskCountsCases(), ...maskDifferenceCases(),
    ...maskViolationCases(), ...obcAllocateCases(), emptyCases(), ...validationCases(),
  ];
}
