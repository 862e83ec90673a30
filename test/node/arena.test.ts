// The arena allocator: alignment, reuse, coalescing, growth, and views re-made after growth.
import { describe, expect, it } from 'vitest';
import { Arena, MemoryStorage } from '../../src/backends/wasm/arena.js';

function fresh(pages = 1) {
  return new Arena(new WebAssembly.Memory({ initial: pages, maximum: 1024 }), 100);
}

describe('Arena', () => {
  it('hands out 64-byte aligned, non-overlapping, zeroed blocks', () => {
    const a = fresh();
    const blocks = [10, 64, 65, 1, 300].map((n) => [a.alloc(n), n] as const);
    for (const [p] of blocks) expect(p % 64).toBe(0);
    expect(blocks[0][0]).toBeGreaterThanOrEqual(100);
    const sorted = [...blocks].sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][0] + sorted[i - 1][1]);
    new Uint8Array(a.memory.buffer, blocks[1][0], 64).fill(7);
    a.release(blocks[1][0]);
    const again = a.alloc(64);
    expect(again).toBe(blocks[1][0]);
    expect(new Uint8Array(a.memory.buffer, again, 64).every((b) => b === 0)).toBe(true);
  });

  it('coalesces neighbours so a freed run can hold a larger block', () => {
    const a = fresh();
    const p = [a.alloc(64), a.alloc(64), a.alloc(64), a.alloc(64)];
    a.release(p[1]);
    a.release(p[2]);
    expect(a.alloc(128)).toBe(p[1]);
    a.release(p[3]);
    a.release(p[0]);
    expect(a.allocatedBytes).toBe(128);
  });

  it('returns the top of the heap when the last blocks are freed', () => {
    const a = fresh();
    const x = a.alloc(64), y = a.alloc(64);
    a.release(x);
    a.release(y);
    expect(a.alloc(64)).toBe(x);
  });

  it('grows the memory on demand and views follow the new buffer', () => {
    const a = fresh(1);
    const s = new MemoryStorage('test', a, a.alloc(16), 16);
    s.view('float32')[0] = 3;
    const before = a.memory.buffer;
    a.alloc(1 << 20);
    expect(a.memory.buffer).not.toBe(before);
    expect(s.view('float32')[0]).toBe(3);
    expect(s.view('float32').buffer).toBe(a.memory.buffer);
  });

  it('refuses unknown addresses and use after release', () => {
    const a = fresh();
    expect(() => a.release(12345)).toThrow(/unknown address 12345/);
    const s = new MemoryStorage('test', a, a.alloc(16), 16);
    s.release();
    expect(() => s.view('float32')).toThrow(/after free/);
  });

  it('reports running out of memory with the size asked for', () => {
    const a = new Arena(new WebAssembly.Memory({ initial: 1, maximum: 2 }), 0);
    expect(() => a.alloc(1 << 20)).toThrow(/out of Wasm memory: need \d+ bytes/);
  });
});
