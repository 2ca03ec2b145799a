import { test } from 'node:test';
import assert from 'node:assert/strict';
import { broadcastDims, type DifferentiableGraph, type Value } from '../../src/backend/onnx/autodiff';
import { createAdamTrainer, createGraphEvaluator, lossAndGradients, ADAM_DEFAULTS, type ParameterValues, type TensorFeed, type TrainableGraph } from '../../src/backend/onnx/adamTraining';
import { createRng } from '../../src/random';

const ROWS = 6;

/** A loss that uses every differentiable op, broadcasting both ways, and values used more than once. */
const EVERY_OP: TrainableGraph = {
  parameters: [
    { name: 'w1', dims: [4, 3] },
    { name: 'b1', dims: [4] },
    { name: 'w2', dims: [2, 4] },
    { name: 'b2', dims: [2] },
    { name: 'w3', dims: [3, 2] },
    { name: 'c', dims: [2] },
  ],
  forward(graph: DifferentiableGraph, p: Readonly<Record<string, Value>>) {
    const x = graph.input('x', ['batch', 3]);
    const y = graph.input('y', ['batch', 2]);
    const mean = (v: Value) => graph.reduceMean(v);
    const h = graph.relu(graph.linear(x, p.w1, p.b1));
    const t = graph.tanh(graph.linear(h, p.w2, p.b2));
    const softplus = graph.softplus(t);
    const logTerm = graph.log(graph.add(softplus, graph.constant(1)));
    const quotient = graph.div(graph.exp(graph.scale(t, 0.5)), graph.add(softplus, graph.constant(1)));
    const scores = graph.matmulTransposed(t, y);
    const logSumExp = graph.reduceLogSumExp(scores, [1]);
    const joined = graph.transpose(graph.concat([t, y], 1));
    const pairs = graph.add(graph.unsqueeze(t, [1]), graph.unsqueeze(y, [0]));
    const batched = graph.squeeze(graph.reduceMean(graph.linear(graph.sigmoid(pairs), p.w3), [2], true), [2]);
    const clipped = graph.clip(scores, -0.5, 0.5);
    const broadcastRow = graph.reduceSum(graph.mul(t, p.c), [0]);
    const parts = [
      mean(logSumExp),
      mean(logTerm),
      graph.neg(mean(quotient)),
      graph.scale(mean(graph.mul(joined, joined)), 0.1),
      mean(batched),
      mean(clipped),
      graph.reduceSum(graph.sub(broadcastRow, graph.mul(p.c, p.c))),
    ];
    let loss = parts[0];
    for (const part of parts.slice(1)) loss = graph.add(loss, part);
    return { loss, outputs: { scores } };
  },
};

function randomValues(spec: TrainableGraph, seed: number): ParameterValues {
  const rng = createRng(seed);
  const values: ParameterValues = {};
  for (const p of spec.parameters) values[p.name] = Float32Array.from({ length: p.dims.reduce((a, b) => a * b, 1) }, () => rng.normal() * 0.7);
  return values;
}

function feeds(seed: number, rows = ROWS): Record<string, TensorFeed> {
  const rng = createRng(seed);
  return {
    x: { data: Float32Array.from({ length: rows * 3 }, () => rng.normal()), dims: [rows, 3] },
    y: { data: Float32Array.from({ length: rows * 2 }, () => rng.normal()), dims: [rows, 2] },
  };
}

test('broadcast shapes follow numpy rules, symbolic sizes assumed not 1', () => {
  assert.deepEqual(broadcastDims(['batch', 3], [3]), ['batch', 3]);
  assert.deepEqual(broadcastDims(['batch', 1, 2], [1, 'batch', 2]), ['batch', 'batch', 2]);
  assert.deepEqual(broadcastDims([], [4, 1]), [4, 1]);
  assert.throws(() => broadcastDims([2, 3], [4, 3]), /cannot broadcast/);
});

test('reverse-mode gradients of every op equal central differences of the same ORT graph', async () => {
  const parameters = randomValues(EVERY_OP, 3);
  const data = feeds(4);
  const { loss, gradients } = await lossAndGradients(EVERY_OP, parameters, data, { threads: 1 });
  assert.ok(Number.isFinite(loss));
  const evaluator = createGraphEvaluator(EVERY_OP, { threads: 1 });
  try {
    // Central differences in float32: truncation error ~h²·f''' ≈ 1e-6 and rounding noise
    // ~ε₃₂·|loss|/h ≈ 6e-8·10/1e-3 ≈ 6e-4, so 2e-3 absolute + 1% relative separates a right
    // gradient from a wrong one (a missing or doubled term is off by O(0.1)).
    const h = 1e-3;
    let checked = 0;
    for (const p of EVERY_OP.parameters) {
      for (let i = 0; i < parameters[p.name].length; i++) {
        const shifted = (delta: number): ParameterValues => {
          const copy = { ...parameters, [p.name]: parameters[p.name].slice() };
          copy[p.name][i] += delta;
          return copy;
        };
        const plus = (await evaluator.run(shifted(h), data)).loss[0];
        const minus = (await evaluator.run(shifted(-h), data)).loss[0];
        const numeric = (plus - minus) / (2 * h);
        const analytic = gradients[p.name][i];
        assert.ok(Math.abs(analytic - numeric) <= 2e-3 + 0.01 * Math.abs(numeric), `${p.name}[${i}]: backward ${analytic} vs central difference ${numeric}`);
        checked++;
      }
    }
    assert.equal(checked, 12 + 4 + 8 + 2 + 6 + 2);
  } finally {
    evaluator.dispose();
  }
});

