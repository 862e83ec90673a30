// The output files of a command (Node only), written as one transaction. Every output is checked
// before any work is done (its directory exists and is writable, it is not a directory, not one of
// the inputs, not another output, and it is replaced only when the caller says so), then each gets
// a temporary file beside it; the command writes into those, and only when all are complete are
// they renamed into place. A command that fails on the way leaves no output and no temporary file.
// Errors name the output as the caller does (a flag such as `--out`), never the temporary file.

import { constants } from 'node:fs';
import { access as fsAccess, type FileHandle, link, lstat, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { tempPathFor } from './atomic.js';

/** One output: `name` is how errors call it (the flag, say `--out`), `path` where it goes. */
export interface OutputSpec {
  readonly name: string;
  readonly path: string;
}

/** One input an output must never overwrite, named as errors should name it (say `--weight`). */
export interface InputSpec {
  readonly name: string;
  readonly path: string;
}

/** How outputs are checked. */
export interface OutputOptions {
  /** Replace outputs that exist already (default false: an existing output is an error). */
  force?: boolean;
  /** The flag that sets `force`, for the error message (default '--force'). */
  forceFlag?: string;
  /** The command's inputs: no output may be one of them, by path, through a symlink or as a hard link. */
  inputs?: readonly InputSpec[];
  /**
   * Resolves when a file may be created in the directory `dir` and rejects when not; the default
   * is fs.access(dir, W_OK | X_OK). Injectable for tests (root passes every permission check).
   */
  access?: (dir: string) => Promise<void>;
}

/**
 * An output that cannot be written. `kind` 'argument': the path is unusable as given (missing
 * directory, a directory, an input, an existing file without force); 'computation': writing
 * failed on the way (a full disk, say).
 */
export class OutputError extends Error {
  constructor(
    /** The output's name (its flag). */
    readonly output: string,
    /** Its path as given. */
    readonly path: string,
    /** What is wrong, in words. */
    readonly reason: string,
    readonly kind: 'argument' | 'computation',
    options?: { cause?: unknown; joiner?: string },
  ) {
    super(`${output} ${JSON.stringify(path)}${options?.joiner ?? ': '}${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutputError';
  }
}

/** What the file system says about a path, as far as writing an output there is concerned. */
export interface PathFacts {
  /** The path as given. */
  readonly path: string;
  /** Where it leads: absolute, symlinks resolved as far as they exist. */
  readonly target: string;
  /** What is at the target: nothing, a regular file, a directory, something else (a FIFO, a device), or a symlink leading nowhere. */
  readonly kind: 'missing' | 'file' | 'directory' | 'other' | 'dangling';
  /** Device and inode when something is there, to catch hard links. */
  readonly id: string | null;
  /** Permission bits of an existing file (kept when it is replaced). */
  readonly mode: number | null;
  /** The directory the target would be created in, and what it is. */
  readonly dir: string;
  readonly dirKind: 'missing' | 'directory' | 'other';
  /** True when `access` allowed creating a file in `dir`. */
  readonly dirWritable: boolean;
  /** The path ends in a separator, so it can only name a directory. */
  readonly trailingSlash: boolean;
  /** The path itself is a symlink. */
  readonly viaLink: boolean;
}

/** fs.access(dir, W_OK | X_OK). */
function defaultAccess(dir: string): Promise<void> {
  return fsAccess(dir, constants.W_OK | constants.X_OK);
}

/** Where `path` leads: its realpath when it exists, else its directory's realpath plus its name. */
export async function whereTo(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    try {
      return join(await realpath(dirname(resolve(path))), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/** Device and inode of the file `path` leads to ("dev:ino"), or null when there is none. */
export async function fileId(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}

/** Gathers the PathFacts of `path` (nothing is created or opened). */
export async function pathFacts(path: string, access: (dir: string) => Promise<void> = defaultAccess): Promise<PathFacts> {
  const trailingSlash = path.endsWith('/') || path.endsWith(sep);
  let target = await whereTo(path);
  let kind: PathFacts['kind'] = 'missing';
  let id: string | null = null, mode: number | null = null;
  let viaLink = false;
  try {
    viaLink = (await lstat(path)).isSymbolicLink();
  } catch {
    // Nothing there.
  }
  try {
    const s = await stat(target);
    kind = s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
    id = `${s.dev}:${s.ino}`;
    mode = s.mode & 0o7777;
  } catch {
    // Nothing there, unless a symlink that leads nowhere: then the link itself is the target.
    if (viaLink) {
      kind = 'dangling';
      target = join(await whereTo(dirname(path)), basename(path));
    }
  }
  const dir = dirname(target);
  let dirKind: PathFacts['dirKind'] = 'missing';
  try {
    dirKind = (await stat(dir)).isDirectory() ? 'directory' : 'other';
  } catch {
    // Stays 'missing'.
  }
  let dirWritable = false;
  if (dirKind === 'directory') {
    try {
      await access(dir);
      dirWritable = true;
    } catch {
      // Stays false.
    }
  }
  return { path, target, kind, id, mode, dir, dirKind, dirWritable, trailingSlash, viaLink };
}

/** True when two paths are the same file: the same target, or the same device and inode. */
export function sameFile(a: PathFacts, b: PathFacts): boolean {
  return a.target === b.target || (a.id !== null && a.id === b.id);
}

/** The directory of `f` as the user would write it: that of the path as given, or of the file a symlink leads to. */
function shownDir(f: PathFacts): string {
  return f.viaLink ? f.dir : dirname(f.path);
}

/**
 * Why an output cannot go to the path these facts describe, or null when it can: a directory,
 * not a regular file, a missing or unwritable directory, or (without `force`) an existing file.
 * Pure: the facts come from pathFacts. `joiner` is what goes between the path and the reason.
 */
export function outputProblem(f: PathFacts, force: boolean, forceFlag = '--force'): { reason: string; joiner?: string } | null {
  if (f.kind === 'directory' || f.trailingSlash) return { reason: f.kind === 'directory' ? 'is a directory' : 'names a directory (it ends in a separator); give a file path' };
  if (f.kind === 'other') return { reason: 'is not a regular file (outputs are written to a temporary file and renamed into place, which cannot replace a device or a pipe)' };
  if (f.dirKind === 'missing') return { reason: `directory ${JSON.stringify(shownDir(f))} does not exist` };
  if (f.dirKind === 'other') return { reason: `${JSON.stringify(shownDir(f))} is not a directory` };
  if (!f.dirWritable) return { reason: `directory ${JSON.stringify(shownDir(f))} is not writable` };
  if ((f.kind === 'file' || f.kind === 'dangling') && !force) return { reason: `exists; pass ${forceFlag} to replace it`, joiner: ' ' };
  return null;
}

/** A Node system error's `code` in words ("permission denied"), or null when `err` has no known code. */
export function systemReason(err: unknown): string | null {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  return typeof code === 'string' ? (SYSTEM_REASONS[code] ?? null) : null;
}

const SYSTEM_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EEXIST: 'already exists',
  EBUSY: 'device or resource busy',
  ENXIO: 'no such device or address',
  ETXTBSY: 'text file busy',
};

/** The reason for a failed file operation: the system error in words, or its message. */
function reasonOf(err: unknown): string {
  return systemReason(err) ?? (err instanceof Error ? err.message : String(err));
}

/** Errors creating a file that mean the place is unusable (bad input), not a failure on the way. */
const BAD_PLACE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Checks every output against the file system, the inputs and each other, before any work:
 * throws an OutputError (kind 'argument') naming the first output at fault. Returns the facts
 * of each output, in order.
 * @example
 * await checkOutputs([{ name: '--out', path: 'x.npy' }], { inputs: [{ name: '--A', path: 'A.npy' }] });
 */
export async function checkOutputs(outputs: readonly OutputSpec[], options: OutputOptions = {}): Promise<PathFacts[]> {
  const access = options.access ?? defaultAccess;
  const facts: PathFacts[] = [];
  for (const o of outputs) {
    if (typeof o.path !== 'string' || o.path === '') throw new OutputError(o.name, String(o.path ?? ''), 'expected a file path', 'argument');
    facts.push(await pathFacts(o.path, access));
  }
  const inputs = options.inputs ?? [];
  const inputFacts = await Promise.all(inputs.map((i) => pathFacts(i.path, access)));
  outputs.forEach((o, k) => {
    inputs.forEach((input, j) => {
      if (sameFile(facts[k], inputFacts[j])) {
        throw new OutputError(o.name, o.path, `is the input ${input.name} ${JSON.stringify(input.path)}; refusing to overwrite an input`, 'argument', { joiner: ' ' });
      }
    });
    for (let j = 0; j < k; j++) {
      if (sameFile(facts[k], facts[j])) {
        throw new OutputError(o.name, o.path, `is the same file as ${outputs[j].name} ${JSON.stringify(outputs[j].path)}; give each output its own path`, 'argument', { joiner: ' ' });
      }
    }
  });
  outputs.forEach((o, k) => {
    const problem = outputProblem(facts[k], options.force === true, options.forceFlag);
    if (problem) throw new OutputError(o.name, o.path, problem.reason, 'argument', { joiner: problem.joiner });
  });
  return facts;
}

interface Entry {
  readonly spec: OutputSpec;
  readonly facts: PathFacts;
  readonly temp: string;
  handle: FileHandle | null;
  /** The temporary file exists (created, not yet renamed or removed). */
  tempExists: boolean;
  written: boolean;
}

/**
 * A set of outputs written together: begin() checks them all and creates a temporary file beside
 * each; write() fills one; commit() renames them all into place once every one is written; abort()
 * (safe to call always, and after commit a no-op) closes and removes whatever temporary files are
 * left. An existing file's permission bits carry over, and a symlink to it stays a link.
 * @example
 * const tx = await OutputTransaction.begin([{ name: '--out', path: 'x.npy' }], { inputs, force });
 * try {
 *   // ... the work ...
 *   await tx.write('--out', bytes);
 *   await tx.commit();
 * } finally {
 *   await tx.abort();
 * }
 */
export class OutputTransaction {
  private committed = false;

  private constructor(private readonly entries: Entry[]) {}

  /** Checks the outputs (see checkOutputs) and creates their temporary files. */
  static async begin(outputs: readonly OutputSpec[], options: OutputOptions = {}): Promise<OutputTransaction> {
    const facts = await checkOutputs(outputs, options);
    const tx = new OutputTransaction([]);
    try {
      for (let k = 0; k < outputs.length; k++) {
        const f = facts[k];
        const entry: Entry = { spec: outputs[k], facts: f, temp: tempPathFor(f.target), handle: null, tempExists: false, written: false };
        try {
          entry.handle = await open(entry.temp, 'wx', f.mode ?? 0o666);
          entry.tempExists = true;
          tx.entries.push(entry);
          if (f.mode !== null) await entry.handle.chmod(f.mode);
        } catch (err) {
          const code = codeOf(err);
          throw new OutputError(outputs[k].name, outputs[k].path, `cannot create a file in directory ${JSON.stringify(shownDir(f))}: ${reasonOf(err)}`,
            code !== undefined && BAD_PLACE.has(code) ? 'argument' : 'computation', { cause: err });
        }
      }
    } catch (err) {
      await tx.abort();
      throw err;
    }
    return tx;
  }

  /** The outputs' names, in order. */
  get names(): string[] {
    return this.entries.map((e) => e.spec.name);
  }

  private entry(name: string): Entry {
    const e = this.entries.find((x) => x.spec.name === name);
    if (!e) throw new Error(`OutputTransaction: no output named ${JSON.stringify(name)} (outputs: ${this.names.join(', ')})`);
    return e;
  }

  /** Writes the whole content of output `name` into its temporary file and flushes it to disk. */
  async write(name: string, bytes: Uint8Array): Promise<void> {
    return this.writePieces(name, [bytes]);
  }

  /**
   * As write, with the content given as pieces in order (say a header, then a matrix's bytes from
   * la.readBytes, written straight from backend storage): each piece is written whole before the
   * next is asked for.
   * @example
   * await tx.writePieces('--out', [npyHeaderBytes('float32', [r, c]), ...]);
   */
  async writePieces(name: string, pieces: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
    const e = this.entry(name);
    if (this.committed || e.written || e.handle === null) throw new Error(`OutputTransaction: output ${name} was written already`);
    try {
      for await (const bytes of pieces) {
        let done = 0;
        while (done < bytes.length) {
          const { bytesWritten } = await e.handle.write(bytes, done, bytes.length - done);
          done += bytesWritten;
        }
      }
      await e.handle.sync();
      await e.handle.close();
      e.handle = null;
      e.written = true;
    } catch (err) {
      throw new OutputError(e.spec.name, e.spec.path, `cannot write: ${reasonOf(err)}`, 'computation', { cause: err });
    }
  }

  /**
   * Renames every temporary file into place; every output must have been written. Renames in one
   * directory do not fail in practice, but should one fail, the outputs already renamed are undone
   * (a replaced file is restored from a hard link taken just before, where the file system allows
   * one), so the command still leaves no partial set of outputs.
   */
  async commit(): Promise<void> {
    const missing = this.entries.filter((e) => !e.written).map((e) => e.spec.name);
    if (missing.length > 0) throw new Error(`OutputTransaction: commit before writing ${missing.join(', ')}`);
    if (this.committed) return;
    const backups: (string | null)[] = [];
    for (const e of this.entries) {
      let backup: string | null = null;
      if (e.facts.kind === 'file') {
        backup = tempPathFor(e.facts.target);
        try {
          await link(e.facts.target, backup);
        } catch {
          backup = null;
        }
      }
      backups.push(backup);
    }
    let k = 0;
    try {
      for (; k < this.entries.length; k++) {
        const e = this.entries[k];
        await rename(e.temp, e.facts.target);
        e.tempExists = false;
      }
    } catch (err) {
      for (let j = 0; j < k; j++) {
        const target = this.entries[j].facts.target, backup = backups[j];
        if (backup !== null) await rename(backup, target).catch(() => {});
        else await unlink(target).catch(() => {});
        backups[j] = null;
      }
      for (const b of backups) if (b !== null) await unlink(b).catch(() => {});
      const e = this.entries[k];
      throw new OutputError(e.spec.name, e.spec.path, `cannot move the finished file into place: ${reasonOf(err)}`, 'computation', { cause: err });
    }
    this.committed = true;
    for (const b of backups) if (b !== null) await unlink(b).catch(() => {});
    await syncDirectories(this.entries.map((e) => e.facts.dir));
  }

  /** Closes and removes every temporary file still there; never throws. A no-op after commit. */
  async abort(): Promise<void> {
    for (const e of this.entries) {
      if (e.handle !== null) {
        await e.handle.close().catch(() => {});
        e.handle = null;
      }
      if (e.tempExists) {
        await unlink(e.temp).catch(() => {});
        e.tempExists = false;
      }
    }
  }
}

/** Flushes each directory's entries (the renames) to disk; best effort, as some platforms cannot. */
async function syncDirectories(dirs: string[]): Promise<void> {
  for (const d of new Set(dirs)) {
    try {
      const h = await open(d, 'r');
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    } catch {
      // Best effort only.
    }
  }
}
