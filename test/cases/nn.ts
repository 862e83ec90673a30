// The transformer kernels (rmsNorm, rotary, softmaxRows, siluGate, gather, crossEntropy) through the
// async facade on every backend, each held to a float64 computation written here from the values
// as stored (read back), not to the reference backend:
// - odd sizes and non-square shapes, several seeds, float32 and float64, strided windows inside
//   larger matrices (whose frame must come back untouched), outputs that are their inputs;
// - semantics pinned by hand: rotate_half pairs (i, i + d/2), not interleaved ones; the causal
//   diagonal and its offset; large logits (the max must be subtracted);
// - errors: an id or target out of range names its index and value; shapes, dtypes, overlap.
// Every case reaches values only through la.read / la.write (so it runs on the strict backend too)
// and checks that the backend's live bytes come back to where they were.
import type * as Lib from '../../src/index.js';
import { type Case, type CaseContext, check, eps, expectReject } from './harness.js';
import { Rng } from './random.js';

type DT = 'float32' | 'float64';
type La = CaseContext['la'];
type M = Lib.Matrix;
type Scope = ReturnType<La['scope']>;

const DTYPES: DT[] = ['float32', 'float64'];
const SHAPES: [number, number][] = [[1, 1], [3, 5], [17, 130], [130, 3], [64, 64]];

/** Runs body with a scope freed afterwards and checks that nothing leaked. */
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

/** A rows x cols operand holding values: plain, or a window at (2, 1) of a larger matrix with a random frame. */
interface Placed<D extends Lib.StorageDType = DT> {
  M: Lib.Matrix<D>;
  /** The values as stored (rounded to the dtype). */
  values: number[];
  /** Checks the frame around a window is unchanged. */
  frame(what: string): Promise<void>;
}

async function place<D extends Lib.StorageDType>(la: La, s: Scope, rng: Rng, values: ArrayLike<number>, rows: number, cols: number, dtype: D, strided: boolean): Promise<Placed<D>> {
  if (!strided) {
    const M = s.track(la.fromArray(values, rows, cols, dtype));
    return { M, values: Array.from(await la.read(M)), frame: async () => {} };
  }
  const R = rows + 3, C = cols + 4;
  const fill = dtype === 'int32' ? Array.from({ length: R * C }, () => rng.int(1000) - 500) : rng.normals(R * C);
  const big = s.track(la.fromArray(fill, R, C, dtype));
  const M = big.view(2, 1, rows, cols);
  la.write(M, values);
  const before = Array.from(await la.read(big));
  return {
    M,
    values: Array.from(await la.read(M)),
    frame: async (what) => {
      const now = await la.read(big);
      for (let k = 0; k < now.length; k++) {
        const i = Math.floor(k / C), j = k % C;
        if (i >= 2 && i < 2 + rows && j >= 1 && j < 1 + cols) continue;
        check(Object.is(now[k], before[k]), () => `${what}: frame element (${i}, ${j}) changed from ${before[k]} to ${now[k]}`);
      }
    },
  };
}

/** Checks |got_k − want_k| <= tol · scale_k for every k (NaN fails). */
function expectWithin(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, scale: (k: number) => number): void {
  check(got.length === want.length, () => `${what}: length ${got.length}, want ${want.length}`);
  for (let k = 0; k < got.length; k++) {
    const d = Math.abs(got[k] - want[k]), t = tol * scale(k);
    check(d <= t || Object.is(got[k], want[k]), () => `${what}: element ${k} is ${got[k]}, want ${want[k]} (error ${d.toExponential(3)} > ${t.toExponential(3)})`);
  }
}

/** One case per dtype, shape and seed; odd runs use strided windows. */
function grid(kernel: string, shapes: readonly [number, number][], body: (la: La, rng: Rng, dtype: DT, rows: number, cols: number, strided: boolean, s: Scope) => Promise<void>): Case[] {
  const cases: Case[] = [];
  let seed = 7;
  for (const dtype of DTYPES) {
    for (const [rows, cols] of shapes) {
      for (const strided of [false, true]) {
        const mySeed = 100 * kernel.length + seed++;
        cases.push({
          name: `${kernel} ${dtype} ${rows}x${cols}${strided ? ' strided' : ''} seed ${mySeed}`,
          deviceNeutral: true,
          run: ({ la }) => scoped(la, (s) => body(la, new Rng(mySeed), dtype, rows, cols, strided, s)),
        });
      }
    }
  }
  return cases;
}

