/**
 * The main job on the project's own benchmark: train the small answering model on clean ID
 * scenes (or reuse it), let it answer every split of the shift grid, record its accuracy against
 * the scenes' ground truth, then run the method on the answers (embed, CLUB, EMI/EMID/bound,
 * correlations, results and report). Accuracy is the quality measure EMI should track.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressCallback } from '../interface';
import { writeFileAtomic } from '../io/atomicWrite';
import { runJob, type JobResult, type MethodOptions } from './runJob';
import type { Invocation } from '../sweep/provenance';
import { decodeAnsweringModel, encodeAnsweringModel, trainAnsweringModel, type QueryAnswerer } from '../benchmark/model';
import { answeringFeaturesOf, decodeEmbeddingAnsweringModel, encodeEmbeddingAnsweringModel, trainEmbeddingAnsweringModel } from '../benchmark/embeddingModel';
import { createEmbedder, type EmbedderPair } from '../embed/index';
import { EmbeddingCache } from '../embed/embeddingCache';
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
  /** The embedding cache of the answering model's inputs and the job's (default: `outDir/embedding-cache`). */
  embeddingCache?: EmbeddingCache | undefined;
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
  /** Which answering model answered (it follows the embedder; see `answeringModelKind`). */
  answeringModel: AnsweringModelKind;
  /** The answering model's file (shipped, or in `outDir`). */
  answeringModelFile: string;
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

/** Which answering model a job uses: today's on pixels and a bag of words, or the one on the job's pretrained embeddings. */
export type AnsweringModelKind = 'pixels' | 'pretrained-embeddings';

/**
 * The answering model follows the job's embedder: with the `pretrained` pair (both halves of
 * family `pretrained`), the model under test reads the frozen pretrained image and question
 * embeddings the method measures; with any other embedder, it is today's pixel model.
 */
export function answeringModelKind(embedders: EmbedderPair): AnsweringModelKind {
  return embedders.text.family === 'pretrained' && embedders.image?.family === 'pretrained' ? 'pretrained-embeddings' : 'pixels';
}

/**
 * The file name and the key of a kind of answering model: the key is the training settings
 * (seed, training queries, epochs) and, for the embedding model, the ids of the embedders it
 * reads. The pixel model's key is today's, so the shipped model stays valid.
 */
export function answeringModelFile(kind: AnsweringModelKind, settings: { seed: number; trainQueries: number; modelEpochs: number }, embedders: EmbedderPair): { name: string; key: string } {
  const key = { seed: settings.seed, trainQueries: settings.trainQueries, epochs: settings.modelEpochs };
  if (kind === 'pixels') return { name: 'answering-model.json', key: JSON.stringify(key) };
  const features = answeringFeaturesOf(embedders);
  return { name: 'answering-model-pretrained.json', key: JSON.stringify({ ...key, features: { text: features.text, image: features.image } }) };
}

/** The model as the grid answers with it, and how it was obtained. */
interface ChosenAnsweringModel {
  answerer: QueryAnswerer;
  kind: AnsweringModelKind;
  reused: boolean;
  file: string;
}

/**
 * The answering model: from `DIR/<file>` in the shipped data or the output folder when its
 * `.key` (seed, training queries, epochs, and for the embedding model the embedder ids) matches,
 * else trained and saved to the output folder with its key.
 */
async function answeringModel(
  options: Required<Pick<BenchmarkOptions, 'outDir' | 'seed' | 'trainQueries' | 'modelEpochs'>> & { dataDir?: string | undefined },
  embedders: EmbedderPair,
  train: () => Query[],
  onProgress?: ProgressCallback,
): Promise<ChosenAnsweringModel> {
  const kind = answeringModelKind(embedders);
  const { name, key } = answeringModelFile(kind, options, embedders);
  const decode = (text: string, file: string): QueryAnswerer => (kind === 'pixels' ? decodeAnsweringModel(text, file) : decodeEmbeddingAnsweringModel(text, file).answerer(embedders));
  for (const directory of [options.dataDir, options.outDir]) {
    if (!directory) continue;
    const candidate = join(directory, name);
    if (existsSync(candidate) && existsSync(`${candidate}.key`) && readFileSync(`${candidate}.key`, 'utf8') === key) {
      return { answerer: decode(readFileSync(candidate, 'utf8'), candidate), kind, reused: true, file: candidate };
    }
  }
  const file = join(options.outDir, name);
  const epochProgress = onProgress ? ({ epoch, epochs }: { epoch: number; epochs: number }) => onProgress({ done: epoch, total: epochs, label: 'answering-model epoch', stage: 'training the answering model', unit: 'epochs' }) : undefined;
  let answerer: QueryAnswerer;
  // The old key goes first: a run stopped between the model and its key must leave no key that
  // vouches for a model it was not written with.
  rmSync(`${file}.key`, { force: true });
  if (kind === 'pixels') {
    const model = await trainAnsweringModel(train(), { seed: options.seed, epochs: options.modelEpochs, onProgress: epochProgress });
    writeFileAtomic(file, encodeAnsweringModel(model));
    answerer = model;
  } else {
    const model = await trainEmbeddingAnsweringModel(train(), embedders, { seed: options.seed, epochs: options.modelEpochs, onProgress: epochProgress, onFeaturesProgress: onProgress });
    writeFileAtomic(file, encodeEmbeddingAnsweringModel(model));
    answerer = model.answerer(embedders);
  }
  writeFileAtomic(`${file}.key`, key);
  return { answerer, kind, reused: false, file };
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
  const embedders = options.embedders ?? createEmbedder('builtin');
  // One cache for the answering model's inputs and the method's: the model embeds the very images and questions the job then embeds.
  const embeddingCache = options.embeddingCache ?? EmbeddingCache.open(join(options.outDir, 'embedding-cache'));
  // The model's key (seed, training queries, epochs, features) keeps a shipped model that was trained otherwise from being used.
  const chosen = await answeringModel({ ...settings, outDir: options.outDir, dataDir: options.dataDir }, embeddingCache.wrap(embedders), train, options.onProgress);
  const shippedQueries = settings.shipped.queries ? data : undefined;
  const queries = shippedQueries?.queries ?? generateQueries(settings.splitQueries, settings.seed + 1);
  const grid = options.grid ?? defaultShiftGrid();
  // The scenes go to the embedder as the pixels they were drawn as, not through PNG and back.
  const { tables, accuracy } = await answerShiftGrid(chosen.answerer, queries, grid, { seed: settings.seed + 1, images: shippedQueries?.images, onProgress: options.onProgress });
  const job = await runJob(tables, {
    outDir: options.outDir,
    idSplit: grid[0].name,
    embedders,
    embeddingCache,
    club: options.club,
    mixture: options.mixture,
    entropyScale: options.entropyScale,
    bootstrap: options.bootstrap,
    quality: accuracy,
    qualityName: 'ACCURACY',
    qualityLabel: chosen.kind === 'pixels' ? 'accuracy' : 'accuracy (answering model on the pretrained embeddings)',
    invocation: options.invocation,
    onProgress: options.onProgress,
    warn: options.warn,
  });
  return { ...job, accuracy, modelReused: chosen.reused, answeringModel: chosen.kind, answeringModelFile: chosen.file, settings };
}
