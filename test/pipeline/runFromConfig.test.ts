/**
 * The job as the library runs it: the config chooses the embedder, CLUB's settings, the mixture,
 * the entropy scale and bootstrap; the sets go from stage to stage in memory and give the numbers
 * a sweep of the folders the job wrote gives; problems name the config file and its field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors';
import { readSplitTable } from '../../src/data/loaders';
import { readSplitFolder } from '../../src/data/splitDirectory';
import { embedSplit } from '../../src/embed/embedSplit';
import { BuiltinTextEmbedder } from '../../src/embed/builtinText';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { sweepSplits } from '../../src/sweep/sweep';
import { toResultsJson } from '../../src/sweep/resultsJson';
import { runFromConfig, summarizeJob } from '../../src/pipeline/runFromConfig';
import type { JobConfig } from '../../src/pipeline/jobConfig';
import { writeDriftingSplit } from '../support/textSplits';

/** Four drifting text splits under `dir/splits/`, and their config entries (paths relative to `dir`). */
function writeSplits(dir: string, rows = 24) {
  mkdirSync(join(dir, 'splits'), { recursive: true });
  return [0, 1, 2, 3].map((drift) => {
    writeDriftingSplit(join(dir, 'splits', `split${drift}.jsonl`), drift, rows);
    return { file: `splits/split${drift}.jsonl` };
  });
}

test("embedSplit hands back the set it wrote, equal to the folder read back, whether embedded or reused", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-set-'));
  writeDriftingSplit(join(dir, 'split.jsonl'), 2, 12);
  const table = await readSplitTable(join(dir, 'split.jsonl'));
  const embedder = new BuiltinTextEmbedder();
  const fresh = await embedSplit(table, join(dir, 'out'), { textEmbedder: embedder });
  assert.deepEqual(fresh.embedded, ['text', 'response', 'reference']);
  assert.deepEqual(fresh.set, readSplitFolder(join(dir, 'out'), 'split'));
  const reused = await embedSplit(table, join(dir, 'out'), { textEmbedder: embedder });
  assert.deepEqual(reused.reused, ['text', 'response', 'reference']);
  assert.deepEqual(reused.set, fresh.set);
  assert.match(reused.set.origin?.manifestDigest ?? '', /^sha256:/);
});

test('the config chooses the mixture, the entropy scale, bootstrap and CLUB; the numbers equal a sweep of the folders the job wrote', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-config-job-'));
  const config: JobConfig = {
    id: 'split0',
    out: 'job',
    splits: writeSplits(dir),
    club: { epochs: 15, hiddenDim: 16 },
    mixture: 'equal',
    entropyScale: 1.5,
    bootstrap: { resamples: 6, seed: 3, method: 'percentile' },
  };
  writeFileSync(join(dir, 'job.json'), JSON.stringify(config));
  const warnings: string[] = [];
  // The config's folder, not the working directory, anchors its paths.
  const result = await runFromConfig(config, { configFile: join(dir, 'job.json'), warn: (line) => warnings.push(line) });
  assert.equal(result.kind, 'splits');
  assert.equal(result.resultsFile, join(dir, 'job', 'results.json'));
  const { results } = result;
  assert.equal(results.mixture, 'equal');
  assert.equal(results.entropy_scale, 1.5);
  assert.deepEqual(Object.keys(results.EMID_UB_FULL ?? {}).sort(), ['split1', 'split2', 'split3']);
  assert.deepEqual(results.provenance?.bootstrap, { resamples: 6, confidence: 0.95, seed: 3, method: 'percentile' });
  assert.equal(results.provenance?.estimator.training?.settings.hiddenDim, 16);
  assert.equal(results.provenance?.estimator.training?.settings.epochs, 15);
  assert.deepEqual(results.provenance?.invocation, { api: 'runFromConfig', config, config_file: join(dir, 'job.json') });
  assert.deepEqual(warnings, []);

  const sources = [0, 1, 2, 3].map((i) => {
    const directory = join(dir, 'job', 'embeddings', `split${i}`);
    return { name: `split${i}`, location: directory, load: () => readSplitFolder(directory, `split${i}`) };
  });
  const club = ClubEstimator.load(join(dir, 'job', 'club.safetensors'));
  const fromDisk = toResultsJson(
    await sweepSplits(sources[0], sources.slice(1), club, { mixture: 'equal', entropyScale: 1.5, bootstrap: { resamples: 6, seed: 3, method: 'percentile' }, warn: () => {} }),
  );
  for (const key of ['EMI', 'EMID', 'EMID_UB', 'EMID_UB_FULL', 'EMID_CI', 'EMID_UB_CI', 'JSD_QY', 'PearsonR'] as const) assert.deepEqual(results[key], fromDisk[key], key);

  const summary = summarizeJob(result);
  assert.deepEqual(Object.keys(summary), ['results', 'report', 'splits', 'club_reused', 'pearson_r', 'pearson_pval', 'spearman_rho']);
  assert.equal(summary.splits, 4);
  assert.equal(summary.pearson_r, results.PearsonR);
});

