import type { Matrix } from '../../core/matrix.js';

/** Masked PCG start in float64 (see KernelBackend.pcgStart). */
export function pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
  const rows = X.rows, c = X.cols, dv = dinv.toArray();
  const x = X.data, b = B.data, r = R.data, p = P.data;
  const tol2 = tolerance * tolerance;
  let active = 0;
  for (let i = 0; i < rows; i++) {
    const ox = X.offset + i * X.stride, ob = B.offset + i * B.stride, or = R.offset + i * R.stride, op = P.offset + i * P.stride;
    let bb = 0, rr = 0, rz = 0;
    for (let j = 0; j < c; j++) {
      const on = mask[i * c + j] !== 0;
      const bj = on ? b[ob + j] : 0;
      r[or + j] = on ? r[or + j] : 0;
      const rj = r[or + j];
      p[op + j] = dv[j] * rj;
      bb += bj * bj;
      rr += rj * rj;
      rz += rj * p[op + j];
    }
    let status = bb > 0 && rr > tol2 * bb ? 1 : 0;
    if (bb === 0) for (let j = 0; j < c; j++) x[ox + j] = r[or + j] = p[op + j] = 0;
    state.set([rz, rr, bb, status], 4 * i);
    active += status;
  }
  return active;
}

/** One masked PCG iteration in float64 (see KernelBackend.pcgStep). */
export function pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
  const rows = X.rows, c = X.cols, dv = dinv.toArray();
  const x = X.data, r = R.data, p = P.data, q = Q.data;
  const tol2 = tolerance * tolerance;
  let active = 0;
  for (let i = 0; i < rows; i++) {
    if (state[4 * i + 3] !== 1) continue;
    const ox = X.offset + i * X.stride, or = R.offset + i * R.stride, op = P.offset + i * P.stride, oq = Q.offset + i * Q.stride;
    let pq = 0;
    for (let j = 0; j < c; j++) pq += p[op + j] * q[oq + j];
    const rz = state[4 * i], bb = state[4 * i + 2];
    const alpha = rz / pq;
    if (!(pq > 0) || !Number.isFinite(alpha)) {
      state[4 * i + 3] = 2;
      continue;
    }
    let rr = 0, rzNew = 0;
    for (let j = 0; j < c; j++) {
      x[ox + j] += alpha * p[op + j];
      if (mask[i * c + j] !== 0) r[or + j] -= alpha * q[oq + j];
      const rj = r[or + j];
      rr += rj * rj;
      rzNew += rj * (dv[j] * rj);
    }
    state[4 * i + 1] = rr;
    if (rr <= tol2 * bb) {
      state[4 * i + 3] = 0;
      continue;
    }
    const beta = rzNew / rz;
    for (let j = 0; j < c; j++) p[op + j] = dv[j] * r[or + j] + beta * p[op + j];
    state[4 * i] = rzNew;
    active++;
  }
  return active;
}
