// The SVG line-chart writer: the output parses as XML (our strict reader, and Python's expat
// when python3 is there), has one path per series and per band, the decade and x tick labels
// the data call for, escaped text, no NaN, and refuses bad input by name.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decadeLabel, decadeRange, escapeXml, lineChart, niceTicks, renderFigure, wrapText, type Panel } from '../../src/figures/svg.js';
import { allElements, parseXml, textOf, type XmlElement } from './helpers/xml.js';

const iters = (n: number) => Array.from({ length: n + 1 }, (_, t) => t);

/** A panel whose first series falls from 1 to 1e-6 over 0..1000 and whose second stays near 0.5. */
function samplePanel(extra: Partial<Panel> = {}): Panel {
  const x = iters(1000);
  return {
    title: 'Gaussian',
    xLabel: 'iteration t',
    yLabel: 'relative error',
    series: [
      { label: 'fast', x, y: x.map((t) => 10 ** (-6 * t / 1000)), band: { lower: x.map((t) => 0.5 * 10 ** (-6 * t / 1000)), upper: x.map((t) => 10 ** (-6 * t / 1000)) } },
      { label: 'slow', x, y: x.map(() => 0.5) },
    ],
    ...extra,
  };
}

const byClass = (root: XmlElement, name: string, cls: string) => allElements(root).filter((e) => e.name === name && e.attrs.class === cls);

/** The numbers of a path's d attribute, as [x, y] pairs. */
function points(d: string): number[][] {
  const nums = d.split(/[MLZ ]/).filter((s) => s !== '').map(Number);
  const out: number[][] = [];
  for (let i = 0; i < nums.length; i += 2) out.push([nums[i], nums[i + 1]]);
  return out;
}

const python = spawnSync('python3', ['-c', 'import xml.dom.minidom'], { encoding: 'utf8' });
const hasPython = python.status === 0;

