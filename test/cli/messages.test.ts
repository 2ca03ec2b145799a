import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { closestMatch, parseCommandArgs } from '../../src/cli/args';
import { stageLines } from '../../src/cli/progress';
import { saveClub } from '../../src/estimators/club/clubFile';
import { initClubParameters } from '../../src/estimators/club/clubModel';
import { writeSweepRoot } from '../support/splitFolders';
import { InputError } from '../../src/errors';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');

/** The CLI with an environment that names no model, server or model directory. */
function emishift(...args: string[]) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('EMISHIFT_CHAT') || key.startsWith('EMISHIFT_EMBEDDINGS') || key === 'EMISHIFT_XLMR_DIR' || key === 'EMISHIFT_CLIP_DIR' || key === 'OPENAI_API_KEY') delete env[key];
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const work = mkdtempSync(join(tmpdir(), 'emishift-cli-messages-'));
const root = join(work, 'splits');
writeSweepRoot(root, { count: 4, rows: 12, dim: 16 });
const club = join(work, 'club.safetensors');
saveClub(club, initClubParameters({ xDim: 16, yDim: 16, hiddenDim: 8 }, 3));
const split = join(work, 'split.jsonl');
writeFileSync(split, [1, 2, 3].map((id) => JSON.stringify({ question_id: id, question: `q${id}`, reference_answer: `r${id}`, model_answer: `m${id}` })).join('\n') + '\n');

test('emishift without a command prints usage to stderr and exits 2; --help and --version print to stdout', () => {
  const bare = emishift();
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, '');
  assert.match(bare.stderr, /^emishift — .*\n\nUsage: emishift <command> \[options\]/);
  const help = emishift('--help');
  assert.equal(help.code, 0);
  assert.equal(help.stdout, bare.stderr, 'the same usage');
  assert.equal(help.stderr, '');
  const version = require('../../../package.json').version as string;
  for (const args of [['--version'], ['-v'], ['version']]) assert.deepEqual(emishift(...args), { code: 0, stdout: `${version}\n`, stderr: '' }, args.join(' '));
  const pairHelp = emishift('help', 'pair');
  assert.equal(pairHelp.code, 0);
  assert.equal(pairHelp.stdout, emishift('pair', '--help').stdout);
});

test('misspelt commands and options get a suggestion; other argument errors say what is wrong', () => {
  const cases: [string[], string][] = [
    [['swep'], "emishift: unknown command 'swep' (did you mean 'sweep'?); run 'emishift --help'"],
    [['jugde'], "emishift: unknown command 'jugde' (did you mean 'judge'?); run 'emishift --help'"],
    [['--verison'], "emishift: unknown option '--verison' (did you mean '--version'?); run 'emishift --help'"],
    [['frobnicate'], "emishift: unknown command 'frobnicate' (commands: pair, sweep, train, estimate, validate, embed, collect, judge, report, run, info, init, pointwise, detect, monitor); run 'emishift --help'"],
    [['pair', '--entropy-scal', '3'], "emishift pair: unknown option '--entropy-scal' (did you mean '--entropy-scale'?) (see 'emishift pair --help')"],
    [['sweep', '--boot', '3'], "emishift sweep: unknown option '--boot' (did you mean '--bootstrap'?) (see 'emishift sweep --help')"],
    [['sweep', '--bogus'], "emishift sweep: unknown option '--bogus' (see 'emishift sweep --help')"],
    [['pair', '--source'], "emishift pair: option --source needs a value (see 'emishift pair --help')"],
    [['pair', '--source', '--target', 'x'], "emishift pair: option --source needs a value (see 'emishift pair --help')"],
    [['pair', '--json=yes'], "emishift pair: option --json takes no value, got '--json=yes' (see 'emishift pair --help')"],
    [['pair', '--json', 'x'], "emishift pair: unexpected argument 'x' (--json takes no value) (see 'emishift pair --help')"],
  ];
  for (const [args, expected] of cases) {
    const run = emishift(...args);
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr, `${expected}\n`, args.join(' '));
  }
});

test('every command names itself once in front of its messages', () => {
  // The first required option of each command, missing.
  const required: Record<string, string> = { pair: 'source', sweep: 'root', train: 'out', embed: 'out', collect: 'out', judge: 'out', report: 'results', run: 'config' };
  for (const [command, option] of Object.entries(required)) {
    const run = emishift(command);
    assert.equal(run.code, 2, command);
    assert.equal(run.stderr, `emishift ${command}: missing required option --${option} (see 'emishift ${command} --help')\n`);
  }
  const both = emishift('train', '--root', root, '--x', 'a.npy', '--out', join(work, 'never.safetensors'));
  assert.equal(both.stderr, 'emishift train: give either --root or --x and --y, not both\n');
});

