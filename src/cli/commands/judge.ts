import type { Command } from '../main';
import { isPositiveInteger, numberOption, parseCommandArgs, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { SERVER_FLAGS, SERVER_OPTIONS, SERVER_USAGE, maxConnectionFailuresOption, serverOptions } from './collect';
import { PROGRESS_USAGE, SPLIT_FLAGS, SPLIT_OPTIONS, SPLIT_USAGE, loadSplitArgument } from './shared';

const OPTIONS = {
  ...SPLIT_OPTIONS,
  ...SERVER_OPTIONS,
  out: { type: 'string' },
  'text-only': { type: 'boolean' },
  resume: { type: 'boolean' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
} as const;

export const judgeCommand: Command = {
  summary: 'score reference vs model answers with a judge model (LLaVA-Bench review); relative preference',
  usage: [
    'Usage: emishift judge --split FILE [--responses FILE] --out FILE [--base-url URL] [--model M] [--api-key K]',
    '                      [--concurrency N] [--text-only] [--timeout S] [--retries N] [--max-connection-failures N]',
    '                      [--json] [--progress]',
    '',
    'The judge scores the reference answer (Assistant 1) and the model answer (Assistant 2) from 1 to 10 for',
    'each question, seeing the image (or, with --text-only, the question alone). Scores are appended to',
    '--out (JSONL, one line per question; resumable as collect). RP = mean model score / mean reference score.',
    ...SPLIT_USAGE,
    ...SERVER_USAGE,
    '  --text-only      show the judge the question without the image',
    '  --resume         (the default) judge only the question_ids not yet scored in --out',
    '  --json           print the counts and RP as JSON',
    PROGRESS_USAGE,
  ].join('\n'),
  flags: { ...SPLIT_FLAGS, ...SERVER_FLAGS },
  options: OPTIONS,
  async run(argv) {
    const options = parseCommandArgs('judge', argv, OPTIONS);
    const out = requireOption(options.out, 'out', 'judge');
    const concurrency = numberOption(options.concurrency, 'concurrency', isPositiveInteger, 'a positive integer');
    const clientOptions = serverOptions(options);
    const maxConnectionFailures = maxConnectionFailuresOption(options);
    const table = await loadSplitArgument('judge', options);
    const { judgeSplit } = await import('../../serve/judge');
    const summary = await judgeSplit(table, {
      outFile: out,
      clientOptions,
      concurrency,
      withImage: !options['text-only'],
      maxConnectionFailures,
      onProgress: commandProgress('judge', options.progress, { stage: 'judging', unit: 'questions' }),
    });
    const rp = summary.relativePreference;
    const result = {
      split: table.name,
      out,
      total: summary.total,
      judged: summary.judged,
      skipped: summary.skipped,
      failed: summary.failed,
      relative_preference: rp?.rp ?? null,
      mean_model_score: rp?.meanModelScore ?? null,
      mean_reference_score: rp?.meanReferenceScore ?? null,
      scored: rp?.count ?? 0,
    };
    if (options.json) printJson(result);
    else process.stdout.write(`${table.name}: RP = ${rp ? rp.rp.toFixed(4) : 'n/a'} over ${rp?.count ?? 0} questions (${summary.judged} judged now, ${summary.failed} failed)\n`);
  },
};
