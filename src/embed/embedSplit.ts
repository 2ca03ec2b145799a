/**
 * `embed` (embed.ts) with a split folder as its cache: the set is written as embedding matrices,
 * `t.npy` (questions), `yhat.npy` (model answers), `y.npy` (reference answers) and `v.npy`
 * (images, only when every row has one), plus `manifest.json` recording what was embedded with
 * what, and returned in memory, so callers need not read the files back.
 *
 * Caching: each column's manifest entry holds the embedder id, a SHA-256 of the column's inputs
 * (in row order; see `columnContentHash`) and a SHA-256 of the written file. A rerun whose
 * embedder and inputs are unchanged, and whose file is intact, reuses the column without calling
 * the embedder (its matrix is read from the file); a column whose inputs or embedder changed is
 * re-embedded alone.
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
import type { EmbeddingSet, Matrix } from '../interface';
import type { SplitTable } from '../data/splitRow';
import { isEncodedImage, type ImageInput } from '../io/image';
import { readNpyMatrix, writeNpyMatrix } from '../io/npy';
import { SPLIT_FILES } from '../data/splitDirectory';
import {
  fileDigest,
  MANIFEST_FORMAT,
  manifestDigest,
  readSplitManifest,
  writeSplitManifest,
  type ManifestProgress,
  type SplitColumn,
  type SplitManifest,
} from '../data/splitManifest';
import type { Embedder, ImageEmbedder } from './embedder';
import { checkPlanLanguage, COLUMN_INPUTS, embedColumnBatches, embedderOf, embeddingSetOf, embeddingSpaceOf, planEmbedding, type ColumnInputs, type EmbedOptions } from './embed';

const PARTIAL_DIRECTORY = '.partial';

/** `embed`'s options (a batch is also the unit persisted for resumption) plus the embedders and `force`. */
export interface EmbedSplitOptions extends EmbedOptions {
  textEmbedder: Embedder;
  /** Embeds `v.npy` when every row has an image. Without one, no `v.npy` is written (text-only). */
  imageEmbedder?: ImageEmbedder | undefined;
  /** Re-embed every column even when the manifest says it is current. */
  force?: boolean | undefined;
}

/** What `embedSplit` left in the split folder, and which columns it computed and which it reused. */
export interface EmbedSplitResult {
  /** The split folder written. */
  directory: string;
  /** The folder's manifest as written. */
  manifest: SplitManifest;
  /**
   * The embedding set the folder now holds (what `readSplitFolder` would read back, origin
   * included), so later stages need not read the files again.
   */
  set: EmbeddingSet;
  /** Columns computed (or completed) by this call. */
  embedded: SplitColumn[];
  /** Columns reused from an earlier run. */
  reused: SplitColumn[];
}

/**
 * SHA-256 over length-prefixed items, so ['ab', 'c'] and ['a', 'bc'] differ. A text is its UTF-8
 * bytes and encoded image bytes are themselves; a decoded image (RGB pixels) is the ASCII line
 * `emishift-rgb8 <width>x<height>\n` followed by its width × height × 3 pixel bytes, row-major.
 * That line starts no PNG or JPEG, and it carries the shape, so pixels never hash like an
 * encoded file nor like the same bytes in another shape. (Encoded images and their decoded
 * pixels therefore hash differently: switching a split from one to the other re-embeds it
 * once, with identical vectors.)
 */
export function columnContentHash(values: readonly (string | ImageInput)[]): string {
  const hash = createHash('sha256');
  hash.update('emishift-column-v1\n');
  const length = Buffer.alloc(8);
  for (const value of values) {
    const parts = typeof value === 'string' ? [Buffer.from(value, 'utf8')] : isEncodedImage(value) ? [value] : [Buffer.from(`emishift-rgb8 ${value.width}x${value.height}\n`, 'latin1'), value.data];
    length.writeBigUInt64LE(BigInt(parts.reduce((sum, part) => sum + part.length, 0)));
    hash.update(length);
    for (const part of parts) hash.update(part);
  }
  return `sha256:${hash.digest('hex')}`;
}

function writeManifest(directory: string, manifest: SplitManifest): void {
  manifest.updated = new Date().toISOString();
  writeSplitManifest(directory, manifest);
}

/**
 * Embeds a split into `outDir` (created if needed) and returns the set it holds; see the module
 * comment for the caching and resumption rules. Rows without a `model_answer` are refused
 * (InputError naming their question_ids), as are splits where only some rows have an image when
 * an image embedder is given.
 */
