// A PassStore in a file (Node only): each put appends the weight's float32 bytes and the mask's
// bytes, and an index in memory says where each tensor lies; reads are positioned reads of that
// range. The whole-model pruner's passes keep the pruned model here instead of in memory. Not
// exported from src/index.ts (it imports node:fs).
import { open, rm, type FileHandle } from 'node:fs/promises';
import { rangeError, typeError } from '../core/errors.js';
import { checkPut, type PassStore, type PassStoreFactory } from '../models/pass-store.js';

/** Where one tensor lies in the file: its weight's byte offset and element count (the mask follows). */
interface Entry {
  offset: number;
  length: number;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
}

async function readAll(handle: FileHandle, into: Uint8Array, position: number, path: string): Promise<void> {
  let got = 0;
  while (got < into.length) {
    const { bytesRead } = await handle.read(into, got, into.length - got, position + got);
    if (bytesRead === 0) throw rangeError('filePassStore', 'path', path, `a store file of at least ${position + into.length} bytes (it was cut to ${position + got})`);
    got += bytesRead;
  }
}

/**
 * A PassStore in a new file at `path` (refused if it exists); free() closes and removes it.
 * @example
 * const store = await filePassStore('/tmp/pass-1.bin');
 * await store.put(name, weight, mask);
 * const w = await store.weight(name);
 * await store.free();
 */
export async function filePassStore(path: string): Promise<PassStore> {
  const fn = 'filePassStore';
  if (typeof path !== 'string' || path === '') throw typeError(fn, 'path', path, 'a file path');
  const handle = await open(path, 'wx+', 0o600);
  const index = new Map<string, Entry>();
  let end = 0, freed = false;
  const entry = (name: string): Entry => {
    if (freed) throw rangeError(fn, 'store', path, 'a store not freed yet');
    const e = index.get(name);
    if (!e) throw rangeError(fn, 'name', name, 'a stored tensor');
    return e;
  };
  return {
    async put(name, weight, mask) {
      if (freed) throw rangeError(`${fn}.put`, 'store', path, 'a store not freed yet');
      checkPut(`${fn}.put`, (n) => index.has(n), name, weight, mask);
      const at = end;
      end += weight.byteLength + mask.byteLength; // claimed before the writes, so puts may overlap
      index.set(name, { offset: at, length: weight.length });
      try {
        await writeAll(handle, new Uint8Array(weight.buffer, weight.byteOffset, weight.byteLength), at);
        await writeAll(handle, new Uint8Array(mask.buffer, mask.byteOffset, mask.byteLength), at + weight.byteLength);
      } catch (e) {
        index.delete(name); // a tensor half written is not stored
        throw e;
      }
    },
    names: () => [...index.keys()],
    has: (name) => !freed && index.has(name),
    async weight(name) {
      const e = entry(name), w = new Float32Array(e.length);
      await readAll(handle, new Uint8Array(w.buffer), e.offset, path);
      return w;
    },
    async mask(name) {
      const e = entry(name), m = new Uint8Array(e.length);
      await readAll(handle, m, e.offset + 4 * e.length, path);
      return m;
    },
    async free() {
      if (freed) return;
      freed = true;
      index.clear();
      try {
        await handle.close();
      } finally {
        await rm(path, { force: true });
      }
    },
  };
}

/**
 * A PassStoreFactory for pruneLlama's options.passStore: pass p's store is `${prefix}${p}.bin`.
 * @example
 * await pruneLlama(la, cfg, checkpoint, { ...options, passes: 3, validation, passStore: filePassStores(join(tmp, 'pass-')) });
 */
export function filePassStores(prefix: string): PassStoreFactory {
  if (typeof prefix !== 'string' || prefix === '') throw typeError('filePassStores', 'prefix', prefix, 'a path prefix');
  return (pass) => filePassStore(`${prefix}${pass}.bin`);
}
