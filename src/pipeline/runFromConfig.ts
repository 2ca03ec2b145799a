/**
 * A job config run end to end: the splits it names are loaded (files, `hf:` references, URLs),
 * or the project's own benchmark is answered, then the method runs with the config's embedder,
 * CLUB preset, mixture and bootstrap (see runJob). `emishift run --config FILE` is this function
 * and a printout.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError, isInputError } from '../errors';
import type { ProgressCallback } from '../interface';
import type { SplitTable } from '../data/splitRow';
import { readSplitReference } from '../data/splitReference';
import { createEmbedder, type EmbedderPair } from '../embed/index';
import type { Invocation } from '../sweep/provenance';
import { assertIdSplit } from '../sweep/sweep';
import { parseJobConfig, type EmbedderConfig, type JobConfig } from './jobConfig';
import { runJob, type JobResult, type MethodOptions } from './runJob';
import type { BenchmarkResult } from './runBenchmark';

/** Where `runFromConfig` resolves the config's relative paths, and what it records and reports along the way. */
export interface RunFromConfigOptions {
  /** The file the config was read from: relative paths are resolved against its folder, and messages name it. */
  configFile?: string | undefined;
  /** The folder relative paths are resolved against when there is no `configFile` (default: the working directory). */
  baseDirectory?: string | undefined;
  /** What ran the config (a command line), for the provenance; the config and its file are added. Default `{ api: 'runFromConfig' }`. */
  invocation?: Invocation | undefined;
  onProgress?: ProgressCallback | undefined;
  /** Receives one-line warnings; default: console.warn. */
  warn?: ((message: string) => void) | undefined;
}

/** What a config run produced: a job on split files, or the benchmark job with its accuracies. */
export type ConfigRunResult = (JobResult & { kind: 'splits' }) | (BenchmarkResult & { kind: 'benchmark' });

/** The summary `emishift run --json` prints: where the outputs are, what was reused, the headline correlations. */
export interface JobSummary {
  results: string;
  report: string;
  /** Splits with an EMI (the ID split included). */
  splits: number;
  club_reused: boolean;
  /** Benchmark jobs: whether the answering model was reused. */
  model_reused?: boolean;
  pearson_r: number | null;
  pearson_pval: number | null;
  spearman_rho: number | null;
  /** Benchmark jobs: EMI against accuracy across splits. */
  emi_vs_accuracy?: unknown;
}

/** A relative model path is relative to the config only when written as one (`./`, `../`): a bare name may be a hub id or a name under `modelRoot`. */
function configRelativeModel(spec: string | undefined, base: string): string | undefined {
  return spec !== undefined && /^\.\.?[/\\]/.test(spec) ? resolve(base, spec) : spec;
}

/** The embedders a config names; a model problem is an InputError on the config's field. */
function embeddersFromConfig(config: EmbedderConfig | undefined, base: string, file?: string): EmbedderPair {
  const settings = config === undefined || typeof config === 'string' ? { kind: config ?? 'builtin' } : config;
  const where = (field: string) => ({ ...(file !== undefined ? { file } : {}), field: `embedder.${field}` });
  try {
    if (settings.kind === 'transformers') {
      const { textModel, imageModel, modelRoot, maxLength } = settings as Extract<EmbedderConfig, { kind: 'transformers' }>;
      return createEmbedder('transformers', {
        textModel: configRelativeModel(textModel, base),
        imageModel: configRelativeModel(imageModel, base),
        modelRoot: modelRoot === undefined ? undefined : resolve(base, modelRoot),
        maxLength,
      });
    }
    if (settings.kind === 'openai') {
      const { baseUrl, model, batchSize, concurrency, dimension } = settings as Extract<EmbedderConfig, { kind: 'openai' }>;
      return createEmbedder('openai', { baseUrl, model, batchSize, concurrency, dimension });
    }
    if (settings.kind === 'pretrained') return createEmbedder('pretrained');
    return createEmbedder('builtin');
  } catch (error) {
    if (!isInputError(error) || error.field === undefined) throw error;
    // A missing weights package is a problem of the config's embedder as a whole.
    if (error.field === 'embedder') throw new InputError(error.message, { ...(file !== undefined ? { file } : {}), field: 'embedder' });
    const message = error.message.startsWith(`${error.field}: `) ? error.message.slice(error.field.length + 2) : error.message;
    throw new InputError(message, where(error.field));
  }
}

