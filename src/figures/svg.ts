// A small line-chart writer: data in, SVG text out. No DOM, no dependencies, so it runs the
// same in Node, Deno and browsers. Built for convergence plots: a log-scale y axis with decade
// ticks, a linear x axis with "nice" ticks, several series told apart by colour and dash, an
// optional shaded min–max band per series, a legend under each panel, a title and a caption.
//
// Log axis rule: a y value at or below the panel's floor (zero and negatives included) is drawn
// at the floor; NaN and ±Infinity leave a gap in the line. So no NaN ever reaches the SVG.
import { checkInt, rangeError, typeError } from '../core/errors.js';

/** One line of a panel. */
export interface Series {
  /** Legend text. */
  label: string;
  /** x coordinates (finite). */
  x: ArrayLike<number>;
  /** y values, same length as x; drawn on the log axis (see the floor rule above). */
  y: ArrayLike<number>;
  /** Optional shaded band behind the line, e.g. the min and max over trials; same length as x. */
  band?: { lower: ArrayLike<number>; upper: ArrayLike<number> };
  /** Stroke colour (any SVG colour); default from the palette by the series' index. */
  color?: string;
  /** SVG stroke-dasharray ('' for solid); default from the dash list by the series' index. */
  dash?: string;
}

/** One chart: axes, series and legend. */
export interface Panel {
  /** Text above the plot area. */
  title?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Lowest value the log axis shows; smaller values (zero, negatives) are drawn here. Default 1e-16. */
  floor?: number;
  /** x range shown; points outside it are left out. Default: the data's range. */
  xMin?: number;
  xMax?: number;
}

/** A figure: panels on a grid, a title above, a caption below. */
export interface Figure {
  title?: string;
  caption?: string;
  panels: Panel[];
  /** Panels per row. Default min(2, number of panels). */
  columns?: number;
  /** Size of one panel in SVG user units (px). Defaults 480 × 360. */
  panelWidth?: number;
  panelHeight?: number;
}

/** Colours of the series, by index (colour-blind-safe Tableau order). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
/** Dash patterns of the series, by index, so lines differ without colour too. */
export const DASHES = ['', '7 4', '2 3', '9 3 2 3', '4 2', '1 5'];

const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const MARGIN = { left: 70, right: 16, top: 34, bottom: 50 };
const LEGEND_ROW = 18;

/**
 * Escapes text for SVG element content or a double-quoted attribute, and drops the control
 * characters XML 1.0 does not allow.
 *
 * @example
 * escapeXml('a < b & "c"');   // 'a &lt; b &amp; &quot;c&quot;'
 */
export function escapeXml(text: string): string {
  return String(text)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * Round-number ticks covering [min, max] (about `count` of them, steps of 1, 2 or 5 × 10ⁿ),
 * all inside the range.
 *
 * @example
 * niceTicks(0, 1000);   // [0, 200, 400, 600, 800, 1000]
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) throw rangeError('niceTicks', 'min, max', [min, max], 'a finite range with min ≤ max');
  checkInt('niceTicks', 'count', count, 1, 100);
  if (max === min) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / mag; // in [1, 10): round to 1, 2, 5 or 10 at the geometric midpoints
  const step = mag * (ratio >= Math.sqrt(50) ? 10 : ratio >= Math.sqrt(10) ? 5 : ratio >= Math.sqrt(2) ? 2 : 1);
  const ticks: number[] = [];
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/**
 * The decades 10^lo … 10^hi (exponents) that cover [min, max] for 0 < min ≤ max.
 *
 * @example
 * decadeRange(3e-7, 0.5);   // { lo: -7, hi: 0 }
 */
export function decadeRange(min: number, max: number): { lo: number; hi: number } {
  if (!(min > 0) || !Number.isFinite(max) || max < min) throw rangeError('decadeRange', 'min, max', [min, max], 'a finite range with 0 < min ≤ max');
  const lo = Math.floor(Math.log10(min) + 1e-9) + 0; // + 0 turns -0 into 0
  let hi = Math.ceil(Math.log10(max) - 1e-9) + 0;
  if (hi <= lo) hi = lo + 1;
  return { lo, hi };
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/**
 * The label of a decade tick, 10 with a superscript exponent.
 *
 * @example
 * decadeLabel(-6);   // '10⁻⁶'
 */
export function decadeLabel(exponent: number): string {
  return '10' + String(exponent).split('').map((c) => SUPERSCRIPT[c]).join('');
}

function formatTick(v: number): string {
  return String(Number(v.toPrecision(10)));
}

/** A coordinate with two decimals, never NaN (callers pass finite numbers only). */
function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Greedy word wrap to lines of at most `width` characters (a longer word gets a line of its own). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines;
}

