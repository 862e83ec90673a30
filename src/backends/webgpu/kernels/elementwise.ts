// Elementwise kernels of the facade in WGSL (float32; axpby also in float64), one invocation per
// element of a strided rows x cols view (index t → row t / cols, column t % cols, over a 2-D grid
// of workgroups).
import { LINEAR_INDEX, type Program } from '../program.js';
import { F64 } from './f64.js';

/** WGSL: byte k of a uint8 matrix whose buffer is bound as an array of u32 words. */
export const maskByte = (name: string, k: string): string => `((${name}[(${k}) >> 2u] >> (((${k}) & 3u) * 8u)) & 0xffu)`;

/** A kernel of one invocation per element t = i·cols + j of a rows x cols grid (params follow rows, cols). */
export function elementwise(name: string, params: string, bindings: string, body: string): Program {
  return {
    name,
    code: `
struct Params { rows: u32, cols: u32, ${params} }
@group(0) @binding(0) var<uniform> P: Params;
${bindings}
${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.rows * P.cols) { return; }
  let i = t / P.cols;
  let j = t - i * P.cols;
  ${body}
}`,
  };
}

/**
 * float64 Y := alpha X + beta Y (beta = 0 overwrites Y), in the emulated float64 of f64.ts: each
 * product and the sum rounded once, as the Wasm kernel does (no fused multiply-add). alpha and
 * beta come as their float64 words.
 */
export const DAXPBY = elementwise('daxpby', 'xOff: u32, xLd: u32, yOff: u32, yLd: u32, aLo: u32, aHi: u32, bLo: u32, bHi: u32, pad0: u32, pad1: u32',
  `@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> Y: array<u32>;
${F64}`,
  `let x = 2u * (P.xOff + i * P.xLd + j);
  let y = 2u * (P.yOff + i * P.yLd + j);
  var v = mul(unpack64(P.aLo, P.aHi), unpack64(X[x], X[x + 1u]));
  if (P.bLo != 0u || (P.bHi & 0x7fffffffu) != 0u) { v = add(v, mul(unpack64(P.bLo, P.bHi), unpack64(Y[y], Y[y + 1u]))); }
  let b = bits64(v);
  Y[y] = b.x;
  Y[y + 1u] = b.y;`);

/**
 * float64 D := W − X (hasX = 0: D := W) for W and X of one dtype, float32 (words = 1) or float64
 * (words = 2), in the emulated float64 of f64.ts: each difference rounded once, as the Wasm kernel
 * forms it (widening float32 is exact). With no X, X is bound to W's buffer and not read.
 */
export const DDIFFERENCE = elementwise('ddifference', 'wOff: u32, wLd: u32, xOff: u32, xLd: u32, dOff: u32, dLd: u32, words: u32, hasX: u32, pad0: u32, pad1: u32',
  `@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> X: array<u32>;
@group(0) @binding(3) var<storage, read_write> D: array<u32>;
${F64}
fn widened(words: u32, lo: u32, hi: u32) -> F64 {
  if (words == 1u) { return from32(lo); }
  return unpack64(lo, hi);
}`,
  `let w = P.words * (P.wOff + i * P.wLd + j);
  var v = widened(P.words, W[w], W[w + P.words - 1u]);
  if (P.hasX != 0u) {
    let x = P.words * (P.xOff + i * P.xLd + j);
    v = add(v, negated(widened(P.words, X[x], X[x + P.words - 1u])));
  }
  let b = bits64(v);
  let d = 2u * (P.dOff + i * P.dLd + j);
  D[d] = b.x;
  D[d + 1u] = b.y;`);

/** Y := alpha X + beta Y (beta = 0 overwrites Y). */
export const AXPBY = elementwise('saxpby', 'xOff: u32, xLd: u32, yOff: u32, yLd: u32, alpha: f32, beta: f32',
  `@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;`,
  `let y = P.yOff + i * P.yLd + j;
  var v = P.alpha * X[P.xOff + i * P.xLd + j];
  if (P.beta != 0.0) { v = fma(P.beta, Y[y], v); }
  Y[y] = v;`);

/** A[i, :] := x_i A[i, :] (x float32, element i at xOff + i * xStep). */
export const SCALE_ROWS = elementwise('sscale-rows', 'aOff: u32, aLd: u32, xOff: u32, xStep: u32',
  `@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> A: array<f32>;`,
  `let a = P.aOff + i * P.aLd + j;
  A[a] = X[P.xOff + i * P.xStep] * A[a];`);

/** A[i, j] := 0 where the uint8 mask is 0 (mask bytes at mOff + i * mLd + j). */
export const APPLY_MASK = elementwise('sapply-mask', 'aOff: u32, aLd: u32, mOff: u32, mLd: u32',
  `@group(0) @binding(1) var<storage, read> Mk: array<u32>;
@group(0) @binding(2) var<storage, read_write> A: array<f32>;`,
  `if (${maskByte('Mk', 'P.mOff + i * P.mLd + j')} == 0u) { A[P.aOff + i * P.aLd + j] = 0.0; }`);

/** A[j, j] += alpha for j < n (pass rows = 1, cols = n). */
export const ADD_DIAGONAL = elementwise('sadd-diagonal', 'aOff: u32, aLd: u32, alpha: f32, pad: u32',
  `@group(0) @binding(1) var<storage, read_write> A: array<f32>;`,
  `let a = P.aOff + j * (P.aLd + 1u);
  A[a] = A[a] + P.alpha;`);

/** A[j, j] += alpha on float64 (two words an element; alpha's words aLo, aHi), rounded as IEEE float64 adds. */
export const DADD_DIAGONAL = elementwise('dadd-diagonal', 'aOff: u32, aLd: u32, aLo: u32, aHi: u32',
  `@group(0) @binding(1) var<storage, read_write> A: array<u32>;
${F64}`,
  `let a = 2u * (P.aOff + j * (P.aLd + 1u));
  let b = bits64(add(unpack64(A[a], A[a + 1u]), unpack64(P.aLo, P.aHi)));
  A[a] = b.x;
  A[a + 1u] = b.y;`);

/** A[i, j] := 0 where the uint8 column flag j is nonzero (flag bytes at cOff + j). */
export const ZERO_COLUMNS = elementwise('szero-columns', 'aOff: u32, aLd: u32, cOff: u32, pad: u32',
  `@group(0) @binding(1) var<storage, read> Cf: array<u32>;
@group(0) @binding(2) var<storage, read_write> A: array<f32>;`,
  `if (${maskByte('Cf', 'P.cOff + j')} != 0u) { A[P.aOff + i * P.aLd + j] = 0.0; }`);
