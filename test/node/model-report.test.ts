// The whole-model report: tables and the per-layer error figure from plain run values.
import { describe, expect, it } from 'vitest';
import { formatLayerTable, formatRunTable, layerErrorFigure, meanRelError, type ModelRun } from '../../src/models/report.js';

const layer = (name: string, relError: number, pattern: string | null = '2:4', dense?: string) => ({
  name, op: 'Gemm', rows: 4, cols: pattern ? 8 : 9, pattern, dense, sparsity: pattern ? 0.5 : 0, relError, seconds: 0.01,
});
const runs: ModelRun[] = [
  { method: 'magnitude', pattern: '2:4', layers: [layer('conv1', 0, null, '9 inputs, not a multiple of M = 4'), layer('fc1', 0.25), layer('fc2', 0.125)], metric: { kind: 'top1', value: 0.9612, count: 2000 }, seconds: 1.25, peakBytes: 3 * 2 ** 20 },
  { method: 'sparsegpt', pattern: '2:4', layers: [layer('conv1', 0, null, '9 inputs, not a multiple of M = 4'), layer('fc1', 0.0625), layer('fc2', 0.03125)], metric: { kind: 'top1', value: 0.9701, count: 2000 }, seconds: 2.5 },
];

describe('model report', () => {
  it('averages the error over pruned layers only', () => {
    expect(meanRelError(runs[0])).toBeCloseTo(0.1875, 12);
    expect(Number.isNaN(meanRelError({ method: 'x', pattern: 'dense', layers: [layer('a', 0, null)], seconds: 0 }))).toBe(true);
  });
  it('prints one aligned line per run and names the dense layers', () => {
    const t = formatRunTable(runs).split('\n');
    expect(t[0]).toMatch(/^method\s+pattern\s+top-1\s+mean layer error\s+time\s+peak memory$/);
    expect(t[1]).toMatch(/^magnitude\s+2:4\s+96\.12%\s+0\.1875\s+1\.3 s\s+3\.0 MiB$/);
    expect(t[2]).toMatch(/^sparsegpt\s+2:4\s+97\.01%\s+0\.04688\s+2\.5 s\s+-$/);
    expect(t[3]).toBe('dense: conv1 (9 inputs, not a multiple of M = 4)');
    expect(new Set(t.slice(1, 3).map((l) => l.indexOf('2:4'))).size).toBe(1);
  });
  it('puts every layer in a row with one column per run', () => {
    const t = formatLayerTable(runs).split('\n');
    expect(t).toHaveLength(4);
    expect(t[1]).toMatch(/^conv1\s+4x9\s+-\s+-$/);
    expect(t[2]).toMatch(/^fc1\s+4x8\s+0\.2500\s+0\.06250$/);
  });
  it('draws the figure without NaN, dense layers left out', () => {
    const svg = layerErrorFigure(runs, { title: 'mnist-cnn 2:4' });
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).not.toMatch(/NaN/);
    expect(svg).toContain('magnitude 2:4');
    expect(svg).toContain('1 conv1, 2 fc1, 3 fc2');
    expect(() => layerErrorFigure([])).toThrow(/runs/);
  });
});
