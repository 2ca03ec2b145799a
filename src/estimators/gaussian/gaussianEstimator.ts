/**
 * The Gaussian (log-determinant) estimator: the MI of a Gaussian with the sample's joint
 * covariance, Î = ½ ln(det Σ̂_x det Σ̂_y / det Σ̂), in float64. Exact in the limit for Gaussian
 * pairs; for any other distribution with the same covariance it is a lower bound on the truth
 * (the Gaussian has the least MI among distributions with a given covariance), and it is
 * blind to every non-linear dependence.
 */
import type { Matrix, MutualInformationEstimator } from '../../interface';
import { gaussianMutualInformationOfCovariance, jointSampleCovariance } from '../../math/covariance';
import { defineEstimator } from '../defineEstimator';
import { assertPairedSample } from '../pairedInput';

/** Î(x; y) from the joint sample covariance of the pairs; a singular covariance is an InputError. */
export function gaussianMutualInformationEstimate(x: Matrix, y: Matrix): number {
  // The covariance needs more rows than columns to be non-singular.
  assertPairedSample(x, y, 'gaussian', Math.max(2, x.cols + y.cols + 1));
  return gaussianMutualInformationOfCovariance(jointSampleCovariance(x, y), x.cols, 'x, y');
}

/** The `gaussian` estimator under the contract: no settings, no training. */
export function gaussianEstimator(): MutualInformationEstimator {
  return defineEstimator({
    description: { name: 'gaussian', settings: {} },
    estimate: async (x, y) => gaussianMutualInformationEstimate(x, y),
  });
}
