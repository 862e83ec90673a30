// Which LayerPruner each method name runs. A method's file registers itself here with one line
// in the import block and one in the table.
import type { LayerPruner, PruneMethod } from './types.js';
import { magnitude } from './magnitude.js';
import { wanda } from './wanda.js';
// import { sparseGPT } from './sparsegpt.js';
// import { obc } from './obc.js';
// import { iterativeOBS } from './iobs.js';

/** Every method name the library knows, in the order help texts list them. */
export const METHODS: readonly PruneMethod[] = ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'];

/** The pruners available in this build, by method name. */
export const PRUNERS: Readonly<Partial<Record<PruneMethod, LayerPruner>>> = {
  magnitude,
  wanda,
  // sparsegpt: sparseGPT,
  // obc,
  // iobs: iterativeOBS,
};

/** The method names that have a pruner in this build, in METHODS order. */
export function availableMethods(): PruneMethod[] {
  return METHODS.filter((m) => PRUNERS[m] !== undefined);
}
