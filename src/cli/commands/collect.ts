import type { Command } from '../main';
import { isPositive, isPositiveInteger, isNonNegative, numberOption, parseCommandArgs, requireOption } from '../args';
import { printJson } from '../output';
import { stderrProgress } from '../progress';
import { SPLIT_OPTIONS, SPLIT_USAGE, loadSplitArgument } from './shared';

export const SERVER_OPTIONS = {
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'api-key': { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
} as const;

export const SERVER_USAGE = [
  '  --base-url URL   OpenAI-compatible endpoint including /v1 (vLLM, Ollama, llama.cpp server, hosted APIs);',
  '                   default EMISHIFT_CHAT_BASE_URL, else https://api.openai.com/v1',
  '  --model M        default EMISHIFT_CHAT_MODEL;  --api-key K  default EMISHIFT_CHAT_API_KEY or OPENAI_API_KEY',
  '  --concurrency N  requests in flight (default 4);  --timeout S  seconds per attempt (default 120)',
  '  --retries N      retries on 429/5xx/timeouts/connection errors, with backoff (default 5)',
];

export function serverOptions(options: { 'base-url'?: string; model?: string; 'api-key'?: string; timeout?: string; retries?: string }) {
  const timeout = numberOption(options.timeout, 'timeout', isPositive, 'a positive number of seconds');
  return {
    baseUrl: options['base-url'],
    model: options.model,
    apiKey: options['api-key'],
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    maxRetries: numberOption(options.retries, 'retries', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
  };
}

const OPTIONS = {
  ...SPLIT_OPTIONS,
  ...SERVER_OPTIONS,
  out: { type: 'string' },
  prompt: { type: 'string' },
  'max-tokens': { type: 'string' },
  temperature: { type: 'string' },
  resume: { type: 'boolean' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
} as const;

export const collectCommand: Command = {
  summary: "collect a served MLLM's answers to a split (LLaVA answer-file JSONL, resumable)",
  usage: [
    'Usage: emishift collect --split FILE --out FILE [--base-url URL] [--model M] [--api-key K] [--concurrency N]',
    '                        [--prompt TEMPLATE] [--max-tokens N] [--temperature T] [--timeout S] [--retries N] [--json]',
    '',
    'Sends each image + question as a chat completion and appends the answers to --out in the LLaVA',
    'answer-file format. Resuming is the default (--resume): a rerun asks only for the question_ids not yet',
    'in --out; a crash loses at most the requests in flight and never leaves a damaged line.',
    ...SPLIT_USAGE,
    ...SERVER_USAGE,
    "  --prompt T       text sent with the image; {question} is replaced (default '{question}')",
  ].join('\n'),
  async run(argv) {
    const options = parseCommandArgs('collect', argv, OPTIONS);
    const out = requireOption(options.out, 'out', 'collect');
    const concurrency = numberOption(options.concurrency, 'concurrency', isPositiveInteger, 'a positive integer');
    const maxTokens = numberOption(options['max-tokens'], 'max-tokens', isPositiveInteger, 'a positive integer');
    const temperature = numberOption(options.temperature, 'temperature', isNonNegative, 'a number ≥ 0');
    const clientOptions = serverOptions(options);
    const table = await loadSplitArgument('collect', options);
    const { collectResponses } = await import('../../serve/collectResponses');
    const summary = await collectResponses(table, {
      outFile: out,
      clientOptions,
      concurrency,
      prompt: options.prompt,
      maxTokens,
      temperature,
      onProgress: stderrProgress('collect', Boolean(options.progress) || Boolean(process.stderr.isTTY)),
    });
    const result = { split: table.name, out, total: summary.total, answered: summary.answered, skipped: summary.skipped, failed: summary.failed };
    if (options.json) printJson(result);
    else process.stdout.write(`${table.name}: ${summary.answered} answered now, ${summary.skipped} already in ${out}, ${summary.failed} failed\n`);
  },
};