/** A case run on a fresh scope with the leak check. */
function single(name: string, body: (la: La, s: Scope) => Promise<void>): Case {
  return { name, deviceNeutral: true, run: ({ la }) => scoped(la, (s) => body(la, s)) };
}

// ---- rmsNorm ----------------------------------------------------------------------------------

function rmsNormOracle(x: number[], w: number[], rows: number, cols: number, epsilon: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < rows; i++) {
    let ss = 0;
    for (let j = 0; j < cols; j++) ss += x[i * cols + j] ** 2;
    const r = 1 / Math.sqrt(ss / cols + epsilon);
    for (let j = 0; j < cols; j++) y.push(x[i * cols + j] * r * w[j]);
  }
  return y;
}

function rmsNormCases(): Case[] {
  const general = grid('rmsNorm', SHAPES, async (la, rng, dtype, rows, cols, strided, s) => {
    const epsilon = [1e-6, 1e-5, 0.5][rng.int(3)];
    const X = await place(la, s, rng, rng.normals(rows * cols).map((v) => v * 3), rows, cols, dtype, strided);
    // The weight as a row vector, or as a column of a larger matrix (a strided vector).
    const W = await place(la, s, rng, rng.normals(cols), strided ? cols : 1, strided ? 1 : cols, dtype, strided);
    const inPlace = rng.uniform() < 0.5;
    const Y = inPlace ? X : await place(la, s, rng, rng.normals(rows * cols), rows, cols, dtype, strided);
    const out = await la.rmsNorm(X.M, W.M, epsilon, Y.M);
    check(out === Y.M, () => 'rmsNorm did not return Y');
    const want = rmsNormOracle(X.values, W.values, rows, cols, epsilon);
    // Each element is a product (no cancellation): float32 rounds once, float64 differs by the order of the sum.
    expectWithin(`rmsNorm ${dtype}${inPlace ? ' in place' : ''}`, await la.read(Y.M), want, dtype === 'float32' ? 2 * eps(dtype) : 16 * eps(dtype), (k) => Math.abs(want[k]));
    await X.frame('rmsNorm X');
    await Y.frame('rmsNorm Y');
  });
  return [
    ...general,
    single('rmsNorm returns a new matrix when Y is left out; [3, 4] with weight [1, 2]', async (la, s) => {
      const X = s.track(la.fromArray([3, 4], 1, 2, 'float64')), w = s.track(la.fromArray([1, 2], 1, 2, 'float64'));
      const Y = s.track(await la.rmsNorm(X, w, 0));
      const r = 1 / Math.sqrt(12.5);
      expectWithin('rmsNorm new', await la.read(Y), [3 * r, 8 * r], 4 * eps('float64'), () => 1);
    }),
  ];
}

// ---- rotary -------------------------------------------------------------------------------------

function rotaryOracle(x: number[], rows: number, cols: number, d: number, theta: number, pos: (t: number) => number): number[] {
  const y = [...x], half = d / 2;
  for (let t = 0; t < rows; t++) {
    for (let h = 0; h < cols / d; h++) {
      for (let i = 0; i < half; i++) {
        const a = pos(t) * theta ** (-2 * i / d);
        const k = t * cols + h * d + i;
        y[k] = x[k] * Math.cos(a) - x[k + half] * Math.sin(a);
        y[k + half] = x[k + half] * Math.cos(a) + x[k] * Math.sin(a);
      }
    }
  }
  return y;
}

