/**
 * The main job on the project's own benchmark: train the small answering model on clean ID
 * scenes (or reuse it), let it answer every split of the shift grid, record its accuracy against
 * the scenes' ground truth, then run the method on the answers (embed, CLUB, EMI/EMID/bound,
 * correlations, results and report). Accuracy is the quality measure EMI should track.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressCallback } from '../interface';
import { writeFileAtomic } from '../io/atomicWrite';
import { runJob, type JobResult, type MethodOptions } from './runJob';
import type { Invocation } from '../sweep/provenance';
import { decodeAnsweringModel, encodeAnsweringModel, trainAnsweringModel, type AnsweringModel } from '../benchmark/model';
import { answerShiftGrid } from '../benchmark/answerGrid';
import { InputError } from '../errors';
import { readBenchmarkData, readBenchmarkSettings, type BenchmarkSettings } from '../benchmark/benchmarkFiles';
import { generateQueries, type Query } from '../benchmark/questions';
import { defaultShiftGrid, type GridSplitSpec } from '../benchmark/splitGrid';

/** How `runShiftBenchmark` runs: the method's settings plus the output folder, the shipped data, the generated queries and the grid. */
export interface BenchmarkOptions extends MethodOptions {
  /** Where the answering model, embeddings, CLUB weights, results.json and report.html go. */
  outDir: string;
  /**
   * A shipped benchmark folder (see benchmarkFiles.ts): its settings.json supplies the seed and
   * query counts not given here, and its files (training queries, the ID split's queries and
   * images, the answering model) are used when they were made with the settings in effect.
   */
  dataDir?: string | undefined;
  /** Seeds the generated queries and the answering model's training (default: the shipped seed, else 2025). */
  seed?: number | undefined;
  /** Clean queries the model trains on (default: the shipped count, else 600). */
  trainQueries?: number | undefined;
  /** Queries per split (default: the shipped count, else 120). */
  splitQueries?: number | undefined;
  /** The answering model's training epochs (default 30). */
  modelEpochs?: number | undefined;
  /** The splits to answer (default `defaultShiftGrid()`); the first is the ID split. */
  grid?: GridSplitSpec[] | undefined;
  /** What was run, for the provenance. */
  invocation?: Invocation | undefined;
  onProgress?: ProgressCallback | undefined;
  /** Receives one-line warnings; default: console.warn. */
  warn?: ((message: string) => void) | undefined;
}

/** The benchmark settings a run used, and which of the shipped files it could use. */
export interface BenchmarkRunSettings extends BenchmarkSettings {
  modelEpochs: number;
  /** Whether the training queries and the ID split's queries and images came from the shipped folder (else they were generated). */
  shipped: { train: boolean; queries: boolean };
}

/** What `runShiftBenchmark` produced: the job's outputs plus the answering model's accuracy per split and how it ran. */
export interface BenchmarkResult extends JobResult {
  /** The share of each split's queries answered exactly right (ACCURACY in the results), by split name. */
  accuracy: Record<string, number>;
  /** Whether the answering model was loaded (shipped or from `outDir`) instead of trained. */
  modelReused: boolean;
  settings: BenchmarkRunSettings;
}

/**
 * The settings in effect: each one given explicitly, else the shipped folder's, else the
 * default. The shipped files are used only where they were made with the settings in effect
 * (the training queries by seed and count, the split queries by seed and count).
 */
export function benchmarkRunSettings(
  explicit: Pick<BenchmarkOptions, 'seed' | 'trainQueries' | 'splitQueries' | 'modelEpochs'>,
  shipped: BenchmarkSettings | undefined,
): BenchmarkRunSettings {
  const seed = explicit.seed ?? shipped?.seed ?? 2025;
  const trainQueries = explicit.trainQueries ?? shipped?.trainQueries ?? 600;
  const splitQueries = explicit.splitQueries ?? shipped?.splitQueries ?? 120;
  return {
    seed,
    trainQueries,
    splitQueries,
    modelEpochs: explicit.modelEpochs ?? 30,
    shipped: {
      train: shipped !== undefined && shipped.seed === seed && shipped.trainQueries === trainQueries,
      queries: shipped !== undefined && shipped.seed === seed && shipped.splitQueries === splitQueries,
    },
  };
}

