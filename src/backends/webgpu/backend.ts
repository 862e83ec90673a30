/// <reference types="@webgpu/types" />
// The WebGPU backend: matrices live in GPU buffers, kernels are WGSL compute programs, and
// values reach the host only through read() (a staging buffer and mapAsync, hence async).
// GPU_KERNELS run on the GPU for float32 operands: gemm and syrk, the Cholesky family, SparseGPT's
// column loop, OBC's greedy removal, support re-solve and global allocation, the transformer
// kernels, im2col, topk, the mask selection (magnitude and Wanda scores ranked in exact float64),
// the mask checks and counts, the elementwise kernels, the byte copies and fills of every dtype
// and the float32/float64 conversions; dot, gramDiagonal, float64 axpby and addDiagonal in float64
// emulated on integers (kernels/f64.ts), and masked PCG's float32 updates with float64 sums. The
// float64 matrix kernels (gemm, syrk, the Cholesky family, trsm, trsv) and the layer objective
// have WGSL in the same emulation and run on the GPU unless WebGpuOptions.float64MatrixKernels
// says 'host' (the default on a software adapter, where the emulation is far slower than Wasm).
// Every other kernel (HOST_KERNELS: I-OBS's exchange search on a float64 H) runs on a host Wasm
// backend over mirrors of its operands (host-mirror.ts): the same results, paid for in transfers.
import { type StorageArray, type StorageDType, arrayType, bytesPer } from '../../core/dtype.js';
import { numberToBfloat16, numberToFloat16 } from '../../core/half.js';
import { type Mask, Matrix, type Storage } from '../../core/matrix.js';
import type { CrossEntropyResult, DeviceLoss, Im2colGeometry, KernelBackend, LammaxResult, MaskRule, Side, Uplo } from '../types.js';
import { type AcquiredDevice, type DeviceInfo, type WebGpuOptions, acquireDevice, describeAdapter } from './device.js';
import * as chol from './cholesky.js';
import { runOnHost } from './host-mirror.js';
import { type ByteWindow, COPY_BYTES, FILL_BYTES, copyParams, fillParams } from './kernels/bytes.js';
import { NARROW_F64_F32, WIDEN_F32_F64 } from './kernels/convert.js';
import { ADD_DIAGONAL, APPLY_MASK, DADD_DIAGONAL, DDIFFERENCE, AXPBY, DAXPBY, SCALE_ROWS, ZERO_COLUMNS } from './kernels/elementwise.js';
import { float64Words } from './kernels/f64.js';
import { DGEMM_K_CHUNK, DGEMM_TILE, DMIRROR_LOWER, dgemmParams, dgemmProgram } from './kernels/dgemm.js';
import { GEMM_K_CHUNK, GEMM_TILE, MIRROR_LOWER, gemmParams, gemmProgram } from './kernels/gemm.js';
import { BLOCK_KEYS, BLOCK_LOOP, CHECK_DIAGONAL, PACK_FLAGS, RULE_CODE, SPARSEGPT_MAX_B } from './kernels/sparsegpt.js';
import { DOT_FINAL, DOT_GROUPS, DOT_PARTIAL } from './kernels/dot.js';
import { IM2COL, im2colParams } from './kernels/im2col.js';
import { TILE_COPY } from './kernels/tile-copy.js';
import { GRAM_DIAGONAL } from './kernels/gram-diagonal.js';
import { FLAG_COMPACT, FLAG_COUNT, TOPK_KEYS } from './kernels/topk.js';
import { SCORE_KEYS } from './kernels/scores.js';
import { PCG, PCG_MODE } from './kernels/pcg.js';
import { SYMMETRY_VIOLATION } from './kernels/symmetry.js';
import { DTRSM, TRSM } from './kernels/trsm.js';
import { DOWNDATE_APPLY, DOWNDATE_U } from './kernels/downdate.js';
import { CROSS_ENTROPY } from './kernels/cross-entropy.js';
import { LAMMAX_GEMV, LAMMAX_STEP } from './kernels/lammax.js';
import { startValue } from '../reference/lammax.js';
import { ALLOCATE_KEYS, ALLOCATE_ROWS, ALLOCATE_SUM, OBS_GREEDY, SOLVE_SUPPORT, greedyRowWords, solveRowWords } from './kernels/obs.js';
import { RADIX_SCAN, SEL_CHUNK, segmentFlags, selWords, topKFlags } from './kernels/select.js';
import { splitDouble } from './kernels/df32.js';
import { DEAD_INPUTS, DIAGONAL, MASK_COUNTS, MASK_DIFFERENCE, MASK_VIOLATION } from './kernels/masks.js';
import { FIRST_NON_FINITE, GATHER_CHECK, GATHER_ROWS, RMS_NORM, ROTARY, SILU_GATE, SOFTMAX_ROWS } from './kernels/transformer.js';
import { type Binding, Params, type Program, Programs, linearGrid } from './program.js';
import { BufferPool, GpuStorage } from './storage.js';

/** Kernels with no WGSL yet: they run on the host backend over mirrors of their operands. */
export const HOST_KERNELS = [
  'obsExchange', 'obsExchangeAllocate',
] as const satisfies readonly (keyof KernelBackend)[];

/** Kernels with WGSL: float32 operands (copy and fill: any one dtype) run on the GPU, others on the host. */
export const GPU_KERNELS = ['copy', 'fill', 'addDiagonal', 'scaleRows', 'axpby', 'applyMask', 'gemm', 'syrk', 'potrf', 'potri', 'invchol', 'sparsegptBlock', 'rmsNorm', 'softmaxRows', 'rotary', 'siluGate', 'firstNonFinite', 'gather',
  'diagonal', 'deadInputs', 'maskCounts', 'maskDifference', 'maskViolation', 'zeroColumns', 'selectMask', 'dot', 'im2col', 'gramDiagonal', 'topk',
  'obsGreedy', 'solveOnSupport', 'obcAllocate', 'pcgStart', 'pcgStep', 'pcgUpdate', 'pcgDirection',
  'symmetryViolation', 'trsm', 'trsv', 'downdate', 'crossEntropy', 'lammax'] as const;

type HostKernel = (typeof HOST_KERNELS)[number];

/** Rotary tables kept on the device (see rotaryTable). */
const ROTARY_TABLES = 8;

/** Idle buffers the pool keeps for reuse. */
const POOL_BYTES = 256 * 1024 * 1024;

/** Rows of W per block of objective (the height of its float64 D = W − X and P = D·H), as in Wasm. */
const OBJECTIVE_BLOCK = 64;

/** Most bytes of the per-row working matrices obsGreedy and solveOnSupport keep at once (rows go in batches). */
const ROW_SCRATCH_BYTES = 64 * 1024 * 1024;

/** A matrix's strided window in bytes. */
function window(M: Matrix<any>): ByteWindow {
  const size = bytesPer(M.dtype);
  return { offset: M.offset * size, stride: M.stride * size, rowBytes: M.cols * size, rows: M.rows };
}

/** The bytes of one element of dtype holding value (what fill repeats). */
function elementBytes(dtype: StorageDType, value: number): Uint8Array {
  if (dtype === 'float16') return new Uint8Array(Uint16Array.of(numberToFloat16(value)).buffer);
  if (dtype === 'bfloat16') return new Uint8Array(Uint16Array.of(numberToBfloat16(value)).buffer);
  const T = arrayType(dtype);
  const a = new T(1);
  a[0] = value;
  return new Uint8Array(a.buffer);
}

export interface WebGpuBackend extends Pick<KernelBackend, HostKernel> {}

export class WebGpuBackend implements KernelBackend {
  readonly name = 'webgpu';
  /** The kernels with WGSL (float32 operands run on the GPU; see GPU_KERNELS). */
  readonly gpuKernels = GPU_KERNELS;
  private readonly pool: BufferPool;
  private readonly programs: Programs;
  private live = 0;
  private peak = 0;
  private lostReason: string | null = null;
  private gpuError: string | null = null;
  private readonly counts = { gpu: new Map<string, number>(), host: new Map<string, number>() };
  private disposed = false;
  /** Rotary tables by rows, headDim, theta and start, least recently used first (rotaryTable). */
  private readonly tables = new Map<string, GPUBuffer>();
  /** The host backend was handed over by lost(): dispose() leaves it to its new owner. */
  private hostGiven = false;

  /** The float64 matrix kernels run on the GPU (WebGpuOptions.float64MatrixKernels). */
  private readonly f64Gpu: boolean;
  /** The most bytes one binding spans (WebGpuOptions.maxBindingBytes, at most the device's limit). */
  private readonly bindLimit: number;

