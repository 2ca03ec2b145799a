/**
 * Pointwise EMI against the set estimate: `emi()` (one `estimateMany`, the native engine's
 * forward pass and reductions in one run) and `pointwiseEmi()` (one `condition`, then the
 * per-row terms of both answer sets) on one split at n = 90 (the benchmark's size) with the
 * paper's CLUB shape (768 → 250 → 768) and unit-norm 768-d rows; the target is that the
 * pointwise values cost no more than the set estimate. Also `detectShift` on two such splits
 * (per-query AUCs, the subset-pair test with K = 9 subsets of 10 rows, 1000 bootstrap
 * resamples). Medians of 40 interleaved runs after 5 warm-ups (detectShift: 10 after 2), in milliseconds, both on the same estimator
 * (the engine thread and session started before timing). Where the pointwise values cost more,
 * it is the main thread's exp(−logvar) (n × 768 of them) and the transfer of μ and logvar, which
 * the set estimate does inside the native graph.
 */
import { emi } from '../src/emi/emi';
import { pointwiseEmi } from '../src/emi/pointwiseEmi';
import { detectShift } from '../src/emi/shiftDetection';
import { ClubEstimator } from '../src/estimators/club/clubEstimator';
import { initClubParameters, PAPER_CLUB_SHAPE } from '../src/estimators/club/clubModel';
import type { EmbeddingSet, Matrix } from '../src/interface';
import { createRng } from '../src/random';
import { median } from './median';

function unitRows(rows: number, cols: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let norm = 0;
    for (let j = 0; j < cols; j++) norm += (data[i * cols + j] = rng.normal()) ** 2;
    for (let j = 0; j < cols; j++) data[i * cols + j] /= Math.sqrt(norm);
  }
  return { rows, cols, data };
}

function split(rows: number, seed: number): EmbeddingSet {
  const d = PAPER_CLUB_SHAPE.xDim;
  return { name: `split-${seed}`, image: unitRows(rows, d, seed * 10 + 1), text: unitRows(rows, d, seed * 10 + 2), response: unitRows(rows, d, seed * 10 + 3), reference: unitRows(rows, d, seed * 10 + 4) };
}

async function timed(run: () => Promise<unknown>, repeats: number, warmups: number): Promise<number> {
  for (let i = 0; i < warmups; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return Number(median(times).toFixed(3));
}

async function timedPair(first: () => Promise<unknown>, second: () => Promise<unknown>, repeats: number, warmups: number): Promise<[number, number]> {
  for (let i = 0; i < warmups; i++) {
    await first();
    await second();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let started = performance.now();
    await first();
    a.push(performance.now() - started);
    started = performance.now();
    await second();
    b.push(performance.now() - started);
  }
  return [Number(median(a).toFixed(3)), Number(median(b).toFixed(3))];
}

/** The timings (see the module comment) with the engine that ran them and the agreement of the two EMIs. */
export async function runPointwiseBenchmark(rows = 90): Promise<object> {
  const estimator = new ClubEstimator(initClubParameters(PAPER_CLUB_SHAPE, 1));
  estimator.prepare();
  const set = split(rows, 1);
  const other = split(rows, 2);
  // Interleaved, so that a load change on a shared machine falls on both alike.
  const [setMs, pointwiseMs] = await timedPair(() => emi(set, estimator), () => pointwiseEmi(set, estimator), 40, 5);
  const detectMs = await timed(() => detectShift(set, other, estimator, { subsets: 9, subsetSize: 10 }), 10, 2);
  const whole = await emi(set, estimator);
  const parts = await pointwiseEmi(set, estimator);
  return {
    n: rows,
    dimension: PAPER_CLUB_SHAPE.xDim,
    club: PAPER_CLUB_SHAPE,
    engine: estimator.resolvedEngine(),
    set_estimate_ms: setMs,
    pointwise_ms: pointwiseMs,
    pointwise_over_set: Number((pointwiseMs / setMs).toFixed(3)),
    target: 'pointwise_over_set ≤ 1 (pointwise EMI costs no more than the set estimate)',
    detect_shift_ms: detectMs,
    detect_shift: { id_rows: rows, ood_rows: rows, subsets: 9, subset_size: 10, bootstrap_resamples: 1000 },
    emi_difference: Math.abs(whole.emi - parts.emi),
  };
}
