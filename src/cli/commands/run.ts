import type { Command } from '../main';
import { InputError } from '../../errors';
import { parseCommandArgs, requireOption } from '../args';
import { readInputFile } from '../../data/inputFile';
import { formatTable, printJson } from '../output';
import { stderrProgress } from '../progress';

const OPTIONS = { config: { type: 'string' }, json: { type: 'boolean' }, progress: { type: 'boolean' } } as const;

interface RunConfig {
  out?: string;
  id: string;
  splits: { name?: string; file: string; format?: string; responses?: string }[];
  club?: { epochs?: number; batchSize?: number; learningRate?: number; hiddenDim?: number; seed?: number };
}

function parseConfig(file: string): RunConfig {
  let config: unknown;
  try {
    config = JSON.parse(readInputFile(file).toString('utf8'));
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`not valid JSON (${(error as Error).message})`, { file });
  }
  const value = config as Partial<RunConfig>;
  if (typeof value !== 'object' || value === null) throw new InputError('expected a JSON object', { file });
  if (typeof value.id !== 'string') throw new InputError('expected "id": the ID split\'s name', { file, field: 'id' });
  if (!Array.isArray(value.splits) || value.splits.length < 2) throw new InputError('expected "splits": at least two { "file", "responses"?, "name"?, "format"? }', { file, field: 'splits' });
  value.splits.forEach((split, i) => {
    if (typeof split?.file !== 'string') throw new InputError('expected a "file"', { file, field: `splits[${i}]` });
  });
  return value as RunConfig;
}

export const runCommand: Command = {
  summary: 'the whole job from split files: embed, train CLUB, EMI/EMID/bound, correlations, results JSON and HTML report',
  usage: [
    'Usage: emishift run --config FILE [--json] [--progress]',
    '',
    'FILE is JSON: { "id": "<ID split name>", "out": "out/job", "splits": [ { "file": "...", "responses": "...",',
    '"name": "...", "format": "..." }, ... ], "club": { "epochs": 200, "batchSize": 256, ... } }. Paths are',
    'relative to the config file. Each split is loaded (as `embed --split`), embedded with the built-in',
    'embedder, CLUB is trained on the pooled (query, reference answer) pairs, and every split is compared',
    'with the ID split. Writes OUT/embeddings/, OUT/club.safetensors, OUT/results.json and OUT/report.html;',
    'a rerun reuses what has not changed.',
  ].join('\n'),
  async run(argv) {
    const options = parseCommandArgs('run', argv, OPTIONS);
    const configFile = requireOption(options.config, 'config', 'run');
    const config = parseConfig(configFile);
    const { dirname, resolve } = await import('node:path');
    const base = dirname(resolve(configFile));
    const { loadSplitArgument } = await import('./shared');
    const tables = [];
    for (const split of config.splits) {
      tables.push(
        await loadSplitArgument('run', {
          split: /^(hf:|https?:)/.test(split.file) ? split.file : resolve(base, split.file),
          format: split.format,
          responses: split.responses === undefined ? undefined : resolve(base, split.responses),
          name: split.name,
        }),
      );
    }
    const { runJob } = await import('../../pipeline/runJob');
    const result = await runJob(tables, {
      outDir: resolve(base, config.out ?? 'out/job'),
      idSplit: config.id,
      club: config.club,
      onProgress: stderrProgress('run', Boolean(options.progress) || Boolean(process.stderr.isTTY)),
    });
    const summary = {
      results: result.resultsFile,
      report: result.reportFile,
      splits: tables.length,
      club_reused: result.clubReused,
      pearson_r: result.results.PearsonR,
      pearson_pval: result.results.PearsonPval,
      spearman_rho: result.results.SpearmanRho,
    };
    if (options.json) {
      printJson(summary);
      return;
    }
    const rows = result.sweep.comparisons.map((c) => [c.target, c.emid, c.emidUpperBound]);
    process.stdout.write(`${formatTable(['OOD split', 'EMID', 'EMID_UB'], rows)}\n`);
    process.stdout.write(`\nPearson r (EMID vs bound) = ${summary.pearson_r?.toFixed(3) ?? 'n/a'}; results: ${summary.results}; report: ${summary.report}\n`);
  },
};