function rotaryCases(): Case[] {
  // [rows, heads · headDim] with headDim among 2, 4, 6, 16, 32.
  const shapes: [number, number][] = [[1, 2], [3, 12], [17, 96], [130, 32], [5, 6]];
  const general = grid('rotary', shapes, async (la, rng, dtype, rows, cols, strided, s) => {
    const ds = [2, 4, 6, 16, 32].filter((v) => cols % v === 0), d = ds[rng.int(ds.length)];
    const theta = [10000, 500000, 7][rng.int(3)];
    const X = await place(la, s, rng, rng.normals(rows * cols), rows, cols, dtype, strided);
    let pos: (t: number) => number;
    if (rng.uniform() < 0.5) {
      const start = [0, 7, 500][rng.int(3)];
      await la.rotary(X.M, d, theta, start);
      pos = (t) => start + t;
    } else {
      const positions = Array.from({ length: rows }, () => rng.int(2048));
      const P = await place(la, s, rng, positions, rows, 1, 'int32', strided);
      await la.rotary(X.M, d, theta, P.M);
      pos = (t) => positions[t];
    }
    const want = rotaryOracle(X.values, rows, cols, d, theta, pos);
    // Scaled by the norm of each rotated pair (the rotation preserves it; its entries may cancel).
    const half = d / 2;
    const pairNorm = (k: number) => {
      const j = k % cols, inHead = j % d, mate = inHead < half ? k + half : k - half;
      return Math.hypot(X.values[k], X.values[mate]);
    };
    expectWithin(`rotary ${dtype} d ${d} theta ${theta}`, await la.read(X.M), want, dtype === 'float32' ? 4 * eps(dtype) : 1e-12, pairNorm);
    await X.frame('rotary X');
  });
  return [
    ...general,
    single('rotary pairs (i, i + d/2) as rotate_half does, not (2i, 2i + 1)', async (la, s) => {
      // d = 4, position 1, theta 100: pair (0, 2) turns by 1 rad, pair (1, 3) by 0.1 rad.
      const X = s.track(la.fromArray([1, 0, 0, 0, 0, 1, 0, 0], 1, 8, 'float64'));
      await la.rotary(X, 4, 100, 1);
      const want = [Math.cos(1), 0, Math.sin(1), 0, 0, Math.cos(0.1), 0, Math.sin(0.1)];
      expectWithin('rotary rotate_half', await la.read(X), want, 1e-15, () => 1);
    }),
  ];
}

// ---- softmaxRows --------------------------------------------------------------------------------

function softmaxOracle(x: number[], rows: number, cols: number, scale: number, causal: boolean, offset: number): number[] {
  const y: number[] = new Array(rows * cols).fill(0);
  for (let r = 0; r < rows; r++) {
    const n = causal ? Math.min(cols, Math.max(0, r + offset + 1)) : cols;
    if (n === 0) continue;
    const v = x.slice(r * cols, r * cols + n).map((e) => e * scale);
    const m = Math.max(...v);
    const e = v.map((t) => Math.exp(t - m)), sum = e.reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++) y[r * cols + j] = e[j] / sum;
  }
  return y;
}

function softmaxCases(): Case[] {
  const general = grid('softmaxRows', SHAPES, async (la, rng, dtype, rows, cols, strided, s) => {
    const causal = rng.uniform() < 0.7;
    const offset = causal ? [0, -1, 2, cols - rows, -rows][rng.int(5)] : 0;
    const scale = [1, 0.125, -2, 40][rng.int(4)];
    const S = await place(la, s, rng, rng.normals(rows * cols).map((v) => v * 5), rows, cols, dtype, strided);
    await la.softmaxRows(S.M, causal ? { scale, causal, offset } : { scale });
    const want = softmaxOracle(S.values, rows, cols, scale, causal, offset);
    const got = await la.read(S.M);
    // Below the smallest normal number the relative precision goes (underflow to subnormals and 0).
    const tiny = dtype === 'float32' ? 2 ** -126 : 2 ** -1022;
    for (let k = 0; k < want.length; k++) if (want[k] === 0) check(got[k] === 0, () => `softmaxRows: masked element ${k} is ${got[k]}, want 0`);
    expectWithin(`softmaxRows ${dtype} scale ${scale} causal ${causal} offset ${offset}`, got, want, dtype === 'float32' ? 4 * eps(dtype) : 64 * eps(dtype), (k) => Math.max(want[k], tiny));
    await S.frame('softmaxRows S');
  });
  return [
    ...general,
    single('softmaxRows subtracts the row maximum (logits of 1000 stay finite) and keeps the causal triangle', async (la, s) => {
      const S = s.track(la.fromArray([1000, 999, 5, 1000, 999, 5, 1000, 999, 5], 3, 3));
      await la.softmaxRows(S, { causal: true });
      const a = 1 / (1 + Math.exp(-1)), b = Math.exp(-1) / (1 + Math.exp(-1));
      expectWithin('softmaxRows stable', await la.read(S), [1, 0, 0, a, b, 0, a, b, 0], 4 * eps('float32'), () => 1);
    }),
  ];
}