test('an unused parameter gets a zero gradient, stopGradient blocks its path, and the loss must be a scalar', async () => {
  const spec: TrainableGraph = {
    parameters: [{ name: 'used', dims: [2] }, { name: 'unused', dims: [3] }],
    // Σ sg(u)·u has the value Σ u² but the gradient u, not 2u.
    forward: (graph, p) => ({ loss: graph.reduceSum(graph.mul(graph.stopGradient(p.used), p.used)) }),
  };
  const { loss, gradients } = await lossAndGradients(spec, { used: Float32Array.of(1, -2), unused: Float32Array.of(5, 6, 7) }, {}, { threads: 1 });
  assert.equal(loss, 5);
  assert.deepEqual([...gradients.used], [1, -2]);
  assert.deepEqual([...gradients.unused], [0, 0, 0]);
  const vector: TrainableGraph = { parameters: [{ name: 'p', dims: [2] }], forward: (_graph, p) => ({ loss: p.p }) };
  await assert.rejects(() => lossAndGradients(vector, { p: Float32Array.of(1, 2) }, {}), /must be a scalar/);
});

test('the fused Adam step equals PyTorch-order Adam applied in float64 to the graph gradients', async () => {
  const initial = randomValues(EVERY_OP, 5);
  const learningRate = 0.01;
  const trainer = createAdamTrainer(EVERY_OP, initial, { learningRate, threads: 1 });
  const expected: ParameterValues = {};
  const m: Record<string, Float64Array> = {};
  const v: Record<string, Float64Array> = {};
  for (const p of EVERY_OP.parameters) {
    expected[p.name] = initial[p.name].slice();
    m[p.name] = new Float64Array(initial[p.name].length);
    v[p.name] = new Float64Array(initial[p.name].length);
  }
  try {
    for (let t = 1; t <= 3; t++) {
      const data = feeds(10 + t);
      const reference = await lossAndGradients(EVERY_OP, expected, data, { threads: 1 });
      const out = await trainer.step(data);
      // The step reports the loss before its update: the reference's loss at the same weights.
      assert.ok(Math.abs(out.loss[0] - reference.loss) <= 1e-4 * Math.max(1, Math.abs(reference.loss)), `step ${t} loss ${out.loss[0]} vs ${reference.loss}`);
      assert.equal(out.scores.length, ROWS * ROWS);
      const { beta1, beta2, epsilon } = ADAM_DEFAULTS;
      for (const p of EVERY_OP.parameters) {
        const g = reference.gradients[p.name];
        for (let i = 0; i < g.length; i++) {
          m[p.name][i] = beta1 * m[p.name][i] + (1 - beta1) * g[i];
          v[p.name][i] = beta2 * v[p.name][i] + (1 - beta2) * g[i] * g[i];
          const denominator = Math.sqrt(v[p.name][i]) / Math.sqrt(1 - beta2 ** t) + epsilon;
          expected[p.name][i] -= ((learningRate / (1 - beta1 ** t)) * m[p.name][i]) / denominator;
        }
      }
    }
    assert.equal(trainer.stepCount, 3);
    const actual = trainer.parameters();
    // Each Adam step moves a weight by at most ≈ lr = 0.01; float32 arithmetic of the two paths
    // differs by ~1e-7 relative per step, so 1e-5 absolute after three steps is generous.
    for (const p of EVERY_OP.parameters) {
      for (let i = 0; i < actual[p.name].length; i++) {
        assert.ok(Math.abs(actual[p.name][i] - expected[p.name][i]) <= 1e-5, `${p.name}[${i}]: ${actual[p.name][i]} vs ${expected[p.name][i]}`);
      }
      assert.notDeepEqual([...actual[p.name]], [...initial[p.name]]);
    }
  } finally {
    trainer.dispose();
  }
});

test('Adam on a convex quadratic reaches its minimum', async () => {
  const target = Float32Array.of(1.5, -0.5, 2);
  const spec: TrainableGraph = {
    parameters: [{ name: 'w', dims: [3] }],
    forward(graph, p) {
      const goal = graph.input('target', [3]);
      const d = graph.sub(p.w, goal);
      return { loss: graph.reduceSum(graph.mul(d, d)) };
    },
  };
  const trainer = createAdamTrainer(spec, { w: new Float32Array(3) }, { learningRate: 0.05, threads: 1 });
  try {
    let last = Infinity;
    for (let i = 0; i < 400; i++) last = (await trainer.step({ target: { data: target, dims: [3] } })).loss[0];
    assert.ok(last < 1e-3, `final loss ${last}`);
    const w = trainer.parameters().w;
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(w[i] - target[i]) < 0.03, `w[${i}] = ${w[i]}`);
  } finally {
    trainer.dispose();
  }
});
