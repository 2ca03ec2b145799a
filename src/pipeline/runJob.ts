/**
 * The whole method as one job: splits → embeddings → CLUB → EMI, EMID and the bound for every
 * OOD split → correlations → results JSON and an HTML report. The sets go from stage to stage in
 * memory; the disk is a cache: every stage writes under `outDir` and is reused when its inputs
 * are unchanged (embeddings by content hash, CLUB by a digest of its training pairs), so a rerun
 * only redoes what changed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';
import type { EmbeddingSet, ProgressCallback } from '../interface';
import type { SplitTable } from '../data/splitRow';
import type { ImageInput } from '../io/image';
import { SPLIT_FILES, validateEmbeddingSet } from '../data/splitDirectory';
import type { MixtureWeighting } from '../bound/rjsd';
import type { BootstrapOptions } from '../stats/bootstrap';
import { createEmbedder, embedSplit, type EmbedderPair } from '../embed/index';
import { EmbeddingCache, type EmbeddingCacheCounts } from '../embed/embeddingCache';
import { ClubEstimator, type ClubPresetName, type ClubTrainingSettings } from '../estimators';
import type { Invocation } from '../sweep/provenance';
import { assertIdSplit, sweepSplits, type ComputedSweep } from '../sweep/sweep';
import { writeResults, type ResultsJson } from '../sweep/resultsJson';
import { withQuality } from '../sweep/quality';

/** CLUB's training in a job: a named preset (default `small`) and settings that override it. */
export type JobClubSettings = { preset?: ClubPresetName | undefined } & Partial<ClubTrainingSettings>;

/** How the method runs on a job's splits: the embedders, CLUB's training, the bound's mixture and scale, bootstrap intervals. */
export interface MethodOptions {
  /** The embedders (default: the built-in pair, `createEmbedder('builtin')`). */
  embedders?: EmbedderPair | undefined;
  /** CLUB's preset (default `small`) and overrides. */
  club?: JobClubSettings | undefined;
  /** RJSD mixture weighting (default `sample-weighted`, the reference's). */
  mixture?: MixtureWeighting | undefined;
  /** Ĥ for the full bound (adds EMID_UB_FULL). */
  entropyScale?: number | undefined;
  /** Bootstrap intervals for EMI, EMID, the bound and the correlations (as `sweepSplits`). */
  bootstrap?: BootstrapOptions | undefined;
}

/** How `runJob` runs the method on loaded tables: the method's settings plus the output folder, the ID split and an optional quality to record. */
export interface JobOptions extends MethodOptions {
  /** Where embeddings, the CLUB weights, results.json and report.html go. */
  outDir: string;
  /** The ID split's name (one of the tables). */
  idSplit: string;
  onProgress?: ProgressCallback | undefined;
  /** Extra per-split numbers to record beside EMI (e.g. accuracy), keyed by split name. */
  quality?: Record<string, number> | undefined;
  /** The results key of `quality` (default `QUALITY`) and its name in words. */
  qualityName?: string | undefined;
  qualityLabel?: string | undefined;
  /** What was run (a config file), for the provenance. */
  invocation?: Invocation | undefined;
  /** Receives one-line warnings; default: console.warn. */
  warn?: ((message: string) => void) | undefined;
  /**
   * The content-addressed cache the embedders run behind, so identical images and texts are
   * embedded once across all splits (default: `EmbeddingCache.open(outDir/embedding-cache)`,
   * which a rerun reads back). Pass the caller's when it embedded inputs of the job already.
   */
  embeddingCache?: EmbeddingCache | undefined;
}

/** What `runJob` produced: the sweep (with the quality joined), its results JSON, the two files written, and whether CLUB was reused. */
export interface JobResult {
  sweep: ComputedSweep;
  /** What was written to `resultsFile`. */
  results: ResultsJson;
  /** `outDir/results.json`. */
  resultsFile: string;
  /** `outDir/report.html`. */
  reportFile: string;
  /** Whether the CLUB weights came from the cache in `outDir` instead of being trained. */
  clubReused: boolean;
  /** The embedding cache's counts at the end of the job: inputs that reached the embedders, and inputs the cache answered. */
  embeddingCounts: EmbeddingCacheCounts;
}

