/**
 * Turns a loaded split (questions, answers, images) into a split folder of embedding matrices:
 * `t.npy` (questions), `yhat.npy` (model answers), `y.npy` (reference answers) and `v.npy`
 * (images, only when every row has one), plus `manifest.json` recording what was embedded with
 * what.
 *
 * Caching: each column's manifest entry holds the embedder id, a SHA-256 of the column's inputs
 * (in row order) and a SHA-256 of the written file. A rerun whose embedder and inputs are
 * unchanged, and whose file is intact, reuses the column without calling the embedder; a column
 * whose inputs or embedder changed is re-embedded alone.
 *
 * Resumption: a column is embedded in batches; each batch's rows are written to
 * `.partial/<column>.f32` (raw float32, fsynced) and then the manifest's `inProgress` entry
 * records how many rows are safely on disk. A killed run continues from that row; bytes past it
 * (a batch interrupted mid-write) are cut off. The `.npy` is only written once the column is
 * complete, by the atomic write of `writeNpyMatrix`, so a good matrix is never replaced by a
 * partial one. Concurrent runs on one folder are not coordinated; do not start two.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { InputError, isInputError } from '../errors';
import type { EmbeddingSet, EmbeddingSpace, Matrix, ProgressCallback } from '../interface';
import type { SplitRow, SplitTable } from '../data/splitRow';
import { readNpyMatrix, writeNpyMatrix } from '../io/npy';
import { SPLIT_FILES } from '../data/splitDirectory';
import { fileDigest, MANIFEST_FORMAT, manifestDigest, readSplitManifest, writeSplitManifest, type ManifestProgress, type SplitColumn, type SplitManifest } from '../data/splitManifest';
import type { Embedder } from './embedder';

/** The row field each column embeds. */
export const COLUMN_INPUTS: Readonly<Record<SplitColumn, 'question' | 'model_answer' | 'reference_answer' | 'image'>> = {
  text: 'question',
  response: 'model_answer',
  reference: 'reference_answer',
  image: 'image',
};

const PARTIAL_DIRECTORY = '.partial';

export interface EmbedSplitOptions {
  textEmbedder: Embedder;
  /** Embeds `v.npy` when every row has an image. Without one, no `v.npy` is written (text-only). */
  imageEmbedder?: Embedder | undefined;
  /** Rows per embedder call and per persisted checkpoint. Default 32. */
  batchSize?: number | undefined;
  /** Required embedding dimension (e.g. 768 for the public CLUB checkpoint). */
  expectedDimension?: number | undefined;
  /** Re-embed every column even when the manifest says it is current. */
  force?: boolean | undefined;
  onProgress?: ProgressCallback | undefined;
}

export interface EmbedSplitResult {
  directory: string;
  manifest: SplitManifest;
  /** Columns computed (or completed) by this call. */
  embedded: SplitColumn[];
  /** Columns reused from an earlier run. */
  reused: SplitColumn[];
  /**
   * The split as the folder now holds it, in memory (what `readSplitDirectory` would read back,
   * unvalidated): embedded columns as computed, reused ones read from their files.
   */
  set: EmbeddingSet;
}

type ColumnValues = { column: Exclude<SplitColumn, 'image'>; values: readonly string[] } | { column: 'image'; values: readonly Uint8Array[] };

function listIds(ids: (string | number)[], limit = 10): string {
  const shown = ids.slice(0, limit).map(String).join(', ');
  return ids.length > limit ? `${shown} and ${ids.length - limit} more` : shown;
}

/** SHA-256 over length-prefixed items, so ['ab', 'c'] and ['a', 'bc'] differ. */
export function columnContentHash(values: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  hash.update('emishift-column-v1\n');
  const length = Buffer.alloc(8);
  for (const value of values) {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    length.writeBigUInt64LE(BigInt(bytes.length));
    hash.update(length);
    hash.update(bytes);
  }
  return `sha256:${hash.digest('hex')}`;
}


function writeManifest(directory: string, manifest: SplitManifest): void {
  manifest.updated = new Date().toISOString();
  writeSplitManifest(directory, manifest);
}

function hasReady(embedder: Embedder): embedder is Embedder & { ready(): Promise<void> } {
  return typeof (embedder as { ready?: unknown }).ready === 'function';
}

