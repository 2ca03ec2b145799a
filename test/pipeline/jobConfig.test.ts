import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors';
import { parseJobConfig, readJobConfig } from '../../src/pipeline/jobConfig';

const splits = [{ file: 'a.jsonl' }, { file: 'b.jsonl' }];

test('a complete config passes and comes back as given', () => {
  const config = {
    id: 'a',
    out: 'job',
    splits: [{ file: 'a.jsonl', responses: 'a-answers.jsonl', name: 'a', format: 'combined' }, { file: 'hf:owner/set/b' }],
    embedder: { kind: 'transformers', textModel: './models/xlmr', imageModel: 'openai/clip-vit-base-patch32', modelRoot: 'models', maxLength: 128 },
    club: { preset: 'paper', epochs: 10, batchSize: 64, learningRate: 0.01, hiddenDim: 32, seed: 3, validationFraction: 0.1 },
    mixture: 'equal',
    entropyScale: 2.5,
    bootstrap: { resamples: 50, confidence: 0.9, seed: 1, method: 'bca' },
  };
  assert.deepEqual(parseJobConfig(structuredClone(config), 'job.json'), config);
  const benchmark = { benchmark: { data: 'benchmark', seed: 0, trainQueries: 10, splitQueries: 5, modelEpochs: 2 }, embedder: 'openai' };
  assert.deepEqual(parseJobConfig(structuredClone(benchmark)), benchmark);
  const openai = { id: 'a', splits, embedder: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', batchSize: 8, concurrency: 2, dimension: 768 } };
  assert.deepEqual(parseJobConfig(structuredClone(openai)), openai);
});

test('every bad field is one error naming the file and the field, and what was expected', () => {
  const cases: [unknown, string][] = [
    [[1, 2], 'job.json: expected a JSON object'],
    [{ id: 'a', splits: [{ file: 'a.jsonl' }] }, 'job.json: splits: expected "splits": at least two { "file", "responses"?, "name"?, "format"? }'],
    [{ splits }, 'job.json: id: expected "id": the ID split\'s name'],
    [{ id: 'a', splits: [{ file: 'a.jsonl' }, { responses: 'x' }] }, 'job.json: splits[1]: expected a "file"'],
    [{ id: 'a', splits: [{ file: 'a.jsonl' }, { file: 'b.jsonl', format: 'tsv' }] }, "job.json: splits[1].format: expected combined, jsonl, csv, parquet, llava, got 'tsv'"],
    [{ id: 'a', splits: [{ file: 'a.jsonl' }, { file: 'b.jsonl', answers: 'x' }] }, "job.json: splits[1].answers: unknown key; expected file, responses, name, format, imageRoot"],
    [{ id: 'a', splits: [{ file: 'a.jsonl' }, { file: 'b.jsonl', name: 7 }] }, 'job.json: splits[1].name: expected a split name, got 7'],
    [{ id: 'a', splits: [{ file: 'a.jsonl' }, { file: 'b.jsonl', imageRoot: 3 }] }, 'job.json: splits[1].imageRoot: expected a folder of images, got 3'],
    [{ id: 'a', splits, club: 3 }, 'job.json: club: expected an object such as { "preset": "small" }'],
    [{ id: 'a', splits, club: { preset: 'large' } }, "job.json: club.preset: expected paper or small, got 'large'"],
    [{ id: 'a', splits, club: { epoch: 5 } }, "job.json: club.epoch: unknown key (did you mean 'epochs'?); expected preset, epochs, batchSize, learningRate, hiddenDim, seed, validationFraction, patience"],
    [{ id: 'a', splits, club: { epochs: 0 } }, 'job.json: club.epochs: expected a positive integer, got 0'],
    [{ id: 'a', splits, club: { learningRate: '0.1' } }, 'job.json: club.learningRate: expected a positive number, got "0.1"'],
    [{ id: 'a', splits, club: { validationFraction: 1 } }, 'job.json: club.validationFraction: expected a number in [0, 1), got 1'],
    [{ id: 'a', splits, mixtrue: 'equal' }, "job.json: mixtrue: unknown key (did you mean 'mixture'?); expected id, splits, out, embedder, club, mixture, entropyScale, bootstrap"],
    [{ id: 'a', splits, mixture: 'weighted' }, "job.json: mixture: expected sample-weighted or equal, got 'weighted'"],
    [{ id: 'a', splits, entropyScale: -1 }, 'job.json: entropyScale: expected a number ≥ 0, got -1'],
    [{ id: 'a', splits, out: '' }, 'job.json: out: expected an output folder, got ""'],
    [{ id: 'a', splits, bootstrap: 100 }, 'job.json: bootstrap: expected an object such as { "resamples": 1000 }'],
    [{ id: 'a', splits, bootstrap: {} }, 'job.json: bootstrap.resamples: expected the number of resamples (a positive integer)'],
    [{ id: 'a', splits, bootstrap: { resamples: 10, confidence: 95 } }, 'job.json: bootstrap.confidence: expected a number strictly between 0 and 1, got 95'],
    [{ id: 'a', splits, bootstrap: { resamples: 10, method: 'studentized' } }, "job.json: bootstrap.method: expected basic, percentile, bca, got 'studentized'"],
    [{ id: 'a', splits, embedder: 'clip' }, "job.json: embedder: expected builtin, transformers, openai, pretrained, got 'clip'"],
    [{ id: 'a', splits, embedder: { textModel: 'x' } }, 'job.json: embedder.kind: expected builtin, transformers, openai, pretrained'],
    [{ id: 'a', splits, embedder: { kind: 'transformers', textModle: 'x' } }, "job.json: embedder.textModle: unknown key (did you mean 'textModel'?); expected kind, textModel, imageModel, modelRoot, maxLength"],
    [{ id: 'a', splits, embedder: { kind: 'builtin', dimension: 768 } }, 'job.json: embedder.dimension: unknown key; expected kind'],
    [{ id: 'a', splits, embedder: { kind: 'openai', batchSize: 0 } }, 'job.json: embedder.batchSize: expected a positive integer, got 0'],
    [{ id: 'a', splits, embedder: { kind: 'openai', apiKey: 'sk-secret' } }, 'job.json: embedder.apiKey: keep API keys out of config files (the results record the config): set EMISHIFT_EMBEDDINGS_API_KEY or OPENAI_API_KEY'],
    [{ benchmark: 'benchmark' }, 'job.json: benchmark: expected an object'],
    [{ benchmark: {}, id: 'a', splits }, 'job.json: benchmark: expected either "benchmark" (the project\'s own benchmark) or "id" and "splits" (split files), not both'],
    [{ benchmark: { seed: 1.5 } }, 'job.json: benchmark.seed: expected an integer ≥ 0, got 1.5'],
    [{ benchmark: { trainQueries: 0 } }, 'job.json: benchmark.trainQueries: expected a positive integer, got 0'],
    [{ benchmark: { dataDir: 'x' } }, "job.json: benchmark.dataDir: unknown key (did you mean 'data'?); expected data, seed, trainQueries, splitQueries, modelEpochs, splits"],
  ];
  for (const [config, message] of cases) {
    assert.throws(
      () => parseJobConfig(config, 'job.json'),
      (error: unknown) => error instanceof InputError && error.file === 'job.json' && error.message === message,
      `${JSON.stringify(config)} → ${message}`,
    );
  }
});

test('readJobConfig names the file when it is missing or not JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-config-'));
  assert.throws(() => readJobConfig(join(dir, 'none.json')), (error: unknown) => error instanceof InputError && error.message === `${join(dir, 'none.json')}: file not found`);
  writeFileSync(join(dir, 'broken.json'), '{ "id": ');
  assert.throws(() => readJobConfig(join(dir, 'broken.json')), (error: unknown) => error instanceof InputError && error.file === join(dir, 'broken.json') && /not valid JSON/.test(error.message));
  writeFileSync(join(dir, 'good.json'), JSON.stringify({ id: 'a', splits }));
  assert.deepEqual(readJobConfig(join(dir, 'good.json')), { id: 'a', splits });
});