describe('svg line charts', () => {
  it('is well-formed XML with the expected paths, ticks, legend, title and caption', () => {
    const svg = renderFigure({ title: 'Figure 1', caption: 'A caption that is long enough to wrap onto more than one line when the figure is narrow, which it is here.', panels: [samplePanel(), samplePanel({ title: 'second' })], columns: 2, panelWidth: 300 });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const paths = allElements(root).filter((e) => e.name === 'path');
    // Per panel: two series + one band.
    expect(paths.length).toBe(6);
    expect(byClass(root, 'path', 'series').length).toBe(4);
    expect(byClass(root, 'path', 'band').length).toBe(2);
    const yTicks = byClass(root, 'text', 'tick-y').map(textOf);
    // The band's lower edge reaches 5e-7, so the axis starts at 10⁻⁷.
    const decades = ['10⁻⁷', '10⁻⁶', '10⁻⁵', '10⁻⁴', '10⁻³', '10⁻²', '10⁻¹', '10⁰'];
    expect(yTicks).toEqual([...decades, ...decades]);
    const xTicks = byClass(root, 'text', 'tick-x').map(textOf);
    expect(xTicks).toEqual(['0', '200', '400', '600', '800', '1000', '0', '200', '400', '600', '800', '1000']);
    const legend = allElements(root).filter((e) => e.name === 'g' && e.attrs.class === 'legend').map(textOf);
    expect(legend).toEqual(['fast', 'slow', 'fast', 'slow']);
    expect(byClass(root, 'text', 'title').map(textOf)).toEqual(['Figure 1']);
    const caption = byClass(root, 'text', 'caption')[0];
    expect(caption.children.length).toBeGreaterThan(1);
    expect(caption.children.map(textOf).join(' ')).toBe('A caption that is long enough to wrap onto more than one line when the figure is narrow, which it is here.');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it.skipIf(!hasPython)('parses with Python expat', () => {
    const svg = renderFigure({ title: 'x < y & "z"', caption: "it's", panels: [samplePanel({ title: '<b>' })] });
    const r = spawnSync('python3', ['-c', 'import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.buffer.read()); print(len(d.getElementsByTagName("path")))'], { input: svg, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('3');
  });

  it('escapes text so that it reads back unchanged', () => {
    const label = `a<b & c>"d" 'e'`;
    const svg = lineChart({ title: label, xLabel: '&x', yLabel: '<y>', series: [{ label, x: [0, 1], y: [1, 0.1] }] }, { title: '</svg>', caption: 'ok & done' });
    const root = parseXml(svg);
    const texts = allElements(root).filter((e) => e.name === 'text').map(textOf);
    expect(texts).toContain(label);
    expect(texts).toContain('&x');
    expect(texts).toContain('<y>');
    expect(texts).toContain('</svg>');
    expect(escapeXml('a < b & "c"')).toBe('a &lt; b &amp; &quot;c&quot;');
    expect(escapeXml('bell\u0007')).toBe('bell');
  });

  it('draws zero and negatives at the floor, leaves gaps for NaN and Infinity, and writes no NaN', () => {
    const x = [0, 1, 2, 3, 4, 5, 6];
    const y = [1, 1e-3, 0, -1, NaN, Infinity, 1e-2];
    const svg = lineChart({ xLabel: 't', yLabel: 'e', floor: 1e-8, series: [{ label: 's', x, y }] });
    expect(svg).not.toMatch(/NaN|Infinity/);
    const root = parseXml(svg);
    const d = byClass(root, 'path', 'series')[0].attrs.d;
    expect(d.match(/M/g)!.length).toBe(2); // a new subpath after the gap
    const pts = points(d);
    expect(pts.length).toBe(5); // 1, 1e-3, 0, -1, then 1e-2 after the gap
    // y ticks from the floor's decade to 10⁰.
    expect(byClass(root, 'text', 'tick-y').map(textOf)).toEqual(['10⁻⁸', '10⁻⁷', '10⁻⁶', '10⁻⁵', '10⁻⁴', '10⁻³', '10⁻²', '10⁻¹', '10⁰']);
    const frame = allElements(root).find((e) => e.name === 'rect' && e.attrs.stroke)!;
    const bottom = Number(frame.attrs.y) + Number(frame.attrs.height), top = Number(frame.attrs.y);
    expect(pts[2][1]).toBeCloseTo(bottom, 1); // 0 at the floor (the bottom of the axis)
    expect(pts[3][1]).toBeCloseTo(bottom, 1); // and so is -1
    expect(pts[0][1]).toBeCloseTo(top, 1); // 1 = 10⁰ at the top
    // 1e-3 is 3 of 8 decades down.
    expect(pts[1][1]).toBeCloseTo(top + (3 / 8) * (bottom - top), 1);
  });

  it('keeps only the points inside xMin..xMax', () => {
    const x = iters(100);
    const svg = lineChart({ xLabel: 't', yLabel: 'e', xMax: 10, series: [{ label: 's', x, y: x.map((t) => 2 ** -t) }] });
    const root = parseXml(svg);
    expect(points(byClass(root, 'path', 'series')[0].attrs.d).length).toBe(11);
    expect(byClass(root, 'text', 'tick-x').map(textOf)).toEqual(['0', '2', '4', '6', '8', '10']);
  });

  it('gives series distinct colours and dashes', () => {
    const x = [0, 1];
    const svg = lineChart({ xLabel: 't', yLabel: 'e', series: ['a', 'b', 'c'].map((label) => ({ label, x, y: [1, 0.1] })) });
    const paths = byClass(parseXml(svg), 'path', 'series');
    expect(new Set(paths.map((p) => p.attrs.stroke)).size).toBe(3);
    expect(new Set(paths.map((p) => p.attrs['stroke-dasharray'] ?? '')).size).toBe(3);
  });

  it('refuses bad input, naming the argument', () => {
    const ok = { label: 's', x: [0, 1], y: [1, 0.5] };
    const fig = (s: unknown) => () => renderFigure({ panels: [{ xLabel: 't', yLabel: 'e', series: [s as never] }] });
    expect(fig({ ...ok, y: [1] })).toThrow(/panels\[0\]\.series\[0\]\.y .*length of panels\[0\]\.series\[0\]\.x \(2\)/);
    expect(fig({ ...ok, x: [0, NaN] })).toThrow(/panels\[0\]\.series\[0\]\.x\[1\] must be a finite number; got NaN/);
    expect(fig({ ...ok, y: [NaN, Infinity] })).toThrow(/series\[0\]\.y must be at least one finite value/);
    expect(fig({ ...ok, band: { lower: [1], upper: [1, 2] } })).toThrow(/band\.lower/);
    expect(() => renderFigure({ panels: [] })).toThrow(/argument panels must be a non-empty array/);
    expect(() => renderFigure({ panels: [{ xLabel: 't', yLabel: 'e', series: [] }] })).toThrow(/panels\[0\]\.series must be a non-empty array/);
    expect(() => renderFigure({ panels: [{ xLabel: 't', yLabel: 'e', floor: 0, series: [ok] }] })).toThrow(/panels\[0\]\.floor/);
    expect(() => renderFigure({ columns: 0, panels: [{ xLabel: 't', yLabel: 'e', series: [ok] }] })).toThrow(/columns/);
  });

  it('helpers: nice ticks, decades, labels, wrapping', () => {
    expect(niceTicks(0, 1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(niceTicks(0, 30)).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(niceTicks(0.1, 0.7)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(-7, 13)).toEqual([-5, 0, 5, 10]);
    expect(() => niceTicks(1, 0)).toThrow(/niceTicks/);
    expect(decadeRange(3e-7, 0.5)).toEqual({ lo: -7, hi: 0 });
    expect(decadeRange(1e-3, 1e-3)).toEqual({ lo: -3, hi: -2 });
    expect(decadeRange(1e-16, 1)).toEqual({ lo: -16, hi: 0 });
    expect(decadeLabel(-12)).toBe('10⁻¹²');
    expect(decadeLabel(3)).toBe('10³');
    expect(wrapText('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
    expect(wrapText('one\ntwo', 80)).toEqual(['one', 'two']);
  });

  it('labels every other decade when there are many', () => {
    const svg = lineChart({ xLabel: 't', yLabel: 'e', series: [{ label: 's', x: [0, 1], y: [1e2, 1e-16] }] });
    const labels = byClass(parseXml(svg), 'text', 'tick-y').map(textOf);
    expect(labels).toEqual(['10⁻¹⁶', '10⁻¹³', '10⁻¹⁰', '10⁻⁷', '10⁻⁴', '10⁻¹', '10²']);
  });
});

describe('the test XML reader itself', () => {
  it('rejects malformed documents', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow(/closes/);
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/duplicate/);
    expect(() => parseXml('<a>x & y</a>')).toThrow(/bad character/);
    expect(() => parseXml('<a x=1/>')).toThrow(/expected ="/);
    expect(() => parseXml('<a/><b/>')).toThrow(/after the root/);
    expect(parseXml('<?xml version="1.0"?>\n<a k="&lt;">t&amp;<b/></a>\n').attrs.k).toBe('<');
  });
});