// ---- siluGate -----------------------------------------------------------------------------------

function siluCases(): Case[] {
  return grid('siluGate', SHAPES, async (la, rng, dtype, rows, cols, strided, s) => {
    const G = await place(la, s, rng, rng.normals(rows * cols).map((v) => v * 4), rows, cols, dtype, strided);
    const U = await place(la, s, rng, rng.normals(rows * cols), rows, cols, dtype, strided);
    const where = rng.int(3); // 0: a new Y, 1: Y = G, 2: Y = U
    const Y = where === 0 ? await place(la, s, rng, rng.normals(rows * cols), rows, cols, dtype, strided) : where === 1 ? G : U;
    await la.siluGate(G.M, U.M, Y.M);
    const want = G.values.map((g, k) => (g / (1 + Math.exp(-g))) * U.values[k]);
    expectWithin(`siluGate ${dtype} into ${['Y', 'G', 'U'][where]}`, await la.read(Y.M), want, dtype === 'float32' ? 2 * eps(dtype) : 8 * eps(dtype), (k) => Math.abs(want[k]));
    await Y.frame('siluGate Y');
    await G.frame('siluGate G');
  });
}

// ---- gather -------------------------------------------------------------------------------------

function gatherCases(): Case[] {
  const general = grid('gather', [[1, 1], [5, 3], [130, 17], [7, 130]], async (la, rng, dtype, vocab, cols, strided, s) => {
    const n = 1 + rng.int(40);
    const ids = Array.from({ length: n }, () => rng.int(vocab));
    const E = await place(la, s, rng, rng.normals(vocab * cols), vocab, cols, dtype, strided);
    const I = await place(la, s, rng, ids, strided ? n : 1, strided ? 1 : n, 'int32', strided);
    const Y = await place(la, s, rng, rng.normals(n * cols), n, cols, dtype, strided);
    await la.gather(E.M, I.M, Y.M);
    const want = ids.flatMap((id) => E.values.slice(id * cols, (id + 1) * cols));
    const got = Array.from(await la.read(Y.M));
    check(got.every((v, k) => Object.is(v, want[k])), () => `gather ${dtype}: rows differ from E's`);
    await Y.frame('gather Y');
    // An id out of range names its index and value and leaves Y as it was.
    const bad = rng.int(n);
    const badIds = [...ids];
    badIds[bad] = rng.uniform() < 0.5 ? vocab + rng.int(3) : -1 - rng.int(3);
    la.write(I.M, badIds);
    const before = Array.from(await la.read(Y.M));
    await expectReject(() => la.gather(E.M, I.M, Y.M), new RegExp(`gather: argument ids\\[${bad}\\] must be a row index of E in \\[0, ${vocab}\\); got ${badIds[bad]}$`));
    check((await la.read(Y.M)).every((v, k) => Object.is(v, before[k])), () => 'gather wrote Y although an id was out of range');
  });
  return [
    ...general,
    single('gather returns a new matrix when Y is left out, and frees it when it refuses', async (la, s) => {
      const E = s.track(la.fromArray([1, 2, 3, 4, 5, 6], 3, 2)), ids = s.track(la.fromArray([2, 0, 2], 3, 1, 'int32'));
      const Y = s.track(await la.gather(E, ids));
      check([...(await la.read(Y))].join() === '5,6,1,2,5,6', () => 'gather new matrix');
      const live = la.liveBytes();
      la.write(ids, [0, 3, 1]);
      await expectReject(() => la.gather(E, ids), /ids\[1\].*got 3/);
      check(la.liveBytes() === live, () => 'gather leaked its output on refusal');
    }),
  ];
}

// ---- crossEntropy -------------------------------------------------------------------------------

