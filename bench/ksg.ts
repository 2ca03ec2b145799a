/**
 * KSG speed: estimator 1 and 2 (k = 3, max-norm, float64) on the 5 + 5-dimensional dense
 * Gaussian task at n = 10,000 (the target: faster than a SciPy k-d-tree implementation,
 * about 2 s on this machine) and n = 100,000 (under a minute), on both cores as the `ksg`
 * estimator runs. One run each: every estimate is deterministic.
 */
import { ksgMutualInformationOnCores, type KsgVariant } from '../src/estimators/ksg/ksgEstimator';
import { createRng } from '../src/random';
import { findGroundTruthTask } from '../src/samplers/tasks';

/** Seconds of one KSG estimate per (size, variant), with the estimate and the true MI. */
export async function runKsgBenchmark(sizes: readonly number[] = [10000, 100000]): Promise<object[]> {
  const { sampler } = findGroundTruthTask('multinormal-dense-5-5-0.5');
  const out: object[] = [];
  for (const n of sizes) {
    const { x, y } = sampler.sample(n, createRng(0));
    for (const variant of [1, 2] as KsgVariant[]) {
      const started = performance.now();
      const estimate = await ksgMutualInformationOnCores(x, y, 3, variant);
      const seconds = (performance.now() - started) / 1000;
      out.push({ estimator: variant === 1 ? 'ksg' : 'ksg2', task: sampler.name, n, k: 3, seconds: Number(seconds.toFixed(3)), estimate, true_mi: sampler.mutualInformation(), target_seconds: n <= 10000 ? 2 : 60 });
    }
  }
  return out;
}
