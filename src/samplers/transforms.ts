/**
 * Invertible maps applied to a sampler's X or Y side. Mutual information is invariant under
 * invertible (measurable, with measurable inverse) maps of either variable, so the transformed
 * sampler keeps the base sampler's MI while its marginals stop being Gaussian: the tasks that
 * separate estimators relying on Gaussianity (`gaussian`) from those that do not (`ksg`).
 */
import { InputError } from '../errors';
import type { Matrix, PairedSample, RandomSource, Sampler } from '../interface';
import { normalCdf } from '../math/specialFunctions';

/** An invertible map of one row, in place (`row` has the side's dimension). */
export interface RowTransform {
  /** Its token in task names: `half_cube`, `asinh`, `normal_cdf`, `spiral`, `wiggly`. */
  readonly name: string;
  /** Smallest dimension it applies to (the spiral rotates a plane, so 2). */
  readonly minDim: number;
  apply(row: Float64Array): void;
}

function perCoordinate(name: string, map: (value: number) => number): RowTransform {
  return {
    name,
    minDim: 1,
    apply(row) {
      for (let j = 0; j < row.length; j++) row[j] = map(row[j]);
    },
  };
}

/** t ↦ t·√|t|, strictly increasing: heavier tails. */
export const halfCube: RowTransform = perCoordinate('half_cube', (value) => value * Math.sqrt(Math.abs(value)));

/** t ↦ asinh t, strictly increasing: lighter (logarithmic) tails. */
export const asinh: RowTransform = perCoordinate('asinh', (value) => Math.asinh(value));

/** t ↦ Φ(t), strictly increasing onto (0, 1): Gaussian marginals become uniform. */
export const normalCdfTransform: RowTransform = perCoordinate('normal_cdf', normalCdf);

/**
 * t ↦ t + 0.4 sin t + 0.2 sin(1.7 t + 1): its derivative is at least 1 − 0.4 − 0.34 = 0.26 > 0,
 * so it is strictly increasing (invertible) while it bends every marginal.
 */
export const wiggly: RowTransform = perCoordinate('wiggly', (value) => value + 0.4 * Math.sin(value) + 0.2 * Math.sin(1.7 * value + 1));

/**
 * The spiral: v ↦ R(speed · |v|²) v, R(θ) the rotation by θ in the plane of the first two
 * coordinates. A rotation keeps |v|, so θ can be read back from the image and undone: it is
 * invertible, and it winds the distribution into a spiral.
 */
export function spiral(speed = 0.5): RowTransform {
  return {
    name: 'spiral',
    minDim: 2,
    apply(row) {
      let squaredNorm = 0;
      for (let j = 0; j < row.length; j++) squaredNorm += row[j] * row[j];
      const angle = speed * squaredNorm;
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      const [a, b] = [row[0], row[1]];
      row[0] = cos * a - sin * b;
      row[1] = sin * a + cos * b;
    },
  };
}

/** The spiral's inverse, for tests of its invertibility: rotate back by speed · |w|² (|w| = |v|). */
export function unspiral(row: Float64Array, speed = 0.5): void {
  spiral(-speed).apply(row);
}

function transformRows(matrix: Matrix, transform: RowTransform): Matrix {
  const { rows, cols } = matrix;
  const data = Float64Array.from(matrix.data);
  for (let i = 0; i < rows; i++) transform.apply(data.subarray(i * cols, (i + 1) * cols));
  return { rows, cols, data };
}

/**
 * `base` with invertible maps applied to X and/or Y: same dimensions, same MI; named
 * `<transform>-<base name>` as in bmi's task list.
 */
export function transformedSampler(base: Sampler, transforms: { x?: RowTransform; y?: RowTransform }, name?: string): Sampler {
  const { x: onX, y: onY } = transforms;
  if (!onX && !onY) throw new InputError('expected a transform of x, of y or of both', { field: 'transforms' });
  if (onX && base.xDim < onX.minDim) throw new InputError(`${onX.name} needs x of dimension ≥ ${onX.minDim}, ${base.name} has ${base.xDim}`, { field: 'transforms' });
  if (onY && base.yDim < onY.minDim) throw new InputError(`${onY.name} needs y of dimension ≥ ${onY.minDim}, ${base.name} has ${base.yDim}`, { field: 'transforms' });
  const token = onX && onY && onX.name !== onY.name ? `${onX.name}+${onY.name}` : (onX ?? onY)!.name;
  return {
    name: name ?? `${token}-${base.name}`,
    xDim: base.xDim,
    yDim: base.yDim,
    sample(rows: number, rng: RandomSource): PairedSample {
      const sample = base.sample(rows, rng);
      return { x: onX ? transformRows(sample.x, onX) : sample.x, y: onY ? transformRows(sample.y, onY) : sample.y };
    },
    mutualInformation: () => base.mutualInformation(),
  };
}
