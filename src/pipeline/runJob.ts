/**
 * The whole method as one job: splits → embeddings → CLUB → EMI, EMID and the bound for every
 * OOD split → correlations → results JSON and an HTML report. Every stage writes under `outDir`
 * and is reused when its inputs are unchanged (embeddings by content hash, CLUB by a digest of
 * its training pairs), so a rerun only redoes what changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../data/atomicWrite';
import type { ProgressCallback } from '../interface';
import type { SplitTable } from '../data/splitRow';
import { readSplitDirectory } from '../data/splitDirectory';
import { createEmbedder, embedSplit } from '../embed/index';
import { ClubEstimator } from '../mi/club';
import { loadClub, saveClub } from '../mi/clubFile';
import type { ClubParameters } from '../mi/clubParameters';
import { pooledTrainingPairs } from '../mi/pooledPairs';
import { trainClub } from '../mi/trainClub';
import { sweepSplits, type SweepResult } from '../sweep/sweep';
import { toResultsJson, type ResultsJson } from '../sweep/resultsJson';

export interface JobOptions {
  /** Where embeddings, the CLUB weights, results.json and report.html go. */
  outDir: string;
  /** The ID split's name (one of the tables). */
  idSplit: string;
  club?: { epochs?: number; batchSize?: number; learningRate?: number; hiddenDim?: number; seed?: number };
  onProgress?: ProgressCallback;
  /** Extra per-split numbers to record beside EMI (e.g. accuracy), keyed by split name. */
  quality?: Record<string, number>;
  qualityName?: string;
}

export interface JobResult {
  sweep: SweepResult;
  results: ResultsJson;
  resultsFile: string;
  reportFile: string;
  clubReused: boolean;
}

function digestPairs(x: Float32Array, y: Float32Array, settings: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(settings))
    .update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))
    .update(new Uint8Array(y.buffer, y.byteOffset, y.byteLength))
    .digest('hex');
}

/** CLUB trained on the pooled (z, z_y) pairs of every split, or the saved one when they are unchanged. */
async function trainedClub(directories: string[], names: string[], file: string, options: JobOptions): Promise<{ parameters: ClubParameters; reused: boolean }> {
  const sets = directories.map((directory, i) => readSplitDirectory(directory, names[i]));
  const { x, y } = pooledTrainingPairs(sets);
  const settings = { epochs: 200, batchSize: 256, learningRate: 3e-3, hiddenDim: 64, seed: 0, ...options.club };
  const digest = digestPairs(x.data as Float32Array, y.data as Float32Array, settings);
  if (existsSync(file)) {
    try {
      const bytes = readFileSync(file);
      const headerLength = Number(bytes.readBigUInt64LE(0));
      const metadata = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')).__metadata__ ?? {};
      if (metadata.training_digest === digest) return { parameters: loadClub(file), reused: true };
    } catch {
      // A damaged or foreign file is not reused: it is retrained and replaced below.
    }
  }
  const result = await trainClub(x, y, {
    ...settings,
    onProgress: options.onProgress ? ({ done, total }) => options.onProgress!({ done, total, label: 'CLUB epoch', stage: 'training CLUB', unit: 'epochs' }) : undefined,
  });
  saveClub(file, result.parameters, { training_digest: digest, settings: JSON.stringify(settings), final_train_loss: String(result.finalTrainLoss) });
  return { parameters: result.parameters, reused: false };
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
  const club = await trainedClub(directories, names, join(options.outDir, 'club.safetensors'), options);
  const estimator = new ClubEstimator(club.parameters);
  const sources = names.map((name, i) => ({ name, location: directories[i], load: () => readSplitDirectory(directories[i], name) }));
  const sweep = await sweepSplits(sources.find((source) => source.name === options.idSplit)!, sources.filter((source) => source.name !== options.idSplit), estimator, {
    onProgress: options.onProgress ? ({ done, total, label }) => options.onProgress!({ done, total, label: `compared ${label}`, stage: 'comparing with the ID split', unit: 'splits' }) : undefined,
  });
  const results = toResultsJson(sweep, { club_engine: estimator.resolvedEngine(), club_reused: club.reused });
  if (options.quality) {
    const { spearman, kendallTauB } = await import('../stats/correlation');
    const name = options.qualityName ?? 'QUALITY';
    const splits = Object.keys(results.EMI).filter((split) => options.quality![split] !== undefined);
    results[name] = Object.fromEntries(splits.map((split) => [split, options.quality![split]]));
    const emi = splits.map((split) => results.EMI[split]);
    const quality = splits.map((split) => options.quality![split]);
    if (splits.length >= 3 && new Set(quality).size > 1) {
      const rho = spearman(emi, quality);
      const tau = kendallTauB(emi, quality);
      results[`EMI_vs_${name}`] = { n: splits.length, spearman_rho: rho.rho, spearman_pval: rho.pValue, kendall_tau: tau.tau, kendall_pval: tau.pValue };
    }
  }
  const resultsFile = join(options.outDir, 'results.json');
  writeFileAtomic(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  const { buildReport } = await import('../report/html');
  const reportFile = join(options.outDir, 'report.html');
  writeFileAtomic(reportFile, buildReport(results, { source: resultsFile, generatedAt: 'reproducible run' }));
  return { sweep, results, resultsFile, reportFile, clubReused: club.reused };
}
