/**
 * The Kraskov–Stögbauer–Grassberger estimators (Phys. Rev. E 69, 066138, 2004), under the
 * max-norm in the joint space, distances in float64 and no added noise:
 * - estimator 1 (`ksg`): ε_i is the distance from point i to its k-th nearest neighbour in the
 *   joint space; n_x(i), n_y(i) count the other points closer than ε_i (strictly) in each
 *   marginal; Î = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩;
 * - estimator 2 (`ksg2`): ε_x(i), ε_y(i) are the marginal extents of the k nearest joint
 *   neighbours; n_x(i), n_y(i) count the other points within them (≤); Î = ψ(k) − 1/k + ψ(N) −
 *   ⟨ψ(n_x) + ψ(n_y)⟩.
 * Neighbours tied on distance are taken in index order, so the neighbour set (and estimator 2)
 * is defined exactly. The joint k-NN and the marginal counts run on k-d trees.
 */
import { InputError } from '../../errors';
import type { Matrix, MutualInformationEstimator } from '../../interface';
import { digammaTable } from '../../math/specialFunctions';
import { defineEstimator } from '../defineEstimator';
import { assertPairedSample } from '../pairedInput';
import { MaxNormTree } from './kdTree';

/** Which of the two KSG estimators. */
export type KsgVariant = 1 | 2;

/** Neighbours used by default, as in Kraskov et al. and bmi. */
export const KSG_DEFAULT_NEIGHBOURS = 3;

/** Per-point quantities of a KSG estimate: the neighbour radius (joint for 1, per marginal for 2) and the marginal counts. */
export interface KsgNeighbourStatistics {
  /** Estimator 1: ε_i, the k-th neighbour's joint distance; estimator 2: ε_x(i). */
  readonly radiusX: Float64Array;
  /** Estimator 1: ε_i again; estimator 2: ε_y(i). */
  readonly radiusY: Float64Array;
  /** n_x(i): other points within the radius in x (strictly closer for 1, ≤ for 2). */
  readonly countX: Int32Array;
  readonly countY: Int32Array;
}

function toFloat64(matrix: Matrix): Float64Array {
  return matrix.data instanceof Float64Array ? matrix.data : Float64Array.from(matrix.data);
}

/** Checks k against the sample: a positive whole number below the row count. */
export function assertNeighbourCount(k: number, rows: number): void {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`expected a positive whole number of neighbours, got ${k}`, { field: 'k' });
  if (k >= rows) throw new InputError(`k = ${k} neighbours need more than ${k} rows, got ${rows}`, { field: 'k' });
}

/** The neighbour radii and marginal counts of every point, for estimator 1 or 2 (validated input). */
export function ksgNeighbourStatistics(x: Matrix, y: Matrix, k: number, variant: KsgVariant): KsgNeighbourStatistics {
  assertPairedSample(x, y, variant === 1 ? 'ksg' : 'ksg2');
  assertNeighbourCount(k, x.rows);
  return ksgStatisticsOfRows({ xs: toFloat64(x), ys: toFloat64(y), rows: x.rows, dx: x.cols, dy: y.cols, k, variant }, 0, x.rows);
}

/** What a KSG computation needs, as plain arrays (it crosses to a worker thread as it is). */
export interface KsgProblem {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly rows: number;
  readonly dx: number;
  readonly dy: number;
  readonly k: number;
  readonly variant: KsgVariant;
}

/**
 * The statistics of points `from … to − 1` (the arrays hold those points only). Each point's
 * counts depend on the whole sample and on nothing computed for another point, so ranges of
 * points can be computed apart (on two threads) and give exactly the counts of one pass.
 */
export function ksgStatisticsOfRows(problem: KsgProblem, from: number, to: number): KsgNeighbourStatistics {
  const { xs, ys, rows: n, dx, dy, k, variant } = problem;
  const joint = new Float64Array(n * (dx + dy));
  for (let i = 0; i < n; i++) {
    joint.set(xs.subarray(i * dx, (i + 1) * dx), i * (dx + dy));
    joint.set(ys.subarray(i * dy, (i + 1) * dy), i * (dx + dy) + dx);
  }
  const jointTree = new MaxNormTree(joint, n, dx + dy);
  const xTree = new MaxNormTree(xs, n, dx);
  const yTree = new MaxNormTree(ys, n, dy);
  const size = to - from;
  const radiusX = new Float64Array(size);
  const radiusY = variant === 1 ? radiusX : new Float64Array(size);
  const countX = new Int32Array(size);
  const countY = new Int32Array(size);
  const neighbours = new Int32Array(k);
  const distances = new Float64Array(k);
  const query = new Float64Array(dx + dy);
  const queryX = new Float64Array(dx);
  const queryY = new Float64Array(dy);
  for (let i = from; i < to; i++) {
    const at = i - from;
    query.set(joint.subarray(i * (dx + dy), (i + 1) * (dx + dy)));
    queryX.set(xs.subarray(i * dx, (i + 1) * dx));
    queryY.set(ys.subarray(i * dy, (i + 1) * dy));
    jointTree.nearest(query, i, k, neighbours, distances);
    if (variant === 1) {
      const epsilon = distances[k - 1];
      radiusX[at] = epsilon;
      // The point itself is at distance 0, which is < ε only when ε > 0.
      const self = epsilon > 0 ? 1 : 0;
      countX[at] = xTree.countWithin(queryX, epsilon, true) - self;
      countY[at] = yTree.countWithin(queryY, epsilon, true) - self;
    } else {
      let extentX = 0;
      let extentY = 0;
      for (let m = 0; m < k; m++) {
        const j = neighbours[m];
        for (let d = 0; d < dx; d++) {
          const difference = Math.abs(xs[i * dx + d] - xs[j * dx + d]);
          if (difference > extentX) extentX = difference;
        }
        for (let d = 0; d < dy; d++) {
          const difference = Math.abs(ys[i * dy + d] - ys[j * dy + d]);
          if (difference > extentY) extentY = difference;
        }
      }
      radiusX[at] = extentX;
      radiusY[at] = extentY;
      countX[at] = xTree.countWithin(queryX, extentX, false) - 1;
      countY[at] = yTree.countWithin(queryY, extentY, false) - 1;
    }
  }
  return { radiusX, radiusY, countX, countY };
}

