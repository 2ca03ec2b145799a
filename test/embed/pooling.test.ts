import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  l2NormalizeRows,
  layerNormInPlace,
  maskedMeanExcludingFirstToken,
  meanExcludingFirstToken,
  poolXlmRobertaEmbeddingLayer,
  xlmRobertaEmbeddingLayer,
  xlmRobertaPositionIds,
  type EmbeddingLayerTables,
} from '../../src/embed/pooling';

const close = (actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `[${i}] ${actual[i]} vs ${expected[i]}`);
};

test('CLIP pooling: mean over patch tokens, CLS (index 0) excluded, per batch row', () => {
  // batch 2, tokens 3 (CLS + 2 patches), dim 2; the CLS values are huge so including them would show.
  const data = Float32Array.from([1000, -1000, 1, 2, 3, 4, /* second */ 500, 500, -1, 0, 1, 2]);
  const pooled = meanExcludingFirstToken({ data, batch: 2, tokens: 3, dim: 2 });
  close(pooled, [2, 3, 0, 1]);
  assert.throws(() => meanExcludingFirstToken({ data: new Float32Array(2), batch: 1, tokens: 1, dim: 2 }), /at least 2 tokens/);
  assert.throws(() => meanExcludingFirstToken({ data: new Float32Array(5), batch: 1, tokens: 3, dim: 2 }), /shape/);
});

test('XLM-R pooling: attention mask applied, first token (<s>) excluded, padding ignored', () => {
  // Sequence 0: <s> a b </s>          (length 4)
  // Sequence 1: <s> c </s> <pad>       (length 3, one pad)
  const dim = 2;
  const data = Float32Array.from([
    100, 100, 1, 0, 0, 1, 1, 1, // seq 0
    -100, 7, 2, 2, 4, 0, 999, 999, // seq 1 (last is padding)
  ]);
  const mask = BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n]);
  const pooled = maskedMeanExcludingFirstToken({ data, batch: 2, tokens: 4, dim }, mask);
  close(pooled, [2 / 3, 2 / 3, 3, 1]);
  // Padding a batch further does not change the result.
  const wider = new Float32Array(2 * 6 * dim);
  wider.set(data.subarray(0, 8), 0);
  wider.set([42, 42, 42, 42], 8);
  wider.set(data.subarray(8, 16), 12);
  wider.set([42, 42, 42, 42], 20);
  const widerMask = [1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0];
  close(maskedMeanExcludingFirstToken({ data: wider, batch: 2, tokens: 6, dim }, widerMask), [2 / 3, 2 / 3, 3, 1]);
  // Only <s> unmasked: nothing to average.
  assert.throws(() => maskedMeanExcludingFirstToken({ data: new Float32Array(4), batch: 1, tokens: 2, dim }, [1, 0]), /no unmasked token/);
  assert.throws(() => maskedMeanExcludingFirstToken({ data, batch: 2, tokens: 4, dim }, [1, 1]), /attention mask/);
});

test('L2 normalisation of rows, refusing zero and non-finite rows', () => {
  const out = l2NormalizeRows(Float64Array.from([3, 4, 0, -2]), 2, 2);
  assert.ok(out instanceof Float32Array);
  close(out, [0.6, 0.8, 0, -1]);
  assert.throws(() => l2NormalizeRows(Float64Array.from([0, 0]), 1, 2), /row 0 has norm 0/);
  assert.throws(() => l2NormalizeRows(Float64Array.from([NaN, 1]), 1, 2), /row 0/);
});

test('XLM-R position ids follow create_position_ids_from_input_ids (padding_idx 1)', () => {
  assert.deepEqual(Array.from(xlmRobertaPositionIds([0, 5, 6, 2], 1)), [2, 3, 4, 5]);
  assert.deepEqual(Array.from(xlmRobertaPositionIds([0, 5, 2, 1, 1], 1)), [2, 3, 4, 1, 1]);
  // A pad id inside the sequence keeps position padding_idx and does not advance the count.
  assert.deepEqual(Array.from(xlmRobertaPositionIds([0n, 1n, 7n, 2n], 1)), [2, 1, 3, 4]);
});

test('LayerNorm uses the biased variance and eps', () => {
  const x = Float64Array.from([1, 2, 3, 6]);
  layerNormInPlace(x, [1, 1, 2, 1], [0, 0, 0, 1], 1e-5);
  const mean = 3;
  const variance = (4 + 1 + 0 + 9) / 4;
  const s = 1 / Math.sqrt(variance + 1e-5);
  close(x, [(1 - mean) * s, (2 - mean) * s, 0, (6 - mean) * s + 1], 1e-12);
});

function toyTables(): EmbeddingLayerTables & { words: number[][]; positions: number[][] } {
  const dim = 3;
  const words = Array.from({ length: 10 }, (_, id) => [id, id % 3, -id / 2]);
  const positions = Array.from({ length: 12 }, (_, p) => [p / 10, 0, 1 - p / 20]);
  return {
    dim,
    paddingIdx: 1,
    layerNormEps: 1e-5,
    words,
    positions,
    wordRow: (id) => words[id],
    positionRow: (p) => positions[p],
    tokenType: [0.5, -0.5, 0.25],
    layerNormWeight: [1, 2, 0.5],
    layerNormBias: [0, 0.1, -0.1],
  };
}

test('embedding layer: word + token type + RoBERTa position, then LayerNorm, per token', () => {
  const tables = toyTables();
  const ids = [0, 4, 7, 2];
  const hidden = xlmRobertaEmbeddingLayer(ids, tables);
  const positions = [2, 3, 4, 5];
  ids.forEach((id, t) => {
    const x = Float64Array.from([0, 1, 2], (d) => tables.words[id][d] + (tables.tokenType as number[])[d] + tables.positions[positions[t]][d]);
    layerNormInPlace(x, tables.layerNormWeight, tables.layerNormBias, tables.layerNormEps);
    close(hidden.subarray(t * 3, t * 3 + 3), Array.from(x), 1e-6);
  });
});

test('pooled text embeddings equal the reference recipe and ignore batching', () => {
  const tables = toyTables();
  const sequences = [
    [0, 4, 7, 2],
    [0, 9, 2],
    [0, 3, 3, 3, 5, 2],
  ];
  const together = poolXlmRobertaEmbeddingLayer(sequences, tables);
  sequences.forEach((ids, i) => {
    const alone = poolXlmRobertaEmbeddingLayer([ids], tables);
    close(together.subarray(i * 3, i * 3 + 3), Array.from(alone));
    // The reference recipe on a padded batch: hidden * mask, sum over tokens 1.., divide, normalise.
    const hidden = xlmRobertaEmbeddingLayer([...ids, 1, 1], tables);
    const mask = [...ids.map(() => 1), 0, 0];
    const pooled = maskedMeanExcludingFirstToken({ data: hidden, batch: 1, tokens: ids.length + 2, dim: 3 }, mask);
    close(alone, Array.from(l2NormalizeRows(pooled, 1, 3)));
  });
  const norm = Math.hypot(together[0], together[1], together[2]);
  assert.ok(Math.abs(norm - 1) < 1e-6);
});
