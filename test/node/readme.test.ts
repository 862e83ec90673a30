// Every ```js block of the README runs, and what it prints matches its `// ...` comments.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

/** The values a block's console.log lines promise, from their trailing comments. */
function promised(code: string): string[] {
  return code.split('\n').filter((l) => /console\.log/.test(l) && /\/\/ /.test(l)).map((l) => l.slice(l.indexOf('// ') + 3).trim());
}

describe('README examples', () => {
  it('has examples', () => expect(blocks.length).toBeGreaterThan(0));
  blocks.forEach((code, i) => {
    it(`block ${i + 1} runs and prints what it says`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'iobs-readme-'));
      const file = join(dir, `example${i}.mjs`);
      writeFileSync(file, code.replaceAll("from 'iobs'", `from '${new URL('dist/index.js', root).href}'`));
      const out = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      const printed = out.trim().split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
      const want = promised(code).map((l) => l.replace(/\s+/g, ' '));
      expect(printed).toEqual(want);
    });
  });
});
