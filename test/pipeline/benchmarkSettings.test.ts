/**
 * An explicit benchmark setting beats the shipped folder's settings.json, and the shipped files
 * (queries, images, the answering model) are used only where they were made with the settings
 * in effect. Small settings and a four-split grid keep the runs short.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors';
import { readSplitFolder } from '../../src/data/splitDirectory';
import { readBenchmarkSettings, writeBenchmarkData } from '../../src/benchmark/benchmarkFiles';
import { defaultShiftGrid } from '../../src/benchmark/splitGrid';
import { benchmarkRunSettings, runShiftBenchmark } from '../../src/pipeline/runBenchmark';

test('benchmark settings: explicit, else shipped, else the defaults; shipped files only when made with the settings in effect', () => {
  const shipped = { seed: 5, trainQueries: 30, splitQueries: 10 };
  assert.deepEqual(benchmarkRunSettings({}, shipped), { ...shipped, modelEpochs: 30, shipped: { train: true, queries: true } });
  assert.deepEqual(benchmarkRunSettings({ seed: 9 }, shipped), { seed: 9, trainQueries: 30, splitQueries: 10, modelEpochs: 30, shipped: { train: false, queries: false } });
  assert.deepEqual(benchmarkRunSettings({ splitQueries: 6, modelEpochs: 2 }, shipped), { seed: 5, trainQueries: 30, splitQueries: 6, modelEpochs: 2, shipped: { train: true, queries: false } });
  assert.deepEqual(benchmarkRunSettings({ trainQueries: 40, seed: 5 }, shipped).shipped, { train: false, queries: true });
  assert.deepEqual(benchmarkRunSettings({}, undefined), { seed: 2025, trainQueries: 600, splitQueries: 120, modelEpochs: 30, shipped: { train: false, queries: false } });
});

test('a malformed settings.json is one error naming the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-settings-'));
  assert.equal(readBenchmarkSettings(dir), undefined);
  writeFileSync(join(dir, 'settings.json'), '{ "seed": 1,');
  assert.throws(() => readBenchmarkSettings(dir), (error: unknown) => error instanceof InputError && error.file === join(dir, 'settings.json') && /not valid JSON/.test(error.message));
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ seed: 1, trainQueries: 0, splitQueries: 3 }));
  assert.throws(() => readBenchmarkSettings(dir), (error: unknown) => error instanceof InputError && error.message === `${join(dir, 'settings.json')}: trainQueries: expected an integer ≥ 1, got 0`);
});

test("an explicit seed beats the shipped one: the shipped model and queries are not used, and a warning says so", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emishift-shipped-'));
  writeBenchmarkData(dataDir, { seed: 5, trainQueries: 30, splitQueries: 10 });
  const grid = defaultShiftGrid().filter((spec) => ['shift_none', 'shift_defocus_blur_5', 'shift_frost_1', 'shift_keyboard_typos_3'].includes(spec.name));
  assert.equal(grid.length, 4);
  const run = async (explicit: { seed?: number; splitQueries?: number }) => {
    const outDir = mkdtempSync(join(tmpdir(), 'emishift-shipped-out-'));
    const warnings: string[] = [];
    const result = await runShiftBenchmark({ outDir, dataDir, modelEpochs: 2, grid, club: { epochs: 3 }, ...explicit, warn: (line) => warnings.push(line) });
    return { outDir, result, warnings };
  };

  const first = await run({});
  assert.deepEqual(first.result.settings, { seed: 5, trainQueries: 30, splitQueries: 10, modelEpochs: 2, shipped: { train: true, queries: true } });
  assert.equal(first.result.modelReused, false);
  assert.deepEqual(first.warnings, []);
  // Ship the model the first run trained, as the repository ships its benchmark's model.
  for (const name of ['answering-model.json', 'answering-model.json.key']) copyFileSync(join(first.outDir, name), join(dataDir, name));

  const shipped = await run({});
  assert.equal(shipped.result.modelReused, true, 'the shipped model, trained with the shipped settings');
  assert.deepEqual(shipped.result.results.EMID, first.result.results.EMID);

  const explicit = await run({ seed: 9 });
  assert.deepEqual(explicit.result.settings, { seed: 9, trainQueries: 30, splitQueries: 10, modelEpochs: 2, shipped: { train: false, queries: false } });
  assert.equal(explicit.result.modelReused, false, 'the shipped model was trained with seed 5');
  assert.deepEqual(JSON.parse(readFileSync(join(explicit.outDir, 'answering-model.json.key'), 'utf8')), { seed: 9, trainQueries: 30, epochs: 2 });
  assert.notDeepEqual(explicit.result.results.EMI, shipped.result.results.EMI, 'other queries, other numbers');
  assert.deepEqual(explicit.warnings, [
    `seed 9 differs from the shipped benchmark's seed 5 (${join(dataDir, 'settings.json')}): the training queries and the split queries and their images are generated, not read from it`,
  ]);

  // Fewer split queries than shipped: the shipped training queries and model still apply.
  const fewer = await run({ splitQueries: 6 });
  assert.deepEqual(fewer.result.settings.shipped, { train: true, queries: false });
  assert.equal(fewer.result.modelReused, true);
  assert.equal(readSplitFolder(join(fewer.outDir, 'embeddings', 'shift_none')).text.rows, 6);
  assert.match(fewer.warnings.join('\n'), /^splitQueries 6 differs from the shipped benchmark's splitQueries 10 .*: the split queries and their images are generated, not read from it$/);
});