function crossEntropyCases(): Case[] {
  const general = grid('crossEntropy', [[1, 1], [3, 5], [17, 130], [9, 2048]], async (la, rng, dtype, rows, cols, strided, s) => {
    const spread = [1, 10, 100][rng.int(3)];
    const L = await place(la, s, rng, rng.normals(rows * cols).map((v) => v * spread), rows, cols, dtype, strided);
    const targets = Array.from({ length: rows }, () => rng.int(cols));
    const T = await place(la, s, rng, targets, strided ? rows : 1, strided ? 1 : rows, 'int32', strided);
    const got = await la.crossEntropy(L.M, T.M);
    let want = 0;
    for (let t = 0; t < rows; t++) {
      const row = L.values.slice(t * cols, (t + 1) * cols), m = Math.max(...row);
      want += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[targets[t]];
    }
    check(typeof got === 'number' && Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), () => `crossEntropy ${dtype} spread ${spread}: got ${got}, want ${want}`);
    const bad = rng.int(rows), badTargets = [...targets];
    badTargets[bad] = cols;
    la.write(T.M, badTargets);
    await expectReject(() => la.crossEntropy(L.M, T.M), new RegExp(`crossEntropy: argument targets\\[${bad}\\] must be a class index in \\[0, ${cols}\\); got ${cols}$`));
  });
  return [
    ...general,
    single('crossEntropy of uniform logits is rows · log(cols)', async (la, s) => {
      const L = s.track(la.matrix(4, 10)), T = s.track(la.fromArray([0, 3, 9, 5], 4, 1, 'int32'));
      const got = await la.crossEntropy(L, T);
      check(Math.abs(got - 4 * Math.log(10)) < 1e-14, () => `crossEntropy uniform: got ${got}`);
    }),
  ];
}

// ---- validation ---------------------------------------------------------------------------------

function validationCases(): Case[] {
  return [
    single('transformer kernels refuse bad arguments, naming them', async (la, s) => {
      const X = s.track(la.matrix(4, 8)), X64 = s.track(la.matrix(4, 8, 'float64')), w = s.track(la.matrix(1, 8)), w7 = s.track(la.matrix(1, 7));
      const big = s.track(la.matrix(6, 8));
      await expectReject(() => la.rmsNorm(X, w7, 1e-6, X), /rmsNorm: argument weight must be a vector of 8 elements/);
      await expectReject(() => la.rmsNorm(X, w, -1, X), /rmsNorm: argument eps must be a number >= 0; got -1/);
      await expectReject(() => la.rmsNorm(X64 as never, w, 1e-6), /rmsNorm: argument weight must be a float64 matrix/);
      await expectReject(() => la.rmsNorm(big.view(0, 0, 4, 8), w, 1e-6, big.view(1, 0, 4, 8)), /rmsNorm: argument Y must be not to overlap input X/);
      await expectReject(() => la.rotary(X, 3, 10000), /rotary: argument headDim must be an even integer; got 3/);
      await expectReject(() => la.rotary(X, 16, 10000), /rotary: argument X must be a multiple of headDim = 16 columns/);
      await expectReject(() => la.rotary(X, 4, 0), /rotary: argument theta must be a number > 0; got 0/);
      await expectReject(() => la.rotary(X, 4, 10000, -1), /rotary: argument positions must be an integer in/);
      await expectReject(() => la.rotary(X, 4, 10000, w as never), /rotary: argument positions must be a int32 matrix/);
      await expectReject(() => la.softmaxRows(X, { scale: NaN }), /softmaxRows: argument options.scale must be a finite number/);
      await expectReject(() => la.softmaxRows(X, { offset: 1 }), /softmaxRows: argument options.offset must be given only with options.causal = true/);
      await expectReject(() => la.siluGate(X, w, X), /siluGate: argument U must be 4x8/);
      const E = s.track(la.matrix(10, 8)), ids = s.track(la.matrix(4, 2, 'int32'));
      await expectReject(() => la.gather(E, ids, X), /gather: argument ids must be an int32 vector/);
      await expectReject(() => la.gather(E, X as never, X), /gather: argument ids must be a int32 matrix/);
      await expectReject(() => la.crossEntropy(X, s.track(la.matrix(3, 1, 'int32'))), /crossEntropy: argument targets must be a vector of 4 elements/);
      const freed = la.matrix(4, 8);
      freed.free();
      await expectReject(() => la.siluGate(freed, X, X), /siluGate: argument G must be a matrix that has not been freed/);
    }),
  ];
}

/** Every case of the transformer kernels. */
export function nnCases(): Case[] {
  return [...rmsNormCases(), ...rotaryCases(), ...softmaxCases(), ...siluCases(), ...gatherCases(), ...crossEntropyCases(), ...validationCases()];
}
