// The IDX format of the MNIST files: a 4-byte magic (0, 0, type code, number of dimensions), the
// dimensions as big-endian uint32, then the data in C order. Only unsigned bytes (type 0x08) are read.
import { rangeError } from '../core/errors.js';

/** An IDX array of unsigned bytes. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/**
 * Parses IDX bytes (already decompressed). `name` is used in error messages.
 * @example
 * const { shape, data } = parseIdx(bytes);   // shape [10000, 28, 28] for t10k-images
 */
export function parseIdx(bytes: Uint8Array, name = 'bytes'): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw rangeError('parseIdx', name, `${bytes.length} bytes`, 'IDX data (magic 0x0000)');
  if (bytes[2] !== 0x08) throw rangeError('parseIdx', name, `type code 0x${bytes[2].toString(16)}`, 'unsigned bytes (type code 0x08)');
  const ndim = bytes[3];
  if (ndim < 1 || bytes.length < 4 + 4 * ndim) throw rangeError('parseIdx', name, `${ndim} dimensions in ${bytes.length} bytes`, 'a complete IDX header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1), start = 4 + 4 * ndim;
  if (bytes.length !== start + size) throw rangeError('parseIdx', name, `${bytes.length} bytes`, `${start + size} bytes for shape [${shape.join(', ')}]`);
  return { shape, data: bytes.subarray(start) };
}
