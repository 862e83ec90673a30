// im2col through the facade, every backend held to two float64 oracles written here: the patch
// matrix built from the definition (pixel (c, oy·s − pad + k·d) or 0), and the convolution itself
// computed directly (a sum over channels and kernel taps) against P·Wᵀ formed from what the
// backend returned — so a wrong column order, a padding off by one or a stride misread fails
// even where both the patches and the oracle shared a mistake of indexing. Geometries: odd sizes,
// non-square kernels, strides, asymmetric pads, dilations, several images and seeds, float32 and
// float64, X and P as windows of larger matrices (whose frames must come back untouched).
// Then validation: wrong shapes, dtypes, overlap, and a kernel larger than its padded input.
import type * as Lib from '../../src/index.js';
import { type Case, type CaseContext, check, expectReject } from './harness.js';
import { Rng } from './random.js';

type La = CaseContext['la'];
type DT = 'float32' | 'float64';

interface Geometry {
  channels: number;
  height: number;
  width: number;
  kernel: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
}

/** The table: [images, geometry]. */
const GEOMETRIES: [number, Geometry][] = [
  [1, { channels: 1, height: 1, width: 1, kernel: [1, 1] }],
  [2, { channels: 1, height: 5, width: 5, kernel: [3, 3], pads: [1, 1, 1, 1] }],
  [3, { channels: 3, height: 7, width: 6, kernel: [3, 2], strides: [2, 1] }],
  [2, { channels: 2, height: 9, width: 11, kernel: [3, 3], strides: [2, 3], pads: [1, 0, 2, 1] }],
  [1, { channels: 4, height: 8, width: 7, kernel: [2, 3], dilations: [3, 2], pads: [0, 2, 1, 0] }],
  [2, { channels: 5, height: 6, width: 6, kernel: [5, 5], pads: [2, 2, 2, 2], strides: [3, 3], dilations: [1, 1] }],
  [1, { channels: 2, height: 3, width: 3, kernel: [3, 3], pads: [4, 0, 0, 5] }], // pads wider than the kernel: all-zero patches
  [3, { channels: 32, height: 14, width: 14, kernel: [3, 3], pads: [1, 1, 1, 1] }], // mnist-cnn's second Conv
  [2, { channels: 3, height: 13, width: 4, kernel: [1, 4], strides: [4, 1], dilations: [2, 1], pads: [3, 0, 0, 0] }],
];

/** Resolved sizes of a geometry (written here, not taken from the library). */
function sizes(g: Geometry) {
  const [kh, kw] = g.kernel, [sh, sw] = g.strides ?? [1, 1], [pt, pl, pb, pr] = g.pads ?? [0, 0, 0, 0], [dh, dw] = g.dilations ?? [1, 1];
  const outH = Math.floor((g.height + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const outW = Math.floor((g.width + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  return { kh, kw, sh, sw, pt, pl, dh, dw, outH, outW, cols: g.channels * kh * kw, size: g.channels * g.height * g.width };
}

/** The patch matrix from the definition, in float64 (n images of x, C order). */
function patches(x: ArrayLike<number>, n: number, g: Geometry): Float64Array {
  const s = sizes(g), { height: H, width: W } = g;
  const out = new Float64Array(n * s.outH * s.outW * s.cols);
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < s.outH; oy++) {
      for (let ox = 0; ox < s.outW; ox++) {
        for (let c = 0; c < g.channels; c++) {
          for (let ky = 0; ky < s.kh; ky++) {
            for (let kx = 0; kx < s.kw; kx++) {
              const iy = oy * s.sh - s.pt + ky * s.dh, ix = ox * s.sw - s.pl + kx * s.dw;
              out[at++] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[b * s.size + (c * H + iy) * W + ix] : 0;
            }
          }
        }
      }
    }
  }
  return out;
}

/** The convolution y[b, f, oy, ox] = Σ_c,ky,kx w[f, c, ky, kx] · x[b, c, iy, ix] computed directly, laid out as P·Wᵀ is. */
function convolve(x: ArrayLike<number>, n: number, g: Geometry, w: ArrayLike<number>, filters: number): Float64Array {
  const s = sizes(g), { height: H, width: W } = g;
  const y = new Float64Array(n * s.outH * s.outW * filters);
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < filters; f++) {
      for (let c = 0; c < g.channels; c++) {
        for (let ky = 0; ky < s.kh; ky++) {
          for (let kx = 0; kx < s.kw; kx++) {
            const wv = w[((f * g.channels + c) * s.kh + ky) * s.kw + kx];
            for (let oy = 0; oy < s.outH; oy++) {
              const iy = oy * s.sh - s.pt + ky * s.dh;
              if (iy < 0 || iy >= H) continue;
              for (let ox = 0; ox < s.outW; ox++) {
                const ix = ox * s.sw - s.pl + kx * s.dw;
                if (ix < 0 || ix >= W) continue;
                y[((b * s.outH + oy) * s.outW + ox) * filters + f] += wv * x[b * s.size + (c * H + iy) * W + ix];
              }
            }
          }
        }
      }
    }
  }
  return y;
}

