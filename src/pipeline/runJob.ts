/**
 * The whole method as one job: splits → embeddings → CLUB → EMI, EMID and the bound for every
 * OOD split → correlations → results JSON and an HTML report. Every stage writes under `outDir`
 * and is reused when its inputs are unchanged (embeddings by content hash, CLUB by a digest of
 * its training pairs), so a rerun only redoes what changed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';
import type { ProgressCallback } from '../interface';
import type { SplitTable } from '../data/splitRow';
import { readSplitDirectory } from '../data/splitDirectory';
import { createEmbedder, embedSplit } from '../embed/index';
import { ClubEstimator } from '../estimators/club/clubEstimator';
import type { ClubPresetName, ClubTrainingSettings } from '../estimators/club/clubPresets';
import type { Invocation } from '../sweep/provenance';
import { sweepSplits, type ComputedSweep } from '../sweep/sweep';
import { toResultsJson, type ResultsJson } from '../sweep/resultsJson';
import { withQuality } from '../sweep/quality';

export interface JobOptions {
  /** Where embeddings, the CLUB weights, results.json and report.html go. */
  outDir: string;
  /** The ID split's name (one of the tables). */
  idSplit: string;
  /** CLUB's training: a named preset (default `small`) and settings that override it. */
  club?: { preset?: ClubPresetName } & Partial<ClubTrainingSettings> | undefined;
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
}

export interface JobResult {
  sweep: ComputedSweep;
  results: ResultsJson;
  resultsFile: string;
  reportFile: string;
  clubReused: boolean;
}

/** Runs the job on loaded split tables (each with model answers). */
export async function runJob(tables: readonly SplitTable[], options: JobOptions): Promise<JobResult> {
  if (!tables.some((table) => table.name === options.idSplit)) {
    throw new InputError(`no split named '${options.idSplit}' among ${tables.map((table) => table.name).slice(0, 6).join(', ')}${tables.length > 6 ? ', …' : ''}`, { field: 'id' });
  }
  mkdirSync(options.outDir, { recursive: true });
  const { text, image } = createEmbedder('builtin');
  const directories: string[] = [];
  options.onProgress?.({ done: 0, total: tables.length, stage: 'embedding', unit: 'splits' });
  for (const [index, table] of tables.entries()) {
    const directory = join(options.outDir, 'embeddings', table.name);
    await embedSplit(table, directory, { textEmbedder: text, imageEmbedder: image });
    directories.push(directory);
    options.onProgress?.({ done: index + 1, total: tables.length, label: `embedded ${table.name}`, stage: 'embedding', unit: 'splits' });
  }
  const names = tables.map((table) => table.name);
  const sets = directories.map((directory, i) => readSplitDirectory(directory, names[i]));
  const { preset = 'small', ...overrides } = options.club ?? {};
  const estimator = await ClubEstimator.fit(sets, preset, {
    overrides,
    cacheFile: join(options.outDir, 'club.safetensors'),
    onProgress: options.onProgress ? ({ done, total }) => options.onProgress!({ done, total, label: 'CLUB epoch', stage: 'training CLUB', unit: 'epochs' }) : undefined,
  });
  const clubReused = estimator.origin.training?.reused === true;
  const sources = sets.map((set, i) => ({ name: names[i], location: directories[i], load: () => set }));
  const sweep = await sweepSplits(sources.find((source) => source.name === options.idSplit)!, sources.filter((source) => source.name !== options.idSplit), estimator, {
    invocation: options.invocation ?? { api: 'runJob' },
    warn: options.warn,
    onProgress: options.onProgress ? ({ done, total, label }) => options.onProgress!({ done, total, label: `compared ${label}`, stage: 'comparing with the ID split', unit: 'splits' }) : undefined,
  });
  const joined = options.quality ? withQuality(sweep, { key: options.qualityName ?? 'QUALITY', label: options.qualityLabel, values: options.quality }) : sweep;
  const results = toResultsJson(joined, { club_engine: estimator.resolvedEngine(), club_reused: clubReused });
  const resultsFile = join(options.outDir, 'results.json');
  writeFileAtomic(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  const { buildReport } = await import('../report/html');
  const reportFile = join(options.outDir, 'report.html');
  writeFileAtomic(reportFile, buildReport(joined, { source: resultsFile, generatedAt: 'reproducible run' }));
  return { sweep: joined, results, resultsFile, reportFile, clubReused };
}
