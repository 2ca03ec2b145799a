import { relative } from 'node:path';
import { defineCommand } from '../command';
import { printJson } from '../output';
import { InputError } from '../../errors';

export const initCommand = defineCommand({
  name: 'init',
  summary: 'make a notebook project (package.json, tsconfig, a starter notebook, example splits) in DIR',
  usage: [
    'Usage: emishift init DIR [--emishift SPEC] [--force] [--json]',
    '',
    'Writes a Jupyter project for the tslab TypeScript kernel into DIR (created when missing):',
    '  package.json      emishift, danfojs-node with the overrides it needs, tslab, onnxruntime-node (optional),',
    '                    allowScripts entries that skip install scripts nothing needs',
    '  tsconfig.json     the compiler settings tslab checks every cell with',
    '  quickstart.ipynb  loads a split, trains a small CLUB, EMI / EMID / the bound, EMID vs. the bound figure',
    '  data/shift-grid/  12 example split folders (the shift-grid sampler, seed 2025)',
    '  README.md         the three commands: npm install, npx tslab install, npm run lab',
    '  vendor/emishift-VERSION.tgz  this emishift, packed (it is not on the npm registry); package.json',
    '                    depends on it by path',
    '',
  ],
  options: {
    emishift: { type: 'string', value: 'SPEC', help: ['depend on emishift through SPEC instead of vendor/ (a registry range, a git URL,', 'file:PATH)'] },
    force: {
      type: 'boolean',
      help: ['write into a folder that already holds files; any file the project would change', 'is still refused (exit 2, nothing written): existing files are never replaced'],
    },
    json: { type: 'boolean', help: 'print the written files as JSON' },
  },
  positionals: true,
  async run(values, { positionals }) {
    if (positionals.length !== 1) {
      throw new InputError(`expected one folder, got ${positionals.length === 0 ? 'none' : positionals.join(' ')} (see 'emishift init --help')`);
    }
    if (values.emishift !== undefined && values.emishift.trim() === '') throw new InputError('expected a dependency spec, got an empty string', { field: '--emishift' });
    const [directory] = positionals;
    const { scaffoldNotebookProject } = await import('../../scaffold/notebookProject');
    const result = scaffoldNotebookProject(directory, { emishiftDependency: values.emishift, force: values.force });
    if (values.json) {
      printJson(result);
      return;
    }
    const nearby = relative(process.cwd(), result.directory) || '.';
    const shown = nearby.startsWith('..') ? result.directory : nearby;
    const splits = new Set(result.written.filter((file) => file.startsWith('data/')).map((file) => file.split('/').slice(0, 3).join('/')));
    const files = result.written.filter((file) => !file.startsWith('data/'));
    const summary = [...files, ...(splits.size ? [`data/shift-grid/ (${splits.size} splits)`] : [])];
    process.stdout.write(`wrote ${shown}/: ${summary.join(', ') || 'nothing (every file was already there)'}\n`);
    if (result.unchanged.length) process.stdout.write(`left ${result.unchanged.length} identical existing file(s) as they were\n`);
    process.stdout.write(
      [
        'next:',
        `  cd ${shown.includes(' ') ? JSON.stringify(shown) : shown}`,
        '  npm install          # with npm 10 or older on Linux x64: ONNXRUNTIME_NODE_INSTALL=skip npm install',
        '  npx tslab install    # register the kernel with Jupyter (once per machine)',
        '  npm run lab          # then open quickstart.ipynb',
        '',
      ].join('\n'),
    );
  },
});
