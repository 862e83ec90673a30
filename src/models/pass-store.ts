// Where the whole-model pruner keeps one pass's pruned weights and masks: the next pass starts each
// layer from them and the pass kept is written out from them, so with several passes the pruned
// model need not be held in memory. memoryPassStore keeps them in host arrays (any runtime);
// src/io/pass-store-node.ts keeps them in a temporary file, read back one tensor at a time.
import { rangeError, typeError } from '../core/errors.js';
import type { TensorInfo, TensorSource } from './tensor-source.js';

/** One pass's pruned tensors: each a float32 weight [out, in] with its keep-mask (1 = kept). */
export interface PassStore {
  /** Stores a tensor's weight and mask (same length); a name is stored once. */
  put(name: string, weight: Float32Array, mask: Uint8Array): Promise<void>;
  /** The names stored, in the order they were put. */
  names(): readonly string[];
  has(name: string): boolean;
  /**
   * A stored weight: the array put (memoryPassStore) or one read back (a file), not to be changed;
   * throws a RangeError naming the tensor when there is none.
   */
  weight(name: string): Promise<Float32Array>;
  /** A stored mask, as weight. */
  mask(name: string): Promise<Uint8Array>;
  /** Releases what the store holds (a file is removed); reading afterwards throws. Idempotent. */
  free(): Promise<void>;
}

/** Makes the store for a pass (1-based); pruneLlama frees each store it no longer needs. */
export type PassStoreFactory = (pass: number) => PassStore | Promise<PassStore>;

/** Checks a put's arguments: a new name, a float32 weight and a uint8 mask of one length. */
export function checkPut(fn: string, has: (name: string) => boolean, name: string, weight: Float32Array, mask: Uint8Array): void {
  if (typeof name !== 'string' || name === '') throw typeError(fn, 'name', name, 'a tensor name');
  if (has(name)) throw rangeError(fn, 'name', name, 'a tensor not stored yet');
  if (!(weight instanceof Float32Array)) throw typeError(fn, 'weight', weight, 'a Float32Array');
  if (!(mask instanceof Uint8Array) || mask.length !== weight.length) throw typeError(fn, 'mask', mask, `a Uint8Array of ${weight.length} entries (the weight's length)`);
}

/**
 * A PassStore in host memory (the default of pruneLlama): it keeps the arrays put, without a copy,
 * and hands the same arrays back, so neither side may change them.
 * @example
 * const store = memoryPassStore();
 * await store.put('model.layers.0.mlp.up_proj.weight', weight, mask);
 */
export function memoryPassStore(): PassStore {
  const fn = 'memoryPassStore';
  let entries: Map<string, { weight: Float32Array; mask: Uint8Array }> | null = new Map();
  const open = () => {
    if (entries === null) throw rangeError(fn, 'store', 'freed', 'a store not freed yet');
    return entries;
  };
  const get = (name: string) => {
    const e = open().get(name);
    if (!e) throw rangeError(fn, 'name', name, 'a stored tensor');
    return e;
  };
  return {
    async put(name, weight, mask) {
      const m = open();
      checkPut(`${fn}.put`, (n) => m.has(n), name, weight, mask);
      m.set(name, { weight, mask });
    },
    names: () => [...open().keys()],
    has: (name) => open().has(name),
    weight: async (name) => get(name).weight,
    mask: async (name) => get(name).mask,
    async free() {
      entries = null;
    },
  };
}

/**
 * `base` with the weights in `store` read from it instead (the pruned model a pass made, read as a
 * checkpoint); every name, dtype and shape is base's. Closing it closes neither.
 * @example
 * const pruned = storeSource(checkpoint, store);
 * await sourcePerplexity(la, cfg, pruned, stories);
 */
export function storeSource(base: TensorSource, store: PassStore): TensorSource {
  for (const name of store.names()) base.info(name); // every stored tensor is one of base's
  return {
    names: base.names,
    info: (name: string): TensorInfo => base.info(name),
    read: async (name: string) => {
      if (!store.has(name)) return base.read(name);
      const w = await store.weight(name), size = base.info(name).shape.reduce((a, b) => a * b, 1);
      if (w.length !== size) throw rangeError('storeSource', `store[${JSON.stringify(name)}]`, `${w.length} values`, `${size} values (the checkpoint's shape)`);
      return w;
    },
    close: async () => {},
  };
}
