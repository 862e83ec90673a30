/// <reference types="@webgpu/types" />
// The blocked Cholesky family on the GPU, float32 and float64, from the kernels of
// kernels/cholesky.ts and the backend's gemm (the work of order n³ is matrix products):
// - potrf, right-looking in two levels: CHOL_NB columns at a time the diagonal block (POTF2) and
//   the panel below it (TRSM_PANEL), updating the rest of an outer block (64 to 256 columns); then
//   the trailing A22 −= L21 L21ᵀ by gemms over column strips (what they write above the diagonal,
//   inside the strips' diagonal squares, is cleared at the end and never read before);
// - trtri of a lower factor, top-down by block rows: every diagonal block inverted at once
//   (TRTI2), then X[i, :i] = −X_ii · (L[i, :i] · X[:i, :i]) by two gemms per block row, first
//   inside blocks of 64 to 256, then across them;
// - invchol as the Wasm kernel does it (assembly/lapack/invchol.ts): reverse the lower
//   triangle, potrf, trtri, rotate by 180 degrees;
// - potri as L⁻ᵀ L⁻¹ by syrk (float32: the compensated one).
// The first failing pivot's info is kept on the GPU and read once, at the end of each call.
import type { Matrix } from '../../core/matrix.js';
import { CHOL_NB, CHOLESKY_KERNELS, type CholeskyKernels } from './kernels/cholesky.js';
import { Params, type Programs, linearGrid } from './program.js';

function kernels(A: Matrix): CholeskyKernels {
  if (A.dtype !== 'float32' && A.dtype !== 'float64') throw new Error(`iobs webgpu: no Cholesky kernels for ${A.dtype}`);
  return CHOLESKY_KERNELS[A.dtype];
}

/** What the blocked algorithms need of the backend. */
export interface CholeskyHost {
  readonly programs: Programs;
  buffer(M: Matrix): GPUBuffer;
  /** A zeroed compact matrix of A's dtype on the GPU (free() gives it back). */
  temp(rows: number, cols: number, like: Matrix): Matrix;
  /** A zeroed 4-byte buffer for info, and its value once the queue gets there. */
  infoBuffer(): { buffer: GPUBuffer; read(): Promise<number> };
  copy(A: Matrix, B: Matrix): Promise<void>;
  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): Promise<void>;
  syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): Promise<void>;
}

function grid(elements: number): [number, number] {
  return linearGrid(Math.ceil(elements / 256));
}

/**
 * Columns of an outer block step of potrf for order n (its trailing update is a product with
 * k = this): n/8 rounded to a power of two in [64, 256], so large matrices get long products and
 * the test sizes (up to 200) still take several outer steps. The trailing update goes in column
 * strips twice as wide, so only the strips' diagonal squares reach above the diagonal.
 */
function outerBlock(n: number): number {
  return Math.min(256, Math.max(64, 2 ** Math.round(Math.log2(Math.max(1, n / 8)))));
}

/**
 * Lower Cholesky factor of A in place (strict upper set to 0); the first failure goes to info.
 * Two levels: an outer block of outerBlock(n) columns is factored CHOL_NB columns at a time, each step
 * updating only the rest of the outer block; then the trailing matrix gets A22 −= L21 L21ᵀ with
 * k = the outer block, over column strips so that almost nothing above the diagonal is computed.
 */
async function factor(h: CholeskyHost, A: Matrix, info: GPUBuffer): Promise<void> {
  const n = A.rows, buf = h.buffer(A), K = kernels(A);
  const outer = outerBlock(n), strip = 2 * outer;
  for (let k0 = 0; k0 < n; k0 += outer) {
    const k1 = Math.min(k0 + outer, n);
    for (let j0 = k0; j0 < k1; j0 += CHOL_NB) {
      const jb = Math.min(CHOL_NB, k1 - j0), j1 = j0 + jb;
      h.programs.run(K.potf2, new Params().u32(jb).u32(A.offset).u32(A.stride).u32(j0), [buf, info], [1]);
      if (j1 >= n) break;
      h.programs.run(K.trsmPanel, new Params().u32(n - j1).u32(jb).u32(A.offset).u32(A.stride).u32(j0).u32(j1).u32(0).u32(0), [buf], grid(n - j1));
      if (j1 < k1) await h.gemm(false, true, -1, A.view(j1, j0, n - j1, jb), A.view(j1, j0, k1 - j1, jb), 1, A.view(j1, j1, n - j1, k1 - j1));
    }
    if (k1 >= n) break;
    // The panel's factor below the block, copied once, feeds every strip.
    const L = h.temp(n - k1, k1 - k0, A);
    try {
      await h.copy(A.view(k1, k0, n - k1, k1 - k0), L);
      for (let s0 = k1; s0 < n; s0 += strip) {
        const s1 = Math.min(s0 + strip, n);
        await h.gemm(false, true, -1, L.view(s0 - k1, 0, n - s0, k1 - k0), L.view(s0 - k1, 0, s1 - s0, k1 - k0), 1, A.view(s0, s0, n - s0, s1 - s0));
      }
    } finally {
      L.free();
    }
  }
  h.programs.run(K.clearUpper, new Params().u32(n).u32(A.offset).u32(A.stride).u32(0), [buf], grid(n * n));
}

