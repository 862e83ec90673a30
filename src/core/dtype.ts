/** Element types a matrix can hold. */
export type DType = 'float32' | 'float64';

/** The typed array for a dtype. */
export type ArrayFor<D extends DType> = D extends 'float32' ? Float32Array : Float64Array;

/** Any float typed array the library stores data in. */
export type FloatArray = Float32Array | Float64Array;

/** Bytes per element. */
export function bytesPer(dtype: DType): 4 | 8 {
  return dtype === 'float32' ? 4 : 8;
}

/** Typed-array constructor for a dtype. */
export function arrayType(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor {
  return dtype === 'float32' ? Float32Array : Float64Array;
}

/** True for the dtypes the library knows. */
export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64';
}
