/**
 * Training throughput of the neural variational estimators on ONNX Runtime (samples/s of the
 * fused forward/backward/Adam step, the estimators' default networks), one entry per trained
 * family: the separable critic (infonce, nwj, mine, smile), the concatenated critic (every pair
 * of a batch through one MLP; its cost grows with B²) and the Gaussian conditional q(y|x) of the
 * upper bounds (club-mean, club-sample, l1out). At 5 + 5 dimensions (the validation tasks) and
 * at 768 + 768 (EMI's embeddings), batch 512 and 2048. Run with `node dist/bench/neural.js`.
 */
import os from 'node:os';
import { createAdamTrainer, type TensorFeed } from '../src/backend/onnx/adamTraining';
import { loadOnnxRuntime, resolveThreadCount } from '../src/backend/onnx/runtime';
import { NEURAL_DEFAULTS, type NeuralEstimatorName } from '../src/estimators/neural/neuralEstimator';
import { createObjective, type ObjectiveState } from '../src/estimators/neural/objectives';
import type { CriticKind } from '../src/estimators/neural/networks';
import { createRng } from '../src/random';
import { median } from './median';

const ROUNDS = 3;
/** Timed steps per round: enough for about half a second, at least 3. */
const ROUND_SECONDS = 0.5;

interface Case {
  family: string;
  estimator: NeuralEstimatorName;
  critic?: CriticKind;
  dim: number;
  batch: number;
}

const CASES: readonly Case[] = [
  ...(['infonce', 'nwj', 'mine', 'smile'] as const).flatMap((estimator) => [512, 2048].map((batch) => ({ family: 'separable critic', estimator, dim: 5, batch }))),
  { family: 'separable critic', estimator: 'infonce', dim: 768, batch: 2048 },
  { family: 'concatenated critic', estimator: 'infonce', critic: 'concatenated', dim: 5, batch: 512 },
  ...(['club-mean', 'club-sample', 'l1out'] as const).flatMap((estimator) => [512, 2048].map((batch) => ({ family: 'gaussian conditional', estimator, dim: 5, batch }))),
  { family: 'gaussian conditional', estimator: 'club-sample', dim: 768, batch: 2048 },
];

async function benchmarkCase(c: Case): Promise<object> {
  const { hiddenDim, hiddenLayers, embeddingDim, tau, movingAverageRate, learningRate } = NEURAL_DEFAULTS;
  const objective = createObjective(c.estimator, {
    critic: { kind: c.critic ?? 'separable', xDim: c.dim, yDim: c.dim, hiddenDim, hiddenLayers, embeddingDim },
    conditional: { xDim: c.dim, yDim: c.dim, hiddenDim, hiddenLayers, learnedVariance: c.estimator !== 'club-mean' },
    tau,
    movingAverageRate,
  });
  const rng = createRng(c.dim * 10007 + c.batch);
  const batches = Array.from({ length: 4 }, () => {
    const x = Float32Array.from({ length: c.batch * c.dim }, () => rng.normal());
    const y = Float32Array.from(x, (value) => 0.5 * value + 0.87 * rng.normal());
    return { x, y, rows: c.batch };
  });
  const trainer = createAdamTrainer(objective.trainingGraph, objective.initialParameters(1), { learningRate });
  const state: ObjectiveState = { rng: createRng(2) };
  let next = 0;
  const step = async () => {
    const batch = batches[next++ % batches.length];
    const feeds: Record<string, TensorFeed> = { x: { data: batch.x, dims: [c.batch, c.dim] }, y: { data: batch.y, dims: [c.batch, c.dim] }, ...objective.extraFeeds(batch, 'train', state) };
    objective.afterStep(await trainer.step(feeds), state);
  };
  try {
    const firstStart = performance.now();
    await step(); // session creation and ORT's first-run allocations
    const firstStepMs = performance.now() - firstStart;
    const probeStart = performance.now();
    await step();
    const steps = Math.max(3, Math.ceil((ROUND_SECONDS * 1000) / Math.max(0.01, performance.now() - probeStart)));
    const roundMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now();
      for (let i = 0; i < steps; i++) await step();
      roundMs.push((performance.now() - start) / steps);
    }
    const ms = median(roundMs);
    return {
      family: c.family,
      estimator: c.estimator,
      dims: `${c.dim} + ${c.dim}`,
      batch: c.batch,
      samples_per_second: Math.round((c.batch * 1000) / ms),
      ms_per_step: Number(ms.toFixed(2)),
      steps_per_round: steps,
      first_step_ms: Math.round(firstStepMs),
    };
  } finally {
    trainer.dispose();
  }
}

/** Every case in turn (they share the machine's cores, so never in parallel). */
export async function runNeuralBenchmark(): Promise<object> {
  const ort = loadOnnxRuntime();
  const results: object[] = [];
  for (const c of CASES) results.push(await benchmarkCase(c));
  return {
    benchmark: 'neural-estimators',
    network: { hidden_dim: NEURAL_DEFAULTS.hiddenDim, hidden_layers: NEURAL_DEFAULTS.hiddenLayers, embedding_dim: NEURAL_DEFAULTS.embeddingDim },
    threads: resolveThreadCount(undefined),
    onnxruntime: ort.env.versions.common,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    results,
  };
}

if (require.main === module) {
  runNeuralBenchmark().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
