// Masked preconditioned conjugate gradients over all rows of a layer at once: row r solves
// H[S,S] x = b[S] on its support S (mask bytes ≠ 0), every row sharing H. The caller forms the
// products P·H with sgemm/dgemm; these kernels do the rest of an iteration, elementwise with the
// mask and per row: the step lengths, the x / r / p updates, the norms for the stopping test.
// Vectors of one row are contiguous; P and X stay zero off S because r and z do. Dots and norms
// accumulate in float64 (f32 data is promoted lane-wise), the updates are in T.
// state holds four f64 per row: rz = r·z, rr = ‖r‖², bb = ‖b_S‖², status (1 active, 0 converged,
// 2 stopped: P·Q not positive or a step not finite).
import { ld, st, lanes } from '../util/mem';

/** All-ones lanes where the mask byte for element j (and the next lanes − 1) is non-zero. */
// @ts-ignore: decorator
@inline function laneMask<T>(mask: usize, j: i32): v128 {
  if (sizeof<T>() == 4) {
    const m = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(mask + <usize>j)));
    return i32x4.ne(m, i32x4.splat(0));
  }
  const m = i64x2.extend_low_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load16_splat(mask + <usize>j))));
  return i64x2.ne(m, i64x2.splat(0));
}

/** acc + a·b lane-wise in float64 (f32 lanes promoted, the four products summed into two lanes). */
// @ts-ignore: decorator
@inline function acc64<T>(acc: v128, a: v128, b: v128): v128 {
  if (sizeof<T>() == 8) return f64x2.add(acc, f64x2.mul(a, b));
  const lo = f64x2.mul(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b));
  const ah = v128.shuffle<f32>(a, a, 2, 3, 0, 1), bh = v128.shuffle<f32>(b, b, 2, 3, 0, 1);
  const hi = f64x2.mul(f64x2.promote_low_f32x4(ah), f64x2.promote_low_f32x4(bh));
  return f64x2.add(acc, f64x2.add(lo, hi));
}

