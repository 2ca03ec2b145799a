import { defineCommand } from '../command';
import { printJson } from '../output';

export const infoCommand = defineCommand({
  name: 'info',
  summary: 'which compute backends this installation runs on',
  usage: ['Usage: emishift info [--json]', '', 'Reports the native engine (ONNX Runtime), the TensorFlow.js backend and the thread count.'],
  options: { json: { type: 'boolean', help: 'print the report as JSON' } },
  async run(options) {
    const { availableParallelism } = await import('node:os');
    const { hasNativeTfjs, loadTfjs } = await import('../../backend/tfjs');
    let onnxruntime: string | null = null;
    try {
      onnxruntime = (require('onnxruntime-node/package.json') as { version: string }).version;
    } catch {
      onnxruntime = null;
    }
    const { backend } = await loadTfjs();
    const info = {
      node: process.version,
      threads: availableParallelism(),
      native_engine: onnxruntime ? `onnxruntime-node ${onnxruntime}` : null,
      club_inference: onnxruntime ? 'onnxruntime-node' : 'portable TypeScript',
      club_training_default: onnxruntime ? 'onnxruntime-node' : `tfjs (${backend})`,
      tfjs_backend: backend,
      tfjs_node_installed: hasNativeTfjs(),
    };
    if (options.json) printJson(info);
    else for (const [key, value] of Object.entries(info)) process.stdout.write(`${key.padEnd(22)} ${value}\n`);
  },
});
