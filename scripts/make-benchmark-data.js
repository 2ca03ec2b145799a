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
  console.log(`wrote ${dir}`);
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