// @ts-ignore: decorator
@inline function hsum(acc: v128): f64 {
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

// @ts-ignore: decorator
@inline function rowAt<T>(p: usize, ldp: i32, i: i32): usize {
  return p + <usize>i * <usize>ldp * sizeof<T>();
}

/**
 * Start of masked PCG (see KernelBackend.pcgStart): on entry x is the start (0 off the mask) and
 * r holds b − x·H. Masks r, sets p = dinv ⊙ r, and writes rz, rr, bb and the status of each row;
 * rows with b_S = 0 get x = r = p = 0 (converged). Returns the number of active rows.
 */
export function pcgStart<T>(
  rows: i32, cols: i32, x: usize, ldx: i32, b: usize, ldb: i32, r: usize, ldr: i32, p: usize, ldp: i32,
  mask: usize, dinv: usize, tol: f64, state: usize,
): i32 {
  const L = lanes<T>(), sz = <usize>sizeof<T>();
  const tol2 = tol * tol;
  let active = 0;
  for (let i = 0; i < rows; i++) {
    const xi = rowAt<T>(x, ldx, i), bi = rowAt<T>(b, ldb, i), ri = rowAt<T>(r, ldr, i), pi = rowAt<T>(p, ldp, i);
    const mi = mask + <usize>i * <usize>cols;
    let vbb = f64x2.splat(0), vrr = f64x2.splat(0), vrz = f64x2.splat(0);
    let j = 0;
    for (; j + L <= cols; j += L) {
      const o = <usize>j * sz, m = laneMask<T>(mi, j);
      const bv = v128.and(v128.load(bi + o), m), rv = v128.and(v128.load(ri + o), m);
      const zv = v128.mul<T>(v128.load(dinv + o), rv);
      v128.store(ri + o, rv);
      v128.store(pi + o, zv);
      vbb = acc64<T>(vbb, bv, bv);
      vrr = acc64<T>(vrr, rv, rv);
      vrz = acc64<T>(vrz, rv, zv);
    }
    let bb = hsum(vbb), rr = hsum(vrr), rz = hsum(vrz);
    for (; j < cols; j++) {
      const on = load<u8>(mi + <usize>j) != 0;
      const bj: T = on ? ld<T>(bi, j) : <T>0, rj: T = on ? ld<T>(ri, j) : <T>0;
      const zj: T = ld<T>(dinv, j) * rj;
      st<T>(ri, j, rj);
      st<T>(pi, j, zj);
      bb += <f64>bj * <f64>bj;
      rr += <f64>rj * <f64>rj;
      rz += <f64>rj * <f64>zj;
    }
    const status: i32 = bb > 0 && rr > tol2 * bb ? 1 : 0;
    if (bb == 0) {
      memory.fill(xi, 0, <usize>cols * sz);
      memory.fill(ri, 0, <usize>cols * sz);
      memory.fill(pi, 0, <usize>cols * sz);
    }
    const s = state + <usize>i * 32;
    store<f64>(s, rz);
    store<f64>(s, rr, 8);
    store<f64>(s, bb, 16);
    store<f64>(s, <f64>status, 24);
    active += status;
  }
  return active;
}

/**
 * The first half of an iteration for row i (see KernelBackend.pcgUpdate), given q = p·H:
 * α = rz / (p·q); x += α p; r −= α q on the support; stores rr, and status 0 when converged or 2
 * when p·q is not positive or α not finite (the row then left as it was).
 */
// @ts-ignore: decorator
@inline function updateRow<T>(
  i: i32, cols: i32, x: usize, ldx: i32, r: usize, ldr: i32, p: usize, ldp: i32, q: usize, ldq: i32,
  mask: usize, tol2: f64, state: usize,
): void {
  const L = lanes<T>(), sz = <usize>sizeof<T>();
  const s = state + <usize>i * 32;
  const xi = rowAt<T>(x, ldx, i), ri = rowAt<T>(r, ldr, i), pi = rowAt<T>(p, ldp, i), qi = rowAt<T>(q, ldq, i);
  const mi = mask + <usize>i * <usize>cols;
  // p is zero off the support, so p·q needs no mask.
  let vpq = f64x2.splat(0);
  let j = 0;
  for (; j + L <= cols; j += L) {
    const o = <usize>j * sz;
    vpq = acc64<T>(vpq, v128.load(pi + o), v128.load(qi + o));
  }
  let pq = hsum(vpq);
  for (; j < cols; j++) pq += <f64>ld<T>(pi, j) * <f64>ld<T>(qi, j);
  const rz = load<f64>(s), bb = load<f64>(s, 16);
  const alpha = rz / pq;
  if (!(pq > 0) || !isFinite(alpha)) {
    store<f64>(s, 2, 24);
    return;
  }
  const a = v128.splat<T>(<T>alpha), na = v128.splat<T>(<T>-alpha);
  let vrr = f64x2.splat(0);
  j = 0;
  for (; j + L <= cols; j += L) {
    const o = <usize>j * sz, m = laneMask<T>(mi, j);
    const pv = v128.load(pi + o);
    v128.store(xi + o, v128.add<T>(v128.load(xi + o), v128.mul<T>(a, pv)));
    const qv = v128.and(v128.load(qi + o), m);
    const rv = v128.add<T>(v128.load(ri + o), v128.mul<T>(na, qv));
    v128.store(ri + o, rv);
    vrr = acc64<T>(vrr, rv, rv);
  }
  let rr = hsum(vrr);
  const at: T = <T>alpha;
  for (; j < cols; j++) {
    st<T>(xi, j, ld<T>(xi, j) + at * ld<T>(pi, j));
    if (load<u8>(mi + <usize>j) != 0) st<T>(ri, j, ld<T>(ri, j) - at * ld<T>(qi, j));
    const rj = ld<T>(ri, j);
    rr += <f64>rj * <f64>rj;
  }
  store<f64>(s, rr, 8);
  if (rr <= tol2 * bb) store<f64>(s, 0, 24);
}

/**
 * The second half for row i (see KernelBackend.pcgDirection): z = dinv ⊙ r − (c on the support,
 * when c ≠ 0), rz' = r·z, p := z (restart) or z + (rz'/rz) p, rz := rz'; status 2 when rz' is not
 * positive and finite (the preconditioner is not positive definite there).
 */
// @ts-ignore: decorator
@inline function directionRow<T>(
  i: i32, cols: i32, r: usize, ldr: i32, c: usize, ldc: i32, p: usize, ldp: i32,
  mask: usize, dinv: usize, restart: bool, state: usize,
): void {
  const L = lanes<T>(), sz = <usize>sizeof<T>();
  const s = state + <usize>i * 32;
  const ri = rowAt<T>(r, ldr, i), pi = rowAt<T>(p, ldp, i), ci: usize = c == 0 ? 0 : rowAt<T>(c, ldc, i);
  const mi = mask + <usize>i * <usize>cols;
  // z is formed twice (for rz', then for p) rather than stored: it is a multiply (and a masked
  // subtract) per element, cheaper than another rows x cols buffer.
  let vrz = f64x2.splat(0);
  let j = 0;
  for (; j + L <= cols; j += L) {
    const o = <usize>j * sz, rv = v128.load(ri + o);
    let zv = v128.mul<T>(v128.load(dinv + o), rv);
    if (ci != 0) zv = v128.sub<T>(zv, v128.and(v128.load(ci + o), laneMask<T>(mi, j)));
    vrz = acc64<T>(vrz, rv, zv);
  }
  let rzNew = hsum(vrz);
  for (; j < cols; j++) {
    const rj = ld<T>(ri, j);
    let zj: T = ld<T>(dinv, j) * rj;
    if (ci != 0 && load<u8>(mi + <usize>j) != 0) zj -= ld<T>(ci, j);
    rzNew += <f64>rj * <f64>zj;
  }
  if (!(rzNew > 0) || !isFinite(rzNew)) {
    store<f64>(s, 2, 24);
    return;
  }
  const bt: T = restart ? <T>0 : <T>(rzNew / load<f64>(s));
  const beta = v128.splat<T>(bt);
  j = 0;
  for (; j + L <= cols; j += L) {
    const o = <usize>j * sz;
    let zv = v128.mul<T>(v128.load(dinv + o), v128.load(ri + o));
    if (ci != 0) zv = v128.sub<T>(zv, v128.and(v128.load(ci + o), laneMask<T>(mi, j)));
    v128.store(pi + o, restart ? zv : v128.add<T>(zv, v128.mul<T>(beta, v128.load(pi + o))));
  }
  for (; j < cols; j++) {
    let zj: T = ld<T>(dinv, j) * ld<T>(ri, j);
    if (ci != 0 && load<u8>(mi + <usize>j) != 0) zj -= ld<T>(ci, j);
    st<T>(pi, j, restart ? zj : zj + bt * ld<T>(pi, j));
  }
  store<f64>(s, rzNew);
}

/**
 * One masked PCG iteration with the Jacobi preconditioner (see KernelBackend.pcgStep) for every
 * row with status 1, given q = p·H: updateRow, then directionRow without a correction. Returns
 * the number of rows still active.
 */
export function pcgStep<T>(
  rows: i32, cols: i32, x: usize, ldx: i32, r: usize, ldr: i32, p: usize, ldp: i32, q: usize, ldq: i32,
  mask: usize, dinv: usize, tol: f64, state: usize,
): i32 {
  const tol2 = tol * tol;
  let active = 0;
  for (let i = 0; i < rows; i++) {
    const s = state + <usize>i * 32;
    if (load<f64>(s, 24) != 1) continue;
    updateRow<T>(i, cols, x, ldx, r, ldr, p, ldp, q, ldq, mask, tol2, state);
    if (load<f64>(s, 24) != 1) continue;
    directionRow<T>(i, cols, r, ldr, 0, 0, p, ldp, mask, dinv, false, state);
    if (load<f64>(s, 24) == 1) active++;
  }
  return active;
}

/** The update half of pcgStep for every active row (see KernelBackend.pcgUpdate); returns the rows still active. */
export function pcgUpdate<T>(
  rows: i32, cols: i32, x: usize, ldx: i32, r: usize, ldr: i32, p: usize, ldp: i32, q: usize, ldq: i32,
  mask: usize, tol: f64, state: usize,
): i32 {
  const tol2 = tol * tol;
  let active = 0;
  for (let i = 0; i < rows; i++) {
    const s = state + <usize>i * 32;
    if (load<f64>(s, 24) != 1) continue;
    updateRow<T>(i, cols, x, ldx, r, ldr, p, ldp, q, ldq, mask, tol2, state);
    if (load<f64>(s, 24) == 1) active++;
  }
  return active;
}

/** The direction half for every active row (see KernelBackend.pcgDirection); c = 0: no correction. Returns the rows still active. */
export function pcgDirection<T>(
  rows: i32, cols: i32, r: usize, ldr: i32, c: usize, ldc: i32, p: usize, ldp: i32,
  mask: usize, dinv: usize, restart: bool, state: usize,
): i32 {
  let active = 0;
  for (let i = 0; i < rows; i++) {
    const s = state + <usize>i * 32;
    if (load<f64>(s, 24) != 1) continue;
    directionRow<T>(i, cols, r, ldr, c, ldc, p, ldp, mask, dinv, restart, state);
    if (load<f64>(s, 24) == 1) active++;
  }
  return active;
}

/** Single precision masked PCG start (see pcgStart). */
export function spcgStart(rows: i32, cols: i32, x: usize, ldx: i32, b: usize, ldb: i32, r: usize, ldr: i32, p: usize, ldp: i32, mask: usize, dinv: usize, tol: f64, state: usize): i32 {
  return pcgStart<f32>(rows, cols, x, ldx, b, ldb, r, ldr, p, ldp, mask, dinv, tol, state);
}

/** Double precision masked PCG start (see pcgStart). */
export function dpcgStart(rows: i32, cols: i32, x: usize, ldx: i32, b: usize, ldb: i32, r: usize, ldr: i32, p: usize, ldp: i32, mask: usize, dinv: usize, tol: f64, state: usize): i32 {
  return pcgStart<f64>(rows, cols, x, ldx, b, ldb, r, ldr, p, ldp, mask, dinv, tol, state);
}

/** Single precision masked PCG iteration (see pcgStep). */
export function spcgStep(rows: i32, cols: i32, x: usize, ldx: i32, r: usize, ldr: i32, p: usize, ldp: i32, q: usize, ldq: i32, mask: usize, dinv: usize, tol: f64, state: usize): i32 {
  return pcgStep<f32>(rows, cols, x, ldx, r, ldr, p, ldp, q, ldq, mask, dinv, tol, state);
}

/** Double precision masked PCG iteration (see pcgStep). */
export function dpcgStep(rows: i32, cols: i32, x: usize, ldx: i32, r: usize, ldr: i32, p: usize, ldp: i32, q: usize, ldq: i32, mask: usize, dinv: usize, tol: f64, state: usize): i32 {
  return pcgStep<f64>(rows, cols, x, ldx, r, ldr, p, ldp, q, ldq, mask, dinv, tol, state);
}

/** Single precision update half of a masked PCG iteration (see pcgUpdate). */
export function spcgUpdate(rows: i32, cols: i32, x: usize, ldx: i32, r: usize, ldr: i32, p: usize, ldp: i32, q: usize, ldq: i32, mask: usize, tol: f64, state: usize): i32 {
  return pcgUpdate<f32>(rows, cols, x, ldx, r, ldr, p, ldp, q, ldq, mask, tol, state);
}

/** Double precision update half of a masked PCG iteration (see pcgUpdate). */
export function dpcgUpdate(rows: i32, cols: i32, x: usize, ldx: i32, r: usize, ldr: i32, p: usize, ldp: i32, q: usize, ldq: i32, mask: usize, tol: f64, state: usize): i32 {
  return pcgUpdate<f64>(rows, cols, x, ldx, r, ldr, p, ldp, q, ldq, mask, tol, state);
}

/** Single precision direction half of a masked PCG iteration (see pcgDirection). */
export function spcgDirection(rows: i32, cols: i32, r: usize, ldr: i32, c: usize, ldc: i32, p: usize, ldp: i32, mask: usize, dinv: usize, restart: i32, state: usize): i32 {
  return pcgDirection<f32>(rows, cols, r, ldr, c, ldc, p, ldp, mask, dinv, restart != 0, state);
}

/** Double precision direction half of a masked PCG iteration (see pcgDirection). */
export function dpcgDirection(rows: i32, cols: i32, r: usize, ldr: i32, c: usize, ldc: i32, p: usize, ldp: i32, mask: usize, dinv: usize, restart: i32, state: usize): i32 {
  return pcgDirection<f64>(rows, cols, r, ldr, c, ldc, p, ldp, mask, dinv, restart != 0, state);
}
