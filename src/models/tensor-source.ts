// What a model's weights look like to the code that uses them: a set of named tensors, each read on
// its own (by offset, from a file or a Blob) and converted to float32 for the kernels. The safetensors
// reader implements it; the Llama forward pass and the whole-model pruner read their weights through
// it, one block at a time, so a model never has to fit in memory at once.

/** Element types a checkpoint may store (safetensors' names). */
export type TensorDType = 'F32' | 'F16' | 'BF16';

/** A tensor's name, stored element type and shape (C order), without its data. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
}

/** Named tensors, read one at a time. */
export interface TensorSource {
  /** Every tensor's name, in the order the source stores them. */
  readonly names: readonly string[];
  /** A tensor's dtype and shape; throws a RangeError naming the tensor when there is none by that name. */
  info(name: string): TensorInfo;
  /** One tensor's values, converted to float32 (F16 and BF16 exactly), in C order. */
  read(name: string): Promise<Float32Array>;
  /** Releases the file handles the source holds; reading afterwards throws. */
  close(): Promise<void>;
}
