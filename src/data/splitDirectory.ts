/**
 * A split on disk: a folder with `t.npy`, `yhat.npy`, `y.npy` and optionally `v.npy`, each
 * n × d float32, rows aligned (row i of every file is query i).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../errors';
import type { EmbeddingSet, Matrix } from '../interface';
import { assertFiniteMatrix } from '../linalg/matrix';
import { describeReadFailure } from '../io/inputFile';
import { readNpyMatricesAsync, readNpyMatrix, writeNpyMatrix } from '../io/npy';
import { fileDigest, MANIFEST_FILE, MANIFEST_FORMAT, manifestDigest, readSplitManifest, writeSplitManifest, type SplitManifest } from './splitManifest';

export const SPLIT_FILES = { image: 'v.npy', text: 't.npy', response: 'yhat.npy', reference: 'y.npy' } as const;

/** Reads and validates one split folder. */
export function readSplitFolder(directory: string, name = basename(directory)): EmbeddingSet {
  const files = splitFiles(directory);
  const matrices: Partial<Record<SetKey, Matrix>> = {};
  for (const [key, file] of files) matrices[key] = readNpyMatrix(file);
  return assembleSplit(directory, name, matrices);
}

/**
 * `readSplitFolder` with the files read on libuv's threads, all four at once, so that this
 * thread goes on with other work (a sweep's earlier splits) meanwhile. The same checks and errors.
 */
export async function readSplitFolderAsync(directory: string, name = basename(directory)): Promise<EmbeddingSet> {
  const files = splitFiles(directory);
  // Settled together, so that of several bad files the first in reading order is the one named, as in readSplitFolder.
  const read = await Promise.allSettled(readNpyMatricesAsync(files.map(([, file]) => file)));
  const matrices: Partial<Record<SetKey, Matrix>> = {};
  files.forEach(([key], index) => {
    const outcome = read[index];
    if (outcome.status === 'rejected') throw outcome.reason;
    matrices[key] = outcome.value;
  });
  return assembleSplit(directory, name, matrices);
}

/** The folder's matrix files, in reading order (v.npy only when present); an error when it is no folder or lacks one. */
function splitFiles(directory: string): [SetKey, string][] {
  let isDirectory = false;
  try {
    isDirectory = statSync(directory).isDirectory();
  } catch (error) {
    throw new InputError(describeReadFailure(error), { file: directory });
  }
  if (!isDirectory) throw new InputError('expected a split folder holding t.npy, yhat.npy, y.npy (and optionally v.npy)', { file: directory });
  const files: [SetKey, string][] = [];
  for (const key of ['text', 'response', 'reference'] as const) {
    const file = join(directory, SPLIT_FILES[key]);
    if (!existsSync(file)) throw new InputError('file not found (a split folder needs t.npy, yhat.npy and y.npy)', { file });
    files.push([key, file]);
  }
  if (existsSync(join(directory, SPLIT_FILES.image))) files.push(['image', join(directory, SPLIT_FILES.image)]);
  return files;
}

function assembleSplit(directory: string, name: string, matrices: Partial<Record<SetKey, Matrix>>): EmbeddingSet {
  const text = matrices.text as Matrix;
  const response = matrices.response as Matrix;
  const reference = matrices.reference as Matrix;
  const image = matrices.image;
  const manifest = readSplitManifest(directory);
  if (manifest && manifest.rows !== text.rows) {
    throw new InputError(
      `describes ${manifest.rows} rows but ${SPLIT_FILES.text} has ${text.rows}: the matrices were replaced after embedding (re-embed, or delete the manifest)`,
      { file: join(directory, MANIFEST_FILE) },
    );
  }
  const set: EmbeddingSet = {
    name,
    ...(image ? { image } : {}),
    text,
    response,
    reference,
    ...(manifest?.space ? { space: manifest.space } : {}),
    ...(manifest?.shift ? { shift: manifest.shift } : {}),
    ...(manifest?.textLanguage ? { textLanguage: manifest.textLanguage } : {}),
    origin: { directory, manifestDigest: manifest ? manifestDigest(manifest) : null },
  };
  validateEmbeddingSet(set, (key) => join(directory, SPLIT_FILES[key]));
  return set;
}

type SetKey = keyof typeof SPLIT_FILES;

/**
 * Checks shapes and values: at least 2 rows, the same row count in every matrix, query
 * embeddings (v, t) of one dimension, responses (ŷ, y) of one dimension, all values finite.
 * `locate` names the source of each matrix in messages (a file, or a field of an API call).
 */
