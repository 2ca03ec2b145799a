/**
 * A split folder's `manifest.json`: what each matrix was embedded from and with, the row order,
 * the embedding space, and the shift the split was generated with. `embedSplit` writes it;
 * readers use it to refuse estimators from another space and to record provenance.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddingSpace, ShiftDescription, TextLanguageRecord } from '../interface';
import { writeFileAtomic } from '../io/atomicWrite';
import type { SPLIT_FILES } from './splitDirectory';

export type SplitColumn = keyof typeof SPLIT_FILES;

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'emishift-split-embeddings';

export interface ManifestColumn {
  /** The matrix file, relative to the split folder. */
  file: string;
  /** The row field that was embedded. */
  input: string;
  embedder: string;
  dimension: number;
  rows: number;
  /** SHA-256 of the column's inputs in row order. */
  contentHash: string;
  /** SHA-256 of the written `.npy` file, to notice a file replaced behind the manifest's back. */
  fileHash: string;
  /** When the column was embedded (absent from generated data, whose files must be byte-reproducible). */
  embeddedAt?: string;
}

export interface ManifestProgress {
  /** The partial data file, relative to the split folder. */
  file: string;
  embedder: string;
  contentHash: string;
  rows: number;
  dimension?: number;
  /** Rows whose float32 values are durably in `file`. */
  rowsDone: number;
}

/** The content of a split folder's `manifest.json` (see the module comment); `readSplitManifest` returns it. */
export interface SplitManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  /** The split's name. */
  split: string;
  /** Where the split's rows were read from (the split table's `source`). */
  source: string;
  /** When the folder was first and last written (absent from generated data, see `embeddedAt`). */
  created?: string;
  updated?: string;
  rows: number;
  /** Row order of every matrix: row i is question_ids[i]. */
  questionIds: (string | number)[];
  dimension: number;
  /** Which embedder made the text columns and the image column (null without `v.npy`). */
  embedders: { text: string; image: string | null };
  /** The embedding space of every matrix; absent in manifests written before it was recorded. */
  space?: EmbeddingSpace;
  /** The shift the split was generated with, when its loader or generator knew it. */
  shift?: ShiftDescription;
  /** The check of the split's text against its text encoder's language (encoders that know one language only). */
  textLanguage?: TextLanguageRecord;
  /** The matrices written so far, by column. */
  columns: Partial<Record<SplitColumn, ManifestColumn>>;
  /** Columns being embedded and not yet complete: how far each got, so a killed run resumes from there. */
  inProgress: Partial<Record<SplitColumn, ManifestProgress>>;
}

/** Reads a split folder's manifest; undefined when absent or not ours (it is then rebuilt). */
export function readSplitManifest(directory: string): SplitManifest | undefined {
  const file = join(directory, MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SplitManifest;
    if (parsed?.format !== MANIFEST_FORMAT || parsed.version !== 1) return undefined;
    parsed.columns ??= {};
    parsed.inProgress ??= {};
    return parsed;
  } catch {
    return undefined;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, v]) => `${JSON.stringify(key)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A SHA-256 of what the manifest says about the split's content — rows, row order, space, shift
 * and every matrix's input and file hashes — leaving out timestamps, so re-embedding unchanged
 * inputs keeps the digest and results stay byte-identical run to run.
 */
export function manifestDigest(manifest: SplitManifest): string {
  const columns = Object.fromEntries(
    Object.entries(manifest.columns).map(([column, entry]) => [
      column,
      entry && { file: entry.file, input: entry.input, embedder: entry.embedder, dimension: entry.dimension, rows: entry.rows, contentHash: entry.contentHash, fileHash: entry.fileHash },
    ]),
  );
  const content = { split: manifest.split, rows: manifest.rows, questionIds: manifest.questionIds, space: manifest.space, shift: manifest.shift, columns };
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

/** SHA-256 of a file's bytes, as manifests record it. */
export function fileDigest(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

/** Writes `manifest.json` atomically (a reader never sees half of it). */
export function writeSplitManifest(directory: string, manifest: SplitManifest): void {
  writeFileAtomic(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
