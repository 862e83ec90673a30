// gramDiagonal: x_j := Σ_i A[i, j]² (or its reciprocal), one invocation per column summing down
// the rows in order, in the emulated float64 of f64.ts as the Wasm kernel sums (float32 squares
// exact, float64 ones rounded once, each sum rounded once; the reciprocal taken in float64), then
// rounded once to x's dtype (float32 or float64, the same as A's). Pass rows = 1, cols = A.cols.
import { F64 } from './f64.js';
import { elementwise } from './elementwise.js';

export const GRAM_DIAGONAL = elementwise('gram-diagonal', 'aRows: u32, aOff: u32, aLd: u32, xOff: u32, xStep: u32, words: u32, recip: u32, pad0: u32, pad1: u32, pad2: u32',
  `@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read_write> X: array<u32>;
${F64}`,
  `var sum = f64Zero(0u);
  for (var r = 0u; r < P.aRows; r++) {
    let k = P.aOff + r * P.aLd + j;
    var v: F64;
    if (P.words == 1u) { v = from32(A[k]); } else { v = unpack64(A[2u * k], A[2u * k + 1u]); }
    sum = add(sum, mul(v, v));
  }
  if (P.recip == 1u) { sum = recip(sum); }
  let at = P.xOff + j * P.xStep;
  if (P.words == 1u) {
    X[at] = bits32(sum);
  } else {
    let b = bits64(sum);
    X[2u * at] = b.x;
    X[2u * at + 1u] = b.y;
  }`);
