// TEMPORARY, test only: a minimal TensorSource over an F32 safetensors file (8-byte little-endian
// header length, JSON header, data_offsets into the data that follows), read whole into memory.
// To be replaced by the real reader (openSafetensors in src/) when the branches are merged.
import { readFileSync } from 'node:fs';
import type { TensorInfo, TensorSource } from '../../../src/models/tensor-source.js';

export function openF32Safetensors(path: string): TensorSource {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const dataStart = 8 + headerLength;
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  const names = entries.map(([name]) => name);
  let closed = false;
  const entry = (name: string) => {
    const e = header[name];
    if (!e || name === '__metadata__') throw new RangeError(`safetensors: no tensor named ${JSON.stringify(name)}`);
    if (e.dtype !== 'F32') throw new RangeError(`safetensors (test reader): ${name} is ${e.dtype}, only F32 is read here`);
    return e;
  };
  return {
    names,
    info: (name: string): TensorInfo => ({ name, dtype: 'F32', shape: entry(name).shape }),
    read: async (name: string) => {
      if (closed) throw new Error('safetensors: read after close()');
      const [from, to] = entry(name).data_offsets;
      // Copied out, so the Float32Array is aligned whatever the offset.
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart + from, bytes.byteOffset + dataStart + to));
    },
    close: async () => {
      closed = true;
    },
  };
}
