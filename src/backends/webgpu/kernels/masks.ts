// The mask and diagonal kernels of the facade in WGSL (float32 matrices, uint8 masks), exact:
// counts, first indices and copies need no rounding, and the one quotient (diagonal's reciprocal)
// is computed to two floats and rounded once. A count or first index comes back as one word of a
// result buffer the backend reads (R[0]; first indices as the complement of an atomic max, so that
// a cleared word means none).
import { DF32 } from './df32.js';
import { elementwise, maskByte as BYTE } from './elementwise.js';

/** x_j := A[j, j] (op 0) or 1 / A[j, j] (op 1), rounded once; pass rows = 1, cols = n. */
export const DIAGONAL = elementwise('sdiagonal', 'aOff: u32, aLd: u32, xOff: u32, xStep: u32, op: u32, zero: u32',
  `@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
${DF32}`,
  `ds_zero = P.zero;
  let v = A[P.aOff + j * (P.aLd + 1u)];
  var y = v;
  if (P.op == 1u) {
    if (v == 0.0) { y = select(ds_inf(), ds_neg_inf(), (bitcast<u32>(v) >> 31u) == 1u); }
    else if (!ds_finite(v)) { y = 1.0 / v; }
    else if (abs(v) >= bitcast<f32>(0x7e000000u)) {
      // |v| >= 2^125: 1/v is near or below 2^-126, so it is scaled back last (not flushed to 0).
      y = ds_to_f32(ds_div(vec2f(1.0, 0.0), vec2f(ldexp(v, -64), 0.0)), -64);
    } else { y = ds_quot(1.0, v); }
  }
  X[P.xOff + j * P.xStep] = y;`);

/**
 * Dead inputs: dead_j := 1 where H[j, j] = 0, else 0, and those H[j, j] := 1; R[0] counts them.
 * dead's bytes are set through atomics on their words, leaving the other bytes of a word alone.
 * Pass rows = 1, cols = n.
 */
export const DEAD_INPUTS = elementwise('sdead-inputs', 'hOff: u32, hLd: u32, dOff: u32, pad: u32',
  `@group(0) @binding(1) var<storage, read_write> H: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> R: array<atomic<u32>>;`,
  `let h = P.hOff + j * (P.hLd + 1u);
  let b = P.dOff + j;
  let shift = (b & 3u) * 8u;
  atomicAnd(&D[b >> 2u], ~(0xffu << shift));
  if (H[h] == 0.0) {
    atomicOr(&D[b >> 2u], 1u << shift);
    H[h] = 1.0;
    atomicAdd(&R[0], 1u);
  }`);

/**
 * Kept entries of each row into counts (int32, element i at cOff + i * cStep), and in R[0] the
 * most kept in any group of `group` consecutive columns (group 0: none). One invocation per row.
 */
export const MASK_COUNTS = elementwise('smask-counts', 'mOff: u32, mLd: u32, cOff: u32, cStep: u32, group: u32, cols2: u32',
  `@group(0) @binding(1) var<storage, read> M: array<u32>;
@group(0) @binding(2) var<storage, read_write> Cn: array<i32>;
@group(0) @binding(3) var<storage, read_write> R: array<atomic<u32>>;`,
  `// (rows = mask rows, cols = 1: j is 0 and i the row; the row's length is cols2.)
  let o = P.mOff + i * P.mLd;
  var kept = 0u;
  var inGroup = 0u;
  var most = 0u;
  for (var c = 0u; c < P.cols2; c++) {
    let v = ${BYTE('M', 'o + c')};
    kept += v;
    if (P.group > 0u) {
      inGroup += v;
      if ((c + 1u) % P.group == 0u) { most = max(most, inGroup); inGroup = 0u; }
    }
  }
  Cn[P.cOff + i * P.cStep] = i32(kept);
  atomicMax(&R[0], most);`);

/** The number of positions where masks A and B differ, in R[0]. */
export const MASK_DIFFERENCE = elementwise('smask-difference', 'aOff: u32, aLd: u32, bOff: u32, bLd: u32',
  `@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read> B: array<u32>;
@group(0) @binding(3) var<storage, read_write> R: array<atomic<u32>>;`,
  `if (${BYTE('A', 'P.aOff + i * P.aLd + j')} != ${BYTE('B', 'P.bOff + i * P.bLd + j')}) { atomicAdd(&R[0], 1u); }`);

/** The first row-major index with mask 0 and W ≠ 0 (float32 W), as the complement in R[0]. */
export const MASK_VIOLATION = elementwise('smask-violation', 'wOff: u32, wLd: u32, mOff: u32, mLd: u32',
  `@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> M: array<u32>;
@group(0) @binding(3) var<storage, read_write> R: array<atomic<u32>>;`,
  `// W's bits: anything but ±0 is a nonzero (NaN included), whatever a compiler assumes of floats.
  let w = W[P.wOff + i * P.wLd + j] & 0x7fffffffu;
  if (w != 0u && ${BYTE('M', 'P.mOff + i * P.mLd + j')} == 0u) { atomicMax(&R[0], ~t); }`);
