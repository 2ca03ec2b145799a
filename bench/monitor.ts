/**
 * Monitoring speed: one window of 500 rows against a 500-row reference with 200 permutations
 * (the target: under 2 s), CLUB 768 → 250 → 768 on 768-d embeddings. Measured per
 * statistic set, since their costs differ in kind: EMID's permutations are reductions of one
 * pass (one quadratic form per answer matrix), while the RJSD statistics (jsd_v, jsd_t, the
 * bound) solve eigenproblems for every partition. Each case is timed on a fresh window (its
 * first, cold run: what a monitor pays per window) after one warm-up window, in wall and in the
 * process's CPU seconds.
 */
import { ClubEstimator } from '../src/estimators/club/clubEstimator';
import { initClubParameters } from '../src/estimators/club/clubModel';
import { monitorStream } from '../src/monitor/monitorStream';
import type { PermutationStatistic } from '../src/significance/permutationTest';
import type { EmbeddingSet } from '../src/interface';
import { unitRows } from '../test/support/synthetic';


function set(n: number, d: number, seed: number, images: boolean): EmbeddingSet {
  return { ...(images ? { image: unitRows(n, d, seed * 10 + 4) } : {}), text: unitRows(n, d, seed * 10 + 1), response: unitRows(n, d, seed * 10 + 2), reference: unitRows(n, d, seed * 10 + 3) };
}

/** Seconds per window of 500 rows with 200 permutations, for EMID alone and for all four statistics (those at d = 64 too). */
export async function runMonitorBenchmark(options: { quick?: boolean } = {}): Promise<object[]> {
  const window = 500;
  const permutations = 200;
  const cases: { statistics: PermutationStatistic[]; dim: number }[] = [
    { statistics: ['emid'], dim: 768 },
    { statistics: ['emid', 'jsd_v', 'jsd_t', 'emid_ub'], dim: 64 },
    ...(options.quick ? [] : [{ statistics: ['emid', 'jsd_v', 'jsd_t', 'emid_ub'] as PermutationStatistic[], dim: 768 }]),
  ];
  const out: object[] = [];
  for (const { statistics, dim } of cases) {
    const estimator = new ClubEstimator(initClubParameters({ xDim: dim, yDim: dim, hiddenDim: 250 }, 1));
    const reference = set(500, dim, 1, true);
    // Two windows: the first warms the engine up, the second is timed.
    const stream = set(2 * window, dim, 2, true);
    const times: number[] = [];
    const cpuTimes: number[] = [];
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    const result = await monitorStream(reference, stream, estimator, {
      window,
      permutations,
      statistics,
      onWindow: () => {
        const now = performance.now();
        const cpu = process.cpuUsage(lastCpu);
        times.push((now - last) / 1000);
        cpuTimes.push((cpu.user + cpu.system) / 1e6);
        last = now;
        lastCpu = process.cpuUsage();
      },
    });
    out.push({
      window,
      reference_rows: 500,
      dimension: dim,
      permutations,
      statistics,
      estimator: 'club 768 → 250 → 768'.replace(/768/g, String(dim)),
      first_window_seconds: Number(times[0].toFixed(3)),
      window_seconds: Number(times[1].toFixed(3)),
      // CPU seconds of the whole process (every thread: the engine's, the eigen workers') in the
      // timed window: on a shared machine wall time also counts other processes' turns.
      window_cpu_seconds: Number(cpuTimes[1].toFixed(3)),
      target_seconds: 2,
      meets_target: times[1] < 2,
      alerts: result.windows.map((w) => w.alert),
    });
  }
  return out;
}
