/**
 * Throughput of the ONNX Runtime CLUB graphs at the paper's sizes (768-d embeddings, hidden 250):
 * training samples/s at batch 2048 with 1 and 2 intra-op threads, and forward rows/s at n = 90 and
 * n = 1000. Run with `node dist/bench/onnxClub.js` (prints JSON). The reference point is PyTorch's
 * ~10,900 training samples/s on the same machine.
 */
import os from 'node:os';
import { clubForward, createClubOnnxTrainer } from '../src/estimators/club/onnxGraphs';
import { loadOnnxRuntime } from '../src/backend/onnx/runtime';
import type { ClubParameters, ClubShape } from '../src/estimators/club/clubParameters';
import { createRng } from '../src/random';
import { median } from './median';
import { initClubParameters } from '../src/estimators/club/clubModel';

const SHAPE: ClubShape = { xDim: 768, yDim: 768, hiddenDim: 250 };
const BATCH = 2048;
const WARMUP_STEPS = 3;
const TIMED_STEPS = 10;
const ROUNDS = 3;
/** Distinct batches cycled through, so timings include streaming fresh inputs from memory. */
const BATCHES = 4;

function gaussian(length: number, rng: ReturnType<typeof createRng>): Float32Array {
  return Float32Array.from({ length }, () => rng.normal());
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

async function benchmarkTraining(threads: number, params: ClubParameters, xs: Float32Array[], ys: Float32Array[]) {
  const trainer = createClubOnnxTrainer(params, { learningRate: 1e-4, threads });
  try {
    let next = 0;
    const step = () => {
      const i = next++ % xs.length;
      return trainer.step(xs[i], ys[i], BATCH);
    };
    const firstStart = performance.now();
    await step(); // includes session creation and ORT's first-run allocations
    const firstStepMs = performance.now() - firstStart;
    for (let i = 1; i < WARMUP_STEPS; i++) await step();
    const roundMs: number[] = [];
    let lastLoss = NaN;
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now();
      for (let i = 0; i < TIMED_STEPS; i++) lastLoss = await step();
      roundMs.push((performance.now() - start) / TIMED_STEPS);
    }
    const medianMs = median(roundMs);
    const bestMs = Math.min(...roundMs);
    return {
      threads,
      samplesPerSecond: Math.round((BATCH * 1000) / medianMs),
      bestSamplesPerSecond: Math.round((BATCH * 1000) / bestMs),
      msPerStep: round(medianMs),
      msPerStepRounds: roundMs.map((ms) => round(ms)),
      firstStepMs: round(firstStepMs),
      timedSteps: TIMED_STEPS * ROUNDS,
      lastLoss: round(lastLoss, 3),
    };
  } finally {
    trainer.dispose();
  }
}

async function benchmarkForward(rows: number, params: ClubParameters, seed: number) {
  const rng = createRng(seed);
  const x = { rows, cols: SHAPE.xDim, data: gaussian(rows * SHAPE.xDim, rng) };
  const firstStart = performance.now();
  await clubForward(params, x); // session creation (weights baked in, pre-packed)
  const firstCallMs = performance.now() - firstStart;
  for (let i = 0; i < 3; i++) await clubForward(params, x);
  // Enough calls for ~0.3 s per round, at least 10.
  const probeStart = performance.now();
  await clubForward(params, x);
  const calls = Math.max(10, Math.ceil(300 / Math.max(0.01, performance.now() - probeStart)));
  const roundMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) await clubForward(params, x);
    roundMs.push((performance.now() - start) / calls);
  }
  const medianMs = median(roundMs);
  // Four GEMMs per row (x → hidden and hidden → y, for μ and for logvar), two flops per multiply-add.
  const flops = 4 * rows * SHAPE.hiddenDim * (SHAPE.xDim + SHAPE.yDim);
  return {
    rows,
    rowsPerSecond: Math.round((rows * 1000) / medianMs),
    gflops: round(flops / medianMs / 1e6),
    msPerCall: round(medianMs, 3),
    callsPerRound: calls,
    firstCallMs: round(firstCallMs),
  };
}

/**
 * CLUB's forward pass at n = 90 on the engine's default thread count, as the sweep runs it: this
 * machine's GEMM speed, which sets the n = 90 sweep's longest thread, so that sweep times taken on
 * different hardware can be told apart.
 */
export async function clubForwardAtSweepSize(): Promise<object> {
  return benchmarkForward(90, initClubParameters(SHAPE, 1), 90);
}

export async function runOnnxClubBenchmark(): Promise<object> {
  const ort = loadOnnxRuntime();
  const rng = createRng(2025);
  const params = initClubParameters(SHAPE, 1);
  const xs = Array.from({ length: BATCHES }, () => gaussian(BATCH * SHAPE.xDim, rng));
  const ys = Array.from({ length: BATCHES }, () => gaussian(BATCH * SHAPE.yDim, rng));
  const training = [];
  for (const threads of [1, 2]) training.push(await benchmarkTraining(threads, params, xs, ys));
  const forward = [];
  for (const rows of [90, 1000]) forward.push(await benchmarkForward(rows, params, rows));
  return {
    benchmark: 'onnx-club',
    shape: SHAPE,
    batch: BATCH,
    onnxruntime: ort.env.versions.common,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    training,
    forward: { threads: os.availableParallelism(), results: forward },
  };
}

if (require.main === module) {
  runOnnxClubBenchmark().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