function checkSeries(fn: string, where: string, s: Series): void {
  if (s === null || typeof s !== 'object') throw typeError(fn, where, s, 'a series object');
  if (typeof s.label !== 'string') throw typeError(fn, `${where}.label`, s.label, 'a string');
  for (const key of ['x', 'y'] as const) {
    const a = s[key];
    if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw typeError(fn, `${where}.${key}`, a, 'an array of numbers');
  }
  if (s.x.length !== s.y.length) throw rangeError(fn, `${where}.y`, `length ${s.y.length}`, `the length of ${where}.x (${s.x.length})`);
  for (let i = 0; i < s.x.length; i++) {
    if (typeof s.x[i] !== 'number' || !Number.isFinite(s.x[i])) throw rangeError(fn, `${where}.x[${i}]`, s.x[i], 'a finite number');
  }
  if (s.band !== undefined) {
    for (const key of ['lower', 'upper'] as const) {
      const a = s.band?.[key];
      if (a == null || typeof a !== 'object' || a.length !== s.x.length) {
        throw rangeError(fn, `${where}.band.${key}`, a == null ? a : `length ${a.length}`, `an array as long as ${where}.x (${s.x.length})`);
      }
    }
  }
}

interface Scales {
  x: (v: number) => number;
  y: (v: number) => number;
  inX: (v: number) => boolean;
  floor: number;
}

