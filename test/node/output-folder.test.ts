// A folder written as one output: checked before the work, complete or absent afterwards.
import { mkdtemp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputFolder } from '../../src/io/output-folder.js';

async function scratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'iobs-folder-'));
}

describe('OutputFolder', () => {
  it('writes into a temporary folder and moves it into place only at commit', async () => {
    const dir = await scratch();
    const out = await OutputFolder.begin({ name: '--out', path: join(dir, 'model') });
    await out.write('config.json', new TextEncoder().encode('{}'));
    const f = await out.file('sub/model.safetensors');
    await f.write(new Uint8Array([1, 2]));
    await f.write(new Uint8Array([3]));
    await f.close();
    expect(await readdir(dir)).toHaveLength(1);
    expect((await readdir(dir))[0]).toMatch(/^\.model\..*\.tmp$/);
    await out.commit();
    await out.abort();
    expect(await readdir(dir)).toEqual(['model']);
    expect([...await readFile(join(dir, 'model/sub/model.safetensors'))]).toEqual([1, 2, 3]);
  });
  it('leaves nothing when aborted', async () => {
    const dir = await scratch();
    const out = await OutputFolder.begin({ name: '--out', path: join(dir, 'model') });
    const f = await out.file('a.bin');
    await f.write(new Uint8Array(10));
    await out.abort();
    expect(await readdir(dir)).toEqual([]);
  });
  it('replaces an existing folder only with force', async () => {
    const dir = await scratch();
    await mkdir(join(dir, 'model'));
    await writeFile(join(dir, 'model/old.txt'), 'old');
    await expect(OutputFolder.begin({ name: '--out', path: join(dir, 'model') })).rejects.toThrow(/--out ".*model" exists; pass --force to replace it/);
    const out = await OutputFolder.begin({ name: '--out', path: join(dir, 'model') }, { force: true });
    await out.write('new.txt', new Uint8Array([65]));
    expect(await readdir(join(dir, 'model'))).toEqual(['old.txt']);
    await out.commit();
    expect(await readdir(join(dir, 'model'))).toEqual(['new.txt']);
    expect((await readdir(dir)).sort()).toEqual(['model']);
  });
  it('refuses a file, a missing parent, an input or a folder holding or inside an input', async () => {
    const dir = await scratch();
    await writeFile(join(dir, 'file'), 'x');
    await mkdir(join(dir, 'in'));
    await writeFile(join(dir, 'in/model.safetensors'), 'x');
    const inputs = [{ name: 'MODEL', path: join(dir, 'in') }];
    await expect(OutputFolder.begin({ name: '--out', path: join(dir, 'file') })).rejects.toThrow(/exists and is not a folder/);
    await expect(OutputFolder.begin({ name: '--out', path: join(dir, 'nope/model') })).rejects.toThrow(/does not exist/);
    await expect(OutputFolder.begin({ name: '--out', path: join(dir, 'in') }, { force: true, inputs })).rejects.toThrow(/holds the input MODEL/);
    await expect(OutputFolder.begin({ name: '--out', path: dir }, { force: true, inputs })).rejects.toThrow(/holds the input MODEL/);
    await expect(OutputFolder.begin({ name: '--out', path: join(dir, 'in/sub') }, { inputs })).rejects.toThrow(/is inside the input MODEL/);
    expect((await readdir(dir)).sort()).toEqual(['file', 'in']);
  });
  it('refuses paths outside the folder and double writes', async () => {
    const dir = await scratch();
    const out = await OutputFolder.begin({ name: '--out', path: join(dir, 'm') });
    await expect(out.write('../x', new Uint8Array())).rejects.toThrow(/not a path inside/);
    await out.write('a', new Uint8Array());
    await expect(out.write('a', new Uint8Array())).rejects.toThrow(/written already/);
    await out.abort();
  });
});
