/// <reference types="@webgpu/types" />
// Matrix storage on a GPU: one GPUBuffer per allocation, never host memory (view() throws and
// names the doorways). Buffers come from a pool keyed by their rounded size, so that the many
// same-shaped temporaries of a pruning loop reuse buffers instead of making new ones; a reused
// buffer is cleared (in command order) before it is handed out, as allocate() promises zeros.
import type { StorageDType } from '../../core/dtype.js';
import type { Storage } from '../../core/matrix.js';

/** Usage of every storage buffer: bound to kernels, copied to and from. */
export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08 /* COPY_DST */;

/** Buffer sizes are multiples of this (copies and clears need 4; 256 keeps the classes few). */
const GRANULE = 256;

/** Rounds a byte length up to the buffer size class it is allocated from. */
export function sizeClass(byteLength: number): number {
  return Math.max(GRANULE, Math.ceil(byteLength / GRANULE) * GRANULE);
}

/** A pool of storage buffers by size class, holding at most `cap` bytes of idle buffers. */
export class BufferPool {
  private readonly idle = new Map<number, GPUBuffer[]>();
  private idleBytes = 0;

  /**
   * commands: how a reused buffer is cleared and a surplus one destroyed in command order
   * (Programs.clear, Programs.destroy), since recorded work may still use it.
   */
  constructor(private readonly device: GPUDevice, private readonly cap: number,
    private readonly commands: { clear(b: GPUBuffer): void; destroy(b: GPUBuffer): void }) {}

  /** A zeroed buffer of at least byteLength bytes (from the pool when one is idle). */
  take(byteLength: number): GPUBuffer {
    const size = sizeClass(byteLength);
    const list = this.idle.get(size);
    const reused = list?.pop();
    if (reused) {
      this.idleBytes -= size;
      this.commands.clear(reused);
      return reused;
    }
    return this.device.createBuffer({ size, usage: STORAGE_USAGE });
  }

  /** Returns a buffer; it is destroyed instead when the pool is full. */
  give(buffer: GPUBuffer): void {
    const size = buffer.size;
    if (this.idleBytes + size > this.cap) {
      this.commands.destroy(buffer);
      return;
    }
    this.idleBytes += size;
    let list = this.idle.get(size);
    if (!list) this.idle.set(size, (list = []));
    list.push(buffer);
  }

  /** Destroys every idle buffer. */
  clear(): void {
    for (const list of this.idle.values()) for (const b of list) b.destroy();
    this.idle.clear();
    this.idleBytes = 0;
  }
}

/** Storage in a GPU buffer. */
export class GpuStorage implements Storage {
  readonly address = -1;
  released = false;

  constructor(readonly owner: string, readonly byteLength: number, readonly buffer: GPUBuffer, private readonly onRelease: (s: GpuStorage) => void) {}

  view<D extends StorageDType>(_dtype: D): never {
    throw new Error(`iobs webgpu: host access to a device matrix: use await la.read(M) (or la.write(M, values)), not Matrix.data/get/set/assign/toArray`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
  }
}
