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
  const n = x.rows;
  const dx = x.cols;
  const dy = y.cols;
  const xs = toFloat64(x);
  const ys = toFloat64(y);
  const joint = new Float64Array(n * (dx + dy));
  for (let i = 0; i < n; i++) {
    joint.set(xs.subarray(i * dx, (i + 1) * dx), i * (dx + dy));
    joint.set(ys.subarray(i * dy, (i + 1) * dy), i * (dx + dy) + dx);
  }
  const jointTree = new MaxNormTree(joint, n, dx + dy);
  const xTree = new MaxNormTree(xs, n, dx);
  const yTree = new MaxNormTree(ys, n, dy);
  const radiusX = new Float64Array(n);
  const radiusY = variant === 1 ? radiusX : new Float64Array(n);
  const countX = new Int32Array(n);
  const countY = new Int32Array(n);
  const neighbours = new Int32Array(k);
  const distances = new Float64Array(k);
  const query = new Float64Array(dx + dy);
  const queryX = new Float64Array(dx);
  const queryY = new Float64Array(dy);
  for (let i = 0; i < n; i++) {
    query.set(joint.subarray(i * (dx + dy), (i + 1) * (dx + dy)));
    queryX.set(xs.subarray(i * dx, (i + 1) * dx));
    queryY.set(ys.subarray(i * dy, (i + 1) * dy));
    jointTree.nearest(query, i, k, neighbours, distances);
    if (variant === 1) {
      const epsilon = distances[k - 1];
      radiusX[i] = epsilon;
      // The point itself is at distance 0, which is < ε only when ε > 0.
      const self = epsilon > 0 ? 1 : 0;
      countX[i] = xTree.countWithin(queryX, epsilon, true) - self;
      countY[i] = yTree.countWithin(queryY, epsilon, true) - self;
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
      radiusX[i] = extentX;
      radiusY[i] = extentY;
      countX[i] = xTree.countWithin(queryX, extentX, false) - 1;
      countY[i] = yTree.countWithin(queryY, extentY, false) - 1;
    }
  }
  return { radiusX, radiusY, countX, countY };
}

/** Î(x; y) in nats by KSG estimator 1 or 2 with k neighbours. */
export function ksgMutualInformation(x: Matrix, y: Matrix, k = KSG_DEFAULT_NEIGHBOURS, variant: KsgVariant = 1): number {
  const { countX, countY } = ksgNeighbourStatistics(x, y, k, variant);
  const n = x.rows;
  const psi = digammaTable(n + 1);
  let sum = 0;
  if (variant === 1) {
    for (let i = 0; i < n; i++) sum += psi[countX[i] + 1] + psi[countY[i] + 1];
    return psi[k] + psi[n] - sum / n;
  }
  for (let i = 0; i < n; i++) sum += psi[countX[i]] + psi[countY[i]];
  return psi[k] - 1 / k + psi[n] - sum / n;
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
    estimate: async (x, y) => ksgMutualInformation(x, y, k, variant),
  });
}
