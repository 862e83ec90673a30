// The options of the webgpu backend, in a file of their own: the public typings (InitOptions)
// reach them without reaching the WebGPU types (@webgpu/types) that the backend itself uses.
import { typeError } from '../../core/errors.js';

/** Options of the webgpu backend. */
export interface WebGpuOptions {
  /**
   * The GPU object to take the adapter from (a `navigator.gpu`, or Node's `create([])` of the
   * `webgpu` package). Default: navigator.gpu, then the `webgpu` package where it is installed.
   */
  gpu?: unknown;
  /** Accept a software (CPU-emulated) adapter. Default: only when the backend is named. */
  allowSoftwareAdapter?: boolean;
  /**
   * Where the float64 matrix kernels run: gemm, syrk, the Cholesky family (potrf, potri,
   * invchol), trsm and trsv. WGSL has no f64, so on the GPU ('gpu') they run in float64 emulated
   * on integers (every product and sum rounded once, as IEEE float64 rounds it), at tens of
   * integer operations a flop; 'host' runs them on the host Wasm backend over mirrors of their
   * operands. Default: 'gpu' on a hardware adapter; 'host' on a software one, where the
   * emulation is some thousand times slower than Wasm (README, WebGPU).
   */
  float64MatrixKernels?: 'gpu' | 'host';
  /**
   * The most bytes one storage binding may span. Default: the device's
   * maxStorageBufferBindingSize (the adapter's, requested in full). gemm and syrk split work on
   * larger matrices into tiles whose windows fit; other kernels take such operands on the host. A
   * smaller value (a multiple of 256, at least 4096) makes small matrices take those paths: tests
   * use it.
   */
  maxBindingBytes?: number;
}

/** Throws a TypeError naming the option where one of the webgpu options has the wrong type or value. */
export function checkWebGpuOptions(fn: string, options: WebGpuOptions): void {
  if (options.allowSoftwareAdapter !== undefined && typeof options.allowSoftwareAdapter !== 'boolean') {
    throw typeError(fn, 'allowSoftwareAdapter', options.allowSoftwareAdapter, 'a boolean');
  }
  const f64 = options.float64MatrixKernels;
  if (f64 !== undefined && f64 !== 'gpu' && f64 !== 'host') throw typeError(fn, 'float64MatrixKernels', f64, "'gpu' or 'host'");
  const b = options.maxBindingBytes;
  if (b !== undefined && !(typeof b === 'number' && Number.isInteger(b) && b >= 4096 && b % 256 === 0)) {
    throw typeError(fn, 'maxBindingBytes', b, 'an integer multiple of 256, at least 4096');
  }
}