export function validateEmbeddingSet(set: EmbeddingSet, locate: (key: SetKey) => string = (key) => `${set.name ?? 'set'}.${key}`): void {
  const present = (['image', 'text', 'response', 'reference'] as const).filter((key) => set[key] !== undefined);
  const where = (key: SetKey) => ({ file: locate(key) });
  for (const key of present) {
    const matrix = set[key] as Matrix;
    if (matrix.rows === 0 || matrix.cols === 0) throw new InputError(`empty set: shape (${matrix.rows}, ${matrix.cols})`, where(key));
    if (matrix.rows === 1) throw new InputError('only 1 row: EMI and the bound need at least 2 samples', where(key));
  }
  const rows = set.text.rows;
  for (const key of present) {
    const matrix = set[key] as Matrix;
    if (matrix.rows !== rows) {
      throw new InputError(`has ${matrix.rows} rows but ${locate('text')} has ${rows}: rows must be aligned query by query`, where(key));
    }
  }
  if (set.image && set.image.cols !== set.text.cols) {
    throw new InputError(`dimension ${set.image.cols} differs from ${locate('text')}'s ${set.text.cols}: z = (z_v + z_t) / 2 needs one dimension`, where('image'));
  }
  if (set.response.cols !== set.reference.cols) {
    throw new InputError(`dimension ${set.reference.cols} differs from ${locate('response')}'s ${set.response.cols}`, where('reference'));
  }
  for (const key of present) assertFiniteMatrix(set[key] as Matrix, where(key));
}

/** The split folders under `root` (subfolders, sorted by name). */
export function listSplitFolders(root: string): { name: string; directory: string }[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch (error) {
    throw new InputError(describeReadFailure(error), { file: root });
  }
  const isFolder = (name: string): boolean => {
    try {
      return statSync(join(root, name)).isDirectory();
    } catch (error) {
      // A dangling link or an entry removed meanwhile: name it rather than fail with ENOENT.
      throw new InputError(describeReadFailure(error), { file: join(root, name) });
    }
  };
  return entries
    .filter(isFolder)
    .sort()
    .map((name) => ({ name, directory: join(root, name) }));
}

/** Every split folder under `root`, read (names sorted); an error naming `root` when it holds none. */
export function readSplitFolders(root: string): EmbeddingSet[] {
  const splits = listSplitFolders(root);
  if (splits.length === 0) throw new InputError('no split folders found', { file: root });
  return splits.map((split) => readSplitFolder(split.directory, split.name));
}

/**
 * Writes a set as a split folder (v.npy only when it has images). When the set names its
 * embedding space (or its shift), a `manifest.json` records them, so that readers can check the
 * space; it holds no timestamps, so generated data stays byte-reproducible.
 */
export function writeSplitFolder(directory: string, set: EmbeddingSet): void {
  mkdirSync(directory, { recursive: true });
  const keys = (['image', 'text', 'response', 'reference'] as const).filter((key) => set[key] !== undefined);
  for (const key of keys) writeNpyMatrix(join(directory, SPLIT_FILES[key]), set[key] as Matrix);
  if (!set.space && !set.shift) {
    // An earlier manifest would describe matrices that are no longer there.
    rmSync(join(directory, MANIFEST_FILE), { force: true });
    return;
  }
  const columns: SplitManifest['columns'] = {};
  for (const key of keys) {
    const matrix = set[key] as Matrix;
    const digest = fileDigest(join(directory, SPLIT_FILES[key]));
    const encoder = key === 'image' ? set.space?.image : set.space?.text;
    columns[key] = { file: SPLIT_FILES[key], input: 'embedding', embedder: encoder?.model ?? 'unknown', dimension: matrix.cols, rows: matrix.rows, contentHash: digest, fileHash: digest };
  }
  writeSplitManifest(directory, {
    format: MANIFEST_FORMAT,
    version: 1,
    split: set.name ?? basename(directory),
    source: 'matrices written by writeSplitFolder',
    rows: set.text.rows,
    questionIds: Array.from({ length: set.text.rows }, (_, i) => i),
    dimension: set.text.cols,
    embedders: { text: set.space?.text.model ?? 'unknown', image: set.image ? (set.space?.image?.model ?? 'unknown') : null },
    ...(set.space ? { space: set.space } : {}),
    ...(set.shift ? { shift: set.shift } : {}),
    columns,
    inProgress: {},
  });
}
