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
import { writeFileAtomic } from '../data/atomicWrite';
import { runJob, type JobResult } from '../pipeline/runJob';
import { deserializeAnsweringModel, serializeAnsweringModel, slotAccuracy, trainAnsweringModel, type AnsweringModel } from './model';
import { generateQueries } from './questions';
import { encodePng } from './scenes';
import { defaultShiftGrid, shiftedQueries, type GridSplitSpec } from './shiftGridSplits';

export interface BenchmarkOptions {
  outDir: string;
  seed?: number;
  /** Clean queries the model trains on. */
  trainQueries?: number;
  /** Queries per split. */
  splitQueries?: number;
  modelEpochs?: number;
  grid?: GridSplitSpec[];
  onProgress?: ProgressCallback;
}

export interface BenchmarkResult extends JobResult {
  accuracy: Record<string, number>;
  modelReused: boolean;
}

async function answeringModel(options: Required<Pick<BenchmarkOptions, 'outDir' | 'seed' | 'trainQueries' | 'modelEpochs'>>, onProgress?: ProgressCallback): Promise<{ model: AnsweringModel; reused: boolean }> {
  const file = join(options.outDir, 'answering-model.json');
  const key = JSON.stringify({ seed: options.seed, trainQueries: options.trainQueries, epochs: options.modelEpochs });
  const keyFile = `${file}.key`;
  if (existsSync(file) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
    return { model: deserializeAnsweringModel(readFileSync(file, 'utf8'), file), reused: true };
  }
  const model = await trainAnsweringModel(generateQueries(options.trainQueries, options.seed), {
    seed: options.seed,
    epochs: options.modelEpochs,
    onProgress: onProgress ? ({ epoch, epochs }) => onProgress({ done: epoch, total: epochs, label: 'answering-model epoch' }) : undefined,
  });
  writeFileAtomic(file, serializeAnsweringModel(model));
  writeFileAtomic(keyFile, key);
  return { model, reused: false };
}

export async function runShiftBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const settings = { outDir: options.outDir, seed: options.seed ?? 2025, trainQueries: options.trainQueries ?? 600, modelEpochs: options.modelEpochs ?? 30 };
  const { model, reused } = await answeringModel(settings, options.onProgress);
  const queries = generateQueries(options.splitQueries ?? 120, settings.seed + 1);
  const grid = options.grid ?? defaultShiftGrid();
  const tables: SplitTable[] = [];
  const accuracy: Record<string, number> = {};
  for (const [index, spec] of grid.entries()) {
    const shifted = shiftedQueries(queries, spec);
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
      rows: shifted.map((item, i) => ({
        question_id: item.query.question_id,
        question: item.question,
        reference_answer: item.query.reference_answer,
        model_answer: answers[i].text,
        image: encodePng(item.image),
      })),
    });
    options.onProgress?.({ done: index + 1, total: grid.length, label: `answered ${spec.name}` });
  }
  const job = await runJob(tables, { outDir: options.outDir, idSplit: grid[0].name, quality: accuracy, qualityName: 'ACCURACY', onProgress: options.onProgress });
  return { ...job, accuracy, modelReused: reused };
}
