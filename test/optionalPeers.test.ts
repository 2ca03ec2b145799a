/**
 * Optional peers (danfojs-node, @huggingface/transformers): loaded on first use; when absent or
 * broken, the feature throws an OptionalPeerError whose one line says exactly what to install.
 * The absent and broken cases run in a child process whose module resolution is rigged with a
 * preload script, since the repository itself has every peer installed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOptionalPeerError, loadOptionalPeer, OptionalPeerError, peerInstallAdvice } from '../src/optionalPeers';

const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string>; overrides: Record<string, string> };
const INDEX = join(__dirname, '..', 'src', 'index.js');
const work = mkdtempSync(join(tmpdir(), 'emishift-peers-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A preload script: `missing` packages do not resolve; `broken` ones resolve to a file that throws. */
function rigResolution(missing: string[], broken: string[]): string {
  const thrower = join(work, 'throws-on-load.js');
  writeFileSync(thrower, "throw new Error('native binding failed: libfoo.so not found\\nsecond line');\n");
  const file = join(work, `rig-${missing.length}-${broken.length}.js`);
  writeFileSync(
    file,
    `const Module = require('node:module');
const original = Module._resolveFilename;
const missing = ${JSON.stringify(missing)};
const broken = ${JSON.stringify(broken)};
Module._resolveFilename = function (request, ...rest) {
  if (missing.includes(request)) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  if (broken.includes(request)) return ${JSON.stringify(thrower)};
  return original.call(this, request, ...rest);
};
`,
  );
  return file;
}

interface CaughtError {
  name: string;
  message: string;
  packageName?: string;
  feature?: string;
  problem?: string;
  typed: boolean;
}

function runRigged(preload: string, body: string): CaughtError {
  const script = `
    const api = require(${JSON.stringify(INDEX)});
    (async () => {
      try {
        ${body}
        process.stdout.write(JSON.stringify({ name: 'none' }));
      } catch (error) {
        process.stdout.write(JSON.stringify({ name: error.name, message: error.message, packageName: error.packageName, feature: error.feature, problem: error.problem, typed: api.isOptionalPeerError(error) }));
      }
    })();
  `;
  const result = spawnSync(process.execPath, ['--require', preload, '-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as CaughtError;
}

const ROWS = "[{ question_id: 1, question: 'q', reference_answer: 'r', model_answer: 'a' }, { question_id: 2, question: 'q2', reference_answer: 'r2' }]";

test('toDataFrame without danfojs-node: a typed one-line error naming the package, its version and the overrides', () => {
  const error = runRigged(rigResolution(['danfojs-node'], []), `api.toDataFrame(${ROWS});`);
  assert.equal(error.name, 'OptionalPeerError');
  assert.ok(error.typed, 'isOptionalPeerError');
  assert.equal(error.packageName, 'danfojs-node');
  assert.equal(error.feature, 'toDataFrame');
  assert.equal(error.problem, 'not-installed');
  assert.doesNotMatch(error.message, /\n/);
  assert.ok(error.message.startsWith('toDataFrame needs danfojs-node, an optional peer of emishift that is not installed: '), error.message);
  assert.ok(error.message.includes(`npm install "danfojs-node@${manifest.peerDependencies['danfojs-node']}"`), error.message);
  // The overrides come before the install: without them the install itself fails.
  const overrides = `"overrides": ${JSON.stringify(manifest.overrides)}`;
  assert.ok(error.message.includes(overrides), error.message);
  assert.ok(error.message.indexOf(overrides) < error.message.indexOf('npm install'), 'overrides first, then npm install');
  assert.match(error.message, /npx emishift init/);
});

test('readSplitDataFrame fails on the missing peer before reading the split', () => {
  const error = runRigged(rigResolution(['danfojs-node'], []), "await api.readSplitDataFrame('/no/such/split.jsonl');");
  assert.equal(error.problem, 'not-installed', error.message);
  assert.equal(error.feature, 'readSplitDataFrame');
});

test('a peer that is installed but throws on load: the error says so and keeps the cause\'s first line', () => {
  const error = runRigged(rigResolution([], ['danfojs-node']), `api.toDataFrame(${ROWS});`);
  assert.equal(error.problem, 'failed-to-load');
  assert.ok(error.typed);
  assert.match(error.message, /^toDataFrame needs danfojs-node, which is installed but failed to load \(native binding failed: libfoo\.so not found\): add "overrides"/);
  assert.doesNotMatch(error.message, /second line|\n/);
});

test('the transformers embedder without @huggingface/transformers: install command with the ONNX Runtime skip variable', () => {
  const loader = join(__dirname, '..', 'src', 'embed', 'modelDirectory.js');
  const error = runRigged(rigResolution(['@huggingface/transformers'], []), `require(${JSON.stringify(loader)}).loadTransformers();`);
  assert.equal(error.name, 'OptionalPeerError');
  assert.equal(error.packageName, '@huggingface/transformers');
  assert.equal(error.problem, 'not-installed');
  assert.ok(error.message.includes(`run ONNXRUNTIME_NODE_INSTALL=skip npm install "@huggingface/transformers@${manifest.peerDependencies['@huggingface/transformers']}"`), error.message);
  assert.doesNotMatch(error.message, /\n/);
});

test('every declared optional peer has install advice naming its declared range', () => {
  for (const [name, range] of Object.entries(manifest.peerDependencies)) {
    assert.ok(peerInstallAdvice(name as never).includes(`"${name}@${range}"`), name);
  }
});

test('with the peer installed, loadOptionalPeer returns the module require gives, and toDataFrame works', () => {
  const danfo = loadOptionalPeer<{ DataFrame: unknown }>('danfojs-node', 'toDataFrame');
  assert.equal(danfo, require('danfojs-node'));
  const error = new OptionalPeerError('danfojs-node', 'f', 'not-installed', 'm');
  assert.ok(isOptionalPeerError(error) && error instanceof Error);
  assert.equal(isOptionalPeerError(new Error('m')), false);
  const script = `const { toDataFrame } = require(${JSON.stringify(INDEX)}); process.stdout.write(JSON.stringify(toDataFrame(${ROWS}).shape));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), [2, 4]);
});