/** A rows x cols operand: a plain matrix, or a window at (2, 1) of a larger one with a random frame. */
async function place(la: La, track: <M extends Lib.Matrix<any>>(M: M) => M, rng: Rng, rows: number, cols: number, dtype: DT, strided: boolean, values?: number[]) {
  const v = values ?? rng.normals(rows * cols);
  if (!strided) return { M: track(la.fromArray(v, rows, cols, dtype)), checkFrame: async () => {} };
  const R = rows + 3, C = cols + 4;
  const big = track(la.fromArray(rng.normals(R * C), R, C, dtype));
  const M = big.view(2, 1, rows, cols);
  la.write(M, v);
  const frame = await la.read(big);
  return {
    M,
    checkFrame: async (what: string) => {
      const now = await la.read(big);
      for (let k = 0; k < now.length; k++) {
        const i = Math.floor(k / C), j = k % C;
        if (i >= 2 && i < 2 + rows && j >= 1 && j < 1 + cols) continue;
        check(Object.is(now[k], frame[k]), () => `${what}: frame element (${i}, ${j}) changed from ${frame[k]} to ${now[k]}`);
      }
    },
  };
}

function geometryCases(): Case[] {
  const cases: Case[] = [];
  let seed = 7100;
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [n, g] of GEOMETRIES) {
      for (const strided of [false, true]) {
        const mySeed = seed++;
        const s = sizes(g);
        cases.push({
          name: `im2col ${dtype} ${n}x[${g.channels},${g.height},${g.width}] k${g.kernel} s${g.strides ?? [1, 1]} p${g.pads ?? [0, 0, 0, 0]} d${g.dilations ?? [1, 1]}${strided ? ' strided' : ''} seed ${mySeed}`,
          deviceNeutral: true,
          run: async ({ la }) => {
            const before = la.liveBytes();
            const scope = la.scope();
            const track = <M extends Lib.Matrix<any>>(M: M): M => scope.track(M);
            try {
              const rng = new Rng(mySeed);
              const X = await place(la, track, rng, n, s.size, dtype, strided);
              const x = await la.read(X.M); // as stored (rounded to float32 where float32)
              const rows = n * s.outH * s.outW;
              const P = await place(la, track, rng, rows, s.cols, dtype, strided);
              const got = await la.im2col(X.M, g, P.M);
              check(got === P.M, () => 'im2col returns the P it was given');
              const p = await la.read(P.M);
              const want = patches(x, n, g);
              check(p.length === want.length, () => `P has ${p.length} elements, want ${want.length}`);
              for (let k = 0; k < want.length; k++) {
                check(Object.is(p[k], want[k]) || (p[k] === 0 && want[k] === 0), () => `P[${Math.floor(k / s.cols)}, ${k % s.cols}] = ${p[k]}, want ${want[k]} (a copy, exact)`);
              }
              await X.checkFrame('X');
              await P.checkFrame('P');
              // The convolution as P·Wᵀ, against the direct sum.
              const filters = 3, w = rng.normals(filters * s.cols);
              const y = new Float64Array(rows * filters);
              for (let r = 0; r < rows; r++) {
                for (let f = 0; f < filters; f++) {
                  let acc = 0;
                  for (let j = 0; j < s.cols; j++) acc += p[r * s.cols + j] * w[f * s.cols + j];
                  y[r * filters + f] = acc;
                }
              }
              const direct = convolve(x, n, g, w, filters);
              for (let k = 0; k < y.length; k++) {
                check(Math.abs(y[k] - direct[k]) <= 1e-12 * (1 + Math.abs(direct[k])) * s.cols, () => `conv output ${k}: P·Wᵀ gives ${y[k]}, the direct sum ${direct[k]}`);
              }
              // A fresh P when none is given.
              const Q = track(await la.im2col(X.M, g));
              check(Q.rows === rows && Q.cols === s.cols && Q.dtype === dtype, () => `allocated P is ${Q.rows}x${Q.cols} ${Q.dtype}`);
              const q = await la.read(Q);
              for (let k = 0; k < q.length; k++) check(Object.is(q[k], p[k]), () => `allocated P differs at ${k}`);
            } finally {
              scope.free();
            }
            check(la.liveBytes() === before, () => `live bytes ${la.liveBytes()} after the case, ${before} before`);
          },
        });
      }
    }
  }
  return cases;
}

