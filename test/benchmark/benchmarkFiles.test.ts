import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBenchmarkData, readBenchmarkSettings, writeBenchmarkData } from '../../src/benchmark/benchmarkFiles';
import { decodeAnsweringModel, slotAccuracy } from '../../src/benchmark/model';
import { decodeEmbeddingAnsweringModel } from '../../src/benchmark/embeddingModel';
import { createEmbedder } from '../../src/embed/index';
import { answeringModelFile } from '../../src/pipeline/runBenchmark';

const SHIPPED = join(__dirname, '..', '..', '..', 'data', 'benchmark');

test("data/benchmark (the main job's shipped benchmark) is exactly what the generator writes", () => {
  const settings = readBenchmarkSettings(SHIPPED)!;
  assert.deepEqual(settings, { seed: 2025, trainQueries: 400, splitQueries: 90 });
  const regenerated = mkdtempSync(join(tmpdir(), 'emishift-benchmark-data-'));
  writeBenchmarkData(regenerated, settings);
  for (const file of ['train.jsonl', join('id', 'queries.jsonl'), 'settings.json']) {
    assert.ok(readFileSync(join(SHIPPED, file)).equals(readFileSync(join(regenerated, file))), file);
  }
  const shipped = readBenchmarkData(SHIPPED);
  const fresh = readBenchmarkData(regenerated);
  assert.equal(shipped.images.length, 90);
  // Pixels, not PNG bytes: another zlib may compress the same image differently.
  shipped.images.forEach((image, i) => assert.ok(Buffer.from(image.rgba).equals(Buffer.from(fresh.images[i].rgba)), `image ${i}`));
  assert.equal(readdirSync(join(SHIPPED, 'id', 'images')).length, 90);
});

test('the shipped answering model loads, matches its key, and answers the clean ID split well', async () => {
  const key = JSON.parse(readFileSync(join(SHIPPED, 'answering-model.json.key'), 'utf8'));
  assert.deepEqual(key, { seed: 2025, trainQueries: 400, epochs: 30 });
  const model = decodeAnsweringModel(readFileSync(join(SHIPPED, 'answering-model.json'), 'utf8'));
  const { queries, images } = readBenchmarkData(SHIPPED);
  const answers = await model.answer(images, queries.map((query) => query.question));
  const accuracy = slotAccuracy(answers.map((answer) => answer.slots), queries.map((query) => query.answerSlots)).accuracy;
  assert.ok(accuracy > 0.6, `clean accuracy ${accuracy}`);
  model.dispose();
});

test('the shipped answering model on pretrained embeddings loads and its key names the installed embedders', (t) => {
  const model = decodeEmbeddingAnsweringModel(readFileSync(join(SHIPPED, 'answering-model-pretrained.json'), 'utf8'));
  const key = readFileSync(join(SHIPPED, 'answering-model-pretrained.json.key'), 'utf8');
  assert.deepEqual(JSON.parse(key), { seed: 2025, trainQueries: 400, epochs: 30, features: { text: model.features.text, image: model.features.image } });
  assert.equal(model.features.dimension, 512);
  let embedders;
  try {
    embedders = createEmbedder('pretrained');
  } catch {
    t.skip('the pretrained weights packages are not installed (npm ci installs them)');
    return;
  }
  // What the job compares: a change of either embedder's id (its package version, its definition) retrains the model.
  assert.equal(answeringModelFile('pretrained-embeddings', { seed: 2025, trainQueries: 400, modelEpochs: 30 }, embedders).key, key);
});

test('a damaged benchmark folder is refused naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-benchmark-bad-'));
  writeBenchmarkData(dir, { seed: 1, trainQueries: 5, splitQueries: 3 });
  const queriesFile = join(dir, 'id', 'queries.jsonl');
  const lines = readFileSync(queriesFile, 'utf8').split('\n');
  rmSync(join(dir, 'id', 'images', `${JSON.parse(lines[1]).question_id}.png`));
  assert.throws(() => readBenchmarkData(dir), /\.png: image file not found/);
  writeFileSync(queriesFile, `${lines[0]}\n{"question_id": 1,\n`);
  assert.throws(() => readBenchmarkData(dir), /queries\.jsonl: line 2: not valid JSON/);
  writeFileSync(join(dir, 'train.jsonl'), '{"question": "q"}\n');
  assert.throws(() => readBenchmarkData(dir), /train\.jsonl: line 1: expected question_id/);
});