/**
 * Runs a job config (checked again here, so a config built in code gets the same messages as a
 * file): loads its splits, or answers the benchmark, and runs the method with its settings.
 * An explicit benchmark setting beats the shipped folder's settings.json.
 */
export async function runFromConfig(config: JobConfig, options: RunFromConfigOptions = {}): Promise<ConfigRunResult> {
  const file = options.configFile;
  const checked = parseJobConfig(config, file);
  const base = file !== undefined ? dirname(resolve(file)) : resolve(options.baseDirectory ?? '.');
  const fromBase = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  const outDir = fromBase(checked.out ?? 'out/job');
  const invocation: Invocation = { ...(options.invocation ?? { api: 'runFromConfig' }), config, ...(file !== undefined ? { config_file: file } : {}) };
  const method = (embedders: EmbedderPair): MethodOptions => ({ embedders, club: checked.club, mixture: checked.mixture, entropyScale: checked.entropyScale, bootstrap: checked.bootstrap });
  if ('benchmark' in checked) {
    const { data, splits, ...benchmark } = checked.benchmark;
    const embedders = embeddersFromConfig(checked.embedder, base, file);
    const { runShiftBenchmark } = await import('./runBenchmark');
    const { defaultShiftGrid } = await import('../benchmark/splitGrid');
    const grid = splits === undefined ? undefined : defaultShiftGrid().filter((spec, i) => i === 0 || splits.includes(spec.name));
    const result = await runShiftBenchmark({
      outDir,
      dataDir: data === undefined ? undefined : fromBase(data),
      ...benchmark,
      grid,
      ...method(embedders),
      invocation,
      onProgress: options.onProgress,
      warn: options.warn,
    });
    return { kind: 'benchmark', ...result };
  }
  // Every split is loaded (and a bad one refused) before a model is loaded or anything embedded.
  const tables: SplitTable[] = [];
  for (const [index, split] of checked.splits.entries()) {
    try {
      tables.push(await readSplitReference({ split: split.file, format: split.format, responses: split.responses, name: split.name, imageRoot: split.imageRoot }, { baseDirectory: base }));
    } catch (error) {
      // The image root is the config's key: name it as the config spells it.
      if (error instanceof InputError && error.field === 'imageRoot') throw new InputError(error.message.replace(/^imageRoot: /, ''), { ...(file !== undefined ? { file } : {}), field: `splits[${index}].imageRoot` });
      throw error;
    }
  }
  assertIdSplit(
    tables.map((table) => table.name),
    checked.id,
    { ...(file !== undefined ? { file } : {}), field: 'id' },
  );
  const embedders = embeddersFromConfig(checked.embedder, base, file);
  const result = await runJob(tables, { outDir, idSplit: checked.id, ...method(embedders), invocation, onProgress: options.onProgress, warn: options.warn });
  return { kind: 'splits', ...result };
}

/** The summary of a job `emishift run --json` prints (keys in its order). */
export function summarizeJob(result: ConfigRunResult): JobSummary {
  const { results } = result;
  return {
    results: result.resultsFile,
    report: result.reportFile,
    splits: Object.keys(results.EMI).length,
    club_reused: result.clubReused,
    ...(result.kind === 'benchmark' ? { model_reused: result.modelReused } : {}),
    pearson_r: results.PearsonR,
    pearson_pval: results.PearsonPval,
    spearman_rho: results.SpearmanRho,
    ...(results.EMI_vs_ACCURACY ? { emi_vs_accuracy: results.EMI_vs_ACCURACY } : {}),
  };
}
