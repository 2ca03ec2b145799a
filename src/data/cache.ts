/**
 * The on-disk download cache: where it lives, how a cached file's names are laid out, and the
 * SHA-256 sidecar that lets later reads trust a file without re-hashing it.
 *
 * Layout for a cache entry `<name>`:
 *   <name>            the complete, verified file (only ever created by rename)
 *   <name>.part       bytes received so far; resumed with an HTTP Range request
 *   <name>.part.json  what the server said about the file the partial bytes came from
 *   <name>.sha256     `<hex digest>  <basename>`, the format `sha256sum -c` reads
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';

/**
 * `EMISHIFT_CACHE` when set, else `$XDG_CACHE_HOME/emishift`, else `~/.cache/emishift`.
 * A relative XDG_CACHE_HOME is ignored, as the XDG base-directory spec asks.
 */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.EMISHIFT_CACHE;
  if (own !== undefined && own !== '') return own;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'emishift');
  return join(homedir(), '.cache', 'emishift');
}

export interface CachePaths {
  file: string;
  part: string;
  partMeta: string;
  sidecar: string;
}

/**
 * Paths of one cache entry. `name` may hold subfolders but must stay inside `cacheDir`, since
 * it can come from a URL or a dataset name.
 */
export function cachePaths(cacheDir: string, name: string): CachePaths {
  const clean = normalize(name);
  if (clean === '' || clean === '.' || isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`)) {
    throw new InputError(`cache file name must be a relative path inside the cache folder, got ${JSON.stringify(name)}`, { field: 'fileName' });
  }
  const file = join(cacheDir, clean);
  return { file, part: `${file}.part`, partMeta: `${file}.part.json`, sidecar: `${file}.sha256` };
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Lower-cases a user-supplied digest; anything but 64 hex digits is an InputError. */
export function normalizeSha256(value: string): string {
  const digest = value.trim().toLowerCase();
  if (!HEX_DIGEST.test(digest)) throw new InputError(`expected a SHA-256 as 64 hex digits, got ${JSON.stringify(value)}`, { field: 'sha256' });
  return digest;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The digest recorded next to `file`, or undefined when there is no readable sidecar. */
export async function readSidecar(paths: CachePaths): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(paths.sidecar, 'utf8');
  } catch {
    return undefined;
  }
  const digest = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return HEX_DIGEST.test(digest) ? digest : undefined;
}

export async function writeSidecar(paths: CachePaths, digest: string): Promise<void> {
  // Written atomically so a crash never leaves a truncated digest that would later be read as
  // "this file is corrupt".
  writeFileAtomic(paths.sidecar, `${digest}  ${basename(paths.file)}\n`);
}

/** Size of a file, or undefined when it does not exist. Other stat failures propagate. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError('is not a regular file; move it out of the cache folder', { file: path });
    return info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function removeIfPresent(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(path, { force: true })));
}

export async function ensureParentDirectory(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}

/** What the server said about the file a `.part` was cut from, so a resume can tell if it changed. */
export interface PartialMeta {
  url: string;
  etag?: string;
  totalBytes?: number;
}

export async function readPartialMeta(paths: CachePaths): Promise<PartialMeta | undefined> {
  try {
    const parsed = JSON.parse(await readFile(paths.partMeta, 'utf8')) as Partial<PartialMeta>;
    if (typeof parsed.url !== 'string') return undefined;
    return {
      url: parsed.url,
      etag: typeof parsed.etag === 'string' ? parsed.etag : undefined,
      totalBytes: typeof parsed.totalBytes === 'number' ? parsed.totalBytes : undefined,
    };
  } catch {
    return undefined;
  }
}

export async function writePartialMeta(paths: CachePaths, meta: PartialMeta): Promise<void> {
  await writeFile(paths.partMeta, JSON.stringify(meta));
}
