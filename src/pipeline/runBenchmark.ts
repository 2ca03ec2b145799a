/**
 * The main job on the project's own benchmark: train the small answering model on clean ID
 * scenes (or reuse it), let it answer every split of the shift grid, record its accuracy against
 * the scenes' ground truth, then run the method on the answers (embed, CLUB, EMI/EMID/bound,
 * correlations, results and report). Accuracy is the quality measure EMI should track.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgressCallback } from '../interface';
import type { SplitTable } from '../data/splitRow';
import { writeFileAtomic } from '../io/atomicWrite';
import { runJob, type JobOptions, type JobResult } from './runJob';
import type { Invocation } from '../sweep/provenance';
import { deserializeAnsweringModel, serializeAnsweringModel, slotAccuracy, trainAnsweringModel, type AnsweringModel } from '../benchmark/model';
import { InputError } from '../errors';
import { readBenchmarkData, readBenchmarkSettings } from '../benchmark/benchmarkFiles';
import { generateQueries, type Query } from '../benchmark/questions';
import { encodePng } from '../benchmark/scenes';
import { defaultShiftGrid, gridSplitShift, shiftedQueries, type GridSplitSpec } from '../benchmark/splitGrid';

export interface BenchmarkOptions {
  outDir: string;
  /** A shipped benchmark folder (see benchmarkFiles.ts); its settings and files replace the generated ones. */
  dataDir?: string | undefined;
  seed?: number | undefined;
  /** Clean queries the model trains on. */
  trainQueries?: number | undefined;
  /** Queries per split. */
  splitQueries?: number | undefined;
  modelEpochs?: number | undefined;
  grid?: GridSplitSpec[] | undefined;
  /** CLUB's preset and overrides (default: the `small` preset). */
  club?: JobOptions['club'] | undefined;
  /** What was run, for the provenance. */
  invocation?: Invocation | undefined;
  onProgress?: ProgressCallback | undefined;
}

export interface BenchmarkResult extends JobResult {
  accuracy: Record<string, number>;
  modelReused: boolean;
}

/**
 * The answering model: from `DIR/answering-model.json` in the shipped data or the output folder
 * when its key (seed, training queries, epochs) matches, else trained and saved to the output.
 */
async function answeringModel(
  options: Required<Pick<BenchmarkOptions, 'outDir' | 'seed' | 'trainQueries' | 'modelEpochs'>> & { dataDir?: string },
  train: () => Query[],
  onProgress?: ProgressCallback,
): Promise<{ model: AnsweringModel; reused: boolean }> {
  const key = JSON.stringify({ seed: options.seed, trainQueries: options.trainQueries, epochs: options.modelEpochs });
  for (const directory of [options.dataDir, options.outDir]) {
    if (!directory) continue;
    const candidate = join(directory, 'answering-model.json');
    if (existsSync(candidate) && existsSync(`${candidate}.key`) && readFileSync(`${candidate}.key`, 'utf8') === key) {
      return { model: deserializeAnsweringModel(readFileSync(candidate, 'utf8'), candidate), reused: true };
    }
  }
  const file = join(options.outDir, 'answering-model.json');
  const keyFile = `${file}.key`;
  const model = await trainAnsweringModel(train(), {
    seed: options.seed,
    epochs: options.modelEpochs,
    onProgress: onProgress ? ({ epoch, epochs }) => onProgress({ done: epoch, total: epochs, label: 'answering-model epoch', stage: 'training the answering model', unit: 'epochs' }) : undefined,
  });
  writeFileAtomic(file, serializeAnsweringModel(model));
  writeFileAtomic(keyFile, key);
  return { model, reused: false };
}

/** The main job on the project's own benchmark: answer every shifted split, score accuracy, then run the method on the answers. */
export async function runShiftBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const shipped = options.dataDir ? readBenchmarkSettings(options.dataDir) : undefined;
  if (options.dataDir && !shipped) throw new InputError('no settings.json: not a benchmark folder (regenerate with `npm run make-benchmark-data`)', { file: options.dataDir });
  const settings = {
    outDir: options.outDir,
    dataDir: options.dataDir,
    seed: shipped?.seed ?? options.seed ?? 2025,
    trainQueries: shipped?.trainQueries ?? options.trainQueries ?? 600,
    modelEpochs: options.modelEpochs ?? 30,
  };
  const data = options.dataDir ? readBenchmarkData(options.dataDir) : undefined;
  const { model, reused } = await answeringModel(settings, () => data?.train ?? generateQueries(settings.trainQueries, settings.seed), options.onProgress);
  const queries = data?.queries ?? generateQueries(options.splitQueries ?? 120, settings.seed + 1);
  const grid = options.grid ?? defaultShiftGrid();
  const tables: SplitTable[] = [];
  const accuracy: Record<string, number> = {};
  options.onProgress?.({ done: 0, total: grid.length, stage: 'answering', unit: 'splits' });
  for (const [index, spec] of grid.entries()) {
    const shifted = shiftedQueries(queries, spec, { images: data?.images });
    const answers = await model.answer(
      shifted.map((item) => item.image),
      shifted.map((item) => item.question),
    );
    accuracy[spec.name] = slotAccuracy(
      answers.map((answer) => answer.slots),
      queries.map((query) => query.answerSlots),
    ).accuracy;
    tables.push({
      name: spec.name,
      source: `generated (seed ${settings.seed + 1}, ${spec.name})`,
      shift: gridSplitShift(spec),
      rows: shifted.map((item, i) => ({
        question_id: item.query.question_id,
        question: item.question,
        reference_answer: item.query.reference_answer,
        model_answer: answers[i].text,
        image: encodePng(item.image),
      })),
    });
    options.onProgress?.({ done: index + 1, total: grid.length, label: `answered ${spec.name}`, stage: 'answering', unit: 'splits' });
  }
  const job = await runJob(tables, {
    outDir: options.outDir,
    idSplit: grid[0].name,
    club: options.club,
    quality: accuracy,
    qualityName: 'ACCURACY',
    qualityLabel: 'accuracy',
    invocation: options.invocation,
    onProgress: options.onProgress,
  });
  return { ...job, accuracy, modelReused: reused };
}
