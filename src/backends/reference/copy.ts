// Elementwise copy with dtype conversion, and fill, in plain loops (the float64 oracle's own).
import type { StorageDType } from '../../core/dtype.js';
import { bfloat16ToNumber, float16ToNumber, numberToBfloat16, numberToFloat16 } from '../../core/half.js';
import type { Matrix } from '../../core/matrix.js';

/** How a stored element becomes a number. */
function decoder(dtype: StorageDType): (v: number) => number {
  if (dtype === 'float16') return float16ToNumber;
  if (dtype === 'bfloat16') return bfloat16ToNumber;
  return (v) => v;
}

/** How a number becomes a stored element (typed arrays round float32 and float64 themselves). */
function encoder(dtype: StorageDType): (v: number) => number {
  if (dtype === 'float16') return numberToFloat16;
  if (dtype === 'bfloat16') return numberToBfloat16;
  return (v) => v;
}

/** B := A elementwise, converting between float dtypes (see KernelBackend.copy). */
export function copy(A: Matrix<StorageDType>, B: Matrix<StorageDType>): void {
  const a = A.data, b = B.data;
  const same = A.dtype === B.dtype;
  const dec = decoder(A.dtype), enc = encoder(B.dtype);
  for (let i = 0; i < A.rows; i++) {
    const oa = A.offset + i * A.stride, ob = B.offset + i * B.stride;
    for (let j = 0; j < A.cols; j++) b[ob + j] = same ? a[oa + j] : enc(dec(a[oa + j]));
  }
}

/** A := value everywhere. */
export function fill(A: Matrix<StorageDType>, value: number): void {
  const a = A.data, v = encoder(A.dtype)(value);
  for (let i = 0; i < A.rows; i++) {
    const o = A.offset + i * A.stride;
    a.fill(v as never, o, o + A.cols);
  }
}

/** The values of M as float64, row-major (M of any float dtype). */
export function valuesOf(M: Matrix<StorageDType>): Float64Array {
  const out = new Float64Array(M.size), d = M.data, dec = decoder(M.dtype);
  for (let i = 0; i < M.rows; i++) {
    const o = M.offset + i * M.stride;
    for (let j = 0; j < M.cols; j++) out[i * M.cols + j] = dec(d[o + j]);
  }
  return out;
}