export async function embedSplit(table: SplitTable<ImageInput>, outDir: string, options: EmbedSplitOptions): Promise<EmbedSplitResult> {
  const { textEmbedder, imageEmbedder, onProgress, force = false } = options;
  const plan = await planEmbedding(table, { text: textEmbedder, image: imageEmbedder }, options);
  const textLanguage = checkPlanLanguage(plan, options.onWarning);
  const { rows: n, ids } = plan;
  const source = table.source;
  const embedImages = plan.image !== undefined;

  mkdirSync(outDir, { recursive: true });
  const previous = readSplitManifest(outDir);
  const now = new Date().toISOString();
  const manifest: SplitManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    split: table.name,
    source,
    created: previous?.created ?? now,
    updated: now,
    rows: n,
    questionIds: [...ids],
    dimension: textEmbedder.dimension,
    embedders: { text: textEmbedder.id, image: plan.image ? plan.image.id : null },
    ...(table.shift ? { shift: table.shift } : {}),
    ...(textLanguage ? { textLanguage } : {}),
    columns: {},
    inProgress: previous?.inProgress ?? {},
  };

  const hashes = new Map<SplitColumn, string>();
  const matrices: Partial<Record<SplitColumn, Matrix>> = {};
  const reused: SplitColumn[] = [];
  const pending: ColumnInputs[] = [];
  for (const entry of plan.columns) {
    const contentHash = columnContentHash(entry.values);
    hashes.set(entry.column, contentHash);
    const old = previous?.columns?.[entry.column];
    const file = join(outDir, SPLIT_FILES[entry.column]);
    const current =
      !force &&
      old !== undefined &&
      old.embedder === embedderOf(plan, entry.column).id &&
      old.contentHash === contentHash &&
      old.rows === n &&
      existsSync(file) &&
      fileDigest(file) === old.fileHash;
    if (current) {
      manifest.columns[entry.column] = old;
      delete manifest.inProgress[entry.column];
      matrices[entry.column] = readNpyMatrix(file);
      reused.push(entry.column);
    } else {
      pending.push(entry);
    }
  }

  // Progress counts rows still to embed, resumed rows included as already done.
  const resumable = (column: SplitColumn): number => {
    const state = manifest.inProgress[column];
    if (force || !state || state.embedder !== embedderOf(plan, column).id || state.contentHash !== hashes.get(column) || state.rows !== n) return 0;
    if (!state.dimension || !(state.rowsDone > 0)) return 0;
    // The canonical path, not the manifest's string: a hand-edited manifest must not point us elsewhere.
    const partial = join(outDir, PARTIAL_DIRECTORY, `${column}.f32`);
    return existsSync(partial) && statSync(partial).size >= state.rowsDone * state.dimension * 4 ? Math.min(state.rowsDone, n) : 0;
  };
  const total = pending.length * n;
  let done = pending.reduce((sum, entry) => sum + resumable(entry.column), 0);
  const report = (column: SplitColumn): void => onProgress?.({ done, total, label: `${table.name}: ${SPLIT_FILES[column]}`, split: table.name, column });

  for (const entry of plan.columns) if (manifest.columns[entry.column] === undefined) delete manifest.columns[entry.column];
  writeManifest(outDir, manifest);

  const embedded: SplitColumn[] = [];
  for (const entry of pending) {
    const { column } = entry;
    const embedder = embedderOf(plan, column);
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
    let finalDimension: number;
    try {
      if (dimension !== undefined) ftruncateSync(fd, start * dimension * 4);
      finalDimension = await embedColumnBatches(plan, entry, {
        from: start,
        dimension,
        otherDimension: column === 'image' ? manifest.dimension : (plan.image?.dimension ?? 0),
        onBatch: (values, from, to, batchDimension) => {
          const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
          let written = 0;
          while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, from * batchDimension * 4 + written);
          fsyncSync(fd);
          progress.rowsDone = to;
          progress.dimension = batchDimension;
          writeManifest(outDir, manifest);
          done += to - from;
          report(column);
        },
      });
    } finally {
      closeSync(fd);
    }
    const raw = readFileSync(partialFile);
    const data = new Float32Array(n * finalDimension);
    new Uint8Array(data.buffer).set(raw.subarray(0, n * finalDimension * 4));
    const file = join(outDir, SPLIT_FILES[column]);
    const matrix: Matrix = { rows: n, cols: finalDimension, data };
    writeNpyMatrix(file, matrix);
    matrices[column] = matrix;
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
  manifest.space = embeddingSpaceOf(textEmbedder, plan.image, manifest.dimension);
  writeManifest(outDir, manifest);
  const partialDirectory = join(outDir, PARTIAL_DIRECTORY);
  if (existsSync(partialDirectory) && readdirSync(partialDirectory).length === 0) rmdirSync(partialDirectory);
  const set = embeddingSetOf(plan, matrices, manifest.space, { directory: outDir, manifestDigest: manifestDigest(manifest) }, textLanguage);
  return { directory: outDir, manifest, set, embedded, reused };
}
