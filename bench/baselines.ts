/**
 * The drift baselines' cost (issue 11, section 4): `driftBaselines` on one n = 90, 768-d pair
 * (images, questions, answers; 1000 permutations, 5 folds), in process, median of 5 after a
 * warm-up, with its parts (the pooled Gram matrix, the 1000-permutation MMD² test, the domain
 * classifier, the cosine distance) timed per modality; and the whole `emishift sweep` of the
 * 34-split grid with and without `--baselines` (process time, median of 3 after a warm-up).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readSplitFolder } from '../src/data/splitDirectory';
import { driftBaselines } from '../src/drift/driftBaselines';
import { domainClassifierAuc } from '../src/drift/domainClassifier';
import { mmdTest, pooledGeometry, stackRows } from '../src/drift/mmd';
import { meanCosineDistance } from '../src/drift/driftBaselines';
import { ensureSweepData } from './sweepData';
import { median } from './median';

const BIN = join(__dirname, '..', '..', 'bin', 'emishift.js');

function timed<T>(run: () => T): { value: T; seconds: number } {
  const started = performance.now();
  const value = run();
  return { value, seconds: (performance.now() - started) / 1000 };
}

function medianSeconds(repeats: number, run: () => unknown): number {
  run();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) times.push(timed(run).seconds);
  return Number(median(times).toFixed(4));
}

function processSeconds(args: string[], repeats: number): number {
  const once = () => {
    const started = performance.now();
    const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`emishift ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
    return (performance.now() - started) / 1000;
  };
  once();
  const times = Array.from({ length: repeats }, once);
  return Number(median(times).toFixed(3));
}

/** The baselines benchmark; `dataRoot` holds (or receives) the n = 90 grid, `club` a 768-d CLUB file. */
export async function runBaselinesBenchmark(dataRoot: string, club: string): Promise<object> {
  const root = join(dataRoot, 'grid-n90');
  const id = ensureSweepData(root, 90, 768, 'grid');
  const source = readSplitFolder(join(root, id));
  const target = readSplitFolder(join(root, 'v6_t4'));
  const permutations = 1000;
  const pair = medianSeconds(5, () => driftBaselines(source, target, { permutations }));
  const parts: Record<string, Record<string, number>> = {};
  for (const [modality, p, q] of [
    ['image', source.image!, target.image!],
    ['question', source.text, target.text],
    ['answer', source.response, target.response],
  ] as const) {
    const geometry = pooledGeometry(stackRows(p, q));
    parts[modality] = {
      gram_and_distances_seconds: medianSeconds(5, () => pooledGeometry(stackRows(p, q))),
      mmd2_permutation_test_seconds: medianSeconds(5, () => mmdTest(p, q, { permutations, geometry })),
      domain_classifier_seconds: medianSeconds(5, () => domainClassifierAuc(geometry.gram, p.rows, q.rows)),
      mean_cosine_seconds: medianSeconds(5, () => meanCosineDistance(p, q)),
    };
  }
  const sweepArgs = ['sweep', '--root', root, '--id', id, '--club', club, '--json'];
  const plain = processSeconds(sweepArgs, 3);
  const withBaselines = processSeconds([...sweepArgs, '--baselines', '--baseline-permutations', String(permutations)], 3);
  return {
    pair: { rows_per_side: 90, dim: 768, modalities: 3, permutations, folds: 5, seconds_median: pair, parts_per_modality: parts },
    sweep: {
      splits: 35,
      pairs: 34,
      rows: 90,
      permutations,
      seconds_median_without_baselines: plain,
      seconds_median_with_baselines: withBaselines,
      baselines_seconds_per_pair: Number(((withBaselines - plain) / 34).toFixed(4)),
    },
  };
}
