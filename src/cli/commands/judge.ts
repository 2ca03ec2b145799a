import { defineCommand } from '../command';
import { isPositiveInteger, numberOption, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { SERVER_OPTIONS, maxConnectionFailuresOption, serverOptions } from './collect';
import { PROGRESS_OPTION, SPLIT_OPTIONS, readSplitArgument } from './shared';

export const judgeCommand = defineCommand({
  name: 'judge',
  summary: 'score reference vs model answers with a judge model (LLaVA-Bench review); relative preference',
  usage: [
    'Usage: emishift judge --split FILE [--responses FILE] --out FILE [--base-url URL] [--model M] [--api-key K]',
    '                      [--concurrency N] [--text-only] [--timeout S] [--retries N] [--max-connection-failures N]',
    '                      [--json] [--progress]',
    '',
    'The judge scores the reference answer (Assistant 1) and the model answer (Assistant 2) from 1 to 10 for',
    'each question, seeing the image (or, with --text-only, the question alone). Scores are appended to',
    '--out (JSONL, one line per question; resumable as collect). RP = mean model score / mean reference score.',
  ],
  options: {
    ...SPLIT_OPTIONS,
    out: { type: 'string', value: 'FILE', help: 'the scores (JSONL), appended to' },
    ...SERVER_OPTIONS,
    'text-only': { type: 'boolean', help: 'show the judge the question without the image' },
    resume: { type: 'boolean', help: '(the default) judge only the question_ids not yet scored in --out' },
    json: { type: 'boolean', help: 'print the counts and RP as JSON' },
    ...PROGRESS_OPTION,
  },
  async run(options) {
    const out = requireOption(options.out, 'out', 'judge');
    const concurrency = numberOption(options.concurrency, 'concurrency', isPositiveInteger, 'a positive integer');
    const clientOptions = serverOptions(options);
    const maxConnectionFailures = maxConnectionFailuresOption(options);
    const table = await readSplitArgument('judge', options);
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
});
