import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineCommand, flagNames, optionLines } from '../../src/cli/command';
import { InputError } from '../../src/errors';

test('option lines: flag and placeholder padded to one column, further lines under it, long flags followed by two spaces', () => {
  assert.deepEqual(
    optionLines({
      json: { type: 'boolean', help: 'print JSON' },
      'entropy-scale': { type: 'string', value: 'H', help: ['Ĥ for the full bound', 'second line'] },
      'max-connection-failures': { type: 'string', value: 'N', help: 'stop after N' },
      verbose: { type: 'boolean', short: 'V', help: 'say more' },
    }),
    [
      '  --json           print JSON',
      '  --entropy-scale H  Ĥ for the full bound',
      '                   second line',
      '  --max-connection-failures N  stop after N',
      '  -V, --verbose    say more',
    ],
  );
});

test('a command is made from its one table: usage, parser and flag names agree', async () => {
  const seen: unknown[] = [];
  const command = defineCommand({
    name: 'demo',
    summary: 'a demo',
    usage: ['Usage: emishift demo --in FILE [--fast]', ''],
    options: {
      in: { type: 'string', value: 'FILE', help: 'the input', sets: ['inputFile'] },
      fast: { type: 'boolean', short: 'f', help: 'go fast' },
      'batch-size': { type: 'string', value: 'N', help: 'rows per call', sets: ['batchSize', 'rowsPerCall'] },
    },
    async run(options, context) {
      seen.push(options, context.positionals);
    },
  });
  assert.equal(command.usage, ['Usage: emishift demo --in FILE [--fast]', '', '  --in FILE        the input', '  -f, --fast       go fast', '  --batch-size N   rows per call'].join('\n'));
  assert.deepEqual(command.flags, { inputFile: '--in', batchSize: '--batch-size', rowsPerCall: '--batch-size' });
  assert.deepEqual(Object.keys(command.options), ['in', 'fast', 'batch-size']);
  await command.run(['--in', 'x.jsonl', '-f']);
  assert.deepEqual(seen, [{ in: 'x.jsonl', fast: true }, []]);
  await assert.rejects(command.run(['--inn', 'x']), (error: unknown) => error instanceof InputError && error.message === "unknown option '--inn' (did you mean '--in'?) (see 'emishift demo --help')");
  await assert.rejects(command.run(['stray']), /unexpected argument 'stray'/);
  assert.deepEqual(flagNames({ out: { type: 'string', help: 'x' } }), {});
});

test("each command's flags name the library options its errors use", () => {
  const flagsOf = (name: string) => require(`../../src/cli/commands/${name}`)[`${name}Command`].flags as Record<string, string>;
  assert.deepEqual(flagsOf('embed'), {
    split: '--split',
    format: '--format',
    responses: '--responses',
    name: '--name',
    imageRoot: '--image-root',
    embedder: '--embedder',
    textModel: '--text-model',
    imageModel: '--image-model',
    baseUrl: '--base-url',
    model: '--model',
    apiKey: '--api-key',
    batchSize: '--batch-size',
    expectedDimension: '--dimension',
    dimension: '--dimension',
  });
  assert.deepEqual(flagsOf('train'), {
    epochs: '--epochs',
    batchSize: '--batch-size',
    learningRate: '--lr',
    seed: '--seed',
    hiddenDim: '--hidden',
    validationFraction: '--validation-fraction',
    patience: '--patience',
    initial: '--init',
    engine: '--engine',
    threads: '--threads',
  });
  const sweep = flagsOf('sweep');
  for (const [library, flag] of Object.entries({ mixture: '--mixture', entropyScale: '--entropy-scale', resamples: '--bootstrap', confidence: '--confidence', seed: '--seed', method: '--interval', threads: '--threads', modality: '--modality', rows: '--rows' })) {
    assert.equal(sweep[library], flag, library);
  }
  const judge = flagsOf('judge');
  for (const [library, flag] of Object.entries({ captionField: '--caption-field', textFields: '--caption-field', rpMethod: '--rp', imageRoot: '--image-root' })) {
    assert.equal(judge[library], flag, library);
  }
  const collect = flagsOf('collect');
  for (const [library, flag] of Object.entries({ timeoutMs: '--timeout', maxRetries: '--retries', maxConnectionFailures: '--max-connection-failures', prompt: '--prompt', maxTokens: '--max-tokens', temperature: '--temperature' })) {
    assert.equal(collect[library], flag, library);
  }
});
