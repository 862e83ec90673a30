// Device-neutral algorithms, checked in their source: code under the listed folders reaches matrix
// values only through `await la.read(M)` and `la.write(M, values)`, never through the Matrix host
// accessors (.data, .get(, .set(, .assign(, .toArray(, .toNested() that a device backend cannot
// serve, and never reaches a backend directly (.backend). The scan reads the source text with
// comments and string literals blanked out (code inside a template's ${…} is still scanned).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The folders whose code must be device-neutral. */
const FOLDERS = ['src/pruning', 'src/recovery', 'src/models/llama'];

/**
 * Uses that look like host access but are not, each with its reason; an entry that no longer
 * matches anything is an error too, so the list cannot go stale.
 */
const ALLOWED: { file: string; code: string; why: string }[] = [
  { file: 'src/pruning/accumulator.ts', code: 'b.data', why: "an InputBatch's data: the plain host array a caller passes to addBatch, not a Matrix" },
  { file: 'src/models/llama/prune.ts', code: 'tensors.set', why: 'the result Map of pruned weights: host arrays from la.read' },
  { file: 'src/models/llama/prune.ts', code: 'done.get', why: 'a Map of the layer reports of a pass so far (kept for a lost device), not a matrix' },
  { file: 'src/models/llama/prune.ts', code: 'done.set', why: 'the same Map of layer reports' },
  { file: 'src/models/llama/checkpoint.ts', code: 'replaced.get', why: 'a Map of pruned host arrays (already read) looked up by tensor name while writing the file' },
  { file: 'src/models/llama/checkpoint.ts', code: 'places.get', why: 'a Map of byte positions in the output file (the safetensors plan), not a matrix' },
];

/** A host accessor after a dot: .data / .backend as properties, the others as calls. */
const ACCESS = /([\w$\])]*)\s*\.\s*(?:(data|backend)\b|(get|set|assign|toArray|toNested)\s*\()/g;

/**
 * The source with comments and the text of string and template literals replaced by spaces
 * (newlines kept, so positions and line numbers stay), and the code of ${…} kept.
 */
export function codeOnly(src: string): string {
  const out = src.split('');
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Each open template literal pushes the brace depth at which its ${…} returns to the text.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const n = src.length;
  const templateText = (): void => {
    // From just inside a template (after ` or }), blank the text up to ${ or the closing `.
    const start = i;
    while (i < n) {
      if (src[i] === '\\') i += 2;
      else if (src[i] === '`') {
        blank(start, i);
        i++;
        return;
      } else if (src[i] === '$' && src[i + 1] === '{') {
        blank(start, i);
        i += 2;
        templates.push(depth);
        depth++;
        return;
      } else i++;
    }
    blank(start, n);
  };
  while (i < n) {
    const c = src[i], d = src[i + 1];
    if (c === '/' && d === '/') {
      const end = src.indexOf('\n', i);
      blank(i, end < 0 ? n : end);
      i = end < 0 ? n : end;
    } else if (c === '/' && d === '*') {
      const end = src.indexOf('*/', i + 2);
      blank(i, end < 0 ? n : end + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'" || c === '"') {
      const start = i++;
      while (i < n && src[i] !== c && src[i] !== '\n') i += src[i] === '\\' ? 2 : 1;
      blank(start + 1, i);
      i++;
    } else if (c === '`') {
      i++;
      templateText();
    } else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      i++;
      if (templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        templateText();
      }
    } else i++;
  }
  return out.join('');
}

/** Every host access in a source text: the matched code and its line. */
export function hostAccesses(src: string): { code: string; line: number }[] {
  const code = codeOnly(src);
  const found: { code: string; line: number }[] = [];
  for (const m of code.matchAll(ACCESS)) {
    const text = m[0].replace(/\s+/g, '').replace(/\($/, '');
    found.push({ code: text, line: code.slice(0, m.index).split('\n').length });
  }
  return found;
}

function sources(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, folder))) {
    const path = join(folder, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('device-neutral source: no Matrix host accessors, no backend', () => {
  it('the scanner sees code, not comments or strings', () => {
    const src = [
      'const a = M.data; // x.toArray()',
      "/* W.get(0, 0) */ const s = 'H.set(1)' + \"A.assign(v)\";",
      'const t = `text .toNested() ${W.toArray()} and ${`inner ${la.backend.name}`} .get(`;',
      'const o = { data: 1, backend: 2 }; la.backendName; M.dataType; f(x).get(3);',
      'const u = `a}b` + M .data;',
    ].join('\n');
    expect(hostAccesses(src)).toEqual([
      { code: 'M.data', line: 1 },
      { code: 'W.toArray', line: 3 },
      { code: 'la.backend', line: 3 },
      { code: 'x).get', line: 4 },
      { code: 'M.data', line: 5 },
    ]);
  });

  for (const folder of FOLDERS) {
    it(`${folder}: values only through la.read / la.write`, () => {
      const files = sources(folder);
      expect(files.length).toBeGreaterThan(0);
      const bad: string[] = [];
      const used = new Set<number>();
      for (const file of files) {
        for (const hit of hostAccesses(readFileSync(join(root, file), 'utf8'))) {
          const allowed = ALLOWED.findIndex((a) => a.file === file && a.code === hit.code);
          if (allowed >= 0) used.add(allowed);
          else bad.push(`${file}:${hit.line}: ${hit.code}`);
        }
      }
      expect(bad, 'host access in device-neutral code (use await la.read(M) / la.write(M, values))').toEqual([]);
      const stale = ALLOWED.filter((a, k) => a.file.startsWith(folder + '/') && !used.has(k));
      expect(stale.map((a) => `${a.file}: ${a.code}`), 'allowed uses that no longer occur').toEqual([]);
    });
  }
});