test('the config chooses the embedder: an OpenAI-compatible server on 127.0.0.1 embeds every column', async () => {
  const requests: { model: string; input: string[] }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; input: string[] };
      requests.push(body);
      // A deterministic 16-d vector per text, from its hash.
      const data = body.input.map((text, index) => ({ index, embedding: [...createHash('sha256').update(text).digest()].slice(0, 16).map((byte) => byte / 255 + 0.01) }));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data, model: body.model }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const dir = mkdtempSync(join(tmpdir(), 'emishift-config-openai-'));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const config: JobConfig = { id: 'split0', out: 'job', splits: writeSplits(dir, 12), embedder: { kind: 'openai', baseUrl, model: 'test-embedder', batchSize: 7 }, club: { epochs: 3 } };
    const result = await runFromConfig(config, { baseDirectory: dir, warn: () => {} });
    assert.ok(requests.length > 0 && requests.every((request) => request.model === 'test-embedder' && request.input.length <= 7));
    const split = result.results.provenance?.splits.split2;
    assert.equal(split?.space?.embedder, 'openai');
    assert.equal(split?.space?.dimension, 16);
    assert.deepEqual(result.results.provenance?.estimator.network, { x_dim: 16, y_dim: 16, hidden_dim: 64 });
    assert.deepEqual(result.results.provenance?.invocation.config_file, undefined, 'no file: none recorded');
  } finally {
    server.close();
  }
});

test("bad settings that only show when the job starts name the config file and its field", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emishift-config-errors-'));
  const splits = writeSplits(dir, 6);
  const file = join(dir, 'job.json');
  const refused = async (config: JobConfig, message: string) => {
    await assert.rejects(runFromConfig(config, { configFile: file, warn: () => {} }), (error: unknown) => error instanceof InputError && error.message === message, message);
  };
  await refused({ id: 'split9', splits }, `${file}: id: no split named 'split9' (splits found: split0, split1, split2, split3)`);
  await refused({ id: 'split0', splits, mixture: 'wide' as never }, `${file}: mixture: expected sample-weighted or equal, got 'wide'`);
  // The environment's model and server defaults would answer what these configs leave out.
  const variables = ['EMISHIFT_XLMR_DIR', 'EMISHIFT_CLIP_DIR', 'EMISHIFT_EMBEDDINGS_BASE_URL'];
  const previous = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
  for (const name of variables) delete process.env[name];
  try {
    await refused(
      { id: 'split0', splits, embedder: 'transformers' },
      `${file}: embedder.textModel: no XLM-RoBERTa model: pass textModel or set EMISHIFT_XLMR_DIR to a local xlm-roberta-base directory`,
    );
    const textModel = join(dir, 'xlmr');
    mkdirSync(textModel);
    writeFileSync(join(textModel, 'config.json'), JSON.stringify({ hidden_size: 768 }));
    await assert.rejects(
      runFromConfig({ id: 'split0', splits, embedder: { kind: 'transformers', textModel: './xlmr', imageModel: './no-clip' } }, { configFile: file }),
      (error: unknown) => error instanceof InputError && error.message.startsWith(`${file}: embedder.imageModel: model '${join(dir, 'no-clip')}' not found locally`),
    );
    await assert.rejects(
      runFromConfig({ id: 'split0', splits, embedder: { kind: 'transformers', textModel: './no-xlmr' } }, { configFile: file }),
      (error: unknown) => error instanceof InputError && error.message.startsWith(`${file}: embedder.textModel: model '${join(dir, 'no-xlmr')}' not found locally`),
    );
    // A CLIP folder from the environment that is not there is the image model's problem too (the config names no image model).
    process.env.EMISHIFT_CLIP_DIR = join(dir, 'clip-from-env');
    await assert.rejects(
      runFromConfig({ id: 'split0', splits, embedder: { kind: 'transformers', textModel: './xlmr' } }, { configFile: file }),
      (error: unknown) => error instanceof InputError && error.message.startsWith(`${file}: embedder.imageModel: model '${join(dir, 'clip-from-env')}' not found locally`),
    );
    delete process.env.EMISHIFT_CLIP_DIR;
    await refused({ id: 'split0', splits, embedder: { kind: 'openai', model: 'm' } }, `${file}: embedder.baseUrl: no embedding server: pass baseUrl or set EMISHIFT_EMBEDDINGS_BASE_URL (e.g. http://127.0.0.1:8000/v1)`);
  } finally {
    for (const name of variables) if (previous[name] !== undefined) process.env[name] = previous[name];
  }
});
