import { bytesPer, type StorageDType } from '../../../core/dtype.js';
import { numberToBfloat16, numberToFloat16 } from '../../../core/half.js';
import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

const bits = new ArrayBuffer(8);
const f32 = new Float32Array(bits), f64 = new Float64Array(bits), u32 = new Uint32Array(bits);

/** The element pattern of value in dtype as [lo, hi] 32-bit halves (hi used by 8-byte dtypes only). */
function pattern(dtype: StorageDType, value: number): [number, number] {
  switch (dtype) {
    case 'float64':
      f64[0] = value;
      return [u32[0] | 0, u32[1] | 0];
    case 'float32':
      f32[0] = value;
      return [u32[0] | 0, 0];
    case 'float16':
      return [numberToFloat16(value), 0];
    case 'bfloat16':
      return [numberToBfloat16(value), 0];
    default:
      return [value | 0, 0]; // uint8 and int32: the facade checked the range
  }
}

/** A := value through the fill kernel, on the value's bit pattern in A's dtype (see KernelBackend.fill). */
export function fill(w: WasmContext, A: Matrix<any>, value: number): void {
  const dtype = A.dtype as StorageDType;
  const [lo, hi] = pattern(dtype, value);
  w.call([A], [true], 0, ([a]) => w.exports.fill(A.rows, A.cols, bytesPer(dtype), a.ptr, a.ld, lo, hi));
}
