/**
 * The `emishift` command line: a thin shell over the library. Each command's module is loaded
 * only when that command runs, so `pair` and `sweep` never pay for TensorFlow.js start-up.
 * Exit codes: 0 success, 2 bad input (one line on stderr; `--debug` adds the stack), 1 failure.
 */
import { isInputError } from '../errors';
import { didYouMean, withFlagNames } from './args';
import type { Command } from './command';

const COMMANDS: Record<string, () => Command> = {
  pair: () => require('./commands/pair').pairCommand,
  sweep: () => require('./commands/sweep').sweepCommand,
  train: () => require('./commands/train').trainCommand,
  estimate: () => require('./commands/estimate').estimateCommand,
  validate: () => require('./commands/validate').validateCommand,
  embed: () => require('./commands/embed').embedCommand,
  collect: () => require('./commands/collect').collectCommand,
  judge: () => require('./commands/judge').judgeCommand,
  report: () => require('./commands/report').reportCommand,
  run: () => require('./commands/run').runCommand,
  info: () => require('./commands/info').infoCommand,
  init: () => require('./commands/init').initCommand,
  pointwise: () => require('./commands/pointwise').pointwiseCommand,
  detect: () => require('./commands/detect').detectCommand,
  monitor: () => require('./commands/monitor').monitorCommand,
};

const GLOBAL_OPTIONS = ['--help', '--version', '--debug'];

/** Commands that run CLUB on the native engine unless another estimator is chosen. */
const NATIVE_ENGINE_COMMANDS: ReadonlySet<string> = new Set(['pair', 'sweep']);

/**
 * Starts the native engine's thread before the command's modules load: its start-up (the thread,
 * ONNX Runtime) then overlaps with theirs, which shortens a 90-row sweep by about a tenth. Only
 * where the engine will run: ONNX Runtime installed and CLUB the estimator.
 */
function startNativeEngineEarly(name: string, args: readonly string[]): void {
  if (!NATIVE_ENGINE_COMMANDS.has(name)) return;
  const flag = args.findIndex((arg) => arg === '--estimator' || arg.startsWith('--estimator='));
  const estimator = flag < 0 ? 'club' : args[flag].includes('=') ? args[flag].slice('--estimator='.length) : args[flag + 1];
  if (estimator !== 'club') return;
  try {
    require.resolve('onnxruntime-node');
  } catch {
    return;
  }
  (require('../backend/onnx/sessionHost') as typeof import('../backend/onnx/sessionHost')).startSessionHost();
}

function version(): string {
  return (require('../../../package.json') as { version: string }).version;
}

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, load]) => `  ${name.padEnd(7)} ${load().summary}`);
  return [
    'emishift — EMI, EMID and the EMID upper bound for multimodal LLMs under distribution shift',
    '',
    'Usage: emishift <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    "Run 'emishift <command> --help' for a command's options.",
    'Global options: --help, --version, --debug (print stack traces).',
  ].join('\n');
}

/** Runs the CLI on `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((arg) => arg !== '--debug');
  const [first, ...afterFirst] = args;
  if (first === undefined) {
    // Usage is not what was asked for, so it goes where errors go, and the exit code says so.
    process.stderr.write(`${mainHelp()}\n`);
    return 2;
  }
  if (first === '--help' || first === '-h' || (first === 'help' && afterFirst.length === 0)) {
    process.stdout.write(`${mainHelp()}\n`);
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  // `emishift help pair` is `emishift pair --help`.
  const [name, rest] = first === 'help' ? [afterFirst[0], ['--help']] : [first, afterFirst];
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const names = Object.keys(COMMANDS);
    const hint = name.startsWith('-')
      ? didYouMean(name, GLOBAL_OPTIONS) || ` (options: ${GLOBAL_OPTIONS.join(', ')})`
      : didYouMean(name, names) || ` (commands: ${names.join(', ')})`;
    process.stderr.write(`emishift: unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}'${hint}; run 'emishift --help'\n`);
    return 2;
  }
  if (!rest.includes('--help') && !rest.includes('-h')) startNativeEngineEarly(name, rest);
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    const raw = (error as Error)?.message ?? String(error);
    const message = isInputError(error) ? withFlagNames(error, command.flags) : raw;
    process.stderr.write(`emishift ${name}: ${message.split('\n')[0]}\n`);
    if (debug && (error as Error)?.stack) process.stderr.write(`${(error as Error).stack}\n`);
    return isInputError(error) ? 2 : 1;
  }
}