/**
 * X := L⁻¹ in place for a lower triangular L whose strict upper triangle is 0, given that its
 * diagonal blocks of `step` (aligned at multiples of step) are inverted already: block row by
 * block row, X[i, :i] = −X_ii · (L[i, :i] · X[:i, :i]).
 */
async function combine(h: CholeskyHost, X: Matrix, step: number): Promise<void> {
  const n = X.rows;
  for (let c0 = step; c0 < n; c0 += step) {
    const kb = Math.min(step, n - c0);
    const T = h.temp(kb, c0, X);
    try {
      await h.gemm(false, false, 1, X.view(c0, 0, kb, c0), X.view(0, 0, c0, c0), 0, T);
      await h.gemm(false, false, -1, X.view(c0, c0, kb, kb), T, 0, X.view(c0, 0, kb, c0));
    } finally {
      T.free();
    }
  }
}

/**
 * X := L⁻¹ in place for a lower triangular L whose strict upper triangle is 0, in three levels:
 * every CHOL_NB block at once (TRTI2), then the blocks of outerBlock(n) from those, then the
 * whole from those (so the last level's products have outerBlock(n) rows, not CHOL_NB).
 */
async function invertLower(h: CholeskyHost, X: Matrix): Promise<void> {
  const n = X.rows, b = outerBlock(n);
  h.programs.run(kernels(X).trti2, new Params().u32(n).u32(X.offset).u32(X.stride).u32(0), [h.buffer(X)], [Math.ceil(n / CHOL_NB)]);
  for (let g0 = 0; g0 < n; g0 += b) {
    const gb = Math.min(b, n - g0);
    await combine(h, X.view(g0, g0, gb, gb), CHOL_NB);
  }
  await combine(h, X, b);
}

/** potrf: A = L Lᵀ in place (lower read); LAPACK's info. */
export async function potrf(h: CholeskyHost, A: Matrix): Promise<number> {
  const info = h.infoBuffer();
  await factor(h, A, info.buffer);
  return info.read();
}

/** invchol: A := U upper with A⁻¹ = UᵀU (lower read); info as the Wasm kernel's (trailing minors). */
export async function invchol(h: CholeskyHost, A: Matrix): Promise<number> {
  const n = A.rows, T = h.temp(n, n, A), info = h.infoBuffer(), K = kernels(A);
  try {
    const p = new Params().u32(n).u32(A.offset).u32(A.stride).u32(0).u32(n).u32(0).u32(0).u32(0);
    h.programs.run(K.reverseLower, p, [h.buffer(A), h.buffer(T)], grid(n * n));
    await factor(h, T, info.buffer);
    await invertLower(h, T);
    const q = new Params().u32(n).u32(0).u32(n).u32(A.offset).u32(A.stride).u32(0).u32(0).u32(0);
    h.programs.run(K.rotateUpper, q, [h.buffer(T), h.buffer(A)], grid(n * n));
    return await info.read();
  } finally {
    T.free();
  }
}

/** potri: A := A⁻¹ (lower read, both triangles written, exactly symmetric); potrf's info. */
export async function potri(h: CholeskyHost, A: Matrix): Promise<number> {
  const n = A.rows, T = h.temp(n, n, A), info = h.infoBuffer();
  try {
    await h.copy(A, T);
    await factor(h, T, info.buffer);
    await invertLower(h, T);
    await h.syrk(true, 1, T, 0, A);
    return await info.read();
  } finally {
    T.free();
  }
}

