/// <reference types="@webgpu/types" />
// The blocked Cholesky family on the GPU, float32, from the kernels of kernels/cholesky.ts and
// the backend's gemm (the work of order n³ is matrix products):
// - potrf, right-looking by CHOL_NB columns: the diagonal block (POTF2), the panel below it
//   (TRSM_PANEL), then A22 −= L21 L21ᵀ by one gemm (the full square: the strict upper triangle
//   it also writes is cleared at the end, and never read before);
// - trtri of a lower factor, top-down by block rows: every diagonal block inverted at once
//   (TRTI2), then X[i, :i] = −X_ii · (L[i, :i] · X[:i, :i]) by two gemms per block row;
// - invchol as the Wasm kernel does it (assembly/lapack/invchol.ts): reverse the lower
//   triangle, potrf, trtri, rotate by 180 degrees;
// - potri as L⁻ᵀ L⁻¹ by the compensated syrk.
// The first failing pivot's info is kept on the GPU and read once, at the end of each call.
import type { Matrix } from '../../core/matrix.js';
import { CHOL_NB, CLEAR_UPPER, POTF2, REVERSE_LOWER, ROTATE_UPPER, TRSM_PANEL, TRTI2 } from './kernels/cholesky.js';
import { Params, type Programs, linearGrid } from './program.js';

/** What the blocked algorithms need of the backend. */
export interface CholeskyHost {
  readonly programs: Programs;
  buffer(M: Matrix): GPUBuffer;
  /** A zeroed compact float32 matrix on the GPU (free() gives it back). */
  temp(rows: number, cols: number): Matrix;
  /** A zeroed 4-byte buffer for info, and its value once the queue gets there. */
  infoBuffer(): { buffer: GPUBuffer; read(): Promise<number> };
  copy(A: Matrix, B: Matrix): Promise<void>;
  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): Promise<void>;
  syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): Promise<void>;
}

function grid(elements: number): [number, number] {
  return linearGrid(Math.ceil(elements / 256));
}

/** Lower Cholesky factor of A in place (strict upper set to 0); the first failure goes to info. */
async function factor(h: CholeskyHost, A: Matrix, info: GPUBuffer): Promise<void> {
  const n = A.rows, buf = h.buffer(A);
  for (let k0 = 0; k0 < n; k0 += CHOL_NB) {
    const kb = Math.min(CHOL_NB, n - k0), k1 = k0 + kb;
    h.programs.run(POTF2, new Params().u32(kb).u32(A.offset).u32(A.stride).u32(k0), [buf, info], [1]);
    if (k1 >= n) break;
    h.programs.run(TRSM_PANEL, new Params().u32(n - k1).u32(kb).u32(A.offset).u32(A.stride).u32(k0).u32(k1).u32(0).u32(0), [buf], grid(n - k1));
    const L21 = A.view(k1, k0, n - k1, kb);
    await h.gemm(false, true, -1, L21, L21, 1, A.view(k1, k1, n - k1, n - k1));
  }
  h.programs.run(CLEAR_UPPER, new Params().u32(n).u32(A.offset).u32(A.stride).u32(0), [buf], grid(n * n));
}

/** X := L⁻¹ in place for a lower triangular L whose strict upper triangle is 0. */
async function invertLower(h: CholeskyHost, X: Matrix): Promise<void> {
  const n = X.rows;
  h.programs.run(TRTI2, new Params().u32(n).u32(X.offset).u32(X.stride).u32(0), [h.buffer(X)], [Math.ceil(n / CHOL_NB)]);
  for (let c0 = CHOL_NB; c0 < n; c0 += CHOL_NB) {
    const kb = Math.min(CHOL_NB, n - c0);
    const T = h.temp(kb, c0);
    try {
      await h.gemm(false, false, 1, X.view(c0, 0, kb, c0), X.view(0, 0, c0, c0), 0, T);
      await h.gemm(false, false, -1, X.view(c0, c0, kb, kb), T, 0, X.view(c0, 0, kb, c0));
    } finally {
      T.free();
    }
  }
}

/** potrf: A = L Lᵀ in place (lower read); LAPACK's info. */
export async function potrf(h: CholeskyHost, A: Matrix): Promise<number> {
  const info = h.infoBuffer();
  await factor(h, A, info.buffer);
  return info.read();
}

/** invchol: A := U upper with A⁻¹ = UᵀU (lower read); info as the Wasm kernel's (trailing minors). */
export async function invchol(h: CholeskyHost, A: Matrix): Promise<number> {
  const n = A.rows, T = h.temp(n, n), info = h.infoBuffer();
  try {
    const p = new Params().u32(n).u32(A.offset).u32(A.stride).u32(0).u32(n).u32(0).u32(0).u32(0);
    h.programs.run(REVERSE_LOWER, p, [h.buffer(A), h.buffer(T)], grid(n * n));
    await factor(h, T, info.buffer);
    await invertLower(h, T);
    const q = new Params().u32(n).u32(0).u32(n).u32(A.offset).u32(A.stride).u32(0).u32(0).u32(0);
    h.programs.run(ROTATE_UPPER, q, [h.buffer(T), h.buffer(A)], grid(n * n));
    return await info.read();
  } finally {
    T.free();
  }
}

/** potri: A := A⁻¹ (lower read, both triangles written, exactly symmetric); potrf's info. */
export async function potri(h: CholeskyHost, A: Matrix): Promise<number> {
  const n = A.rows, T = h.temp(n, n), info = h.infoBuffer();
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

