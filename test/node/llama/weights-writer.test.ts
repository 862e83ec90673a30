// LlamaWeightsWriter: tensors put in any order at their places, the rest copied at finish, give
// the same file as writing the whole model in one go.
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/io/byte-source.js';
import { formatSafetensors, openSafetensors } from '../../../src/io/safetensors.js';
import { LlamaWeightsWriter, writeLlamaWeights } from '../../../src/models/llama/checkpoint.js';

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

describe('LlamaWeightsWriter', () => {
  it('writes what writeLlamaWeights writes, whatever the order of the puts', async () => {
    const values = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * s) * 3);
    const file = concat(formatSafetensors([
      { name: 'b', dtype: 'F32', shape: [3, 5], data: values(15, 0.3) },
      { name: 'a', dtype: 'BF16', shape: [7], data: values(7, 0.7) },
      { name: 'c', dtype: 'F16', shape: [2, 3], data: values(6, 1.1) },
    ], { format: 'pt' }));
    const source = await openSafetensors(bytesSource(file), 'src.safetensors');
    const replaced = new Map([['c', values(6, 2.3)], ['b', values(15, 0.9)]]);
    const whole: Uint8Array[] = [];
    await writeLlamaWeights((c) => { whole.push(c); }, source, replaced, source.metadata);
    const out = new Uint8Array(concat(whole).length);
    let highest = 0;
    const w = await LlamaWeightsWriter.begin({ writeAt: (p, b) => { out.set(b, p); highest = Math.max(highest, p + b.length); } }, source, source.metadata);
    await w.put('c', replaced.get('c')!);
    await w.put('b', replaced.get('b')!);
    await expect(w.put('b', replaced.get('b')!)).rejects.toThrow(/not put already/);
    await expect(w.put('zz', new Float32Array(1))).rejects.toThrow(/a tensor of the plan/);
    expect(await w.finish()).toBe(out.length);
    expect(highest).toBe(out.length);
    expect(out).toEqual(concat(whole));
    await expect(w.put('a', values(7, 0.1))).rejects.toThrow(/before finish/);
  });
});
