// A pruned Llama written back in the checkpoint's own layout: one model.safetensors holding every
// tensor of the source in its order and dtype, the pruned ones replaced, the source's metadata
// carried over (transformers loads only files whose metadata says format "pt"). Tensors are read
// and written one at a time, so the model is never in memory twice. Platform neutral: the bytes
// go to a sink (a file in Node, chunks for a Blob in a browser).
import { rangeError } from '../../core/errors.js';
import { writeSafetensors } from '../../io/safetensors.js';
import type { TensorSource } from '../tensor-source.js';

/**
 * Writes `source` with `replaced` tensors as one safetensors file to `sink`; resolves to its size.
 * @example
 * const chunks: Uint8Array[] = [];
 * await writeLlamaWeights((c) => { chunks.push(c); }, checkpoint, result.tensors, checkpoint.metadata);
 * const blob = new Blob(chunks);   // model.safetensors
 */
export async function writeLlamaWeights(
  sink: (chunk: Uint8Array) => void | Promise<void>,
  source: TensorSource,
  replaced: ReadonlyMap<string, Float32Array>,
  metadata?: Readonly<Record<string, string>>,
): Promise<number> {
  for (const name of replaced.keys()) if (!source.names.includes(name)) throw rangeError('writeLlamaWeights', 'replaced', name, 'tensors of the source only');
  const tensors = source.names.map((name) => {
    const info = source.info(name);
    const r = replaced.get(name);
    return { name, dtype: info.dtype, shape: info.shape, data: r ?? (() => source.read(name)) };
  });
  return writeSafetensors(sink, tensors, metadata === undefined ? undefined : { ...metadata });
}
