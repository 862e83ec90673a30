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

/** One masked PCG iteration in float64 (see KernelBackend.pcgStep): the update, then the Jacobi direction. */
export function pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
  const dv = dinv.toArray();
  let active = 0;
  for (let i = 0; i < X.rows; i++) {
    if (state[4 * i + 3] !== 1) continue;
    updateRow(i, X, R, P, Q, mask, tolerance * tolerance, state);
    if (state[4 * i + 3] !== 1) continue;
    directionRow(i, R, null, P, mask, dv, false, state);
    if (state[4 * i + 3] === 1) active++;
  }
  return active;
}

/** The update half of a PCG iteration in float64 (see KernelBackend.pcgUpdate). */
export function pcgUpdate(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, tolerance: number, state: Float64Array): number {
  let active = 0;
  for (let i = 0; i < X.rows; i++) {
    if (state[4 * i + 3] !== 1) continue;
    updateRow(i, X, R, P, Q, mask, tolerance * tolerance, state);
    if (state[4 * i + 3] === 1) active++;
  }
  return active;
}

/** The direction half in float64 (see KernelBackend.pcgDirection). */
export function pcgDirection(R: Matrix, C: Matrix | null, P: Matrix, mask: Uint8Array, dinv: Matrix, restart: boolean, state: Float64Array): number {
  const dv = dinv.toArray();
  let active = 0;
  for (let i = 0; i < R.rows; i++) {
    if (state[4 * i + 3] !== 1) continue;
    directionRow(i, R, C, P, mask, dv, restart, state);
    if (state[4 * i + 3] === 1) active++;
  }
  return active;
}

/** α = rz/(p·q), x += α p, r −= α q on the support, rr; status 0 converged, 2 stopped. */
function updateRow(i: number, X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, tol2: number, state: Float64Array): void {
  const c = X.cols, x = X.data, r = R.data, p = P.data, q = Q.data;
  const ox = X.offset + i * X.stride, or = R.offset + i * R.stride, op = P.offset + i * P.stride, oq = Q.offset + i * Q.stride;
  let pq = 0;
  for (let j = 0; j < c; j++) pq += p[op + j] * q[oq + j];
  const alpha = state[4 * i] / pq;
  if (!(pq > 0) || !Number.isFinite(alpha)) {
    state[4 * i + 3] = 2;
    return;
  }
  let rr = 0;
  for (let j = 0; j < c; j++) {
    x[ox + j] += alpha * p[op + j];
    if (mask[i * c + j] !== 0) r[or + j] -= alpha * q[oq + j];
    rr += r[or + j] * r[or + j];
  }
  state[4 * i + 1] = rr;
  if (rr <= tol2 * state[4 * i + 2]) state[4 * i + 3] = 0;
}

/** z = dinv ⊙ r − C on the support, rz' = r·z, p := z (+ (rz'/rz) p), rz := rz'; status 2 when rz' ≤ 0. */
function directionRow(i: number, R: Matrix, C: Matrix | null, P: Matrix, mask: Uint8Array, dv: ArrayLike<number>, restart: boolean, state: Float64Array): void {
  const c = R.cols, r = R.data, p = P.data;
  const or = R.offset + i * R.stride, op = P.offset + i * P.stride, oc = C === null ? 0 : C.offset + i * C.stride;
  const z = new Float64Array(c);
  let rz = 0;
  for (let j = 0; j < c; j++) {
    z[j] = dv[j] * r[or + j] - (C !== null && mask[i * c + j] !== 0 ? C.data[oc + j] : 0);
    rz += r[or + j] * z[j];
  }
  if (!(rz > 0) || !Number.isFinite(rz)) {
    state[4 * i + 3] = 2;
    return;
  }
  const beta = restart ? 0 : rz / state[4 * i];
  for (let j = 0; j < c; j++) p[op + j] = z[j] + beta * p[op + j];
  state[4 * i] = rz;
}