/**
 * The answering model: from `DIR/answering-model.json` in the shipped data or the output folder
 * when its key (seed, training queries, epochs) matches, else trained and saved to the output.
 */
async function answeringModel(
  options: Required<Pick<BenchmarkOptions, 'outDir' | 'seed' | 'trainQueries' | 'modelEpochs'>> & { dataDir?: string | undefined },
  train: () => Query[],
  onProgress?: ProgressCallback,
): Promise<{ model: AnsweringModel; reused: boolean }> {
  const key = JSON.stringify({ seed: options.seed, trainQueries: options.trainQueries, epochs: options.modelEpochs });
  for (const directory of [options.dataDir, options.outDir]) {
    if (!directory) continue;
    const candidate = join(directory, 'answering-model.json');
    if (existsSync(candidate) && existsSync(`${candidate}.key`) && readFileSync(`${candidate}.key`, 'utf8') === key) {
      return { model: decodeAnsweringModel(readFileSync(candidate, 'utf8'), candidate), reused: true };
    }
  }
  const file = join(options.outDir, 'answering-model.json');
  const keyFile = `${file}.key`;
  const model = await trainAnsweringModel(train(), {
    seed: options.seed,
    epochs: options.modelEpochs,
    onProgress: onProgress ? ({ epoch, epochs }) => onProgress({ done: epoch, total: epochs, label: 'answering-model epoch', stage: 'training the answering model', unit: 'epochs' }) : undefined,
  });
  writeFileAtomic(file, encodeAnsweringModel(model));
  writeFileAtomic(keyFile, key);
  return { model, reused: false };
}

/** The main job on the project's own benchmark: answer every shifted split, score accuracy, then run the method on the answers. */
export async function runShiftBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const shipped = options.dataDir ? readBenchmarkSettings(options.dataDir) : undefined;
  if (options.dataDir && !shipped) throw new InputError('no settings.json: not a benchmark folder (regenerate with `npm run make-benchmark-data`)', { file: options.dataDir });
  const settings = benchmarkRunSettings(options, shipped);
  if (shipped && !(settings.shipped.train && settings.shipped.queries)) {
    const differing = (['seed', 'trainQueries', 'splitQueries'] as const).filter((key) => settings[key] !== shipped[key]);
    const generated = [...(settings.shipped.train ? [] : ['the training queries']), ...(settings.shipped.queries ? [] : ["the split queries and their images"])].join(' and ');
    const warn = options.warn ?? ((message: string) => console.warn(`emishift: warning: ${message}`));
    warn(
      `${differing.map((key) => `${key} ${settings[key]}`).join(', ')} ${differing.length === 1 ? 'differs' : 'differ'} from the shipped benchmark's ` +
        `${differing.map((key) => `${key} ${shipped[key]}`).join(', ')} (${join(options.dataDir as string, 'settings.json')}): ${generated} are generated, not read from it`,
    );
  }
  const data = options.dataDir && (settings.shipped.train || settings.shipped.queries) ? readBenchmarkData(options.dataDir) : undefined;
  const train = () => (settings.shipped.train && data ? data.train : generateQueries(settings.trainQueries, settings.seed));
  // The model's key (seed, training queries, epochs) keeps a shipped model that was trained otherwise from being used.
  const { model, reused } = await answeringModel({ ...settings, outDir: options.outDir, dataDir: options.dataDir }, train, options.onProgress);
  const shippedQueries = settings.shipped.queries ? data : undefined;
  const queries = shippedQueries?.queries ?? generateQueries(settings.splitQueries, settings.seed + 1);
  const grid = options.grid ?? defaultShiftGrid();
  // The scenes go to the embedder as the pixels they were drawn as, not through PNG and back.
  const { tables, accuracy } = await answerShiftGrid(model, queries, grid, { seed: settings.seed + 1, images: shippedQueries?.images, onProgress: options.onProgress });
  const job = await runJob(tables, {
    outDir: options.outDir,
    idSplit: grid[0].name,
    embedders: options.embedders,
    club: options.club,
    mixture: options.mixture,
    entropyScale: options.entropyScale,
    bootstrap: options.bootstrap,
    quality: accuracy,
    qualityName: 'ACCURACY',
    qualityLabel: 'accuracy',
    invocation: options.invocation,
    onProgress: options.onProgress,
    warn: options.warn,
  });
  return { ...job, accuracy, modelReused: reused, settings };
}
