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
  it('installs from its tarball into an empty project and works there', { timeout: 300_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), 'iobs-pack-'));
    // --ignore-scripts: `prepare` would rebuild dist/ under the other test files that use it.
    const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root);
    expect(pack.code, pack.said).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: PackedFile[] }[];
    const paths = packed.files.map((f) => f.path);
    for (const want of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/cli.js', 'dist/iobs-simd.wasm', 'dist/iobs-relaxed.wasm', 'dist/types/index.d.ts']) {
      expect(paths, want).toContain(want);
    }
    for (const want of ['demo/models/mnist-cnn.onnx', 'demo/models/tinystories-llama/model.safetensors', 'demo/data/tinystories-eval.txt', 'demo/README.md', 'examples/prune-cnn-node.mjs']) {
      expect(paths, want).toContain(want);
    }
    // Nothing but the build, the demo's models and data, the examples and the three top files.
    expect(paths.filter((p) => !/^(dist|demo\/models|demo\/data|examples)\//.test(p) && !['package.json', 'README.md', 'LICENSE', 'demo/README.md'].includes(p))).toEqual([]);
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

    // The demo runs from the installed package, on the models and data it ships.
    const demo = sh(join(app, 'node_modules/.bin/iobs'), ['demo', '--quick', '--only', 'llama', '--json'], app);
    expect(demo.code, demo.said).toBe(0);
    const demoRuns = JSON.parse(demo.stdout.trim().split('\n').pop()!).models[0];
    expect(demoRuns.model).toBe('tinystories-llama');
    expect(demoRuns.runs.map((r: { method: string; pattern: string }) => `${r.method} ${r.pattern}`)).toEqual(
      ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'].flatMap((m) => [`${m} 50%`]).concat(['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'].map((m) => `${m} 2:4`)));
    for (const r of demoRuns.runs) expect(Number.isFinite(r.metric.value) && r.metric.value > demoRuns.dense.metric.value, `${r.method} ${r.pattern}`).toBe(true);

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
