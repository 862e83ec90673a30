// A TensorSource with some tensors replaced: a pruned model as it is being made, read through the
// same interface as the checkpoint it came from (the rest is read from the original, by offset).
import { rangeError } from '../core/errors.js';
import type { TensorInfo, TensorSource } from './tensor-source.js';

/**
 * `base` with the tensors in `replaced` read from memory instead. Replacements must have the
 * base tensor's element count; they keep its name, dtype and shape. Closing the overlay does not
 * close `base`.
 * @example
 * const pruned = overlaySource(checkpoint, new Map([['model.layers.0.mlp.up_proj.weight', W]]));
 * const model = await loadLlama(la, cfg, pruned);
 */
export function overlaySource(base: TensorSource, replaced: ReadonlyMap<string, Float32Array>): TensorSource {
  for (const [name, data] of replaced) {
    const info = base.info(name);
    const size = info.shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw rangeError('overlaySource', `replaced[${JSON.stringify(name)}]`, `${data.length} values`, `${size} values (shape [${info.shape.join(', ')}])`);
  }
  return {
    names: base.names,
    info: (name: string): TensorInfo => base.info(name),
    read: async (name: string) => {
      const r = replaced.get(name);
      return r ? r.slice() : base.read(name);
    },
    close: async () => {},
  };
}
