/// <reference types="@webgpu/types" />
// Compute programs as small descriptions: a name, the WGSL source (binding 0 is the uniform
// block of parameters, bindings 1… the storage buffers in the order given), and the workgroup
// grid of a call. Pipelines are cached by source text, so each shape class (a transpose variant,
// a dtype) compiles once per device. Calls are recorded into one command encoder and submitted
// in batches; uploads and readbacks go through the same object, so the queue keeps calls, writes
// and readbacks in the order the facade makes them.

/** A compute program: WGSL whose entry point is `main`. */
export interface Program {
  /** For messages and the pipeline cache's statistics. */
  name: string;
  /** The whole WGSL module. */
  code: string;
}

/** The parameters of a call: 4-byte scalars, in the order of the program's `Params` struct. */
export class Params {
  private readonly words: number[] = [];
  private readonly kinds: ('u32' | 'i32' | 'f32')[] = [];

  u32(v: number): this {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new RangeError(`webgpu: parameter ${v} is not a u32`);
    this.words.push(v);
    this.kinds.push('u32');
    return this;
  }

  i32(v: number): this {
    this.words.push(v | 0);
    this.kinds.push('i32');
    return this;
  }

  f32(v: number): this {
    this.words.push(v);
    this.kinds.push('f32');
    return this;
  }

  /** The uniform block's bytes (padded to 16 bytes, as uniform buffers require). */
  bytes(): ArrayBuffer {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const buf = new ArrayBuffer(n * 4);
    const dv = new DataView(buf);
    for (let i = 0; i < this.words.length; i++) {
      const k = this.kinds[i], v = this.words[i];
      if (k === 'u32') dv.setUint32(i * 4, v, true);
      else if (k === 'i32') dv.setInt32(i * 4, v, true);
      else dv.setFloat32(i * 4, v, true);
    }
    return buf;
  }
}

/** A storage binding: a whole buffer, or a window of one (offset a multiple of minStorageBufferOffsetAlignment). */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

/** Largest workgroup count of one grid dimension (the WebGPU default limit). */
const MAX_GROUPS = 65535;

/**
 * A 2-D grid of `groups` workgroups (x at most 65535): kernels index work by
 * wid.x + wid.y * nwg.x, and skip indices past their range.
 */
export function linearGrid(groups: number): [number, number] {
  if (groups <= MAX_GROUPS) return [Math.max(1, groups), 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  if (y > MAX_GROUPS) throw new RangeError(`webgpu: ${groups} workgroups exceed one dispatch`);
  return [MAX_GROUPS, y];
}

/** WGSL for a linear invocation index over a 2-D grid of 256-wide workgroups (see linearGrid). */
export const LINEAR_INDEX = `
fn linearIndex(wid: vec3u, nwg: vec3u, lid: vec3u) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid.x;
}`;

/** The entry point of a kernel of 256-wide workgroups over a linear grid (its body follows). */
export const LINEAR_MAIN = `@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u)`;

/** Dispatches recorded before a submission is made anyway (so long sequences start early). */
const BATCH = 32;

/**
 * The one way commands reach a device: compiles and caches pipelines, and records dispatches,
 * buffer clears, uploads and readbacks in the order the backend makes them. Dispatches and clears
 * go into one command encoder that is submitted every BATCH dispatches and before any queue
 * operation (an upload, a readback, a wait), so the queue sees everything in call order.
 */
export class Programs {
  private readonly cache = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  /** Buffers to destroy once the work recorded with them is submitted (uniforms, surplus storage). */
  private doomed: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** Pipelines compiled so far. */
  get compiled(): number {
    return this.cache.size;
  }

  private pipeline(p: Program): GPUComputePipeline {
    let pipe = this.cache.get(p.code);
    if (!pipe) {
      const module = this.device.createShaderModule({ label: p.name, code: p.code });
      pipe = this.device.createComputePipeline({ label: p.name, layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.cache.set(p.code, pipe);
    }
    return pipe;
  }

  private open(): GPUCommandEncoder {
    return (this.encoder ??= this.device.createCommandEncoder({ label: 'iobs' }));
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /**
   * Records p once over the grid: binding 0 gets params, bindings 1… the buffers (or windows of
   * them). When the program declares no parameters, pass null.
   */
  run(p: Program, params: Params | null, buffers: readonly Binding[], grid: readonly [number, number?, number?]): void {
    const pipe = this.pipeline(p);
    const entries: GPUBindGroupEntry[] = [];
    if (params) {
      const bytes = params.bytes();
      // Written at creation, so the upload is not a queue operation and keeps its place.
      const uniform = this.device.createBuffer({ size: bytes.byteLength, usage: 0x40 /* UNIFORM */, mappedAtCreation: true });
      new Uint8Array(uniform.getMappedRange()).set(new Uint8Array(bytes));
      uniform.unmap();
      this.doomed.push(uniform);
      entries.push({ binding: 0, resource: { buffer: uniform } });
    }
    buffers.forEach((b, i) => entries.push({ binding: i + 1, resource: 'buffer' in b ? { buffer: b.buffer, offset: b.offset, size: b.size } : { buffer: b } }));
    const group = this.device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    this.pass ??= this.open().beginComputePass({ label: p.name });
    this.pass.setPipeline(pipe);
    this.pass.setBindGroup(0, group);
    this.pass.dispatchWorkgroups(grid[0], grid[1] ?? 1, grid[2] ?? 1);
    if (++this.recorded >= BATCH) this.flush();
  }

  /** Records a clear of the whole buffer to zeros. */
  clear(buffer: GPUBuffer): void {
    this.endPass();
    this.open().clearBuffer(buffer);
  }

  /** Destroys a buffer after the work recorded so far is submitted. */
  destroy(buffer: GPUBuffer): void {
    if (this.encoder) this.doomed.push(buffer);
    else buffer.destroy();
  }

  /** Submits what is recorded. */
  flush(): void {
    this.endPass();
    if (this.encoder) this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.recorded = 0;
    // Destroyed buffers stay alive until the work submitted with them is done.
    for (const b of this.doomed) b.destroy();
    this.doomed = [];
  }

  /** Uploads bytes at offset, after everything recorded so far. */
  write(buffer: GPUBuffer, offset: number, bytes: Uint8Array<ArrayBuffer>): void {
    this.flush();
    this.device.queue.writeBuffer(buffer, offset, bytes);
  }

  /** Reads spans of buffers back to the host, after everything recorded so far (one submission). */
  async read(spans: readonly { buffer: GPUBuffer; start: number; end: number }[]): Promise<Uint8Array[]> {
    this.endPass();
    const enc = this.open();
    const staging = spans.map((s) => {
      const size = Math.max(4, s.end - s.start);
      const b = this.device.createBuffer({ size, usage: 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */ });
      if (s.end > s.start) enc.copyBufferToBuffer(s.buffer, s.start, b, 0, s.end - s.start);
      return b;
    });
    this.flush();
    try {
      await Promise.all(staging.map((b) => b.mapAsync(0x01 /* READ */)));
      return staging.map((b, i) => new Uint8Array(b.getMappedRange(0, Math.max(4, spans[i].end - spans[i].start)).slice(0, spans[i].end - spans[i].start)));
    } finally {
      for (const b of staging) b.destroy();
    }
  }

  /** Resolves when everything recorded so far has run. */
  async done(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }
}
