/**
 * Permutation tests at the benchmark's real size (n = 90 rows per split, 768-d, the 35-split
 * grid of sweepData.ts, the bench's 768 → 250 → 768 CLUB):
 * - one split, EMID alone, 1,000 permutations (target < 0.5 s), best and median of 3 runs;
 * - one split, all four statistics, in this thread and with the spectra on two workers (and
 *   the spectra alone, without EMID);
 * - the whole 34-split sweep with all four statistics and 1,000 permutations (target < 60 s on
 *   two cores), as `sweep --permutations 1000` runs it (sweepSplits, its own eigen pool).
 * Each figure comes with the process's CPU seconds over the run (all threads) and the load
 * average when it started, because the machine may be shared.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { readSplitFolder } from '../src/data/splitDirectory';
import { ClubEstimator } from '../src/estimators/club/clubEstimator';
import { permutationTest } from '../src/significance/permutationTest';
import { createPrincipalBlockPool } from '../src/linalg/principalBlockPool';
import { sweepSplits } from '../src/sweep/sweep';
import { ensureSweepData, IMAGE_CONDITIONS, QUESTION_CONDITIONS } from './sweepData';
import { median } from './median';

interface Timed<T> {
  value: T;
  seconds: number;
  cpuSeconds: number;
  load: number;
}

async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const load = loadavg()[0];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { value, seconds, cpuSeconds: (used.user + used.system) / 1e6, load };
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/** The two stages; `sweepPermutations` below 1000 (--quick) is reported as such. */
export async function runPermutationBenchmark(dataRoot: string, club: string, options: { sweepPermutations?: number } = {}): Promise<object> {
  const rows = 90;
  const root = join(dataRoot, `grid-n${rows}`);
  const id = ensureSweepData(root, rows, 768, 'grid');
  const names: string[] = [];
  for (let v = 0; v < IMAGE_CONDITIONS; v++) for (let t = 0; t < QUESTION_CONDITIONS; t++) if (`v${v}_t${t}` !== id) names.push(`v${v}_t${t}`);
  const estimator = ClubEstimator.load(club);
  const source = readSplitFolder(join(root, id), id);
  const target = readSplitFolder(join(root, 'v3_t2'), 'v3_t2');
  // Warm-up: the engine, the session and V8's compilation of the loops.
  await permutationTest(source, target, estimator, { permutations: 50, statistics: ['emid'] });
  const single: Timed<unknown>[] = [];
  for (let r = 0; r < 3; r++) single.push(await timed(() => permutationTest(source, target, estimator, { permutations: 1000, seed: r, statistics: ['emid'] })));
  const allFour = await timed(() => permutationTest(source, target, estimator, { permutations: 1000 }));
  // The same on two workers holding the pooled Gram matrices (what pair and sweep do), and without the EMID loop.
  const blockPool = createPrincipalBlockPool(2);
  const allFourPool = await timed(() => permutationTest(source, target, estimator, { permutations: 1000, blockSolver: blockPool }));
  const spectraOnly = await timed(() => permutationTest(source, target, estimator, { permutations: 1000, seed: 1, blockSolver: blockPool, statistics: ['jsd_v', 'jsd_t', 'emid_ub'] }));
  await blockPool.close();

  const permutations = options.sweepPermutations ?? 1000;
  const split = (name: string) => ({ name, location: join(root, name), load: () => readSplitFolder(join(root, name), name) });
  const sweep = await timed(() => sweepSplits(split(id), names.map(split), estimator, { permutationTest: { permutations, seed: 0 }, warn: () => undefined }));
  const significant = sweep.value.comparisons.filter((comparison) => (comparison.pValues?.emidQValue ?? 1) <= 0.05).length;
  const cores = availableParallelism();
  return {
    rows,
    dim: 768,
    cpus: cores,
    emid_one_split: {
      permutations: 1000,
      runs: 3,
      seconds_min: round(Math.min(...single.map((run) => run.seconds))),
      seconds_median: round(median(single.map((run) => run.seconds))),
      cpu_seconds_median: round(median(single.map((run) => run.cpuSeconds))),
      load_average_at_start: round(single[0].load, 2),
      target_seconds: 0.5,
      meets_target: Math.min(...single.map((run) => run.seconds)) < 0.5,
    },
    all_statistics_one_split: { permutations: 1000, seconds: round(allFour.seconds), cpu_seconds: round(allFour.cpuSeconds), load_average_at_start: round(allFour.load, 2) },
    all_statistics_one_split_two_workers: { permutations: 1000, seconds: round(allFourPool.seconds), cpu_seconds: round(allFourPool.cpuSeconds), load_average_at_start: round(allFourPool.load, 2) },
    spectra_only_one_split_two_workers: { permutations: 1000, statistics: ['jsd_v', 'jsd_t', 'emid_ub'], seconds: round(spectraOnly.seconds), cpu_seconds: round(spectraOnly.cpuSeconds), load_average_at_start: round(spectraOnly.load, 2) },
    sweep: {
      splits: names.length,
      permutations,
      statistics: ['emid', 'jsd_v', 'jsd_t', 'emid_ub'],
      seconds: round(sweep.seconds, 1),
      cpu_seconds: round(sweep.cpuSeconds, 1),
      load_average_at_start: round(sweep.load, 2),
      emid_significant_q_0_05: significant,
      target_seconds: permutations === 1000 ? 60 : null,
      meets_target: permutations === 1000 ? sweep.seconds < 60 : null,
    },
  };
}
