// What a whole-model run reports, whatever the model's format: one row per layer (its shape, the
// pattern it got or why it stayed dense, its relative error, its time), one summary per method
// (the model's metric, the total time, the peak memory), the text tables the CLI prints and the
// figure of every layer's relative error for each method. Pure: values in, text out.
import { lineChart, type Series } from '../figures/svg.js';
import { rangeError, typeError } from '../core/errors.js';

/** One pruned (or deliberately dense) layer of a model. */
export interface LayerReport {
  /** The layer's name in the model ('model.layers.0.self_attn.q_proj', a node name, ...). */
  name: string;
  /** What it is: 'Gemm', 'MatMul', 'Conv', 'Linear'. */
  op: string;
  /** Outputs x inputs of its weight matrix (a Conv's im2col matrix: out channels x C·kh·kw). */
  rows: number;
  cols: number;
  /** The pattern it was pruned to ('50%', '2:4'), or null when it stayed dense. */
  pattern: string | null;
  /** Why it stayed dense (pattern null): e.g. '9 inputs, not a multiple of M = 4'. */
  dense?: string;
  /** Fraction of the weights that are zero afterwards. */
  sparsity: number;
  /** tr(ΔHΔᵀ) / tr(WHWᵀ) on the layer's calibration inputs; 0 for a dense layer. */
  relError: number;
  /** Seconds in the pruner for this layer. */
  seconds: number;
  /** The I-OBS pass that produced it (1-based), where passes were run. */
  pass?: number;
}

/** The model's quality measure: perplexity (lower is better) or top-1 accuracy (higher is better). */
export interface ModelMetric {
  kind: 'perplexity' | 'top1';
  value: number;
  /** Tokens or samples it was measured on. */
  count: number;
}

/** One method's run over a whole model. */
export interface ModelRun {
  method: string;
  /** The requested pattern ('50%', '2:4'); 'dense' for the unpruned model. */
  pattern: string;
  layers: LayerReport[];
  metric?: ModelMetric;
  /** Wall seconds of the whole run (calibration, pruning, writing). */
  seconds: number;
  /** Peak memory of the run in bytes (see peakMemory in the runner). */
  peakBytes?: number;
  /** Validation loss after each pass, where passes were run, and the pass kept. */
  passes?: { pass: number; validationLoss: number }[];
  chosenPass?: number;
}

/** A relative error for a table cell: 4 significant digits, or '-' for a dense layer. */
function errorCell(l: LayerReport): string {
  return l.pattern === null ? '-' : l.relError.toPrecision(4);
}

/** Pads each column of a table of cells to its widest cell (first column left, others right). */
export function alignTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** The metric as a table cell: perplexity to 2 decimals, accuracy as a percentage. */
export function metricCell(m: ModelMetric | undefined): string {
  if (!m) return '-';
  return m.kind === 'perplexity' ? m.value.toFixed(2) : `${(m.value * 100).toFixed(2)}%`;
}

/** Bytes as MiB with one decimal. */
export function mebibytes(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Mean relative error over a run's pruned layers (NaN when none was pruned). */
export function meanRelError(run: ModelRun): number {
  const pruned = run.layers.filter((l) => l.pattern !== null);
  return pruned.length === 0 ? NaN : pruned.reduce((s, l) => s + l.relError, 0) / pruned.length;
}

/**
 * The comparison table: one line per run with its method, pattern, metric, mean layer error, time
 * and peak memory, then a line naming the layers every run left dense.
 *
 * @example
 * formatRunTable([{ method: 'sparsegpt', pattern: '50%', layers: [...], metric: { kind: 'perplexity', value: 36.8, count: 20000 }, seconds: 4.2 }]);
 */
export function formatRunTable(runs: readonly ModelRun[]): string {
  if (!runs || typeof runs.length !== 'number' || runs.length === 0) throw rangeError('formatRunTable', 'runs', runs, 'a non-empty array of runs');
  const metricName = runs.find((r) => r.metric)?.metric?.kind === 'top1' ? 'top-1' : 'perplexity';
  const rows = [['method', 'pattern', metricName, 'mean layer error', 'time', 'peak memory']];
  for (const r of runs) {
    const mean = meanRelError(r);
    rows.push([r.method, r.pattern, metricCell(r.metric), Number.isNaN(mean) ? '-' : mean.toPrecision(4), `${r.seconds.toFixed(1)} s`, mebibytes(r.peakBytes)]);
  }
  const notes = new Map<string, string>();
  for (const r of runs) for (const l of r.layers) if (l.pattern === null && l.dense) notes.set(l.name, l.dense);
  const lines = [alignTable(rows)];
  for (const [name, why] of notes) lines.push(`dense: ${name} (${why})`);
  return lines.join('\n');
}

/**
 * Every layer's relative error, one column per run: the per-layer table.
 *
 * @example
 * formatLayerTable([magnitudeRun, sparseGPTRun]);
 * // layer                 shape     magnitude 50%  sparsegpt 50%
 * // model.layers.0.q_proj 128x128          0.3101         0.0934
 */
export function formatLayerTable(runs: readonly ModelRun[]): string {
  if (!runs || typeof runs.length !== 'number' || runs.length === 0) throw rangeError('formatLayerTable', 'runs', runs, 'a non-empty array of runs');
  const names = runs[0].layers.map((l) => l.name);
  const rows = [['layer', 'shape', ...runs.map((r) => `${r.method} ${r.pattern}`)]];
  names.forEach((name, i) => {
    const l0 = runs[0].layers[i];
    rows.push([name, `${l0.rows}x${l0.cols}`, ...runs.map((r) => {
      const l = r.layers.find((x) => x.name === name);
      return l ? errorCell(l) : '?';
    })]);
  });
  return alignTable(rows);
}

/**
 * An SVG of every layer's relative error (log axis) against its position in the model, one line
 * per run. Dense layers are gaps in the lines.
 *
 * @example
 * await writeFile('errors.svg', layerErrorFigure(runs, { title: 'tinystories-llama, 50%' }));
 */
export function layerErrorFigure(runs: readonly ModelRun[], options: { title?: string; caption?: string } = {}): string {
  if (!runs || typeof runs.length !== 'number' || runs.length === 0) throw rangeError('layerErrorFigure', 'runs', runs, 'a non-empty array of runs');
  const series: Series[] = runs.map((r) => {
    if (!r || !Array.isArray(r.layers)) throw typeError('layerErrorFigure', 'runs', r, 'runs with a layers array');
    return {
      label: `${r.method} ${r.pattern}`,
      x: r.layers.map((_, i) => i + 1),
      y: r.layers.map((l) => (l.pattern === null ? NaN : l.relError)),
    };
  });
  const names = runs[0].layers.map((l, i) => `${i + 1} ${l.name}`);
  const caption = options.caption ?? `Layers in model order: ${names.join(', ')}.`;
  return lineChart({ xLabel: 'layer', yLabel: 'relative error tr(ΔHΔᵀ)/tr(WHWᵀ)', series, floor: 1e-6 }, { title: options.title, caption, width: 720, height: 420 });
}