test("messages name the CLI's flags, never the library's option names", () => {
  const noExtension = join(work, 'split');
  writeFileSync(noExtension, '');
  const cases: [string[], string][] = [
    [['embed', '--split', split, '--out', join(work, 'o'), '--embedder', 'transformers'], '--text-model: no XLM-RoBERTa model: pass --text-model or set EMISHIFT_XLMR_DIR to a local xlm-roberta-base directory'],
    [['embed', '--split', split, '--out', join(work, 'o'), '--embedder', 'transformers', '--text-model', join(work, 'no-model')], `--text-model: model '${join(work, 'no-model')}' not found locally`],
    [['embed', '--split', split, '--out', join(work, 'o'), '--embedder', 'openai'], '--base-url: no embedding server: pass --base-url or set EMISHIFT_EMBEDDINGS_BASE_URL'],
    [['embed', '--split', split, '--out', join(work, 'o'), '--embedder', 'openai', '--base-url', 'http://127.0.0.1:9/v1'], '--model: no embedding model: pass --model or set EMISHIFT_EMBEDDINGS_MODEL'],
    [['collect', '--split', split, '--out', join(work, 'a.jsonl')], '--model: no model name: pass --model or set EMISHIFT_CHAT_MODEL'],
    [['collect', '--split', split, '--out', join(work, 'a.jsonl'), '--model', 'm', '--base-url', 'not-a-url'], "--base-url: 'not-a-url' is not a URL (expected e.g. http://localhost:8000/v1)"],
    [['judge', '--split', split, '--out', join(work, 'j.jsonl'), '--model', 'm', '--max-connection-failures', '0'], "--max-connection-failures: expected a positive integer, got '0'"],
    [['embed', '--split', noExtension, '--out', join(work, 'o')], 'pass --format jsonl | csv | parquet | llava'],
  ];
  for (const [args, expected] of cases) {
    const run = emishift(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(run.stderr.includes(expected), `${args.join(' ')}:\n${run.stderr}`);
    assert.doesNotMatch(run.stderr, /textModel|imageModel|baseUrl|apiKey|timeoutMs|maxRetries|`model`|pass format/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  }
});

test('a missing input file is one line naming it, never a raw ENOENT', () => {
  const missing = (name: string) => join(work, 'missing', name);
  const incomplete = join(work, 'incomplete-root');
  mkdirSync(join(incomplete, 'id'), { recursive: true });
  for (const name of ['t.npy', 'yhat.npy']) copyFileSync(join(root, 'id', name), join(incomplete, 'id', name));
  const config = (name: string, splits: object[]) => {
    const file = join(work, name);
    writeFileSync(file, JSON.stringify({ id: 's0', splits }));
    return file;
  };
  const cases: [string[], string][] = [
    [['pair', '--source', join(root, 'id'), '--target', join(root, 'ood1'), '--club', missing('club.pt')], missing('club.pt')],
    [['pair', '--source', missing('id'), '--target', join(root, 'ood1'), '--club', club], missing('id')],
    [['sweep', '--root', missing('root'), '--id', 'id', '--club', club], missing('root')],
    [['train', '--x', missing('x.npy'), '--y', missing('y.npy'), '--out', join(work, 'never.safetensors')], missing('x.npy')],
    [['train', '--x', join(root, 'id', 't.npy'), '--y', missing('y.npy'), '--out', join(work, 'never.safetensors')], missing('y.npy')],
    [['train', '--root', root, '--init', missing('init.pt'), '--out', join(work, 'never.safetensors')], missing('init.pt')],
    [['train', '--root', missing('root'), '--out', join(work, 'never.safetensors')], missing('root')],
    [['embed', '--split', missing('split.jsonl'), '--out', join(work, 'o')], missing('split.jsonl')],
    [['embed', '--split', split, '--responses', missing('answers.jsonl'), '--out', join(work, 'o')], missing('answers.jsonl')],
    [['embed', '--split-dir', missing('splits'), '--out', join(work, 'o')], missing('splits')],
    [['embed', '--split-dir', join(work, 'split-dir-for-missing'), '--responses', missing('answers'), '--out', join(work, 'o')], missing('answers')],
    [['collect', '--split', missing('split.jsonl'), '--out', join(work, 'a.jsonl'), '--model', 'm'], missing('split.jsonl')],
    [['judge', '--split', split, '--responses', missing('answers.jsonl'), '--out', join(work, 'j.jsonl'), '--model', 'm'], missing('answers.jsonl')],
    [['run', '--config', missing('config.json')], missing('config.json')],
    [['run', '--config', config('c1.json', [{ file: 'split.jsonl' }, { file: 'missing/gone.jsonl' }])], missing('gone.jsonl')],
    [['run', '--config', config('c2.json', [{ file: 'split.jsonl' }, { file: 'split.jsonl', responses: 'missing/answers.jsonl' }])], missing('answers.jsonl')],
    [['report', '--results', missing('results.json')], missing('results.json')],
  ];
  mkdirSync(join(work, 'split-dir-for-missing'), { recursive: true });
  writeFileSync(join(work, 'split-dir-for-missing', 'a.jsonl'), '');
  for (const [args, file] of cases) {
    const run = emishift(...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.equal(run.stderr, `emishift ${args[0]}: ${file}: file not found\n`, args.join(' '));
  }
  // A dangling link among the split folders is named too.
  const linked = join(work, 'linked-root');
  mkdirSync(linked);
  symlinkSync(missing('gone'), join(linked, 'broken'));
  for (const args of [['sweep', '--root', linked, '--id', 'id', '--club', club], ['train', '--root', linked, '--out', join(work, 'never.safetensors')]]) {
    assert.equal(emishift(...args).stderr, `emishift ${args[0]}: ${join(linked, 'broken')}: file not found\n`);
  }
  // A split folder without one of its matrices names the file that is missing.
  const folder = emishift('sweep', '--root', incomplete, '--id', 'id', '--club', club);
  assert.equal(folder.code, 2);
  assert.equal(folder.stderr, `emishift sweep: ${join(incomplete, 'id', 'y.npy')}: file not found (a split folder needs t.npy, yhat.npy and y.npy)\n`);
});

test('every option a command parses is in its usage', () => {
  for (const name of ['pair', 'sweep', 'train', 'embed', 'collect', 'judge', 'report', 'run', 'info']) {
    const command = require(`../../src/cli/commands/${name}`)[`${name}Command`];
    for (const option of Object.keys(command.options)) assert.match(command.usage, new RegExp(`--${option}\\b`), `${name} --${option}`);
  }
});

test('long commands print one line when a stage starts and one when it ends, not one per item', () => {
  const sweep = emishift('sweep', '--root', root, '--id', 'id', '--club', club);
  assert.equal(sweep.code, 0, sweep.stderr);
  // These test splits have no manifests: the space warnings are lines of their own.
  const lines = sweep.stderr.trim().split('\n').filter((line) => !line.startsWith('emishift sweep: warning: '));
  assert.equal(lines.length, 2, sweep.stderr);
  assert.equal(lines[0], 'sweep: comparing with the ID split (4 splits)…');
  assert.match(lines[1], /^sweep: comparing with the ID split: 4 splits in \d+\.\d s$/);
  // --progress asks for the detailed lines instead.
  const detailed = emishift('sweep', '--root', root, '--id', 'id', '--club', club, '--progress');
  assert.match(detailed.stderr, /^sweep 4\/4 ood\d — \d+\.\d s elapsed, ~0 s left$/m);
  assert.doesNotMatch(detailed.stderr, /comparing with the ID split/);
  const train = emishift('train', '--root', root, '--out', join(work, 'stages.safetensors'), '--epochs', '30', '--batch-size', '16');
  assert.equal(train.code, 0, train.stderr);
  assert.deepEqual(train.stderr.trim().split('\n').filter((line) => !line.startsWith('emishift train: warning: ')).map((line) => line.replace(/\d+\.\d s$/, 'T s')), ['train: training CLUB (30 epochs)…', 'train: training CLUB: 30 epochs in T s']);
});

test('stage lines: a start and an end per stage, reports without a stage ignored unless a default names one', () => {
  const lines: string[] = [];
  const report = stageLines('run', {}, (line) => lines.push(line));
  report({ done: 0, total: 3, stage: 'embedding', unit: 'splits' });
  for (let done = 1; done <= 3; done++) report({ done, total: 3, label: `split${done}`, stage: 'embedding', unit: 'splits' });
  report({ done: 5, total: 200, label: 'epoch' });
  for (let done = 1; done <= 200; done++) report({ done, total: 200, stage: 'training CLUB', unit: 'epochs' });
  report({ done: 1, total: 1, stage: 'comparing', unit: 'splits' });
  assert.deepEqual(
    lines.map((line) => line.replace(/\d+\.\d s\n$/, 'T s\n')),
    ['run: embedding (3 splits)…\n', 'run: embedding: 3 splits in T s\n', 'run: training CLUB (200 epochs)…\n', 'run: training CLUB: 200 epochs in T s\n', 'run: comparing: 1 splits in T s\n'],
  );
  const defaulted: string[] = [];
  const withDefault = stageLines('collect', { stage: 'asking the model', unit: 'questions' }, (line) => defaulted.push(line));
  for (let done = 2; done <= 4; done++) withDefault({ done, total: 4 });
  assert.equal(defaulted.length, 2);
  assert.equal(defaulted[0], 'collect: asking the model (4 questions)…\n');
});

test('closestMatch prefers the one option a word abbreviates, then a near typo, else nothing', () => {
  const options = ['root', 'bootstrap', 'out', 'entropy-scale', 'interval'];
  assert.equal(closestMatch('boot', options), 'bootstrap');
  assert.equal(closestMatch('entropy-scal', options), 'entropy-scale');
  assert.equal(closestMatch('rot', options), 'root');
  assert.equal(closestMatch('intreval', options), 'interval');
  assert.equal(closestMatch('zzz', options), undefined);
  assert.equal(closestMatch('o', options), undefined, 'one letter abbreviates nothing');
  assert.throws(() => parseCommandArgs('pair', ['--entropy-scal', '1'], { 'entropy-scale': { type: 'string' } }), (error: unknown) => error instanceof InputError && error.field === undefined);
});

test('main() returns the exit code without exiting, so the CLI can be driven in-process', async () => {
  const writes: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (writes.push(chunk), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(['pair']), 2);
  } finally {
    process.stderr.write = original;
  }
  assert.deepEqual(writes, ["emishift pair: missing required option --source (see 'emishift pair --help')\n"]);
});
