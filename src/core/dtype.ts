// Element types. Kernels compute in float32 or float64 (DType). Matrices may also be stored in the
// half-precision formats checkpoints ship (float16, bfloat16: converted to a compute dtype on the
// backend by la.convert / la.copy) and in the integer types of masks, counts and indices.

/** The dtypes kernels compute in. */
export type DType = 'float32' | 'float64';
/** Half-precision storage dtypes (what checkpoints ship); converted to float32 on the backend. */
export type HalfDType = 'float16' | 'bfloat16';
/** Integer storage: keep-masks (uint8: 1 = kept) and counts or indices (int32). */
export type IntDType = 'uint8' | 'int32';
/** Every dtype a matrix can be stored in. */
export type StorageDType = DType | HalfDType | IntDType;

/** The typed array for a dtype (half-precision values are their raw 16-bit patterns). */
export type ArrayFor<D extends StorageDType> =
  D extends 'float32' ? Float32Array
  : D extends 'float64' ? Float64Array
  : D extends 'uint8' ? Uint8Array
  : D extends 'int32' ? Int32Array
  : D extends HalfDType ? Uint16Array
  : StorageArray;

/** Any float typed array the library computes in. */
export type FloatArray = Float32Array | Float64Array;
/** Any typed array a matrix's storage can be viewed as. */
export type StorageArray = Float32Array | Float64Array | Uint16Array | Uint8Array | Int32Array;

type ArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor | Uint16ArrayConstructor | Uint8ArrayConstructor | Int32ArrayConstructor;

const BYTES: Record<StorageDType, 1 | 2 | 4 | 8> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, uint8: 1, int32: 4 };
const CTORS: Record<StorageDType, ArrayCtor> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, bfloat16: Uint16Array, uint8: Uint8Array, int32: Int32Array,
};

/** Every storage dtype, in the order messages list them. */
export const STORAGE_DTYPES: readonly StorageDType[] = ['float32', 'float64', 'float16', 'bfloat16', 'uint8', 'int32'];

/** Bytes per element. */
export function bytesPer(dtype: StorageDType): 1 | 2 | 4 | 8 {
  return BYTES[dtype];
}

/** Typed-array constructor for a dtype. */
export function arrayType(dtype: 'float32' | 'float64'): Float32ArrayConstructor | Float64ArrayConstructor;
export function arrayType(dtype: StorageDType): ArrayCtor;
export function arrayType(dtype: StorageDType): ArrayCtor {
  return CTORS[dtype];
}

/** True for the compute dtypes. */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64';
}

/** True for every storage dtype. */
export function isStorageDType(x: unknown): x is StorageDType {
  return typeof x === 'string' && x in BYTES;
}

/** True for dtypes whose elements are real numbers (float32, float64, float16, bfloat16). */
export function isFloatDType(x: StorageDType): x is DType | HalfDType {
  return x === 'float32' || x === 'float64' || x === 'float16' || x === 'bfloat16';
}

/** Unit roundoff of a compute dtype. */
export function unitRoundoff(dtype: DType): number {
  return dtype === 'float32' ? 2 ** -24 : 2 ** -53;
}
