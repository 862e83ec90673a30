// Safetensors files and checkpoint folders on disk (Node only). Not exported from src/index.ts
// (they import node:fs); the CLI and Node code import them from here.

import { join } from 'node:path';
import { typeError } from '../core/errors.js';
import { writeFileAtomicWith } from './atomic.js';
import type { ByteSource } from './byte-source.js';
import { fileSource } from './node-byte-source.js';
import { type Checkpoint, type SafetensorsFile, type TensorToWrite, openCheckpoint, openSafetensors, writeSafetensors } from './safetensors.js';

/**
 * Opens a .safetensors file on disk (header read and checked; tensors read on demand, by offset).
 * Errors name the path. Close it when done.
 * @example
 * const st = await openSafetensorsFile('model.safetensors');
 * const q = await st.read('model.layers.0.self_attn.q_proj.weight');   // Float32Array
 * await st.close();
 */
export async function openSafetensorsFile(path: string): Promise<SafetensorsFile> {
  if (typeof path !== 'string' || path === '') throw typeError('openSafetensorsFile', 'path', path, 'a non-empty string');
  const source = await fileSource(path);
  try {
    return await openSafetensors(source, path);
  } catch (err) {
    await source.close();
    throw err;
  }
}

/**
 * Opens the Hugging Face checkpoint in folder `dir` (model.safetensors.index.json and its shards,
 * or model.safetensors), as one TensorSource; see openCheckpoint.
 * @example
 * const ckpt = await openCheckpointFolder('../shared/data/tinystories-llama');
 * ckpt.info('model.norm.weight');   // { name, dtype: 'F32', shape: [128] }
 */
export async function openCheckpointFolder(dir: string): Promise<Checkpoint> {
  if (typeof dir !== 'string' || dir === '') throw typeError('openCheckpointFolder', 'dir', dir, 'a non-empty string');
  return openCheckpoint(async (rel): Promise<ByteSource | null> => {
    try {
      return await fileSource(join(dir, rel));
    } catch (err) {
      if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT') return null;
      throw err;
    }
  });
}

/**
 * Writes tensors to a .safetensors file atomically and tensor by tensor (see writeSafetensors: a
 * tensor whose data is a function is produced only when written): the old file, if any, stays
 * intact until the new one is complete, and a failure leaves nothing behind. Resolves to the
 * file's size in bytes.
 * @example
 * await writeSafetensorsFile('pruned.safetensors', [
 *   { name: 'w', dtype: 'F16', shape: [2, 3], data: new Float32Array(6) },
 * ], { format: 'pt' });
 */
export async function writeSafetensorsFile(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<number> {
  if (typeof path !== 'string' || path === '') throw typeError('writeSafetensorsFile', 'path', path, 'a non-empty string');
  let size = 0;
  await writeFileAtomicWith(path, async (put) => {
    size = await writeSafetensors(put, tensors, metadata);
  });
  return size;
}