function validationCases(): Case[] {
  return [{
    name: 'im2col rejects wrong shapes, dtypes, overlap and geometries',
    deviceNeutral: true,
    run: async ({ la }) => {
      const scope = la.scope();
      try {
        const g = { channels: 2, height: 4, width: 4, kernel: [3, 3] };
        const X = scope.track(la.matrix(2, 32)), P = scope.track(la.matrix(8, 18));
        await la.im2col(X, g, P); // the happy path
        await expectReject(() => la.im2col(scope.track(la.matrix(2, 31)), g), /im2col: argument X must be 32 columns \(channels·height·width = 2·4·4/);
        await expectReject(() => la.im2col(X, g, scope.track(la.matrix(8, 17))), /im2col: argument P must be 8x18/);
        await expectReject(() => la.im2col(X, g, scope.track(la.matrix(8, 18, 'float64')) as never), /im2col: argument P must be a float32 matrix/);
        await expectReject(() => la.im2col(scope.track(la.mask(2, 32)) as never, g), /im2col: argument X must be a float32 or float64 matrix/);
        const big = scope.track(la.matrix(10, 40));
        await expectReject(() => la.im2col(big.view(0, 0, 2, 32), g, big.view(1, 0, 8, 18)), /im2col: argument P .*overlap input X/);
        await expectReject(() => la.im2col(X, { ...g, kernel: [5, 3] }), /im2col: argument geometry.kernel must be a kernel whose dilated extent \(5x3\) fits the padded input \(4x4\)/);
        await expectReject(() => la.im2col(X, { ...g, dilations: [2, 1] }), /dilated extent \(5x3\)/);
        await expectReject(() => la.im2col(X, { ...g, strides: [0, 1] }), /im2col: argument geometry.strides\[0\] must be an integer in \[1,/);
        await expectReject(() => la.im2col(X, { ...g, pads: [1, 1] }), /im2col: argument geometry.pads must be an array of 4 integers/);
        await expectReject(() => la.im2col(X, { ...g, pads: [0, -1, 0, 0] }), /geometry.pads\[1\] must be an integer in \[0,/);
        await expectReject(() => la.im2col(X, { ...g, channels: 1.5 }), /im2col: argument geometry.channels must be an integer/);
        await expectReject(() => la.im2col(X, { ...g, stride: [1, 1] } as never), /im2col: argument geometry.stride must be a known option .*did you mean 'strides'/);
        await expectReject(() => la.im2col(X, null as never), /im2col: argument geometry must be \{ channels/);
      } finally {
        scope.free();
      }
    },
  }];
}

/** The im2col cases. */
export function im2colCases(): Case[] {
  return [...geometryCases(), ...validationCases()];
}