/** Rows checked finite and scaled to unit norm (the Embedder contract, enforced once more here). */
function normalisedRows(matrix: Matrix, what: string): Float32Array {
  const { rows, cols, data } = matrix;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let c = 0; c < cols; c++) {
      const value = data[r * cols + c];
      if (!Number.isFinite(value)) throw new Error(`${what}: row ${r} has a non-finite value`);
      norm += value * value;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) throw new Error(`${what}: row ${r} is all zeros`);
    for (let c = 0; c < cols; c++) out[r * cols + c] = data[r * cols + c] / norm;
  }
  return out;
}

/** The space rows embedded by these embedders live in (every row is L2-normalised here). */
export function embeddingSpaceOf(text: Embedder, image: Embedder | undefined, dimension: number): EmbeddingSpace {
  return {
    embedder: image && image.family !== text.family ? `${text.family}+${image.family}` : text.family,
    text: { ...text.encoder },
    image: image ? { ...image.encoder } : null,
    dimension,
    normalization: 'l2',
  };
}

/**
 * Embeds a split into `outDir` (created if needed); see the module comment for the caching and
 * resumption rules. Rows without a `model_answer` are refused (InputError naming their
 * question_ids), as are splits where only some rows have an image when an image embedder is given.
 */
export async function embedSplit(table: SplitTable, outDir: string, options: EmbedSplitOptions): Promise<EmbedSplitResult> {
  const { textEmbedder, imageEmbedder, onProgress, force = false } = options;
  const source = table.source;
  if (!textEmbedder || typeof textEmbedder.embedTexts !== 'function') throw new InputError('textEmbedder must be an Embedder', { field: 'textEmbedder' });
  if (imageEmbedder && typeof imageEmbedder.embedImages !== 'function') {
    throw new InputError(`image embedder ${imageEmbedder.id} cannot embed images`, { field: 'imageEmbedder' });
  }
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be a positive integer, got ${batchSize}`, { field: 'batchSize' });
  const expected = options.expectedDimension;
  if (expected !== undefined && (!Number.isInteger(expected) || expected < 1)) {
    throw new InputError(`expectedDimension must be a positive integer, got ${expected}`, { field: 'expectedDimension' });
  }

  const rows: SplitRow[] = table.rows;
  const n = rows.length;
  if (n === 0) throw new InputError('the split has no rows', { file: source });
  const ids = rows.map((row) => row.question_id);
  const missingAnswers = rows.filter((row) => typeof row.model_answer !== 'string').map((row) => row.question_id);
  if (missingAnswers.length > 0) {
    throw new InputError(
      `${missingAnswers.length} of ${n} rows have no model_answer (question_id ${listIds(missingAnswers)}); join or collect the model's responses first`,
      { file: source, field: 'model_answer' },
    );
  }
  for (const field of ['question', 'reference_answer'] as const) {
    const bad = rows.filter((row) => typeof row[field] !== 'string').map((row) => row.question_id);
    if (bad.length > 0) throw new InputError(`${bad.length} rows have no ${field} text (question_id ${listIds(bad)})`, { file: source, field });
  }
  let embedImages = false;
  if (imageEmbedder) {
    const without = rows.filter((row) => !(row.image instanceof Uint8Array) || row.image.length === 0).map((row) => row.question_id);
    if (without.length > 0 && without.length < n) {
      throw new InputError(
        `${without.length} of ${n} rows have no image (question_id ${listIds(without)}); a split is either all images or text-only`,
        { file: source, field: 'image' },
      );
    }
    embedImages = without.length === 0;
  }

  for (const embedder of [textEmbedder, embedImages ? imageEmbedder : undefined]) {
    if (embedder && hasReady(embedder)) await embedder.ready();
  }
  const checkDimension = (embedder: Embedder, dimension: number): void => {
    if (expected !== undefined && dimension > 0 && dimension !== expected) {
      throw new InputError(`embedder ${embedder.id} produces ${dimension}-dimensional embeddings, expected ${expected}`, { field: 'expectedDimension' });
    }
  };
  checkDimension(textEmbedder, textEmbedder.dimension);
  if (embedImages && imageEmbedder) {
    checkDimension(imageEmbedder, imageEmbedder.dimension);
    if (imageEmbedder.dimension > 0 && textEmbedder.dimension > 0 && imageEmbedder.dimension !== textEmbedder.dimension) {
      throw new InputError(
        `image embeddings (${imageEmbedder.id}) are ${imageEmbedder.dimension}-dimensional but text embeddings (${textEmbedder.id}) are ` +
          `${textEmbedder.dimension}-dimensional; the query embedding (z_v + z_t) / 2 needs one dimension`,
        { field: 'imageEmbedder' },
      );
    }
  }

  mkdirSync(outDir, { recursive: true });
  const previous = readSplitManifest(outDir);
  const now = new Date().toISOString();
  const plan: ColumnValues[] = [
    { column: 'text', values: rows.map((row) => row.question) },
    { column: 'response', values: rows.map((row) => row.model_answer as string) },
    { column: 'reference', values: rows.map((row) => row.reference_answer) },
  ];
  if (embedImages) plan.push({ column: 'image', values: rows.map((row) => row.image as Uint8Array) });
  const embedderOf = (column: SplitColumn): Embedder => (column === 'image' ? (imageEmbedder as Embedder) : textEmbedder);

  const manifest: SplitManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    split: table.name,
    source,
    created: previous?.created ?? now,
    updated: now,
    rows: n,
    questionIds: ids,
    dimension: textEmbedder.dimension,
    embedders: { text: textEmbedder.id, image: embedImages && imageEmbedder ? imageEmbedder.id : null },
    ...(table.shift ? { shift: table.shift } : {}),
    columns: {},
    inProgress: previous?.inProgress ?? {},
  };

  const hashes = new Map<SplitColumn, string>();
  const reused: SplitColumn[] = [];
  const pending: ColumnValues[] = [];
  for (const entry of plan) {
    const contentHash = columnContentHash(entry.values);
    hashes.set(entry.column, contentHash);
    const old = previous?.columns?.[entry.column];
    const file = join(outDir, SPLIT_FILES[entry.column]);
    const current =
      !force &&
      old !== undefined &&
      old.embedder === embedderOf(entry.column).id &&
      old.contentHash === contentHash &&
      old.rows === n &&
      existsSync(file) &&
      fileDigest(file) === old.fileHash;
    if (current) {
      manifest.columns[entry.column] = old;
      delete manifest.inProgress[entry.column];
      reused.push(entry.column);
    } else {
      pending.push(entry);
    }
  }

  // Progress counts rows still to embed, resumed rows included as already done.
  const resumable = (column: SplitColumn): number => {
    const state = manifest.inProgress[column];
    if (force || !state || state.embedder !== embedderOf(column).id || state.contentHash !== hashes.get(column) || state.rows !== n) return 0;
    if (!state.dimension || !(state.rowsDone > 0)) return 0;
    // The canonical path, not the manifest's string: a hand-edited manifest must not point us elsewhere.
    const partial = join(outDir, PARTIAL_DIRECTORY, `${column}.f32`);
    return existsSync(partial) && statSync(partial).size >= state.rowsDone * state.dimension * 4 ? Math.min(state.rowsDone, n) : 0;
  };
  const total = pending.length * n;
  let done = pending.reduce((sum, entry) => sum + resumable(entry.column), 0);
  const report = (column: SplitColumn): void => onProgress?.({ done, total, label: `${table.name}: ${SPLIT_FILES[column]}`, split: table.name, column });

  for (const entry of plan) if (manifest.columns[entry.column] === undefined) delete manifest.columns[entry.column];
  writeManifest(outDir, manifest);

  const embedded: SplitColumn[] = [];
  const matrices = new Map<SplitColumn, Matrix>();
  for (const entry of pending) {
    const { column } = entry;
    const embedder = embedderOf(column);
    const contentHash = hashes.get(column) as string;
    const partialDirectory = join(outDir, PARTIAL_DIRECTORY);
    const partialRelative = `${PARTIAL_DIRECTORY}/${column}.f32`;
    const partialFile = join(outDir, partialRelative);
    let state = manifest.inProgress[column];
    let start = 0;
    let dimension: number | undefined;
    const resumeFrom = resumable(column);
    if (resumeFrom > 0 && state?.dimension) {
      start = resumeFrom;
      dimension = state.dimension;
    } else {
      mkdirSync(partialDirectory, { recursive: true });
      writeFileSync(partialFile, new Uint8Array(0));
      state = { file: partialRelative, embedder: embedder.id, contentHash, rows: n, rowsDone: 0 };
      manifest.inProgress[column] = state;
      writeManifest(outDir, manifest);
    }
    const progress = state as ManifestProgress;
    report(column);
    const fd = openSync(partialFile, 'r+');
    try {
      if (dimension !== undefined) ftruncateSync(fd, start * dimension * 4);
      for (let from = start; from < n; from += batchSize) {
        const to = Math.min(n, from + batchSize);
        const matrix = await embedBatch(entry, from, to, embedder, ids, source);
        if (matrix.rows !== to - from) throw new Error(`embedder ${embedder.id} returned ${matrix.rows} rows for ${to - from} inputs`);
        if (dimension === undefined) {
          dimension = matrix.cols;
          checkDimension(embedder, dimension);
          const other = column === 'image' ? manifest.dimension : embedImages && imageEmbedder ? imageEmbedder.dimension : 0;
          if (other > 0 && other !== dimension) {
            throw new InputError(`${SPLIT_FILES[column]} embeddings are ${dimension}-dimensional, the other columns ${other}-dimensional`, { field: column });
          }
        } else if (matrix.cols !== dimension) {
          throw new Error(`embedder ${embedder.id} changed dimension from ${dimension} to ${matrix.cols} within ${SPLIT_FILES[column]}`);
        }
        const values = normalisedRows(matrix, `embedder ${embedder.id}`);
        const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, from * dimension * 4 + written);
        fsyncSync(fd);
        progress.rowsDone = to;
        progress.dimension = dimension;
        writeManifest(outDir, manifest);
        done += to - from;
        report(column);
      }
    } finally {
      closeSync(fd);
    }
    const finalDimension = dimension as number;
    const raw = readFileSync(partialFile);
    const data = new Float32Array(n * finalDimension);
    new Uint8Array(data.buffer).set(raw.subarray(0, n * finalDimension * 4));
    const file = join(outDir, SPLIT_FILES[column]);
    writeNpyMatrix(file, { rows: n, cols: finalDimension, data });
    matrices.set(column, { rows: n, cols: finalDimension, data });
    manifest.columns[column] = {
      file: SPLIT_FILES[column],
      input: COLUMN_INPUTS[column],
      embedder: embedder.id,
      dimension: finalDimension,
      rows: n,
      contentHash,
      fileHash: fileDigest(file),
      embeddedAt: new Date().toISOString(),
    };
    if (column === 'text') manifest.dimension = finalDimension;
    delete manifest.inProgress[column];
    writeManifest(outDir, manifest);
    unlinkSync(partialFile);
    embedded.push(column);
  }

  // A text-only result must not leave an older run's v.npy behind to be read as this split's.
  if (!embedImages) {
    const stale = join(outDir, SPLIT_FILES.image);
    if (existsSync(stale)) unlinkSync(stale);
    delete manifest.columns.image;
    const partial = join(outDir, PARTIAL_DIRECTORY, 'image.f32');
    if (existsSync(partial)) unlinkSync(partial);
    delete manifest.inProgress.image;
  }
  manifest.dimension = manifest.columns.text?.dimension ?? manifest.dimension;
  manifest.space = embeddingSpaceOf(textEmbedder, embedImages ? imageEmbedder : undefined, manifest.dimension);
  writeManifest(outDir, manifest);
  const partialDirectory = join(outDir, PARTIAL_DIRECTORY);
  if (existsSync(partialDirectory) && readdirSync(partialDirectory).length === 0) rmdirSync(partialDirectory);
  const matrixOf = (column: SplitColumn): Matrix => matrices.get(column) ?? readNpyMatrix(join(outDir, SPLIT_FILES[column]));
  const set: EmbeddingSet = {
    name: table.name,
    ...(embedImages ? { image: matrixOf('image') } : {}),
    text: matrixOf('text'),
    response: matrixOf('response'),
    reference: matrixOf('reference'),
    space: manifest.space,
    ...(manifest.shift ? { shift: manifest.shift } : {}),
    origin: { directory: outDir, manifestDigest: manifestDigest(manifest) },
  };
  return { directory: outDir, manifest, embedded, reused, set };
}

/**
 * One batch through the embedder. An InputError (an undecodable image, say) is traced to its row
 * by embedding the batch's items one at a time, so the message names the question_id.
 */
async function embedBatch(entry: ColumnValues, from: number, to: number, embedder: Embedder, ids: (string | number)[], source: string): Promise<Matrix> {
  const run = (start: number, end: number): Promise<Matrix> =>
    entry.column === 'image'
      ? (embedder.embedImages as (images: readonly Uint8Array[]) => Promise<Matrix>).call(embedder, entry.values.slice(start, end))
      : embedder.embedTexts(entry.values.slice(start, end));
  try {
    return await run(from, to);
  } catch (error) {
    if (!isInputError(error)) throw error;
    for (let i = from; i < to; i++) {
      try {
        await run(i, i + 1);
      } catch (single) {
        if (isInputError(single)) {
          throw new InputError(`question_id ${String(ids[i])}: ${single.message}`, { file: source, field: COLUMN_INPUTS[entry.column] });
        }
        throw single;
      }
    }
    throw error;
  }
}