/** Below this many rows a second thread costs more (its start, a second set of trees) than it saves. */
const PARALLEL_MIN_ROWS = 5000;

/**
 * The marginal counts of every point, the second half of the points computed on a worker thread
 * while this thread computes the first (each builds its own trees: O(n log n), small beside the
 * queries). The counts are integers, so they are those of one pass exactly.
 */
async function ksgCountsInParallel(problem: KsgProblem): Promise<{ countX: Int32Array; countY: Int32Array }> {
  const { Worker } = await import('node:worker_threads');
  const { join, extname } = await import('node:path');
  const middle = Math.ceil(problem.rows / 2);
  const worker = new Worker(join(__dirname, `ksgWorker${extname(__filename)}`), { workerData: { problem, from: middle, to: problem.rows } });
  const second = new Promise<{ countX: Int32Array; countY: Int32Array }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`the KSG worker stopped with exit code ${code}`)));
  });
  second.catch(() => undefined);
  try {
    const first = ksgStatisticsOfRows(problem, 0, middle);
    const rest = await second;
    const countX = new Int32Array(problem.rows);
    const countY = new Int32Array(problem.rows);
    countX.set(first.countX);
    countX.set(rest.countX, middle);
    countY.set(first.countY);
    countY.set(rest.countY, middle);
    return { countX, countY };
  } finally {
    await worker.terminate();
  }
}

/** ψ-sums of the counts into the estimate (the same order whichever thread computed them). */
function ksgFromCounts(countX: Int32Array, countY: Int32Array, n: number, k: number, variant: KsgVariant): number {
  const psi = digammaTable(n + 1);
  let sum = 0;
  if (variant === 1) {
    for (let i = 0; i < n; i++) sum += psi[countX[i] + 1] + psi[countY[i] + 1];
    return psi[k] + psi[n] - sum / n;
  }
  for (let i = 0; i < n; i++) sum += psi[countX[i]] + psi[countY[i]];
  return psi[k] - 1 / k + psi[n] - sum / n;
}

/** Î(x; y) by KSG estimator 1 or 2, on two threads from PARALLEL_MIN_ROWS rows when the machine has two cores; the same number as `ksgMutualInformation`. */
export async function ksgMutualInformationOnCores(x: Matrix, y: Matrix, k = KSG_DEFAULT_NEIGHBOURS, variant: KsgVariant = 1): Promise<number> {
  const { availableParallelism } = await import('node:os');
  if (x.rows < PARALLEL_MIN_ROWS || availableParallelism() < 2) return ksgMutualInformation(x, y, k, variant);
  assertPairedSample(x, y, variant === 1 ? 'ksg' : 'ksg2');
  assertNeighbourCount(k, x.rows);
  const { countX, countY } = await ksgCountsInParallel({ xs: toFloat64(x), ys: toFloat64(y), rows: x.rows, dx: x.cols, dy: y.cols, k, variant });
  return ksgFromCounts(countX, countY, x.rows, k, variant);
}

/** Î(x; y) in nats by KSG estimator 1 or 2 with k neighbours. */
export function ksgMutualInformation(x: Matrix, y: Matrix, k = KSG_DEFAULT_NEIGHBOURS, variant: KsgVariant = 1): number {
  const { countX, countY } = ksgNeighbourStatistics(x, y, k, variant);
  return ksgFromCounts(countX, countY, x.rows, k, variant);
}

/** Settings of the KSG estimators. */
export interface KsgSettings {
  /** Neighbours (default 3). */
  readonly k?: number | undefined;
}

/** KSG estimator 1 (`ksg`) under the contract; its description records k. */
export function ksgEstimator(settings: KsgSettings = {}): MutualInformationEstimator {
  return ksgUnderContract(settings.k ?? KSG_DEFAULT_NEIGHBOURS, 1);
}

/** KSG estimator 2 (`ksg2`) under the contract; its description records k. */
export function ksg2Estimator(settings: KsgSettings = {}): MutualInformationEstimator {
  return ksgUnderContract(settings.k ?? KSG_DEFAULT_NEIGHBOURS, 2);
}

function ksgUnderContract(k: number, variant: KsgVariant): MutualInformationEstimator {
  if (!Number.isInteger(k) || k < 1) throw new InputError(`expected a positive whole number of neighbours, got ${k}`, { field: 'k' });
  return defineEstimator({
    description: { name: variant === 1 ? 'ksg' : 'ksg2', settings: { k, norm: 'max', distances: 'float64', noise: 'none' } },
    estimate: (x, y) => ksgMutualInformationOnCores(x, y, k, variant),
  });
}