/** The path data of a polyline through the finite points, a new subpath after each gap. */
function linePath(xs: ArrayLike<number>, ys: ArrayLike<number>, sc: Scales): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    if (!sc.inX(xs[i])) continue;
    const y = ys[i];
    if (typeof y !== 'number' || Number.isNaN(y) || y === Infinity || y === -Infinity) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${num(sc.x(xs[i]))} ${num(sc.y(Math.max(y, sc.floor)))}`;
    pen = true;
  }
  return d;
}

/** The closed outline of a band: along the upper edge, back along the lower; points where either edge is not finite are left out. */
function bandPath(xs: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, sc: Scales): string {
  const keep: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (sc.inX(xs[i]) && Number.isFinite(lower[i]) && Number.isFinite(upper[i])) keep.push(i);
  }
  if (keep.length < 2) return '';
  const pt = (i: number, v: number) => `${num(sc.x(xs[i]))} ${num(sc.y(Math.max(v, sc.floor)))}`;
  return 'M' + keep.map((i) => pt(i, upper[i])).join('L') + 'L' + keep.slice().reverse().map((i) => pt(i, lower[i])).join('L') + 'Z';
}

/**
 * One panel as an SVG group at (left, top), `width` × `height` in total. Elements carry classes
 * the tests (and CSS) can find: `series`, `band`, `tick-x`, `tick-y`, `legend`.
 */
function panelGroup(p: Panel, index: number, left: number, top: number, width: number, height: number): string {
  const fn = 'renderFigure';
  const where = `panels[${index}]`;
  if (p === null || typeof p !== 'object') throw typeError(fn, where, p, 'a panel object');
  if (!Array.isArray(p.series) || p.series.length === 0) throw rangeError(fn, `${where}.series`, p.series, 'a non-empty array of series');
  p.series.forEach((s, i) => checkSeries(fn, `${where}.series[${i}]`, s));
  const floor = p.floor ?? 1e-16;
  if (typeof floor !== 'number' || !(floor > 0) || !Number.isFinite(floor)) throw rangeError(fn, `${where}.floor`, floor, 'a finite number > 0');

  // Data ranges: x over all points (or as given); y over the finite values shown, floored.
  let xMin = Infinity, xMax = -Infinity;
  for (const s of p.series) for (let i = 0; i < s.x.length; i++) (xMin = Math.min(xMin, s.x[i])), (xMax = Math.max(xMax, s.x[i]));
  if (p.xMin !== undefined) xMin = p.xMin;
  if (p.xMax !== undefined) xMax = p.xMax;
  if (!Number.isFinite(xMin) || !Number.isFinite(xMax) || xMax < xMin) throw rangeError(fn, `${where}.xMin, xMax`, [xMin, xMax], 'a finite range with xMin ≤ xMax');
  const inX = (v: number) => v >= xMin && v <= xMax;
  let yMin = Infinity, yMax = -Infinity;
  const seeY = (v: number) => {
    if (Number.isFinite(v)) {
      const c = Math.max(v, floor);
      yMin = Math.min(yMin, c);
      yMax = Math.max(yMax, c);
    }
  };
  p.series.forEach((s, si) => {
    let any = false;
    for (let i = 0; i < s.x.length; i++) {
      if (!inX(s.x[i])) continue;
      any ||= Number.isFinite(s.y[i]);
      seeY(s.y[i]);
      if (s.band) (seeY(s.band.lower[i]), seeY(s.band.upper[i]));
    }
    if (!any) throw rangeError(fn, `${where}.series[${si}].y`, s.label, 'at least one finite value inside the x range');
  });
  if (!(yMax >= yMin)) throw rangeError(fn, `${where}.series`, p.series.length, 'at least one finite y value inside the x range');
  const { lo, hi } = decadeRange(yMin, yMax);

  const legendRows = p.series.length;
  const plotLeft = left + MARGIN.left, plotTop = top + MARGIN.top;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom - legendRows * LEGEND_ROW;
  if (plotW < 40 || plotH < 40) throw rangeError(fn, 'panelWidth, panelHeight', [width, height], `room for a plot area with ${legendRows} legend rows`);
  const sx = (v: number) => plotLeft + (xMax === xMin ? plotW / 2 : ((v - xMin) / (xMax - xMin)) * plotW);
  const sy = (v: number) => plotTop + plotH - ((Math.log10(v) - lo) / (hi - lo)) * plotH;
  const sc: Scales = { x: sx, y: sy, inX, floor };

  const out: string[] = [`<g class="panel">`];
  if (p.title) out.push(`<text x="${num(left + width / 2)}" y="${num(top + 20)}" text-anchor="middle" font-size="14" font-weight="bold" ${FONT}>${escapeXml(p.title)}</text>`);
  out.push(`<rect x="${num(plotLeft)}" y="${num(plotTop)}" width="${num(plotW)}" height="${num(plotH)}" fill="#ffffff" stroke="#444444" stroke-width="1"/>`);

  // y: a grid line and tick at every decade, labels on every `every`-th so they never crowd.
  const every = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let e = lo; e <= hi; e++) {
    const y = num(sy(10 ** e));
    out.push(`<line x1="${num(plotLeft)}" x2="${num(plotLeft + plotW)}" y1="${y}" y2="${y}" stroke="#e4e4e4" stroke-width="1"/>`);
    out.push(`<line x1="${num(plotLeft - 5)}" x2="${num(plotLeft)}" y1="${y}" y2="${y}" stroke="#444444" stroke-width="1"/>`);
    if ((e - lo) % every === 0) out.push(`<text class="tick-y" x="${num(plotLeft - 8)}" y="${y}" dy="0.35em" text-anchor="end" font-size="11" ${FONT}>${decadeLabel(e)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 5)) {
    const x = num(sx(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${num(plotTop + plotH)}" y2="${num(plotTop + plotH + 5)}" stroke="#444444" stroke-width="1"/>`);
    out.push(`<text class="tick-x" x="${x}" y="${num(plotTop + plotH + 18)}" text-anchor="middle" font-size="11" ${FONT}>${escapeXml(formatTick(t))}</text>`);
  }
  out.push(`<text x="${num(plotLeft + plotW / 2)}" y="${num(plotTop + plotH + 36)}" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(p.xLabel)}</text>`);
  const yMid = plotTop + plotH / 2, yTitleX = left + 16;
  out.push(`<text x="${num(yTitleX)}" y="${num(yMid)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${num(yTitleX)} ${num(yMid)})" ${FONT}>${escapeXml(p.yLabel)}</text>`);

  // Bands first (behind), then lines, clipped to the plot area.
  const clip = `clip-${index}`;
  out.push(`<clipPath id="${clip}"><rect x="${num(plotLeft)}" y="${num(plotTop - 2)}" width="${num(plotW)}" height="${num(plotH + 4)}"/></clipPath>`);
  out.push(`<g clip-path="url(#${clip})">`);
  const style = (s: Series, i: number) => ({ color: s.color ?? PALETTE[i % PALETTE.length], dash: s.dash ?? DASHES[i % DASHES.length] });
  p.series.forEach((s, i) => {
    if (!s.band) return;
    const d = bandPath(s.x, s.band.lower, s.band.upper, sc);
    if (d !== '') out.push(`<path class="band" d="${d}" fill="${escapeXml(style(s, i).color)}" fill-opacity="0.15" stroke="none"/>`);
  });
  p.series.forEach((s, i) => {
    const { color, dash } = style(s, i);
    const dashAttr = dash === '' ? '' : ` stroke-dasharray="${escapeXml(dash)}"`;
    out.push(`<path class="series" d="${linePath(s.x, s.y, sc)}" fill="none" stroke="${escapeXml(color)}" stroke-width="2"${dashAttr} stroke-linejoin="round"/>`);
  });
  out.push(`</g>`);

  // Legend: one row per series under the x-axis title.
  p.series.forEach((s, i) => {
    const { color, dash } = style(s, i);
    const y = num(plotTop + plotH + MARGIN.bottom + i * LEGEND_ROW + 4);
    const dashAttr = dash === '' ? '' : ` stroke-dasharray="${escapeXml(dash)}"`;
    out.push(`<g class="legend"><line x1="${num(plotLeft)}" x2="${num(plotLeft + 36)}" y1="${y}" y2="${y}" stroke="${escapeXml(color)}" stroke-width="2"${dashAttr}/>` +
      `<text x="${num(plotLeft + 44)}" y="${y}" dy="0.35em" font-size="12" ${FONT}>${escapeXml(s.label)}</text></g>`);
  });
  out.push(`</g>`);
  return out.join('\n');
}

/**
 * Renders a figure of line charts (log y, linear x) as a standalone SVG document. Each panel
 * has one `<path class="series">` per series and one `<path class="band">` per series with a
 * band (and no other paths). Input errors name the argument: series of unequal lengths, a
 * non-finite x, a series with no finite y in range, an empty panel.
 *
 * @example
 * const svg = renderFigure({
 *   title: 'Convergence',
 *   caption: 'Mean relative error over 20 trials.',
 *   panels: [{ xLabel: 'iteration', yLabel: 'relative error', series: [
 *     { label: 'k-IHT', x: [0, 1, 2], y: [1, 0.5, 0.25] },
 *     { label: 'Top-k I-OBS', x: [0, 1, 2], y: [1, 1e-3, 1e-9] },
 *   ] }],
 * });
 */
export function renderFigure(figure: Figure): string {
  const fn = 'renderFigure';
  if (figure === null || typeof figure !== 'object') throw typeError(fn, 'figure', figure, 'an object');
  const { panels } = figure;
  if (!Array.isArray(panels) || panels.length === 0) throw rangeError(fn, 'panels', panels, 'a non-empty array of panels');
  const columns = checkInt(fn, 'columns', figure.columns ?? Math.min(2, panels.length), 1, 16);
  const pw = figure.panelWidth ?? 480, ph = figure.panelHeight ?? 360;
  if (typeof pw !== 'number' || !(pw >= 100 && pw <= 10000)) throw rangeError(fn, 'panelWidth', pw, 'a number in [100, 10000]');
  if (typeof ph !== 'number' || !(ph >= 100 && ph <= 10000)) throw rangeError(fn, 'panelHeight', ph, 'a number in [100, 10000]');
  for (const key of ['title', 'caption'] as const) {
    if (figure[key] !== undefined && typeof figure[key] !== 'string') throw typeError(fn, key, figure[key], 'a string');
  }
  const rows = Math.ceil(panels.length / columns);
  const width = columns * pw;
  const titleH = figure.title ? 36 : 8;
  const captionLines = figure.caption ? wrapText(figure.caption, Math.max(20, Math.floor((width - 32) / 6.1))) : [];
  const captionH = captionLines.length ? captionLines.length * 16 + 20 : 0;
  const height = titleH + rows * ph + captionH;

  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (figure.title) out.push(`<text class="title" x="${num(width / 2)}" y="24" text-anchor="middle" font-size="17" font-weight="bold" ${FONT}>${escapeXml(figure.title)}</text>`);
  panels.forEach((p, i) => {
    const col = i % columns, row = Math.floor(i / columns);
    out.push(panelGroup(p, i, col * pw, titleH + row * ph, pw, ph));
  });
  if (captionLines.length) {
    const y0 = titleH + rows * ph + 14;
    out.push(`<text class="caption" font-size="12" fill="#222222" ${FONT}>` +
      captionLines.map((l, i) => `<tspan x="16" y="${num(y0 + i * 16 + 10)}">${escapeXml(l)}</tspan>`).join('') + `</text>`);
  }
  out.push(`</svg>`, '');
  return out.join('\n');
}

/**
 * One chart as a standalone SVG document: renderFigure with a single panel.
 *
 * @example
 * const svg = lineChart({ xLabel: 't', yLabel: 'error', series: [{ label: 'a', x: [0, 1], y: [1, 0.1] }] }, { title: 'Demo' });
 */
export function lineChart(panel: Panel, options: { title?: string; caption?: string; width?: number; height?: number } = {}): string {
  return renderFigure({ title: options.title, caption: options.caption, panels: [panel], columns: 1, panelWidth: options.width, panelHeight: options.height });
}
