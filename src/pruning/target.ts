// The layer target when a pruned layer is to reproduce the dense model's outputs instead of its own
// dense weight's outputs on the pruned model's inputs: with X_p the layer's inputs in the model being
// pruned and X_d the dense model's, minimise over Ŵ
//   ‖X_d Wᵀ − X_p Ŵᵀ‖² + λ‖W − Ŵ‖²     (λ = damp · mean diag H, the pruners' damping),
// whose normal equations per row are (H + λI) ŵ = (C + λI) w with H = X_pᵀX_p, C = X_pᵀX_d. So
// W̃ = W (C + λI)ᵀ (H + λI)⁻¹, and every OBS pruner run on (W̃, H) minimises this objective up to a
// constant: tr((W̃ − Ŵ)(H + λI)(W̃ − Ŵ)ᵀ) = the objective − const. Where nothing upstream is pruned
// (X_p = X_d, C = H) W̃ = W. The correction the layers before it need is thereby made here —
// "asymmetric calibration" (Li et al., GPTAQ, ICML 2025, for quantisation).
import { checkFinite, computationError, rangeError, typeError } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';

const FN = 'denseTarget';

/**
 * W̃ = W (C + λI)ᵀ (H + λI)⁻¹ with λ = damp · mean(diag H), in float64 on the backend (one GEMM,
 * one Cholesky, two triangular solves), returned in W's dtype (the caller frees it). W is rows x
 * cols; H (= Σ X_pᵀX_p) and C (= Σ X_pᵀX_d) are cols x cols float64. An H with a zero diagonal
 * (no input seen) gives W back. With options.overwrite, H and C are used as scratch (their values
 * are lost), which saves two cols² float64 copies (1.9 GB at 11008 inputs).
 * @example
 * const Wt = await denseTarget(la, W, await acc.hessian('float64'), await cross.cross(), 0.01);
 * const r = await pruneLayer(la, Wt, acc, { pruner: sparseGPT(), pattern: '0.7' });
 */
export async function denseTarget<D extends DType>(la: Linalg, W: Matrix<D>, H: Matrix<'float64'>, C: Matrix<'float64'>, damp: number, options: { overwrite?: boolean } = {}): Promise<Matrix<D>> {
  if (!(W instanceof Matrix) || (W.dtype !== 'float32' && W.dtype !== 'float64')) throw typeError(FN, 'W', W, 'a float32 or float64 matrix');
  const n = W.cols;
  for (const [arg, M] of [['H', H], ['C', C]] as const) {
    if (!(M instanceof Matrix) || M.dtype !== 'float64') throw typeError(FN, arg, M, 'a float64 matrix');
    if (M.rows !== n || M.cols !== n) throw rangeError(FN, arg, M, `${n} x ${n} (W's columns)`);
  }
  const d = checkFinite(FN, 'damp', damp);
  if (!(d > 0)) throw rangeError(FN, 'damp', d, 'a positive number');
  const overwrite = options.overwrite ?? false;
  if (typeof overwrite !== 'boolean') throw typeError(FN, 'options.overwrite', overwrite, 'a boolean');
  const scope = la.scope();
  try {
    const diag = scope.track(la.matrix(1, n, 'float64'));
    await la.diagonal(H, diag);
    const values = await la.read(diag);
    let mean = 0;
    for (let j = 0; j < n; j++) mean += values[j];
    mean /= n;
    if (!(mean > 0)) return await la.copy(W);
    const lambda = d * mean;
    const Cl = overwrite ? C : scope.track(await la.copy(C));
    await la.addDiagonal(Cl, lambda);
    const W64 = scope.track(await la.copy(W, undefined, 'float64'));
    const T = scope.track(la.matrix(W.rows, n, 'float64'));
    await la.gemm(W64, Cl, T, { transB: true }); // T = W (C + λI)ᵀ
    if (!overwrite) scope.release(Cl);
    scope.release(W64);
    const L = overwrite ? H : scope.track(await la.copy(H));
    await la.addDiagonal(L, lambda);
    const info = await la.potrf(L);
    if (info !== 0) throw computationError(FN, 'H', H, `H + λI (λ = ${lambda.toPrecision(3)}) has no Cholesky factor (pivot ${info}): H is not positive semidefinite`);
    await la.trsm(L, T, { side: 'right', transA: true }); // T L⁻ᵀ
    await la.trsm(L, T, { side: 'right' }); // … L⁻¹: T (L Lᵀ)⁻¹
    return await la.copy(T, undefined, W.dtype as D);
  } finally {
    scope.free();
  }
}
