// A folder written as one output (Node only): a Hugging Face checkpoint is a folder of files, so
// `iobs prune` on a Llama writes one. The same promises as OutputTransaction gives a file: the path
// is checked before any work (its parent exists and is writable; it is not a file; it is not an
// input, does not hold one and is not inside one; an existing folder is replaced only with
// force), the files go into a temporary folder beside it, and only when every file is complete is
// that folder renamed into place. A failed command leaves neither the folder nor the temporary one.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { OutputError, pathFacts, type InputSpec, type OutputSpec, whereTo } from './outputs.js';

/** Options of OutputFolder.begin. */
export interface OutputFolderOptions {
  /** Replace the folder if it exists (default false). */
  force?: boolean;
  /** The flag that sets force, for messages (default '--force'). */
  forceFlag?: string;
  /** The command's inputs (files or folders): the output may not be one, hold one, or lie inside one. */
  inputs?: readonly InputSpec[];
}

/** A file being written inside the temporary folder. */
export interface FolderFile {
  /** Appends bytes. */
  write(bytes: Uint8Array): Promise<void>;
  /** Writes bytes at a byte position (the file grows as needed). */
  writeAt(position: number, bytes: Uint8Array): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** True when `inner` is `outer` or lies below it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * An output folder: begin() checks the path and creates `.name.<random>.tmp/` beside it; file()
 * and write() fill it; commit() moves it into place (an existing folder, allowed by force, is
 * moved aside first and removed after); abort() removes the temporary folder (a no-op after commit).
 *
 * @example
 * const out = await OutputFolder.begin({ name: '--out', path: 'pruned-llama' }, { force, inputs });
 * try {
 *   await out.write('config.json', bytes);
 *   await out.commit();
 * } finally {
 *   await out.abort();
 * }
 */
export class OutputFolder {
  private committed = false;
  private open = new Set<FileHandle>();
  private written = new Set<string>();

  private constructor(readonly spec: OutputSpec, readonly target: string, readonly temp: string, private readonly replace: boolean) {}

  /** Checks the output folder's path and creates its temporary folder. */
  static async begin(spec: OutputSpec, options: OutputFolderOptions = {}): Promise<OutputFolder> {
    const { name, path } = spec;
    if (typeof path !== 'string' || path === '') throw new OutputError(name, String(path ?? ''), 'expected a folder path', 'argument');
    const f = await pathFacts(path.endsWith(sep) || path.endsWith('/') ? path.slice(0, -1) || path : path);
    const forceFlag = options.forceFlag ?? '--force';
    if (f.kind === 'file' || f.kind === 'other' || f.kind === 'dangling') throw new OutputError(name, path, 'exists and is not a folder; give a folder path', 'argument');
    if (f.dirKind === 'missing') throw new OutputError(name, path, `directory ${JSON.stringify(dirname(path))} does not exist`, 'argument');
    if (f.dirKind === 'other') throw new OutputError(name, path, `${JSON.stringify(dirname(path))} is not a directory`, 'argument');
    if (!f.dirWritable) throw new OutputError(name, path, `directory ${JSON.stringify(dirname(path))} is not writable`, 'argument');
    for (const input of options.inputs ?? []) {
      const where = await whereTo(input.path);
      if (within(where, f.target)) throw new OutputError(name, path, `holds the input ${input.name} ${JSON.stringify(input.path)}; refusing to replace an input`, 'argument', { joiner: ' ' });
      if (within(f.target, where)) throw new OutputError(name, path, `is inside the input ${input.name} ${JSON.stringify(input.path)}; give a folder outside it`, 'argument', { joiner: ' ' });
    }
    if (f.kind === 'directory' && !options.force) throw new OutputError(name, path, `exists; pass ${forceFlag} to replace it`, 'argument', { joiner: ' ' });
    const temp = join(f.dir, `.${basename(f.target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(temp);
    } catch (err) {
      throw new OutputError(name, path, `cannot create a folder in ${JSON.stringify(dirname(path))}: ${(err as Error).message}`, 'argument', { cause: err });
    }
    return new OutputFolder(spec, f.target, temp, f.kind === 'directory');
  }

  /** The path of a file inside the temporary folder; `rel` must be a plain relative name. */
  private place(rel: string): string {
    const n = normalize(rel);
    if (rel === '' || isAbsolute(rel) || n.startsWith('..') || n.split(sep).includes('..')) throw new Error(`OutputFolder: ${JSON.stringify(rel)} is not a path inside the folder`);
    if (this.committed) throw new Error('OutputFolder: committed already');
    if (this.written.has(n)) throw new Error(`OutputFolder: ${rel} was written already`);
    this.written.add(n);
    return join(this.temp, n);
  }

  /** Opens a new file inside the folder for writing in pieces (a checkpoint tensor by tensor). */
  async file(rel: string): Promise<FolderFile> {
    const at = this.place(rel);
    await mkdir(dirname(at), { recursive: true });
    const handle = await open(at, 'wx', 0o666);
    this.open.add(handle);
    const spec = this.spec;
    const fail = (err: unknown) => new OutputError(spec.name, spec.path, `cannot write ${rel}: ${(err as Error).message}`, 'computation', { cause: err });
    return {
      write: async (bytes) => {
        try {
          let done = 0;
          while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
        } catch (err) {
          throw fail(err);
        }
      },
      writeAt: async (position, bytes) => {
        try {
          let done = 0;
          while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
        } catch (err) {
          throw fail(err);
        }
      },
      close: async () => {
        try {
          await handle.sync();
          await handle.close();
        } catch (err) {
          throw fail(err);
        } finally {
          this.open.delete(handle);
        }
      },
    };
  }

  /** Where a file written inside the folder is now (in the temporary folder until commit), to read it back. */
  pathOf(rel: string): string {
    return join(this.temp, normalize(rel));
  }

  /** Writes a whole file inside the folder. */
  async write(rel: string, bytes: Uint8Array): Promise<void> {
    const f = await this.file(rel);
    await f.write(bytes);
    await f.close();
  }

  /** Moves the finished folder into place. */
  async commit(): Promise<void> {
    if (this.committed) return;
    if (this.open.size > 0) throw new Error(`OutputFolder: ${this.open.size} file(s) still open at commit`);
    let aside: string | null = null;
    try {
      if (this.replace) {
        aside = `${this.temp}.old`;
        await rename(this.target, aside);
      }
      await rename(this.temp, this.target);
    } catch (err) {
      if (aside !== null) await rename(aside, this.target).catch(() => {});
      throw new OutputError(this.spec.name, this.spec.path, `cannot move the finished folder into place: ${(err as Error).message}`, 'computation', { cause: err });
    }
    this.committed = true;
    if (aside !== null) await rm(aside, { recursive: true, force: true }).catch(() => {});
  }

  /** Removes the temporary folder and closes its files; never throws; a no-op after commit. */
  async abort(): Promise<void> {
    for (const h of this.open) await h.close().catch(() => {});
    this.open.clear();
    if (!this.committed) await rm(this.temp, { recursive: true, force: true }).catch(() => {});
  }
}

/** True when `path` is an existing folder we may read (for format detection). */
export async function isReadableFolder(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isDirectory()) return false;
    await access(path, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
