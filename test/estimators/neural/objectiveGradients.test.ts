/**
 * Every estimator's training graph differentiates correctly: the backward pass the engine
 * appends equals central differences of the same ORT graph, on small networks (the engine's
 * op-by-op check is test/backend/autodiff.test.ts; this one covers the objectives' compositions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGraphEvaluator, lossAndGradients, type TensorFeed } from '../../../src/backend/onnx/adamTraining';
import { createRng } from '../../../src/random';
import { NEURAL_ESTIMATOR_NAMES } from '../../../src/estimators/neural/neuralEstimator';
import { createObjective, type ObjectiveState } from '../../../src/estimators/neural/objectives';

const ROWS = 6;
const DIM = 2;

for (const name of NEURAL_ESTIMATOR_NAMES) {
  for (const critic of name === 'infonce' || name === 'smile' ? (['separable', 'concatenated'] as const) : (['separable'] as const)) {
    test(`${name} (${critic} critic): the loss gradient equals central differences`, async () => {
      const objective = createObjective(name, {
        critic: { kind: critic, xDim: DIM, yDim: DIM, hiddenDim: 5, hiddenLayers: 1, embeddingDim: 3 },
        conditional: { xDim: DIM, yDim: DIM, hiddenDim: 5, hiddenLayers: 1, learnedVariance: name !== 'club-mean' },
        tau: 0.3,
        movingAverageRate: 0.5,
      });
      const rng = createRng(21);
      const x = Float32Array.from({ length: ROWS * DIM }, () => rng.normal());
      const y = Float32Array.from({ length: ROWS * DIM }, (_, i) => 0.8 * x[i] + 0.6 * rng.normal());
      // MINE's moving average is taken as given (weight 0): its surrogate loss is then a plain
      // function of the weights, and its gradient is MINE's corrected one.
      const state: ObjectiveState = { rng: createRng(3), movingAverage: 1.7 };
      const extra = objective.extraFeeds({ x, y, rows: ROWS }, 'train', state);
      const feeds: Record<string, TensorFeed> = { x: { data: x, dims: [ROWS, DIM] }, y: { data: y, dims: [ROWS, DIM] }, ...extra };
      if (name === 'mine') feeds.ema_weight = { data: Float32Array.of(0), dims: [] };
      const parameters = objective.initialParameters(5);
      for (const values of Object.values(parameters)) for (let i = 0; i < values.length; i++) values[i] *= 2; // larger scores: clips and masks are exercised
      const { loss, gradients, outputs } = await lossAndGradients(objective.trainingGraph, parameters, feeds, { threads: 1 });
      assert.ok(Number.isFinite(outputs.criterion[0]));
      // The evaluation graph judges held-out pairs by the same criterion as training, and has a finite bound.
      const evaluated = await lossAndGradients(objective.evaluationGraph, parameters, { ...feeds, ...objective.extraFeeds({ x, y, rows: ROWS }, 'evaluate', state) }, { threads: 1 });
      const criterion = outputs.criterion[0];
      assert.ok(Math.abs(evaluated.outputs.criterion[0] - criterion) <= 1e-5 * Math.max(1, Math.abs(criterion)), `${evaluated.outputs.criterion[0]} vs ${criterion}`);
      assert.ok(Number.isFinite(evaluated.outputs.bound[0]));
      const evaluator = createGraphEvaluator(objective.trainingGraph, { threads: 1 });
      try {
        // Float32 central differences, h = 1e-3: truncation ~1e-6; each loss is rounded to
        // ~ε₃₂·|loss| (ε₃₂ = 6e-8) per op of its last reductions, so the difference quotient
        // carries ~8 ε₃₂ |loss| / h of noise (MINE's surrogate reaches |loss| ≈ 13: 6e-3).
        const h = 1e-3;
        const noise = (8 * 6e-8 * Math.abs(loss)) / h;
        for (const spec of objective.trainingGraph.parameters) {
          for (let i = 0; i < parameters[spec.name].length; i++) {
            const at = async (delta: number) => {
              const shifted = { ...parameters, [spec.name]: parameters[spec.name].slice() };
              shifted[spec.name][i] += delta;
              return (await evaluator.run(shifted, feeds)).loss[0];
            };
            const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
            const analytic = gradients[spec.name][i];
            assert.ok(Math.abs(analytic - numeric) <= 2e-3 + noise + 0.01 * Math.abs(numeric), `${spec.name}[${i}]: ${analytic} vs ${numeric}`);
          }
        }
      } finally {
        evaluator.dispose();
      }
    });
  }
}