/** Runs the job on loaded split tables (each with model answers). */
export async function runJob(tables: readonly SplitTable<ImageInput>[], options: JobOptions): Promise<JobResult> {
  assertIdSplit(
    tables.map((table) => table.name),
    options.idSplit,
    { field: 'id' },
  );
  const names = new Set<string>();
  for (const table of tables) {
    // Each split's embeddings have a folder named after it: two of one name would overwrite each other.
    if (names.has(table.name)) throw new InputError(`two splits are named '${table.name}' (from ${tables.filter((other) => other.name === table.name).map((other) => other.source).join(' and ')}); give one another name`, { field: 'name' });
    names.add(table.name);
  }
  mkdirSync(options.outDir, { recursive: true });
  const cache = options.embeddingCache ?? EmbeddingCache.open(join(options.outDir, 'embedding-cache'));
  const { text, image } = cache.wrap(options.embedders ?? createEmbedder('builtin'));
  const warn = options.warn ?? ((message: string) => console.warn(`emishift: warning: ${message}`));
  const withImages = tables.filter((table) => table.rows.some((row) => row.image)).map((table) => table.name);
  if (!image && withImages.length > 0) {
    warn(`${withImages.length === 1 ? `split ${withImages[0]} has` : `${withImages.length} splits have`} images but the embedder ${text.id} has no image model: embedding their text only (no v.npy)`);
  }
  const sets: EmbeddingSet[] = [];
  const directories: string[] = [];
  options.onProgress?.({ done: 0, total: tables.length, stage: 'embedding', unit: 'splits' });
  for (const [index, table] of tables.entries()) {
    const directory = join(options.outDir, 'embeddings', table.name);
    const { set } = await embedSplit(table, directory, { textEmbedder: text, imageEmbedder: image });
    // The checks a split folder gets when it is read, so the job refuses what `sweep` would.
    validateEmbeddingSet(set, (key) => join(directory, SPLIT_FILES[key]));
    sets.push(set);
    directories.push(directory);
    options.onProgress?.({ done: index + 1, total: tables.length, label: `embedded ${table.name}`, stage: 'embedding', unit: 'splits' });
  }
  const { preset = 'small', ...overrides } = options.club ?? {};
  const estimator = await ClubEstimator.fit(sets, preset, {
    overrides,
    cacheFile: join(options.outDir, 'club.safetensors'),
    onProgress: options.onProgress ? ({ done, total }) => options.onProgress!({ done, total, label: 'CLUB epoch', stage: 'training CLUB', unit: 'epochs' }) : undefined,
  });
  const clubReused = estimator.origin.training?.reused === true;
  const sources = sets.map((set, i) => ({ name: tables[i].name, location: directories[i], load: () => set }));
  const sweep = await sweepSplits(sources.find((source) => source.name === options.idSplit)!, sources.filter((source) => source.name !== options.idSplit), estimator, {
    invocation: options.invocation ?? { api: 'runJob' },
    mixture: options.mixture,
    entropyScale: options.entropyScale,
    bootstrap: options.bootstrap,
    warn,
    onProgress: options.onProgress ? ({ done, total, label }) => options.onProgress!({ done, total, label: `compared ${label}`, stage: 'comparing with the ID split', unit: 'splits' }) : undefined,
  });
  const joined = options.quality ? withQuality(sweep, { key: options.qualityName ?? 'QUALITY', label: options.qualityLabel, values: options.quality }) : sweep;
  const resultsFile = join(options.outDir, 'results.json');
  const results = writeResults(resultsFile, joined, { club_engine: estimator.resolvedEngine(), club_reused: clubReused });
  const { buildReport } = await import('../report/html');
  const reportFile = join(options.outDir, 'report.html');
  writeFileAtomic(reportFile, buildReport(joined, { source: resultsFile, generatedAt: 'reproducible run' }));
  return { sweep: joined, results, resultsFile, reportFile, clubReused, embeddingCounts: cache.counts };
}
