// The OBS downdate of a symmetric float32 Hinv at p in WGSL (KernelBackend.downdate), as the
// Wasm kernel writes it: u = Hinv[p, :] / √d (the root rounded once, its reciprocal rounded
// once), then Hinv[i, j] −= u_i u_j for every row i ≠ p whose u_i is not zero, so (i, j) and
// (j, i) get the same correction, and row and column p set to exactly 0. Two programs: u into a
// temporary (so no invocation reads what another writes), then the update, one invocation per
// element.
import { DF32 } from './df32.js';
import { elementwise } from './elementwise.js';

/** u[j] := A[p, j] · s, s = 1 / √A[p, p]; pass rows = 1, cols = n. */
export const DOWNDATE_U = elementwise('downdate-u', 'aOff: u32, aLd: u32, p: u32, zero: u32',
  `@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;
${DF32}`,
  `ds_zero = P.zero;
  let row = P.aOff + P.p * P.aLd;
  let s = ds_inv_root(A[row + P.p]);
  u[j] = A[row + j] * s;`);

/** A[i, j] := 0 on row and column p, else A[i, j] − u_i u_j where u_i ≠ 0; pass rows = cols = n. */
export const DOWNDATE_APPLY = elementwise('downdate-apply', 'aOff: u32, aLd: u32, p: u32, pad: u32',
  `@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read_write> A: array<f32>;`,
  `let at = P.aOff + i * P.aLd + j;
  if (i == P.p || j == P.p) {
    A[at] = 0.0;
  } else if (u[i] != 0.0) {
    A[at] = A[at] + (-u[i]) * u[j];
  }`);
