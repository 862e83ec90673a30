// A start for I-OBS that is already known: the weights and mask of an earlier run (the previous
// pass of a whole-model I-OBS), so the support search goes on from there instead of from a
// one-shot pruner. As a Pruner it returns copies of what it was given.
import type { DType } from '../core/dtype.js';
import { rangeError, typeError } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import type { Pruner } from './types.js';
import { iobs } from './iobs.js';

/**
 * A Pruner that returns (copies of) `weight` and `mask`, for iobs({ start: givenStart(W1, M1) }).
 * The caller keeps ownership of both and frees them after the run; their shape must be the layer's.
 * @example
 * const pass2 = iobs({ iterations: 3, start: givenStart(pass1.weight, pass1.mask) });
 * const r = await pruneLayer(la, W, acc, { pruner: pass2, pattern: '2:4' });
 */
export function givenStart(weight: Matrix, mask: Mask, label = 'given'): Pruner {
  const fn = 'givenStart';
  if (!weight || typeof weight !== 'object' || typeof weight.rows !== 'number') throw typeError(fn, 'weight', weight, 'a matrix');
  if (!mask || typeof mask !== 'object' || mask.dtype !== 'uint8') throw typeError(fn, 'mask', mask, 'a uint8 mask matrix');
  if (mask.rows !== weight.rows || mask.cols !== weight.cols) throw rangeError(fn, 'mask', `${mask.rows}x${mask.cols}`, `the weight's shape ${weight.rows}x${weight.cols}`);
  return {
    method: 'iobs',
    options: { given: label },
    factorsHessian: false,
    checkPattern() {},
    async run<D extends DType>(la: Parameters<Pruner['run']>[0], W: Matrix<D>) {
      if (W.rows !== weight.rows || W.cols !== weight.cols) throw rangeError(fn, 'W', `${W.rows}x${W.cols}`, `the given start's shape ${weight.rows}x${weight.cols}`);
      const out = la.matrix(W.rows, W.cols, W.dtype);
      try {
        await la.copy(weight, out);
        return { weight: out, mask: await la.copy(mask), dampUsed: null, warnings: [], details: { given: label } };
      } catch (e) {
        out.free();
        throw e;
      }
    },
  };
}

/**
 * An I-OBS pruner with `base`'s options (iterations, eta, damp, solver, …) that starts from the
 * given weights and mask: the next pass of a whole-model I-OBS. `base` must be an iobs() pruner.
 * @example
 * const pass2 = continueIobs(iobs({ iterations: 3 }), pass1Weight, pass1Mask, 'pass 1');
 */
export function continueIobs(base: Pruner, weight: Matrix, mask: Mask, label = 'given'): Pruner {
  if (!base || base.method !== 'iobs') throw rangeError('continueIobs', 'base', base?.method, 'an iobs() pruner');
  const o = base.options as Record<string, unknown>;
  const keep = ['iterations', 'eta', 'damp', 'solver', 'resolveStart', 'tolerance', 'maxSolverIterations', 'preconditioner', 'exchange', 'exchangeRounds'];
  const options = Object.fromEntries(keep.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  return iobs({ ...options, start: givenStart(weight, mask, label) });
}
