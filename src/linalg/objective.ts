// The layer objective tr((W − X) H (W − X)ᵀ) that every pruner is judged by, in two precisions:
// - la.objective (the kernel): W − X formed, multiplied by a float64 H and summed in float64, what
//   I-OBS ranks its iterates by, where differences of 1e-9 decide;
// - layerObjective here: tr(Δ H Δᵀ) = ⟨ΔᵀΔ, H⟩ with Δ = W − X, one SYRK in W's dtype (sums across
//   256-row slices in float64) and a float64 inner product: what the summary's relative error
//   uses. It costs rows·cols² multiply-adds, half a GEMM, and its error is about ε of
//   Σ_ij |H_ij| √((ΔᵀΔ)_ii (ΔᵀΔ)_jj), far below the three digits a summary shows.
import type { DType } from '../core/dtype.js';
import type { Matrix } from '../core/matrix.js';
import type { Linalg } from './linalg.js';
import { Scope } from './scope.js';

/**
 * tr((W − X) H (W − X)ᵀ) as ⟨ΔᵀΔ, H⟩ in W's dtype with float64 sums (X null: tr(W H Wᵀ)).
 * H has W's dtype; W and H are not modified.
 * @example
 * const num = await layerObjective(la, W, What, H), den = await layerObjective(la, W, null, H);
 * num / den;   // the relative error
 */
export async function layerObjective<D extends DType>(la: Linalg, W: Matrix<D>, X: Matrix<D> | null, H: Matrix<D>): Promise<number> {
  const scope = new Scope();
  try {
    let delta: Matrix<D> = W;
    if (X !== null) {
      delta = scope.track(await la.copy(W));
      await la.axpby(-1, X, 1, delta);
    }
    const G = scope.track(la.matrix(W.cols, W.cols, W.dtype));
    await la.syrk(delta, G);
    return await la.dot(G, H);
  } finally {
    scope.free();
  }
}
