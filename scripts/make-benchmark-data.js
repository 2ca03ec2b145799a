#!/usr/bin/env node
// Regenerates data/benchmark (the main job's shipped benchmark and answering-model weights)
// from its seed: `npm run build` first. Prints what it wrote.
'use strict';
const { join } = require('node:path');
const { writeFileSync } = require('node:fs');
const { writeBenchmarkData, readBenchmarkData } = require('../dist/src/benchmark/benchmarkFiles');
const { trainAnsweringModel, encodeAnsweringModel } = require('../dist/src/benchmark/model');

const dir = process.argv[2] ?? join(__dirname, '..', 'data', 'benchmark');
const settings = { seed: 2025, trainQueries: 400, splitQueries: 90 };
const epochs = 30;
(async () => {
  writeBenchmarkData(dir, settings);
  const { train } = readBenchmarkData(dir);
  const model = await trainAnsweringModel(train, { seed: settings.seed, epochs });
  writeFileSync(join(dir, 'answering-model.json'), encodeAnsweringModel(model));
  writeFileSync(join(dir, 'answering-model.json.key'), JSON.stringify({ seed: settings.seed, trainQueries: settings.trainQueries, epochs }));
  // The model on the pretrained embeddings (the job's answering model under "embedder": "pretrained"), when its weights packages are installed.
  const { createEmbedder } = require('../dist/src/embed/index');
  const { trainEmbeddingAnsweringModel, encodeEmbeddingAnsweringModel } = require('../dist/src/benchmark/embeddingModel');
  const { answeringModelFile } = require('../dist/src/pipeline/runBenchmark');
  let embedders;
  try {
    embedders = createEmbedder('pretrained');
  } catch (error) {
    console.warn(`not training the pretrained-embedding answering model: ${error.message}`);
  }
  if (embedders) {
    const pretrained = await trainEmbeddingAnsweringModel(train, embedders, { seed: settings.seed, epochs });
    const { name, key } = answeringModelFile('pretrained-embeddings', { ...settings, modelEpochs: epochs }, embedders);
    writeFileSync(join(dir, name), encodeEmbeddingAnsweringModel(pretrained));
    writeFileSync(join(dir, `${name}.key`), key);
  }
  console.log(`wrote ${dir}`);
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
