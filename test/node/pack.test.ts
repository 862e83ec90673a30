// The package as users get it: `npm pack` of the built dist/ (the orchestrator builds it first),
// installed into an empty project outside the repository, where no devDependency can be found.
// The library must import and compute, the bin must run, and `iobs bench` must time our kernels
// with the optional tfjs peers absent, saying so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

// Under `npm test` npm exports its own settings (the repository's prefix, legacy-peer-deps from its
// .npmrc, ...) as npm_* variables and puts node_modules/.bin folders first on PATH (where a
// devDependency brings an old npm); the commands here must see what a user's shell would.
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
userEnv.PATH = (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes(`${sep}node_modules${sep}`)).join(delimiter);

function sh(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env: userEnv, encoding: 'utf8', timeout: 150_000 });
  const said = `${cmd} ${args.join(' ')} (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`;
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', said };
}

interface PackedFile {
  path: string;
  mode: number;
}

describe('the npm package', () => {
  it('installs from its tarball into an empty project and works there', { timeout: 180_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), 'iobs-pack-'));
    // --ignore-scripts: `prepare` would rebuild dist/ under the other test files that use it.
    const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
    expect(pack.code, pack.said).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: PackedFile[] }[];
    const paths = packed.files.map((f) => f.path);
    for (const want of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/cli.js', 'dist/iobs-simd.wasm', 'dist/iobs-relaxed.wasm', 'dist/types/index.d.ts']) {
      expect(paths, want).toContain(want);
    }
    expect(paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(p))).toEqual([]);
    expect(packed.files.find((f) => f.path === 'dist/cli.js')!.mode & 0o111, 'dist/cli.js is executable').toBe(0o111);
    expect(readFileSync(join(root, 'dist/cli.js'), 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');

    const app = join(work, 'app');
    mkdirSync(app);
    const initApp = sh('npm', ['init', '-y'], app);
    expect(initApp.code, initApp.said).toBe(0);
    const install = sh('npm', ['install', join(work, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], app);
    expect(install.code, install.said).toBe(0);
    expect(existsSync(join(app, 'node_modules/iobs/LICENSE'))).toBe(true);

    const help = sh(join(app, 'node_modules/.bin/iobs'), ['--help'], app);
    expect(help.code, help.said).toBe(0);
    expect(help.stdout).toMatch(/^usage: iobs <command> \[options\]\n/);
    expect(help.stdout).toContain('prune-layer');

    // The README's first example, verbatim, printing what its comments say.
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(readme)![1];
    writeFileSync(join(app, 'example.mjs'), code);
    const example = sh(process.execPath, ['example.mjs'], app);
    expect(example.code, example.said).toBe(0);
    const promised = code.split('\n').filter((l) => /console\.log/.test(l) && /\/\/ /.test(l)).map((l) => l.slice(l.indexOf('// ') + 3).trim());
    expect(promised.length).toBeGreaterThan(0);
    expect(example.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' ').trim())).toEqual(promised.map((l) => l.replace(/\s+/g, ' ')));

    // tfjs is an optional peer, not installed here: skipped with the way to add it, the rest timed.
    const bench = sh(join(app, 'node_modules/.bin/iobs'), ['bench', '--quick', '--kernels', 'sgemm', '--peers', 'tfjs-wasm,plain-js', '--sizes', '32', '--min-time', '0'], app);
    expect(bench.code, bench.said).toBe(0);
    expect(bench.stderr).toMatch(/peer tfjs-wasm skipped: .*optional peers: npm install @tensorflow\/tfjs-core@4 @tensorflow\/tfjs-backend-wasm@4/);
    expect(bench.stdout).toMatch(/^sgemm +32 +wasm-\S+ /m);
    expect(bench.stdout).toMatch(/^sgemm +32 +plain-js /m);
  });
});
