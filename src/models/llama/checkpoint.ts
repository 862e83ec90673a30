// A pruned Llama written back in the checkpoint's own layout: one model.safetensors holding every
// tensor of the source in its order and dtype, the pruned ones replaced, the source's metadata
// carried over (transformers loads only files whose metadata says format "pt"). Tensors are read
// and written one at a time, so the model is never in memory twice. Platform neutral: the bytes
// go to a sink (a file in Node, chunks for a Blob in a browser).
import { rangeError } from '../../core/errors.js';
import { encodeForPlan, planSafetensors, type SafetensorsPlan, writeSafetensors } from '../../io/safetensors.js';
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

/** Where a LlamaWeightsWriter puts bytes: at absolute positions of one file (a Node file handle, a browser FileSystemWritableFileStream). */
export interface PositionedSink {
  writeAt(position: number, bytes: Uint8Array): Promise<void> | void;
}

/**
 * Writes a pruned Llama's model.safetensors as the pruning goes: the header (every tensor of the
 * source, in its order and dtype) at once, each pruned tensor at its place as soon as it is put,
 * and at finish() every tensor not put copied from the source one at a time. So the pruned weights
 * never have to be held together in memory.
 * @example
 * const w = await LlamaWeightsWriter.begin(file, checkpoint, checkpoint.metadata);
 * await pruneLlama(la, cfg, checkpoint, { ..., onTensor: (name, data) => w.put(name, data) });
 * await w.finish();
 */
export class LlamaWeightsWriter {
  readonly #put = new Set<string>();
  #finished = false;

  private constructor(private readonly sink: PositionedSink, private readonly source: TensorSource, readonly plan: SafetensorsPlan) {}

  /** Plans the file from the source's tensors and writes its header. */
  static async begin(sink: PositionedSink, source: TensorSource, metadata?: Readonly<Record<string, string>>): Promise<LlamaWeightsWriter> {
    const plan = planSafetensors(source.names.map((name) => ({ name, dtype: source.info(name).dtype, shape: source.info(name).shape })), metadata === undefined ? undefined : { ...metadata });
    await sink.writeAt(0, plan.header);
    return new LlamaWeightsWriter(sink, source, plan);
  }

  /** Writes one tensor's new values at its place; each tensor at most once. */
  async put(name: string, data: Float32Array): Promise<void> {
    if (this.#finished) throw rangeError('LlamaWeightsWriter.put', 'name', name, 'a tensor put before finish()');
    if (this.#put.has(name)) throw rangeError('LlamaWeightsWriter.put', 'name', name, 'a tensor not put already');
    const bytes = encodeForPlan(this.plan, name, data);
    await this.sink.writeAt(this.plan.places.get(name)!.start, bytes);
    this.#put.add(name);
  }

  /** Copies every tensor not put from the source; resolves to the file's size. */
  async finish(): Promise<number> {
    this.#finished = true;
    for (const name of this.source.names) {
      if (this.#put.has(name)) continue;
      await this.sink.writeAt(this.plan.places.get(name)!.start, encodeForPlan(this.plan, name, await this.source.read(name)));
    }
    return this.plan.size;
  }
}