  private constructor(readonly gpu: GPU, readonly device: GPUDevice, readonly info: DeviceInfo, private readonly host: KernelBackend, options: WebGpuOptions) {
    this.f64Gpu = (options.float64MatrixKernels ?? (info.software ? 'host' : 'gpu')) === 'gpu';
    this.bindLimit = Math.min(device.limits.maxStorageBufferBindingSize, options.maxBindingBytes ?? Infinity);
    this.programs = new Programs(device);
    this.pool = new BufferPool(device, POOL_BYTES, this.programs);
    void device.lost.then((l) => {
      if (!this.disposed) this.lostReason = `${l.reason}: ${l.message.split("\n")[0].trim() || "no message"}`;
    });
    // A command the device refused (a shader that does not compile, a binding out of range)
    // leaves its outputs unwritten: every later call is refused with the device's message.
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.gpuError ??= ev.error.message.split('\n')[0];
    };
  }

  /**
   * Acquires a device (see device.ts) and a host backend for the kernels without WGSL.
   * `named`: the caller asked for this backend by name (a software adapter is then accepted).
   */
  static async create(options: WebGpuOptions, named: boolean, host: () => Promise<KernelBackend>): Promise<WebGpuBackend> {
    const acquired: AcquiredDevice = await acquireDevice(options, named);
    let h: KernelBackend;
    try {
      h = await host();
    } catch (err) {
      acquired.device.destroy();
      throw err;
    }
    return new WebGpuBackend(acquired.gpu, acquired.device, acquired.info, h, options);
  }

  /** The adapter in words, e.g. 'google swiftshader SwiftShader driver 5.0.0 (software)'. */
  get adapter(): string {
    return describeAdapter(this.info);
  }

  /** The host backend that runs HOST_KERNELS (its registry name). */
  get hostBackend(): string {
    return this.host.name;
  }

  private alive(): void {
    if (this.disposed) throw new Error('iobs webgpu: backend used after dispose()');
    if (this.lostReason !== null) throw new Error(`iobs webgpu: the GPU device was lost (${this.lostReason})`);
    if (this.gpuError !== null) throw new Error(`iobs webgpu: the GPU refused a command (${this.gpuError}); results since then are not valid`);
  }

  allocate(byteLength: number): Storage {
    this.alive();
    const max = this.device.limits.maxBufferSize;
    if (byteLength > max) {
      throw new RangeError(`iobs webgpu: an allocation of ${byteLength} bytes exceeds this device's maxBufferSize (${max})`);
    }
    const buffer = this.pool.take(byteLength);
    this.live += byteLength;
    this.peak = Math.max(this.peak, this.live);
    return new GpuStorage(this.name, byteLength, buffer, (s) => {
      this.live -= s.byteLength;
      if (!this.disposed) this.pool.give(s.buffer);
    });
  }

  liveBytes(): number {
    return this.live;
  }

  peakBytes(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.live;
  }

  private buf(M: Matrix<any>): GPUBuffer {
    const s = M.storage;
    if (!(s instanceof GpuStorage) || s.owner !== this.name) {
      throw new Error(`iobs webgpu: a ${M.rows}x${M.cols} ${M.dtype} matrix of backend ${s.owner} passed to the webgpu backend`);
    }
    if (s.released) throw new Error('iobs: use of a matrix after free()');
    return s.buffer;
  }

  /** True when every buffer fits one binding (gemm and syrk split larger ones; other kernels take the host path). */
  private bindable(...mats: Matrix<any>[]): boolean {
    const limit = this.bindLimit;
    return mats.every((M) => this.buf(M).size <= limit);
  }

  /** How many calls of each kernel ran on the GPU and on the host since the backend was made. */
  calls(): { gpu: Record<string, number>; host: Record<string, number> } {
    return { gpu: Object.fromEntries(this.counts.gpu), host: Object.fromEntries(this.counts.host) };
  }

  private count(where: 'gpu' | 'host', name: string): void {
    this.counts[where].set(name, (this.counts[where].get(name) ?? 0) + 1);
  }

  /** Runs a kernel on the host backend over mirrors of its operands. */
  async onHost(name: keyof KernelBackend, args: readonly unknown[]): Promise<unknown> {
    this.alive();
    this.count('host', name);
    const result = await runOnHost(this.programs, this.host, name, args);
    this.alive(); // its operands came from commands the device may have refused
    return result;
  }

  async read(M: Matrix<any>): Promise<StorageArray> {
    this.alive();
    const size = bytesPer(M.dtype), n = M.size;
    const T = arrayType(M.dtype);
    if (n === 0) return new T(0);
    const src = this.buf(M);
    const w = window(M);
    let bytes: Uint8Array;
    if (M.contiguous && w.offset % 4 === 0 && (n * size) % 4 === 0) {
      [bytes] = await this.programs.read([{ buffer: src, start: w.offset, end: w.offset + n * size }]);
    } else {
      // Gather the view into a compact temporary first (whole words, so it can be copied out).
      const tmp = this.pool.take(n * size);
      const { params, words } = copyParams({ offset: 0, stride: w.rowBytes, rowBytes: w.rowBytes, rows: w.rows }, w);
      this.programs.run(COPY_BYTES, params, [src, tmp], linearGrid(Math.ceil(words / 256)));
      try {
        [bytes] = await this.programs.read([{ buffer: tmp, start: 0, end: Math.ceil((n * size) / 4) * 4 }]);
      } finally {
        this.pool.give(tmp);
      }
    }
    this.alive(); // a refused command reported while the bytes came back
    return new T(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  }

  write(M: Matrix<any>, values: ArrayLike<number>): void {
    this.alive();
    const size = bytesPer(M.dtype), n = M.size;
    if (n === 0) return;
    const T = arrayType(M.dtype);
    const a = new T(Math.ceil((n * size) / 4) * 4 / size);
    for (let i = 0; i < n; i++) a[i] = values[i];
    const dst = this.buf(M);
    const w = window(M);
    const bytes = new Uint8Array(a.buffer, 0, a.byteLength);
    if (M.contiguous && w.offset % 4 === 0 && (n * size) % 4 === 0) {
      this.programs.write(dst, w.offset, bytes);
      return;
    }
    const tmp = this.pool.take(bytes.byteLength);
    this.programs.write(tmp, 0, bytes);
    const { params, words } = copyParams(w, { offset: 0, stride: w.rowBytes, rowBytes: w.rowBytes, rows: w.rows });
    this.programs.run(COPY_BYTES, params, [tmp, dst], linearGrid(Math.ceil(words / 256)));
    this.pool.give(tmp);
  }

  async copy(A: Matrix<any>, B: Matrix<any>): Promise<void> {
    const conversion = A.dtype === 'float32' && B.dtype === 'float64' ? WIDEN_F32_F64 : A.dtype === 'float64' && B.dtype === 'float32' ? NARROW_F64_F32 : null;
    if ((A.dtype !== B.dtype && conversion === null) || !this.bindable(A, B)) {
      await this.onHost('copy', [A, B]);
      return;
    }
    if (conversion !== null) {
      // A and B do not overlap (the facade's rule), but may share a buffer: then A is read from a copy.
      await this.dispatch('copy', A.size === 0, [A], B, conversion,
        ([av]) => new Params().u32(B.rows).u32(B.cols).u32(av.offset).u32(av.stride).u32(B.offset).u32(B.stride), Math.ceil(B.size / 256));
      return;
    }
    this.alive();
    this.count('gpu', 'copy');
    if (A.size === 0) return;
    const src = this.buf(A), dst = this.buf(B);
    const wa = window(A), wb = window(B);
    if (src === dst) {
      // One buffer cannot be bound for reading and writing at once: go through a temporary.
      const compact = { offset: 0, stride: wa.rowBytes, rowBytes: wa.rowBytes, rows: wa.rows };
      const tmp = this.pool.take(wa.rowBytes * wa.rows);
      const first = copyParams(compact, wa);
      this.programs.run(COPY_BYTES, first.params, [src, tmp], linearGrid(Math.ceil(first.words / 256)));
      const second = copyParams(wb, compact);
      this.programs.run(COPY_BYTES, second.params, [tmp, dst], linearGrid(Math.ceil(second.words / 256)));
      this.pool.give(tmp);
      return;
    }
    const { params, words } = copyParams(wb, wa);
    this.programs.run(COPY_BYTES, params, [src, dst], linearGrid(Math.ceil(words / 256)));
  }

  async fill(A: Matrix<any>, value: number): Promise<void> {
    if (!this.bindable(A)) {
      await this.onHost('fill', [A, value]);
      return;
    }
    this.alive();
    this.count('gpu', 'fill');
    if (A.size === 0) return;
    const { params, words } = fillParams(window(A), elementBytes(A.dtype, value));
    this.programs.run(FILL_BYTES, params, [this.buf(A)], linearGrid(Math.ceil(words / 256)));
  }

  /**
   * Buffers for a call that reads `inputs` and writes `output`: an input sharing the output's
   * buffer is first copied to a temporary (returned in `temps`, given back by the caller).
   */
  private async separate(inputs: Matrix[], output: Matrix): Promise<{ views: Matrix[]; temps: Storage[] }> {
    const out = this.buf(output);
    const temps: Storage[] = [];
    const views: Matrix[] = [];
    for (const [k, M] of inputs.entries()) {
      if (this.buf(M) !== out) {
        views.push(M);
        continue;
      }
      const same = inputs.indexOf(M);
      if (same < k) {
        views.push(views[same]); // one copy for an operand passed twice (L21 L21ᵀ)
        continue;
      }
      const s = this.allocate(M.size * bytesPer(M.dtype));
      temps.push(s);
      const T = new Matrix(s, M.dtype, M.rows, M.cols);
      await this.copy(M, T);
      views.push(T);
    }
    return { views, temps };
  }

  /**
   * The common steps of a kernel of one output: counted as a GPU call of `name` (null: counted by
   * the caller), nothing recorded when the output is empty, inputs sharing the output's buffer
   * read from copies; the program gets the inputs' buffers, then the output's, and params made
   * from the inputs' views.
   */
  private async dispatch(name: string | null, empty: boolean, inputs: Matrix<any>[], output: Matrix<any>, program: Program,
    params: (views: Matrix<any>[]) => Params, groups: number): Promise<void> {
    this.alive();
    if (name !== null) this.count('gpu', name);
    if (empty) return;
    const { views, temps } = await this.separate(inputs, output);
    try {
      this.programs.run(program, params(views), [...views.map((v) => this.buf(v)), this.buf(output)], linearGrid(groups));
    } finally {
      for (const t of temps) t.release();
    }
  }

  async addDiagonal(A: Matrix, alpha: number): Promise<void> {
    if ((A.dtype !== 'float32' && A.dtype !== 'float64') || !this.bindable(A)) {
      await this.onHost('addDiagonal', [A, alpha]);
      return;
    }
    this.alive();
    this.count('gpu', 'addDiagonal');
    const n = Math.min(A.rows, A.cols);
    if (n === 0) return;
    const params = new Params().u32(1).u32(n).u32(A.offset).u32(A.stride);
    if (A.dtype === 'float64') {
      const [lo, hi] = float64Words(alpha);
      params.u32(lo).u32(hi);
    } else params.f32(alpha).u32(0);
    this.programs.run(A.dtype === 'float64' ? DADD_DIAGONAL : ADD_DIAGONAL, params, [this.buf(A)], linearGrid(Math.ceil(n / 256)));
  }

  async scaleRows(A: Matrix, x: Matrix): Promise<void> {
    if (A.dtype !== 'float32' || x.dtype !== 'float32' || !this.bindable(A, x)) {
      await this.onHost('scaleRows', [A, x]);
      return;
    }
    await this.dispatch('scaleRows', A.size === 0, [x], A, SCALE_ROWS,
      ([xv]) => new Params().u32(A.rows).u32(A.cols).u32(A.offset).u32(A.stride).u32(xv.offset).u32(xv.rows === 1 ? 1 : xv.stride), Math.ceil(A.size / 256));
  }

  async axpby(alpha: number, X: Matrix, beta: number, Y: Matrix): Promise<void> {
    if (X.dtype !== Y.dtype || (X.dtype !== 'float32' && X.dtype !== 'float64') || !this.bindable(X, Y)) {
      await this.onHost('axpby', [alpha, X, beta, Y]);
      return;
    }
    if (X.dtype === 'float64') {
      const [aLo, aHi] = float64Words(alpha), [bLo, bHi] = float64Words(beta);
      await this.dispatch('axpby', Y.size === 0, [X], Y, DAXPBY, ([xv]) => new Params().u32(Y.rows).u32(Y.cols).u32(xv.offset).u32(xv.stride).u32(Y.offset).u32(Y.stride)
        .u32(aLo).u32(aHi).u32(bLo).u32(bHi).u32(0).u32(0), Math.ceil(Y.size / 256));
      return;
    }
    await this.dispatch('axpby', Y.size === 0, [X], Y, AXPBY,
      ([xv]) => new Params().u32(Y.rows).u32(Y.cols).u32(xv.offset).u32(xv.stride).u32(Y.offset).u32(Y.stride).f32(alpha).f32(beta), Math.ceil(Y.size / 256));
  }

  async applyMask(A: Matrix, mask: Mask): Promise<void> {
    if (A.dtype !== 'float32' || !this.bindable(A, mask)) {
      await this.onHost('applyMask', [A, mask]);
      return;
    }
    await this.dispatch('applyMask', A.size === 0, [mask], A, APPLY_MASK,
      ([mv]) => new Params().u32(A.rows).u32(A.cols).u32(A.offset).u32(A.stride).u32(mv.offset).u32(mv.stride), Math.ceil(A.size / 256));
  }

  async zeroColumns(A: Matrix, cols: Mask): Promise<void> {
    if (A.dtype !== 'float32' || !this.bindable(A, cols)) {
      await this.onHost('zeroColumns', [A, cols]);
      return;
    }
    await this.dispatch('zeroColumns', A.size === 0, [cols], A, ZERO_COLUMNS,
      ([cv]) => new Params().u32(A.rows).u32(A.cols).u32(A.offset).u32(A.stride).u32(cv.offset).u32(0), Math.ceil(A.size / 256));
  }

  async gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): Promise<void> {
    return this.gemmOn('gemm', false, transA, transB, alpha, A, B, beta, C);
  }

  private async gemmOn(kernel: 'gemm' | 'syrk', compensated: boolean, transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): Promise<void> {
    const f64 = this.f64Gpu && A.dtype === 'float64' && B.dtype === 'float64' && C.dtype === 'float64';
    const f32 = A.dtype === 'float32' && B.dtype === 'float32' && C.dtype === 'float32';
    if (f64 && this.bindable(A, B, C)) {
      await this.dgemmOn(kernel, transA, transB, alpha, A, B, beta, C);
      return;
    }
    if ((f64 || f32) && !this.bindable(A, B, C) && this.gemmSplit(kernel, f64, compensated && f32, transA, transB, alpha, A, B, beta, C, false)) return;
    if (!f32 || !this.bindable(A, B, C)) {
      await this.onHost('gemm', [transA, transB, alpha, A, B, beta, C]);
      return;
    }
    this.alive();
    this.count('gpu', kernel);
    const M = C.rows, N = C.cols, K = transA ? A.rows : A.cols;
    if (M === 0 || N === 0) return;
    const { views: [av, bv], temps } = await this.separate([A, B], C);
    const program = gemmProgram(transA, transB, compensated);
    const grid: [number, number] = [Math.ceil(N / GEMM_TILE), Math.ceil(M / GEMM_TILE)];
    const chunks = Math.max(1, Math.ceil(K / GEMM_K_CHUNK));
    // The compensated kernel's (hi, lo) between chunks; a single chunk never touches it.
    const scratch = compensated ? this.pool.take(chunks > 1 ? 2 * M * N * 4 : 4) : null;
    for (let c = 0; c < chunks; c++) {
      const k0 = c * GEMM_K_CHUNK, k1 = Math.min(K, k0 + GEMM_K_CHUNK);
      const first = c === 0, last = c === chunks - 1;
      // Plain: each chunk adds into C (beta = 1 after the first). Compensated: C only at the last.
      const b = compensated || first ? beta : 1;
      const params = gemmParams(M, N, k0, k1, av, bv, C, alpha, b, first, last);
      this.programs.run(program, params, scratch ? [this.buf(av), this.buf(bv), this.buf(C), scratch] : [this.buf(av), this.buf(bv), this.buf(C)], grid);
    }
    if (scratch) this.pool.give(scratch);
    for (const t of temps) t.release();
  }

  /** gemm on float64 operands (kernels/dgemm.ts): k in dispatches of DGEMM_K_CHUNK. */
  private async dgemmOn(kernel: 'gemm' | 'syrk', transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): Promise<void> {
    this.alive();
    this.count('gpu', kernel);
    const M = C.rows, N = C.cols, K = transA ? A.rows : A.cols;
    if (M === 0 || N === 0) return;
    const { views: [av, bv], temps } = await this.separate([A, B], C);
    try {
      const program = dgemmProgram(transA, transB);
      const grid: [number, number] = [Math.ceil(N / DGEMM_TILE), Math.ceil(M / DGEMM_TILE)];
      const chunks = Math.max(1, Math.ceil(K / DGEMM_K_CHUNK));
      for (let c = 0; c < chunks; c++) {
        const k0 = c * DGEMM_K_CHUNK, k1 = Math.min(K, k0 + DGEMM_K_CHUNK);
        this.programs.run(program, dgemmParams(M, N, k0, k1, av, bv, C, alpha, c === 0 ? beta : 1), [this.buf(av), this.buf(bv), this.buf(C)], grid);
      }
    } finally {
      for (const t of temps) t.release();
    }
  }

  /**
   * A storage binding over the bytes a view spans, from the offset-aligned boundary at or below
   * its first element, and the view's first element counted from there.
   */
  private windowOf(M: Matrix<any>): { binding: Binding; offset: number } {
    const bytes = bytesPer(M.dtype), buffer = this.buf(M), align = this.device.limits.minStorageBufferOffsetAlignment;
    const first = M.offset * bytes, start = Math.floor(first / align) * align;
    const span = M.rows === 0 || M.cols === 0 ? bytes : ((M.rows - 1) * M.stride + M.cols) * bytes;
    return { binding: { buffer, offset: start, size: Math.min(buffer.size - start, Math.ceil((first - start + span) / 4) * 4) }, offset: (first - start) / bytes };
  }

  /** Whether a rows x cols view of this stride and element size fits one binding wherever it starts (see windowOf). */
  private windowFits(rows: number, cols: number, stride: number, bytes: number): boolean {
    return ((rows - 1) * stride + cols) * bytes + this.device.limits.minStorageBufferOffsetAlignment <= this.bindLimit;
  }

  /**
   * gemm (float32, plain or compensated, or float64) on operands larger than one binding: C in
   * T x T tiles and k in chunks of kc, each dispatch bound to windows of A, B and C (windowOf).
   * T and kc are the largest powers of two whose windows fit (kc at most the kernel's own chunk;
   * from 256 up it keeps the compensated kernel's slices where they were). lowerOnly (syrk):
   * only the tiles on and below the diagonal. Returns false, having done nothing, when no tiling
   * fits, k is 0 or an input shares C's buffer.
   */
  private gemmSplit(kernel: 'gemm' | 'syrk', f64: boolean, compensated: boolean, transA: boolean, transB: boolean, alpha: number,
    A: Matrix, B: Matrix, beta: number, C: Matrix, lowerOnly: boolean): boolean {
    const M = C.rows, N = C.cols, K = transA ? A.rows : A.cols, bytes = f64 ? 8 : 4;
    if (K === 0 || this.buf(A) === this.buf(C) || this.buf(B) === this.buf(C)) return false;
    const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));
    let T = 0, kc = 0;
    for (let t = pow2(Math.max(M, N)); t >= 1 && T === 0; t /= 2) {
      const m = Math.min(t, M), n = Math.min(t, N);
      if (!this.windowFits(m, n, C.stride, bytes)) continue;
      for (let k = Math.min(pow2(K), f64 ? DGEMM_K_CHUNK : GEMM_K_CHUNK); k >= 1; k /= 2) {
        const kk = Math.min(k, K);
        const aFits = transA ? this.windowFits(kk, m, A.stride, bytes) : this.windowFits(m, kk, A.stride, bytes);
        const bFits = transB ? this.windowFits(n, kk, B.stride, bytes) : this.windowFits(kk, n, B.stride, bytes);
        if (aFits && bFits) {
          T = t;
          kc = k;
          break;
        }
      }
    }
    if (T === 0) return false;
    this.alive();
    this.count('gpu', kernel);
    this.count('gpu', `${kernel} (split)`); // calls() shows how often the tiles were needed
    const program = f64 ? dgemmProgram(transA, transB) : gemmProgram(transA, transB, compensated);
    const tile = f64 ? DGEMM_TILE : GEMM_TILE, chunks = Math.ceil(K / kc);
    for (let i0 = 0; i0 < M; i0 += T) {
      for (let j0 = 0; j0 < N && !(lowerOnly && j0 > i0); j0 += T) {
        const m = Math.min(T, M - i0), n = Math.min(T, N - j0), cw = this.windowOf(C.view(i0, j0, m, n));
        const scratch = compensated ? this.pool.take(chunks > 1 ? 2 * m * n * 4 : 4) : null;
        for (let c = 0; c < chunks; c++) {
          const k0 = c * kc, kk = Math.min(K, k0 + kc) - k0, first = c === 0, last = c === chunks - 1;
          const aw = this.windowOf(transA ? A.view(k0, i0, kk, m) : A.view(i0, k0, m, kk));
          const bw = this.windowOf(transB ? B.view(j0, k0, n, kk) : B.view(k0, j0, kk, n));
          const a = { offset: aw.offset, stride: A.stride }, b = { offset: bw.offset, stride: B.stride }, cv = { offset: cw.offset, stride: C.stride };
          const params = f64 ? dgemmParams(m, n, 0, kk, a, b, cv, alpha, first ? beta : 1)
            : gemmParams(m, n, 0, kk, a, b, cv, alpha, compensated || first ? beta : 1, first, last);
          const bindings = [aw.binding, bw.binding, cw.binding, ...(scratch ? [scratch] : [])];
          this.programs.run(program, params, bindings, [Math.ceil(n / tile), Math.ceil(m / tile)]);
        }
        if (scratch) this.pool.give(scratch);
      }
    }
    return true;
  }

  /**
   * syrk's lower triangle mirrored on a C larger than one binding, in the tiles of gemmSplit: a
   * diagonal tile by the mirror program in its window, a tile above the diagonal from the one below
   * it, transposed into a scratch tile and copied from there (one buffer is not bound for reading
   * and writing in one dispatch).
   */
  private mirrorSplit(C: Matrix): void {
    const n = C.rows, words = C.dtype === 'float64' ? 2 : 1;
    let T = 2 ** Math.ceil(Math.log2(Math.max(n, 1)));
    while (T > 1 && !this.windowFits(T, T, C.stride, 4 * words)) T /= 2;
    const mirror = words === 2 ? DMIRROR_LOWER : MIRROR_LOWER;
    const scratch = this.pool.take(T * T * 4 * words);
    try {
      for (let i0 = 0; i0 < n; i0 += T) {
        const m = Math.min(T, n - i0), dw = this.windowOf(C.view(i0, i0, m, m));
        if (m > 1) this.programs.run(mirror, new Params().u32(m).u32(dw.offset).u32(C.stride).u32(0), [dw.binding], [Math.ceil(m / 16), Math.ceil(m / 16)]);
        for (let j0 = i0 + T; j0 < n; j0 += T) {
          const w = Math.min(T, n - j0), src = this.windowOf(C.view(j0, i0, w, m)), dst = this.windowOf(C.view(i0, j0, m, w));
          this.programs.run(TILE_COPY, new Params().u32(w).u32(m).u32(src.offset).u32(C.stride).u32(0).u32(w).u32(words).u32(1).u32(0).u32(0),
            [src.binding, scratch], linearGrid(Math.ceil((w * m) / 256)));
          this.programs.run(TILE_COPY, new Params().u32(m).u32(w).u32(0).u32(w).u32(dst.offset).u32(C.stride).u32(words).u32(0).u32(0).u32(0),
            [scratch, dst.binding], linearGrid(Math.ceil((w * m) / 256)));
        }
      }
    } finally {
      this.pool.give(scratch);
    }
  }

  async syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): Promise<void> {
    const f64 = this.f64Gpu && X.dtype === 'float64' && C.dtype === 'float64', f32 = X.dtype === 'float32' && C.dtype === 'float32';
    if ((f64 || f32) && !this.bindable(X, C) && this.gemmSplit('syrk', f64, f32, trans, !trans, alpha, X, X, beta, C, true)) {
      if (C.rows > 1) this.mirrorSplit(C);
      return;
    }
    if (this.f64Gpu && X.dtype === 'float64' && C.dtype === 'float64' && this.bindable(X, C)) {
      // The product by dgemm (its C_ij and C_ji agree bit for bit), then the lower triangle mirrored.
      await this.dgemmOn('syrk', trans, !trans, alpha, X, X, beta, C);
      if (C.rows > 1) this.programs.run(DMIRROR_LOWER, new Params().u32(C.rows).u32(C.offset).u32(C.stride).u32(0), [this.buf(C)], [Math.ceil(C.rows / 16), Math.ceil(C.rows / 16)]);
      return;
    }
    if (X.dtype !== 'float32' || C.dtype !== 'float32' || !this.bindable(X, C)) {
      await this.onHost('syrk', [trans, alpha, X, beta, C]);
      return;
    }
    // The whole product by the compensated gemm (its C_ij and C_ji agree bit for bit), then the
    // lower triangle mirrored, so that beta's part of the upper triangle is the lower one's.
    await this.gemmOn('syrk', true, trans, !trans, alpha, X, X, beta, C);
    const n = C.rows;
    if (n < 2) return;
    const params = new Params().u32(n).u32(C.offset).u32(C.stride).u32(0);
    this.programs.run(MIRROR_LOWER, params, [this.buf(C)], [Math.ceil(n / 16), Math.ceil(n / 16)]);
  }

  /** What the blocked Cholesky family (cholesky.ts) uses of this backend. */
  private get cholHost(): chol.CholeskyHost {
    return {
      programs: this.programs,
      buffer: (M) => this.buf(M),
      temp: (rows, cols, like) => new Matrix(this.allocate(rows * cols * bytesPer(like.dtype)), like.dtype, rows, cols),
      infoBuffer: () => {
        const buffer = this.pool.take(4);
        return {
          buffer,
          read: async () => {
            try {
              const [bytes] = await this.programs.read([{ buffer, start: 0, end: 4 }]);
              this.alive();
              return new Int32Array(bytes.buffer, bytes.byteOffset, 1)[0];
            } finally {
              this.pool.give(buffer);
            }
          },
        };
      },
      copy: (A, B) => this.copy(A, B),
      gemm: (ta, tb, alpha, A, B, beta, C) => this.gemm(ta, tb, alpha, A, B, beta, C),
      syrk: (t, alpha, X, beta, C) => this.syrk(t, alpha, X, beta, C),
    };
  }

  private async cholesky(kernel: 'potrf' | 'potri' | 'invchol', A: Matrix): Promise<number> {
    if ((A.dtype !== 'float32' && (A.dtype !== 'float64' || !this.f64Gpu)) || !this.bindable(A) || A.rows * A.rows * bytesPer(A.dtype) > this.bindLimit) {
      return (await this.onHost(kernel, [A])) as number;
    }
    this.alive();
    this.count('gpu', kernel);
    return chol[kernel](this.cholHost, A);
  }

  potrf(A: Matrix): Promise<number> {
    return this.cholesky('potrf', A);
  }

  potri(A: Matrix): Promise<number> {
    return this.cholesky('potri', A);
  }

  invchol(A: Matrix): Promise<number> {
    return this.cholesky('invchol', A);
  }

  async rmsNorm(X: Matrix, weight: Matrix, eps: number, Y: Matrix): Promise<void> {
    if (X.dtype !== 'float32' || !this.bindable(X, weight, Y)) {
      await this.onHost('rmsNorm', [X, weight, eps, Y]);
      return;
    }
    const [epsHi, epsLo] = splitDouble(eps);
    await this.dispatch('rmsNorm', X.size === 0, [X, weight], Y, RMS_NORM, ([xv, wv]) => new Params().u32(X.rows).u32(X.cols).u32(xv.offset).u32(xv.stride)
      .u32(Y.offset).u32(Y.stride).u32(wv.offset).u32(wv.rows === 1 ? 1 : wv.stride).f32(epsHi).f32(epsLo).u32(0).u32(0), X.rows);
  }

  async softmaxRows(S: Matrix, scale: number, causal: boolean, offset: number): Promise<void> {
    if (S.dtype !== 'float32' || !this.bindable(S) || Math.abs(offset) > 2 ** 31 - 1) {
      await this.onHost('softmaxRows', [S, scale, causal, offset]);
      return;
    }
    this.alive();
    this.count('gpu', 'softmaxRows');
    if (S.size === 0) return;
    const [hi, lo] = splitDouble(scale);
    const params = new Params().u32(S.rows).u32(S.cols).u32(S.offset).u32(S.stride).f32(hi).f32(lo).u32(causal ? 1 : 0).i32(offset).u32(0).u32(0).u32(0).u32(0);
    this.programs.run(SOFTMAX_ROWS, params, [this.buf(S)], linearGrid(S.rows));
  }

  async rotary(X: Matrix, headDim: number, theta: number, start: number, positions: Matrix<'int32'> | null): Promise<void> {
    if (X.dtype !== 'float32' || positions !== null || !this.bindable(X)) {
      await this.onHost('rotary', [X, headDim, theta, start, positions]);
      return;
    }
    this.alive();
    this.count('gpu', 'rotary');
    if (X.size === 0) return;
    const half = headDim / 2, heads = X.cols / headDim;
    const table = this.rotaryTable(X.rows, headDim, theta, start);
    const params = new Params().u32(X.rows).u32(heads).u32(half).u32(X.offset).u32(X.stride).u32(0).u32(0).u32(0);
    this.programs.run(ROTARY, params, [table, this.buf(X)], linearGrid(Math.ceil((X.rows * heads * half) / 256)));
  }

  /**
   * The cosines and sines of rows positions start, start + 1, … for rotary, computed here in
   * float64 and kept as two floats each; the last few tables are kept on the device (a forward
   * pass asks for the same one for every q and k).
   */
  private rotaryTable(rows: number, headDim: number, theta: number, start: number): GPUBuffer {
    const key = `${rows}:${headDim}:${theta}:${start}`;
    const hit = this.tables.get(key);
    if (hit) {
      this.tables.delete(key);
      this.tables.set(key, hit); // most recent last
      return hit;
    }
    const half = headDim / 2;
    const values = new Float32Array(rows * half * 4);
    for (let i = 0; i < half; i++) {
      const inv = Math.pow(theta, (-2 * i) / headDim);
      for (let t = 0; t < rows; t++) {
        const a = (start + t) * inv, k = (t * half + i) * 4;
        [values[k], values[k + 1]] = splitDouble(Math.cos(a));
        [values[k + 2], values[k + 3]] = splitDouble(Math.sin(a));
      }
    }
    const buffer = this.pool.take(values.byteLength);
    this.programs.write(buffer, 0, new Uint8Array(values.buffer));
    this.tables.set(key, buffer);
    if (this.tables.size > ROTARY_TABLES) {
      const [oldest, b] = this.tables.entries().next().value as [string, GPUBuffer];
      this.tables.delete(oldest);
      this.pool.give(b);
    }
    return buffer;
  }

  async siluGate(G: Matrix, U: Matrix, Y: Matrix): Promise<void> {
    if (G.dtype !== 'float32' || !this.bindable(G, U, Y)) {
      await this.onHost('siluGate', [G, U, Y]);
      return;
    }
    await this.dispatch('siluGate', G.size === 0, [G, U], Y, SILU_GATE, ([gv, uv]) => new Params().u32(G.rows).u32(G.cols).u32(gv.offset).u32(gv.stride)
      .u32(uv.offset).u32(uv.stride).u32(Y.offset).u32(Y.stride).u32(0).u32(0), Math.ceil(G.size / 256));
  }

  async gather(E: Matrix, ids: Matrix<'int32'>, Y: Matrix): Promise<number> {
    if (E.dtype !== 'float32' || !this.bindable(E, ids, Y)) return (await this.onHost('gather', [E, ids, Y])) as number;
    this.alive();
    this.count('gpu', 'gather');
    const n = ids.size;
    if (n === 0) return -1;
    const idStep = ids.rows === 1 ? 1 : ids.stride;
    // The ids are checked first (one word comes back), so that Y is untouched when one is bad.
    const check = new Params().u32(1).u32(n).u32(ids.offset).u32(idStep).u32(E.rows).u32(0);
    const bad = WebGpuBackend.firstIndex(await this.wordOf(GATHER_CHECK, check, [this.buf(ids)], linearGrid(Math.ceil(n / 256))));
    if (bad >= 0 || E.cols === 0) return bad;
    const rows = ([ev, iv]: Matrix<any>[]) => new Params().u32(n).u32(E.cols).u32(ev.offset).u32(ev.stride).u32(Y.offset).u32(Y.stride).u32(iv.offset).u32(idStep);
    await this.dispatch(null, false, [E, ids], Y, GATHER_ROWS, rows, Math.ceil((n * E.cols) / 256));
    return -1;
  }

  /**
   * Runs a kernel whose answer is one u32 word it writes to a zeroed result buffer bound last
   * (a count, or the complement of a first index), and reads that word back.
   */
  private async wordOf(program: Program, params: Params, buffers: GPUBuffer[], grid: [number, number]): Promise<number> {
    const result = this.pool.take(4);
    try {
      this.programs.run(program, params, [...buffers, result], grid);
      const [bytes] = await this.programs.read([{ buffer: result, start: 0, end: 4 }]);
      this.alive();
      return new Uint32Array(bytes.buffer, bytes.byteOffset, 1)[0];
    } finally {
      this.pool.give(result);
    }
  }

  /** A first index from the complement that wordOf read (0: none, -1). */
  private static firstIndex(word: number): number {
    return word === 0 ? -1 : ~word >>> 0;
  }

  async firstNonFinite(A: Matrix): Promise<number> {
    if (A.dtype !== 'float32' || !this.bindable(A)) return (await this.onHost('firstNonFinite', [A])) as number;
    this.alive();
    this.count('gpu', 'firstNonFinite');
    if (A.size === 0) return -1;
    const params = new Params().u32(A.rows).u32(A.cols).u32(A.offset).u32(A.stride);
    return WebGpuBackend.firstIndex(await this.wordOf(FIRST_NON_FINITE, params, [this.buf(A)], linearGrid(Math.ceil(A.size / 256))));
  }

  async diagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): Promise<void> {
    const wide = (M: Matrix) => M.dtype === 'float32' || M.dtype === 'float64';
    if (!wide(A) || !wide(x) || !this.bindable(A, x) || (op === 'reciprocal' && (A.dtype !== 'float32' || x.dtype !== 'float32'))) {
      await this.onHost('diagonal', [A, x, op]);
      return;
    }
    const n = Math.min(A.rows, A.cols);
    if (A.dtype !== 'float32' || x.dtype !== 'float32') {
      this.alive();
      this.count('gpu', 'diagonal');
      if (n > 0) this.copyDiagonal(A, x, n);
      return;
    }
    await this.dispatch('diagonal', n === 0, [A], x, DIAGONAL, ([av]) => new Params().u32(1).u32(n).u32(av.offset).u32(av.stride)
      .u32(x.offset).u32(x.rows === 1 ? 1 : x.stride).u32(op === 'reciprocal' ? 1 : 0).u32(0), Math.ceil(n / 256));
  }

  /**
   * x := diag(A) (n entries) where A or x is float64: the diagonal gathered into a compact
   * temporary in A's dtype (a float32 one by the DIAGONAL kernel, a float64 one on the bytes), then
   * widened, narrowed or copied into x. The copy is exact; narrowing rounds to nearest even.
   */
  private copyDiagonal(A: Matrix, x: Matrix, n: number): void {
    const size = bytesPer(A.dtype);
    const tmp = this.pool.take(n * size);
    try {
      if (A.dtype === 'float32') {
        this.programs.run(DIAGONAL, new Params().u32(1).u32(n).u32(A.offset).u32(A.stride).u32(0).u32(1).u32(0).u32(0), [this.buf(A), tmp], linearGrid(Math.ceil(n / 256)));
      } else {
        const from = { offset: A.offset * size, stride: (A.stride + 1) * size, rowBytes: size, rows: n };
        const { params, words } = copyParams({ offset: 0, stride: size, rowBytes: size, rows: n }, from);
        this.programs.run(COPY_BYTES, params, [this.buf(A), tmp], linearGrid(Math.ceil(words / 256)));
      }
      // x as an n x 1 column: element i at x.offset + i * step.
      const step = x.rows === 1 ? 1 : x.stride;
      if (A.dtype === x.dtype) {
        const to = { offset: x.offset * size, stride: step * size, rowBytes: size, rows: n };
        const { params, words } = copyParams(to, { offset: 0, stride: size, rowBytes: size, rows: n });
        this.programs.run(COPY_BYTES, params, [tmp, this.buf(x)], linearGrid(Math.ceil(words / 256)));
      } else {
        const conversion = A.dtype === 'float32' ? WIDEN_F32_F64 : NARROW_F64_F32;
        this.programs.run(conversion, new Params().u32(n).u32(1).u32(0).u32(1).u32(x.offset).u32(step), [tmp, this.buf(x)], linearGrid(Math.ceil(n / 256)));
      }
    } finally {
      this.pool.give(tmp);
    }
  }

  async deadInputs(H: Matrix, dead: Mask): Promise<number> {
    if (H.dtype !== 'float32' || !this.bindable(H, dead) || this.buf(H) === this.buf(dead)) return (await this.onHost('deadInputs', [H, dead])) as number;
    this.alive();
    this.count('gpu', 'deadInputs');
    const n = H.rows;
    if (n === 0) return 0;
    const params = new Params().u32(1).u32(n).u32(H.offset).u32(H.stride).u32(dead.offset).u32(0);
    return this.wordOf(DEAD_INPUTS, params, [this.buf(H), this.buf(dead)], linearGrid(Math.ceil(n / 256)));
  }

  async maskCounts(mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): Promise<number> {
    if (!this.bindable(mask, rowCounts) || this.buf(mask) === this.buf(rowCounts)) return (await this.onHost('maskCounts', [mask, groupSize, rowCounts])) as number;
    this.alive();
    this.count('gpu', 'maskCounts');
    if (mask.rows === 0) return 0;
    const params = new Params().u32(mask.rows).u32(1).u32(mask.offset).u32(mask.stride).u32(rowCounts.offset).u32(rowCounts.rows === 1 ? 1 : rowCounts.stride).u32(groupSize).u32(mask.cols);
    return this.wordOf(MASK_COUNTS, params, [this.buf(mask), this.buf(rowCounts)], linearGrid(Math.ceil(mask.rows / 256)));
  }

  async maskDifference(a: Mask, b: Mask): Promise<number> {
    if (!this.bindable(a, b)) return (await this.onHost('maskDifference', [a, b])) as number;
    this.alive();
    this.count('gpu', 'maskDifference');
    if (a.size === 0) return 0;
    const params = new Params().u32(a.rows).u32(a.cols).u32(a.offset).u32(a.stride).u32(b.offset).u32(b.stride);
    return this.wordOf(MASK_DIFFERENCE, params, [this.buf(a), this.buf(b)], linearGrid(Math.ceil(a.size / 256)));
  }

  async maskViolation(W: Matrix, mask: Mask): Promise<number> {
    if (W.dtype !== 'float32' || !this.bindable(W, mask)) return (await this.onHost('maskViolation', [W, mask])) as number;
    this.alive();
    this.count('gpu', 'maskViolation');
    if (W.size === 0) return -1;
    const params = new Params().u32(W.rows).u32(W.cols).u32(W.offset).u32(W.stride).u32(mask.offset).u32(mask.stride);
    return WebGpuBackend.firstIndex(await this.wordOf(MASK_VIOLATION, params, [this.buf(W), this.buf(mask)], linearGrid(Math.ceil(W.size / 256))));
  }

  /**
   * The first asymmetric pair of a float32 H (kernels/symmetry.ts), decided in two floats with a
   * wide margin. One 8-byte readback: the first violation and the first pair too close to call;
   * when such a pair comes first, the call runs on the host.
   */
  async symmetryViolation(H: Matrix, tolerance: number): Promise<number> {
    const n = H.rows;
    const [tolHi, tolLo] = splitDouble(tolerance);
    if (H.dtype !== 'float32' || !this.bindable(H) || !(tolerance >= 2 ** -40 && tolerance <= 2 ** 40)) return (await this.onHost('symmetryViolation', [H, tolerance])) as number;
    this.alive();
    this.count('gpu', 'symmetryViolation');
    if (n < 2) return -1;
    const result = this.pool.take(8);
    try {
      this.programs.run(SYMMETRY_VIOLATION, new Params().u32(n).u32(n).u32(H.offset).u32(H.stride).f32(tolHi).f32(tolLo).u32(0).u32(0),
        [this.buf(H), result], linearGrid(Math.ceil((n * n) / 256)));
      const [bytes] = await this.programs.read([{ buffer: result, start: 0, end: 8 }]);
      this.alive();
      const [bad, near] = new Uint32Array(bytes.buffer, bytes.byteOffset, 2);
      const first = WebGpuBackend.firstIndex(bad), close = WebGpuBackend.firstIndex(near);
      if (close >= 0 && (first < 0 || close < first)) return (await this.onHost('symmetryViolation', [H, tolerance])) as number;
      return first;
    } finally {
      this.pool.give(result);
    }
  }

  /**
   * Σ A_ij B_ij in emulated float64 (kernels/dot.ts): a partial sum per workgroup, then one
   * workgroup over the partials. One readback of 12 bytes: the sum and whether an operand was NaN
   * or ±Inf; then, or when the sum overflowed, the call is run again on the host (IEEE's rules).
   */
  async dot(A: Matrix, B: Matrix): Promise<number> {
    const words = (M: Matrix) => (M.dtype === 'float32' ? 1 : M.dtype === 'float64' ? 2 : 0);
    if (words(A) === 0 || words(B) === 0 || !this.bindable(A, B)) return (await this.onHost('dot', [A, B])) as number;
    this.alive();
    this.count('gpu', 'dot');
    const n = A.size;
    if (n === 0) return 0;
    const groups = Math.min(DOT_GROUPS, Math.ceil(n / 256));
    const partials = this.pool.take(groups * 16), bad = this.pool.take(4), out = this.pool.take(8);
    try {
      const params = new Params().u32(A.rows).u32(A.cols).u32(A.offset).u32(A.stride).u32(B.offset).u32(B.stride).u32(groups)
        .u32(words(A)).u32(words(B)).u32(0).u32(0).u32(0);
      this.programs.run(DOT_PARTIAL, params, [this.buf(A), this.buf(B), partials, bad], [groups, 1]);
      this.programs.run(DOT_FINAL, new Params().u32(groups).u32(0).u32(0).u32(0), [partials, out], [1, 1]);
      const [sum, flag] = await this.programs.read([{ buffer: out, start: 0, end: 8 }, { buffer: bad, start: 0, end: 4 }]);
      this.alive();
      const value = new DataView(sum.buffer, sum.byteOffset, 8).getFloat64(0, true);
      if (new DataView(flag.buffer, flag.byteOffset, 4).getUint32(0, true) !== 0 || !Number.isFinite(value)) return (await this.onHost('dot', [A, B])) as number;
      return value;
    } finally {
      for (const t of [partials, bad, out]) this.pool.give(t);
    }
  }

  /**
   * tr((W − X) H (W − X)ᵀ) in emulated float64, with the float64 matrix kernels on the GPU (else
   * on the host): blocks of OBJECTIVE_BLOCK rows, as the Wasm kernel takes them: D := W − X in
   * float64, P := D·H by dgemm, and Σ D ∘ P by dot's first pass into the block's own share of one
   * partials buffer; one workgroup sums them all, and one 12-byte readback follows. The sums run
   * in another order than Wasm's, so the result agrees with it to float64 rounding. A NaN or ±Inf
   * in D or P, or a sum that overflows, sends the call to the host from its untouched inputs.
   */
  async objective(W: Matrix, X: Matrix | null, H: Matrix<'float64'>): Promise<number> {
    const words = W.dtype === 'float32' ? 1 : W.dtype === 'float64' ? 2 : 0;
    const rows = W.rows, cols = W.cols, block = Math.min(rows, OBJECTIVE_BLOCK);
    if (!this.f64Gpu || words === 0 || (X !== null && X.dtype !== W.dtype) || !this.bindable(W, H, ...(X ? [X] : []))
      || block * cols * 8 > this.bindLimit) {
      return (await this.onHost('objective', [W, X, H])) as number;
    }
    this.alive();
    this.count('gpu', 'objective');
    if (rows === 0 || cols === 0) return 0;
    const shares: number[] = [];
    for (let r0 = 0; r0 < rows; r0 += block) shares.push(Math.min(DOT_GROUPS, Math.ceil((Math.min(block, rows - r0) * cols) / 256)));
    const total = shares.reduce((a, b) => a + b, 0);
    const D = new Matrix(this.allocate(block * cols * 8), 'float64', block, cols);
    const Pm = new Matrix(this.allocate(block * cols * 8), 'float64', block, cols);
    const partials = this.pool.take(total * 16), bad = this.pool.take(4), out = this.pool.take(8);
    try {
      let at = 0;
      for (let b = 0, r0 = 0; r0 < rows; b++, r0 += block) {
        const m = Math.min(block, rows - r0), Dv = D.view(0, 0, m, cols), Pv = Pm.view(0, 0, m, cols);
        const Wv = W.view(r0, 0, m, cols), Xv = X ? X.view(r0, 0, m, cols) : null;
        this.programs.run(DDIFFERENCE, new Params().u32(m).u32(cols).u32(Wv.offset).u32(Wv.stride).u32(Xv ? Xv.offset : 0).u32(Xv ? Xv.stride : 0)
          .u32(0).u32(cols).u32(words).u32(Xv ? 1 : 0).u32(0).u32(0), [this.buf(W), this.buf(Xv ?? W), this.buf(D)], linearGrid(Math.ceil((m * cols) / 256)));
        await this.dgemmOn('gemm', false, false, 1, Dv, H, 0, Pv);
        const params = new Params().u32(m).u32(cols).u32(0).u32(cols).u32(0).u32(cols).u32(shares[b]).u32(2).u32(2).u32(at).u32(0).u32(0);
        this.programs.run(DOT_PARTIAL, params, [this.buf(D), this.buf(Pm), partials, bad], [shares[b], 1]);
        at += shares[b];
      }
      this.programs.run(DOT_FINAL, new Params().u32(total).u32(0).u32(0).u32(0), [partials, out], [1, 1]);
      const [sum, flag] = await this.programs.read([{ buffer: out, start: 0, end: 8 }, { buffer: bad, start: 0, end: 4 }]);
      this.alive();
      const value = new DataView(sum.buffer, sum.byteOffset, 8).getFloat64(0, true);
      if (new DataView(flag.buffer, flag.byteOffset, 4).getUint32(0, true) !== 0 || !Number.isFinite(value)) return (await this.onHost('objective', [W, X, H])) as number;
      return value;
    } finally {
      for (const t of [partials, bad, out]) this.pool.give(t);
      D.free();
      Pm.free();
    }
  }

  /**
   * The k largest |x_i| (or x_i) by index, ascending (kernels/topk.ts): keys, the radix select,
   * then a count, scan and compaction of the flags. One 4-byte readback: the first NaN.
   */
  async topk(x: Matrix, k: number, byValue: boolean, out: Matrix<'int32'>): Promise<number> {
    if ((x.dtype !== 'float32' && x.dtype !== 'float64') || !this.bindable(x, out)) return (await this.onHost('topk', [x, k, byValue, out])) as number;
    this.alive();
    this.count('gpu', 'topk');
    const n = x.size;
    if (n === 0) return -1;
    const words = x.dtype === 'float64' ? 2 : 1;
    const keys = this.pool.take(n * words * 4), flags = this.pool.take(n * 4), sel = this.pool.take(selWords(n) * 4), nan = this.pool.take(4);
    try {
      this.programs.run(TOPK_KEYS, new Params().u32(n).u32(x.offset).u32(x.rows === 1 ? 1 : x.stride).u32(words).u32(byValue ? 1 : 0).u32(0).u32(0).u32(0),
        [this.buf(x), keys, nan], linearGrid(Math.ceil(n / 256)));
      if (k > 0) {
        if (k >= n) this.fillFlags(flags, n, 1);
        else topKFlags(this.programs, keys, n, k, sel, flags, words);
        const chunks = Math.ceil(n / SEL_CHUNK), groups = linearGrid(Math.ceil(chunks / 256));
        this.programs.run(FLAG_COUNT, new Params().u32(n).u32(chunks).u32(0).u32(0), [flags, sel], groups);
        this.programs.run(RADIX_SCAN, new Params().u32(chunks).u32(0).u32(0).u32(0), [sel], [1, 1]);
        this.programs.run(FLAG_COMPACT, new Params().u32(n).u32(chunks).u32(out.offset).u32(out.rows === 1 ? 1 : out.stride), [flags, sel, this.buf(out)], groups);
      }
      const [bytes] = await this.programs.read([{ buffer: nan, start: 0, end: 4 }]);
      this.alive();
      return WebGpuBackend.firstIndex(new Uint32Array(bytes.buffer, bytes.byteOffset, 1)[0]);
    } finally {
      for (const t of [keys, flags, sel, nan]) this.pool.give(t);
    }
  }

  /** x_j := Σ_i A[i, j]² or its reciprocal (kernels/gram-diagonal.ts), float32 or float64. */
  async gramDiagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): Promise<void> {
    if (A.dtype !== x.dtype || (A.dtype !== 'float32' && A.dtype !== 'float64') || !this.bindable(A, x)) {
      await this.onHost('gramDiagonal', [A, x, op]);
      return;
    }
    await this.dispatch('gramDiagonal', A.cols === 0, [A], x, GRAM_DIAGONAL, ([av]) => new Params().u32(1).u32(A.cols)
      .u32(A.rows).u32(av.offset).u32(av.stride).u32(x.offset).u32(x.rows === 1 ? 1 : x.stride).u32(A.dtype === 'float64' ? 2 : 1)
      .u32(op === 'reciprocal' ? 1 : 0).u32(0).u32(0).u32(0), Math.ceil(A.cols / 256));
  }

  /** P := im2col(X) (kernels/im2col.ts): float32 and float64, copied on the bits. */
  async im2col(X: Matrix, P: Matrix, g: Im2colGeometry): Promise<void> {
    if (X.dtype !== P.dtype || (X.dtype !== 'float32' && X.dtype !== 'float64') || !this.bindable(X, P)) {
      await this.onHost('im2col', [X, P, g]);
      return;
    }
    const words = X.dtype === 'float64' ? 2 : 1;
    await this.dispatch('im2col', P.size === 0, [X], P, IM2COL, ([xv]) => im2colParams(g, words, xv, P), Math.ceil(P.size / 256));
  }

  /** Writes flags (n u32) into the uint8 mask (its bytes from mask.offset on). */
  private packFlags(flags: GPUBuffer, n: number, mask: Mask): void {
    const first = Math.floor(mask.offset / 4), words = Math.ceil((mask.offset + n) / 4) - first;
    this.programs.run(PACK_FLAGS, new Params().u32(n).u32(mask.offset).u32(first).u32(words), [flags, this.buf(mask)], linearGrid(Math.ceil(words / 256)));
  }

  /** flags (n u32) := value everywhere. */
  private fillFlags(flags: GPUBuffer, n: number, value: 0 | 1): void {
    this.programs.run(FILL_BYTES, fillParams({ offset: 0, stride: n * 4, rowBytes: n * 4, rows: 1 }, new Uint8Array(Uint32Array.of(value).buffer)).params, [flags], linearGrid(Math.ceil(n / 256)));
  }

  /**
   * The scores' exact float64 keys (kernels/scores.ts), then a radix select over the layer, one per
   * row, or a rank within each N:M group (kernels/select.ts). One 4-byte readback: whether a score
   * was NaN, in which case the call is run again on the host, whose order it then follows.
   */
  async selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Mask): Promise<void> {
    const rows = W.rows, cols = W.cols, n = rows * cols;
    const operands = colWeight ? [W, colWeight, mask as unknown as Matrix] : [W, mask as unknown as Matrix];
    if (W.dtype !== 'float32' || (colWeight !== null && colWeight.dtype !== 'float32') || !mask.contiguous || !this.bindable(...operands)
      || 8 * n > this.bindLimit) {
      await this.onHost('selectMask', [W, colWeight, rule, mask]);
      return;
    }
    this.alive();
    this.count('gpu', 'selectMask');
    if (n === 0) return;
    // Keep k of every run of `seg` scores (the layer, a row, a group).
    const [seg, k] = rule.kind === 'layer' ? [n, rule.keep] : rule.kind === 'row' ? [cols, rule.keep] : [rule.m, rule.n];
    const flags = this.pool.take(n * 4);
    const temps: GPUBuffer[] = [flags];
    try {
      if (k <= 0 || k >= seg) {
        this.fillFlags(flags, n, k <= 0 ? 0 : 1);
        this.packFlags(flags, n, mask);
        return;
      }
      const keys = this.pool.take(n * 8), bad = this.pool.take(4);
      temps.push(keys, bad);
      const params = new Params().u32(rows).u32(cols).u32(W.offset).u32(W.stride)
        .u32(colWeight ? colWeight.offset : 0).u32(colWeight && colWeight.rows !== 1 ? colWeight.stride : 1).u32(colWeight ? 1 : 0).u32(0);
      this.programs.run(SCORE_KEYS, params, [this.buf(W), this.buf(colWeight ?? W), keys, bad], linearGrid(Math.ceil(n / 256)));
      if (rule.kind === 'layer') {
        const sel = this.pool.take(selWords(n) * 4);
        temps.push(sel);
        topKFlags(this.programs, keys, n, k, sel, flags, 2);
      } else {
        segmentFlags(this.programs, keys, n, seg, k, flags);
      }
      this.packFlags(flags, n, mask);
      const [bytes] = await this.programs.read([{ buffer: bad, start: 0, end: 4 }]);
      this.alive();
      if (new Uint32Array(bytes.buffer, bytes.byteOffset, 1)[0] !== 0) await this.onHost('selectMask', [W, colWeight, rule, mask]);
    } finally {
      for (const t of temps) this.pool.give(t);
    }
  }

  async sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Mask): Promise<number> {
    const rows = W1.rows, b = W1.cols;
    const bufs = [W1, U1, Err1, mask as unknown as Matrix].map((M) => this.buf(M));
    if (W1.dtype !== 'float32' || b > SPARSEGPT_MAX_B || !mask.contiguous || new Set(bufs).size < 4 || !this.bindable(W1, U1, Err1, mask)) {
      return (await this.onHost('sparsegptBlock', [W1, U1, rule, Err1, mask])) as number;
    }
    this.alive();
    this.count('gpu', 'sparsegptBlock');
    const [w, u, e] = bufs;
    // The diagonal first: a bad one is reported with nothing written (one 4-byte readback).
    const info = this.pool.take(4);
    try {
      this.programs.run(CHECK_DIAGONAL, new Params().u32(b).u32(U1.offset).u32(U1.stride).u32(0), [u, info], [1]);
      const [bytes] = await this.programs.read([{ buffer: info, start: 0, end: 4 }]);
      this.alive();
      const first = new Uint32Array(bytes.buffer, bytes.byteOffset, 1)[0];
      if (first !== 0xffffffff) return first;
    } finally {
      this.pool.give(info);
    }
    const n = rows * b;
    const flags = this.pool.take(n * 4);
    const temps: GPUBuffer[] = [flags];
    try {
      if (rule.kind === 'layer' && rule.keep >= n) {
        this.fillFlags(flags, n, 1);
      } else if (rule.kind === 'layer' && rule.keep > 0) {
        const keys = this.pool.take(n * 4), sel = this.pool.take(selWords(n) * 4);
        temps.push(keys, sel);
        const kp = new Params().u32(rows).u32(b).u32(W1.offset).u32(W1.stride).u32(U1.offset).u32(U1.stride).u32(0).u32(0);
        this.programs.run(BLOCK_KEYS, kp, [w, u, keys], linearGrid(Math.ceil(n / 256)));
        topKFlags(this.programs, keys, n, rule.keep, sel, flags);
      }
      const keep = rule.kind === 'nm' ? 0 : rule.keep;
      const params = new Params().u32(rows).u32(b).u32(W1.offset).u32(W1.stride).u32(U1.offset).u32(U1.stride).u32(Err1.offset).u32(Err1.stride)
        .u32(RULE_CODE[rule.kind]).u32(keep).u32(rule.kind === 'nm' ? rule.n : 0).u32(rule.kind === 'nm' ? rule.m : 1);
      this.programs.run(BLOCK_LOOP, params, [u, w, e, flags], linearGrid(rows));
      this.packFlags(flags, n, mask);
    } finally {
      for (const t of temps) this.pool.give(t);
    }
    return -1;
  }

  /**
   * op(A) X = αB or X op(A) = αB, float32 (kernels/trsm.ts): a workgroup per right-hand side, B
   * solved in place. side 'right' is the left solve of op(A)ᵀ on Bᵀ.
   */
  async trsm(side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix): Promise<void> {
    if (!this.solvable(A, B)) {
      await this.onHost('trsm', [side, uplo, transA, unit, alpha, A, B]);
      return;
    }
    const left = side === 'left';
    const eTrans = left ? transA : !transA;
    this.solveTriangular('trsm', A, B, (uplo === 'lower') !== eTrans, eTrans, unit, alpha, left ? B.cols : B.rows, left ? 1 : B.stride, left ? B.stride : 1);
  }

  /** Whether TRSM or DTRSM takes A and B: both float32 or both float64 (with f64Gpu), bindable, in distinct buffers. */
  private solvable(A: Matrix, B: Matrix): boolean {
    return A.dtype === B.dtype && (A.dtype === 'float32' || (A.dtype === 'float64' && this.f64Gpu)) && this.bindable(A, B) && this.buf(A) !== this.buf(B);
  }

  /** op(A) x = b in place: trsm's kernel with one right-hand side. */
  async trsv(uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, x: Matrix): Promise<void> {
    if (!this.solvable(A, x)) {
      await this.onHost('trsv', [uplo, trans, unit, A, x]);
      return;
    }
    this.solveTriangular('trsv', A, x, (uplo === 'lower') !== trans, trans, unit, 1, 1, 0, x.rows === 1 ? 1 : x.stride);
  }

  /** Records TRSM over m right-hand sides of B (element i of side r at B.offset + r·rStep + i·iStep). */
  private solveTriangular(kernel: 'trsm' | 'trsv', A: Matrix, B: Matrix, lower: boolean, eTrans: boolean, unit: boolean, alpha: number, m: number, rStep: number, iStep: number): void {
    this.alive();
    this.count('gpu', kernel);
    const n = A.rows;
    if (n === 0 || m === 0) return;
    const params = new Params().u32(n).u32(m).u32(A.offset).u32(A.stride).u32(B.offset).u32(rStep).u32(iStep)
      .u32(eTrans ? 1 : 0).u32(lower ? 1 : 0).u32(unit ? 1 : 0);
    if (A.dtype === 'float64') {
      const [lo, hi] = float64Words(alpha);
      params.u32(lo).u32(hi);
    } else params.f32(alpha).u32(0);
    this.programs.run(A.dtype === 'float64' ? DTRSM : TRSM, params, [this.buf(A), this.buf(B)], linearGrid(m));
  }

  /** The OBS downdate of a float32 Hinv at p (kernels/downdate.ts): u into a temporary, then the update. */
  async downdate(Hinv: Matrix, p: number): Promise<void> {
    if (Hinv.dtype !== 'float32' || !this.bindable(Hinv)) {
      await this.onHost('downdate', [Hinv, p]);
      return;
    }
    this.alive();
    this.count('gpu', 'downdate');
    const n = Hinv.rows;
    const u = this.pool.take(n * 4);
    try {
      this.programs.run(DOWNDATE_U, new Params().u32(1).u32(n).u32(Hinv.offset).u32(Hinv.stride).u32(p).u32(0), [this.buf(Hinv), u], linearGrid(Math.ceil(n / 256)));
      this.programs.run(DOWNDATE_APPLY, new Params().u32(n).u32(n).u32(Hinv.offset).u32(Hinv.stride).u32(p).u32(0), [u, this.buf(Hinv)], linearGrid(Math.ceil((n * n) / 256)));
    } finally {
      this.pool.give(u);
    }
  }

  /**
   * Σ_t (log Σ_j exp L[t, j] − L[t, y_t]) for float32 logits (kernels/cross-entropy.ts): each row's
   * largest logit, its sum of exponentials in two floats and its target's logit come back (16
   * bytes a row), and the host adds m + log s − L[t, y_t] in float64. A NaN or ±Inf logit sends
   * the call to the host.
   */
  async crossEntropy(logits: Matrix, targets: Matrix<'int32'>): Promise<CrossEntropyResult> {
    const rows = logits.rows, cols = logits.cols;
    if (logits.dtype !== 'float32' || !this.bindable(logits, targets) || cols === 0) return (await this.onHost('crossEntropy', [logits, targets])) as CrossEntropyResult;
    this.alive();
    this.count('gpu', 'crossEntropy');
    if (rows === 0) return { sum: 0, invalid: -1 };
    const out = this.pool.take(rows * 16), flags = this.pool.take(8);
    try {
      const params = new Params().u32(rows).u32(cols).u32(logits.offset).u32(logits.stride).u32(targets.offset).u32(targets.rows === 1 ? 1 : targets.stride).u32(0).u32(0);
      this.programs.run(CROSS_ENTROPY, params, [this.buf(logits), this.buf(targets), out, flags], linearGrid(rows));
      const [parts, flag] = await this.programs.read([{ buffer: out, start: 0, end: rows * 16 }, { buffer: flags, start: 0, end: 8 }]);
      this.alive();
      const [bad, nonFinite] = new Uint32Array(flag.buffer, flag.byteOffset, 2);
      const invalid = WebGpuBackend.firstIndex(bad);
      if (invalid >= 0) return { sum: NaN, invalid };
      if (nonFinite !== 0) return (await this.onHost('crossEntropy', [logits, targets])) as CrossEntropyResult;
      const f = new Float32Array(parts.buffer, parts.byteOffset, rows * 4);
      let sum = 0;
      for (let t = 0; t < rows; t++) sum += f[4 * t] + Math.log(f[4 * t + 1] + f[4 * t + 2]) - f[4 * t + 3];
      return { sum, invalid: -1 };
    } finally {
      this.pool.give(out);
      this.pool.give(flags);
    }
  }

  /**
   * λ_max of a float32 A by power iteration (kernels/lammax.ts): the start vector as Wasm makes it
   * (uploaded), then rounds of recorded iterations (8, doubling to 512) between 32-byte readbacks
   * of the state; the programs stop by themselves once it is done. A norm beyond the two floats'
   * range sends the call to the host.
   */
  async lammax(A: Matrix, maxIterations: number, tolerance: number, seed: number): Promise<LammaxResult> {
    if (A.dtype !== 'float32' || !this.bindable(A)) return (await this.onHost('lammax', [A, maxIterations, tolerance, seed])) as LammaxResult;
    this.alive();
    this.count('gpu', 'lammax');
    const n = A.rows;
    if (n === 0) return { value: 0, iterations: 0, converged: true };
    if (maxIterations <= 0) return { value: 0, iterations: 0, converged: false };
    const start = Array.from({ length: n }, (_, i) => startValue(seed >>> 0, i));
    let nrm = 0;
    for (const e of start) nrm += e * e;
    nrm = Math.sqrt(nrm);
    const v = this.pool.take(n * 4), w = this.pool.take(n * 4), state = this.pool.take(32);
    try {
      this.programs.write(v, 0, new Uint8Array(Float32Array.from(start, (e) => e / nrm).buffer));
      const [tolLo, tolHi] = float64Words(tolerance);
      const gemv = new Params().u32(n).u32(1).u32(A.offset).u32(A.stride);
      const step = new Params().u32(n).u32(maxIterations).u32(tolLo).u32(tolHi).u32(0).u32(0).u32(0).u32(0);
      let words: Uint32Array;
      for (let round = 8, done = 0; ; round = Math.min(2 * round, 512), done += round) {
        for (let k = 0; k < round && done + k < maxIterations; k++) {
          this.programs.run(LAMMAX_GEMV, gemv, [this.buf(A), v, state, w], linearGrid(Math.ceil(n / 256)));
          this.programs.run(LAMMAX_STEP, step, [w, v, state], [1]);
        }
        const [bytes] = await this.programs.read([{ buffer: state, start: 0, end: 32 }]);
        this.alive();
        words = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 32));
        if (words[0] !== 0 || done + round >= maxIterations) break;
      }
      if (words[3] !== 0 || words[0] === 0) return (await this.onHost('lammax', [A, maxIterations, tolerance, seed])) as LammaxResult;
      return { value: new Float64Array(words.buffer, 16, 1)[0], iterations: words[1], converged: words[2] === 1 };
    } finally {
      for (const b of [v, w, state]) this.pool.give(b);
    }
  }

  /** Rows of c x c scratch matrices (rowBytes each) that one dispatch may hold, or 0 when one row does not fit a binding. */
  private rowBatch(rows: number, rowBytes: number): number {
    const limit = this.bindLimit;
    if (rowBytes > limit) return 0;
    return Math.max(1, Math.min(rows, Math.floor(Math.min(limit, ROW_SCRATCH_BYTES) / rowBytes)));
  }

  /**
   * OBC's greedy removal (kernels/obs.ts), float32: one workgroup per row on its own copy of Hinv,
   * rows in batches. The compensated weights and the mask go to scratch first; one 8-byte
   * readback says whether a row had no eligible index and whether a score needed the host's
   * rules, in which case the whole call runs on the host from the untouched inputs.
   */
  async obsGreedy(W: Matrix, Hinv: Matrix, counts: Matrix<'int32'>, groupSize: number, groupPrune: number, mask: Mask, losses: Matrix<'float64'> | null): Promise<number> {
    const rows = W.rows, c = W.cols;
    const args = [W, Hinv, counts, groupSize, groupPrune, mask, losses];
    const operands: Matrix<any>[] = [W, Hinv, counts, mask, ...(losses ? [losses] : [])];
    const groups = groupSize > 0 ? c / groupSize : 0;
    const batch = this.rowBatch(rows, greedyRowWords(c, groups) * 4);
    if (W.dtype !== 'float32' || Hinv.dtype !== 'float32' || !mask.contiguous || (losses !== null && !losses.contiguous) || c === 0 || batch === 0
      || !this.bindable(...operands) || rows * c * 4 > this.bindLimit
      || new Set(operands.map((M) => this.buf(M))).size < operands.length) {
      return (await this.onHost('obsGreedy', args)) as number;
    }
    this.alive();
    this.count('gpu', 'obsGreedy');
    if (rows === 0) return -1;
    const wOut = this.pool.take(rows * c * 4), flags = this.pool.take(rows * c * 4), status = this.pool.take(8);
    const work = this.pool.take(batch * greedyRowWords(c, groups) * 4), none = losses ? null : this.pool.take(8);
    const temps = [wOut, flags, status, work, ...(none ? [none] : [])];
    try {
      const buffers = [this.buf(Hinv), this.buf(W), this.buf(counts), wOut, flags, work, losses ? this.buf(losses) : none!, status];
      for (let row0 = 0; row0 < rows; row0 += batch) {
        const n = Math.min(batch, rows - row0);
        const params = new Params().u32(rows).u32(c).u32(row0).u32(n).u32(W.offset).u32(W.stride).u32(Hinv.offset).u32(Hinv.stride)
          .u32(counts.offset).u32(counts.rows === 1 ? 1 : counts.stride).u32(groupSize).u32(groupPrune)
          .u32(losses ? losses.offset : 0).u32(losses ? losses.stride : 0).u32(losses ? 1 : 0).u32(0);
        this.programs.run(OBS_GREEDY, params, buffers, linearGrid(n));
      }
      const [bytes] = await this.programs.read([{ buffer: status, start: 0, end: 8 }]);
      this.alive();
      const [first, host] = new Uint32Array(bytes.buffer, bytes.byteOffset, 2);
      if (host !== 0) return (await this.onHost('obsGreedy', args)) as number;
      const compact = { offset: 0, stride: c * 4, rowBytes: c * 4, rows };
      const { params, words } = copyParams(window(W), compact);
      this.programs.run(COPY_BYTES, params, [wOut, this.buf(W)], linearGrid(Math.ceil(words / 256)));
      this.packFlags(flags, rows * c, mask);
      return WebGpuBackend.firstIndex(first);
    } finally {
      for (const t of temps) this.pool.give(t);
    }
  }

  /**
   * The exact re-solve on each row's support (kernels/obs.ts), float32: one workgroup per row,
   * H[S,S] gathered, factored and solved in its scratch, rows in batches. One 4-byte readback:
   * the first row whose H[S,S] has no Cholesky factor.
   */
  async solveOnSupport(H: Matrix, B: Matrix, mask: Mask, X: Matrix): Promise<number> {
    const rows = B.rows, c = B.cols;
    const batch = this.rowBatch(rows, solveRowWords(c) * 4);
    if (H.dtype !== 'float32' || B.dtype !== 'float32' || X.dtype !== 'float32' || !mask.contiguous || batch === 0 || !this.bindable(H, B, mask, X)) {
      return (await this.onHost('solveOnSupport', [H, B, mask, X])) as number;
    }
    this.alive();
    this.count('gpu', 'solveOnSupport');
    if (rows === 0) return -1;
    const { views: [h, b, m], temps } = await this.separate([H, B, mask as unknown as Matrix], X);
    const work = this.pool.take(batch * solveRowWords(c) * 4), status = this.pool.take(4);
    try {
      for (let row0 = 0; row0 < rows; row0 += batch) {
        const n = Math.min(batch, rows - row0);
        const params = new Params().u32(rows).u32(c).u32(row0).u32(n).u32(h.offset).u32(h.stride).u32(b.offset).u32(b.stride)
          .u32(X.offset).u32(X.stride).u32(m.offset).u32(0);
        this.programs.run(SOLVE_SUPPORT, params, [this.buf(h), this.buf(b), this.buf(m), work, status, this.buf(X)], linearGrid(n));
      }
      const [bytes] = await this.programs.read([{ buffer: status, start: 0, end: 4 }]);
      this.alive();
      return WebGpuBackend.firstIndex(new Uint32Array(bytes.buffer, bytes.byteOffset, 1)[0]);
    } finally {
      this.pool.give(work);
      this.pool.give(status);
      for (const t of temps) t.release();
    }
  }

  /**
   * OBC's global allocation (kernels/obs.ts): reversed order keys of the float64 losses, the radix
   * select of the `total` largest keys, then each row's count and in-order sum, and the rows'
   * sums added in order. One 12-byte readback: the sum and whether a loss was NaN, in which case
   * the call runs on the host (NaN, zero counts).
   */
  async obcAllocate(losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): Promise<number> {
    const rows = losses.rows, steps = losses.cols, n = rows * steps;
    if (!this.bindable(losses, rowCounts) || 8 * n > this.bindLimit || this.buf(losses) === this.buf(rowCounts)) {
      return (await this.onHost('obcAllocate', [losses, total, rowCounts])) as number;
    }
    this.alive();
    this.count('gpu', 'obcAllocate');
    if (rows === 0) return 0;
    if (n === 0 || total <= 0) {
      await this.fill(rowCounts, 0);
      return 0;
    }
    const k = Math.min(total, n);
    const flags = this.pool.take(n * 4), keys = this.pool.take(n * 8), sel = this.pool.take(selWords(n) * 4);
    const part = this.pool.take(rows * 8), out = this.pool.take(8), bad = this.pool.take(4);
    const temps = [flags, keys, sel, part, out, bad];
    try {
      const src = this.buf(losses);
      this.programs.run(ALLOCATE_KEYS, new Params().u32(rows).u32(steps).u32(losses.offset).u32(losses.stride).u32(0).u32(0), [src, keys, bad], linearGrid(Math.ceil(n / 256)));
      if (k >= n) this.fillFlags(flags, n, 1);
      else topKFlags(this.programs, keys, n, k, sel, flags, 2);
      this.programs.run(ALLOCATE_ROWS, new Params().u32(rows).u32(1).u32(steps).u32(losses.offset).u32(losses.stride)
        .u32(rowCounts.offset).u32(rowCounts.rows === 1 ? 1 : rowCounts.stride).u32(0), [src, flags, part, this.buf(rowCounts)], linearGrid(Math.ceil(rows / 256)));
      this.programs.run(ALLOCATE_SUM, new Params().u32(rows).u32(0).u32(0).u32(0), [part, out], [1]);
      const [sum, flag] = await this.programs.read([{ buffer: out, start: 0, end: 8 }, { buffer: bad, start: 0, end: 4 }]);
      this.alive();
      if (new DataView(flag.buffer, flag.byteOffset, 4).getUint32(0, true) !== 0) return (await this.onHost('obcAllocate', [losses, total, rowCounts])) as number;
      return new DataView(sum.buffer, sum.byteOffset, 8).getFloat64(0, true);
    } finally {
      for (const t of temps) this.pool.give(t);
    }
  }

  /**
   * One masked PCG kernel over every row (kernels/pcg.ts; mode: which), float32 vectors, float64
   * state. V is B (start), Q (step, update) or the correction C (direction; null: none). Operands
   * must be float32 (the state float64, contiguous) in distinct buffers, else the host runs it.
   * One 4-byte readback: the rows still active.
   */
  private async pcg(kernel: 'pcgStart' | 'pcgStep' | 'pcgUpdate' | 'pcgDirection', args: readonly unknown[], ops: {
    X: Matrix | null; V: Matrix | null; R: Matrix; P: Matrix; mask: Mask; dinv: Matrix | null; state: Matrix<'float64'>; tolerance: number; restart: boolean;
  }): Promise<number> {
    const { X, V, R, P, mask, dinv, state } = ops;
    const floats = [X, V, R, P, dinv].filter((M): M is Matrix => M !== null);
    const all: Matrix<any>[] = [...floats, mask, state];
    if (floats.some((M) => M.dtype !== 'float32') || !mask.contiguous || !state.contiguous || (dinv !== null && !dinv.contiguous)
      || !this.bindable(...all) || new Set(all.map((M) => this.buf(M))).size < all.length) {
      return (await this.onHost(kernel, args)) as number;
    }
    this.alive();
    this.count('gpu', kernel);
    const rows = R.rows, cols = R.cols;
    if (rows === 0) return 0;
    const count = this.pool.take(4), spare = X === null ? this.pool.take(4) : null;
    try {
      const [tolLo, tolHi] = float64Words(ops.tolerance * ops.tolerance);
      const params = new Params().u32(rows).u32(cols).u32(PCG_MODE[kernel === 'pcgStart' ? 'start' : kernel === 'pcgStep' ? 'step' : kernel === 'pcgUpdate' ? 'update' : 'direction'])
        .u32(ops.restart ? 1 : 0).u32(V !== null ? 1 : 0).u32(X ? X.offset : 0).u32(X ? X.stride : 0).u32(V ? V.offset : 0).u32(V ? V.stride : 0)
        .u32(R.offset).u32(R.stride).u32(P.offset).u32(P.stride).u32(mask.offset).u32(dinv ? dinv.offset : 0).u32(state.offset)
        .u32(tolLo).u32(tolHi).u32(0).u32(0);
      const m = this.buf(mask);
      this.programs.run(PCG, params, [X ? this.buf(X) : spare!, V ? this.buf(V) : m, this.buf(R), this.buf(P), m, dinv ? this.buf(dinv) : m, this.buf(state), count], linearGrid(rows));
      const [bytes] = await this.programs.read([{ buffer: count, start: 0, end: 4 }]);
      this.alive();
      return new Uint32Array(bytes.buffer, bytes.byteOffset, 1)[0];
    } finally {
      this.pool.give(count);
      if (spare) this.pool.give(spare);
    }
  }

  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return this.pcg('pcgStart', [X, B, R, P, mask, dinv, tolerance, state], { X, V: B, R, P, mask, dinv, state, tolerance, restart: false });
  }

  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return this.pcg('pcgStep', [X, R, P, Q, mask, dinv, tolerance, state], { X, V: Q, R, P, mask, dinv, state, tolerance, restart: false });
  }

  pcgUpdate(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return this.pcg('pcgUpdate', [X, R, P, Q, mask, tolerance, state], { X, V: Q, R, P, mask, dinv: null, state, tolerance, restart: false });
  }

  pcgDirection(R: Matrix, C: Matrix | null, P: Matrix, mask: Mask, dinv: Matrix, restart: boolean, state: Matrix<'float64'>): Promise<number> {
    return this.pcg('pcgDirection', [R, C, P, mask, dinv, restart, state], { X: null, V: C, R, P, mask, dinv, state, tolerance: 0, restart });
  }

  /**
   * Null while the device works. Once it is lost (a driver reset, a removed GPU, destroy() by
   * anyone but dispose()), its reason and the host backend, handed over to the caller, which goes
   * on with it (Linalg.recover). Waits a moment for the device's lost promise, which may settle
   * just after the call that failed.
   */
  async lost(): Promise<DeviceLoss | null> {
    if (this.disposed) return null;
    if (this.lostReason === null) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.device.lost, new Promise((r) => { timer = setTimeout(r, 100); })]);
      clearTimeout(timer);
      await Promise.resolve(); // the lost handler runs after the race's own continuation
    }
    if (this.lostReason === null) return null;
    this.hostGiven = true;
    return { reason: this.lostReason, host: this.host };
  }

  async finish(): Promise<void> {
    this.alive();
    await this.programs.done();
    this.alive();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.lostReason === null) this.programs.flush(); // nothing recorded is left unsubmitted
    for (const b of this.tables.values()) this.pool.give(b);
    this.tables.clear();
    this.pool.clear();
    if (!this.hostGiven) this.host.dispose();
    this.device.destroy();
  }
}

for (const name of HOST_KERNELS) {
  (WebGpuBackend.prototype as unknown as Record<string, unknown>)[name] = function (this: WebGpuBackend, ...args: unknown[]) {
    return this.onHost(name, args);
  };
}
