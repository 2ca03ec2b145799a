import type { Command } from '../main';
import { isPositive, isPositiveInteger, isNonNegative, numberOption, parseCommandArgs, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { PROGRESS_USAGE, SPLIT_FLAGS, SPLIT_OPTIONS, SPLIT_USAGE, loadSplitArgument } from './shared';

export const SERVER_OPTIONS = {
  'base-url': { type: 'string' },
  model: { type: 'string' },
  'api-key': { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  'max-connection-failures': { type: 'string' },
} as const;

/** Library option names the server options set. */
export const SERVER_FLAGS = {
  baseUrl: '--base-url',
  model: '--model',
  apiKey: '--api-key',
  timeoutMs: '--timeout',
  maxRetries: '--retries',
  concurrency: '--concurrency',
  maxConnectionFailures: '--max-connection-failures',
} as const;

export const SERVER_USAGE = [
  '  --base-url URL   OpenAI-compatible endpoint including /v1 (vLLM, Ollama, llama.cpp server, hosted APIs);',
  '                   default EMISHIFT_CHAT_BASE_URL, else https://api.openai.com/v1',
  '  --model M        default EMISHIFT_CHAT_MODEL;  --api-key K  default EMISHIFT_CHAT_API_KEY or OPENAI_API_KEY',
  '  --concurrency N  requests in flight (default 4);  --timeout S  seconds per attempt (default 120)',
  '  --retries N      retries on 429/5xx/timeouts/connection errors, with backoff (default 5)',
  '  --max-connection-failures N  stop the run after N attempts in a row that reached no server (refused,',
  '                   unresolvable, dropped), counted over all requests (default 5); what was answered stays',
];

/** --max-connection-failures N, as the run option. */
export function maxConnectionFailuresOption(options: { 'max-connection-failures'?: string }): number | undefined {
  return numberOption(options['max-connection-failures'], 'max-connection-failures', isPositiveInteger, 'a positive integer');
}

/** The chat client's options from the server flags (the rest come from the environment). */
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
    '                        [--prompt TEMPLATE] [--max-tokens N] [--temperature T] [--timeout S] [--retries N]',
    '                        [--max-connection-failures N] [--json] [--progress]',
    '',
    'Sends each image + question as a chat completion and appends the answers to --out in the LLaVA',
    'answer-file format. Resuming is the default (--resume): a rerun asks only for the question_ids not yet',
    'in --out; a crash loses at most the requests in flight and never leaves a damaged line.',
    ...SPLIT_USAGE,
    ...SERVER_USAGE,
    "  --prompt T       text sent with the image; {question} is replaced (default '{question}')",
    '  --max-tokens N   answer length limit sent to the server;  --temperature T  (default 0)',
    '  --resume         (the default) ask only for question_ids not yet in --out',
    '  --json           print the counts as JSON',
    PROGRESS_USAGE,
  ].join('\n'),
  flags: { ...SPLIT_FLAGS, ...SERVER_FLAGS, prompt: '--prompt', maxTokens: '--max-tokens', temperature: '--temperature' },
  options: OPTIONS,
  async run(argv) {
    const options = parseCommandArgs('collect', argv, OPTIONS);
    const out = requireOption(options.out, 'out', 'collect');
    const concurrency = numberOption(options.concurrency, 'concurrency', isPositiveInteger, 'a positive integer');
    const maxTokens = numberOption(options['max-tokens'], 'max-tokens', isPositiveInteger, 'a positive integer');
    const temperature = numberOption(options.temperature, 'temperature', isNonNegative, 'a number ≥ 0');
    const clientOptions = serverOptions(options);
    const maxConnectionFailures = maxConnectionFailuresOption(options);
    const table = await loadSplitArgument('collect', options);
    const { collectResponses } = await import('../../serve/collectResponses');
    const summary = await collectResponses(table, {
      outFile: out,
      clientOptions,
      concurrency,
      prompt: options.prompt,
      maxTokens,
      temperature,
      maxConnectionFailures,
      onProgress: commandProgress('collect', options.progress, { stage: 'asking the model', unit: 'questions' }),
    });
    const result = { split: table.name, out, total: summary.total, answered: summary.answered, skipped: summary.skipped, failed: summary.failed };
    if (options.json) printJson(result);
    else process.stdout.write(`${table.name}: ${summary.answered} answered now, ${summary.skipped} already in ${out}, ${summary.failed} failed\n`);
  },
};
