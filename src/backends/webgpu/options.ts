// The options of the webgpu backend, in a file of their own: the public typings (InitOptions)
// reach them without reaching the WebGPU types (@webgpu/types) that the backend itself uses.

/** Options of the webgpu backend. */
export interface WebGpuOptions {
  /**
   * The GPU object to take the adapter from (a `navigator.gpu`, or Node's `create([])` of the
   * `webgpu` package). Default: navigator.gpu, then the `webgpu` package where it is installed.
   */
  gpu?: unknown;
  /** Accept a software (CPU-emulated) adapter. Default: only when the backend is named. */
  allowSoftwareAdapter?: boolean;
}
