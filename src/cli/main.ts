/**
 * The `emishift` command line: a thin shell over the library. Each command's module is loaded
 * only when that command runs, so `pair` and `sweep` never pay for TensorFlow.js start-up.
 * Exit codes: 0 success, 2 bad input (one line on stderr; `--debug` adds the stack), 1 failure.
 */
import { isInputError } from '../errors';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, () => Command> = {
  pair: () => require('./commands/pair').pairCommand,
  sweep: () => require('./commands/sweep').sweepCommand,
  train: () => require('./commands/train').trainCommand,
  embed: () => require('./commands/embed').embedCommand,
  collect: () => require('./commands/collect').collectCommand,
  judge: () => require('./commands/judge').judgeCommand,
  report: () => require('./commands/report').reportCommand,
  run: () => require('./commands/run').runCommand,
  info: () => require('./commands/info').infoCommand,
  init: () => require('./commands/init').initCommand,
};

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

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((arg) => arg !== '--debug');
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`emishift: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    process.stderr.write(`emishift ${name}: ${message.split('\n')[0]}\n`);
    if (debug && (error as Error)?.stack) process.stderr.write(`${(error as Error).stack}\n`);
    return isInputError(error) ? 2 : 1;
  }
}
