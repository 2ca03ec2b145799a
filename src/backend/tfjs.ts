/**
 * TensorFlow.js, loaded only by the code paths that need it. `@tensorflow/tfjs-node` (native
 * TensorFlow) is used automatically when the user has installed it; otherwise the WASM backend
 * of `@tensorflow/tfjs`. tfjs-node cannot be a dependency: its install script downloads
 * libtensorflow from outside the npm registry.
 */
import { readFileSync } from 'node:fs';

export type Tfjs = typeof import('@tensorflow/tfjs');
export type TfjsBackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface LoadedTfjs {
  tf: Tfjs;
  backend: TfjsBackendName;
}

let loaded: Promise<LoadedTfjs> | undefined;

/**
 * True when the real tfjs-node is resolvable. The project's npm overrides alias the name
 * `@tensorflow/tfjs-node` to plain tfjs (for danfojs-node), so the resolved package's own name
 * is what tells them apart.
 */
export function hasNativeTfjs(): boolean {
  try {
    const manifest = JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-node/package.json'), 'utf8')) as { name?: string };
    return manifest.name === '@tensorflow/tfjs-node';
  } catch {
    return false;
  }
}

async function load(): Promise<LoadedTfjs> {
  if (hasNativeTfjs()) {
    const tf = require('@tensorflow/tfjs-node') as Tfjs;
    await tf.setBackend('tensorflow');
    await tf.ready();
    return { tf, backend: 'tensorflow' };
  }
  const tf = require('@tensorflow/tfjs') as Tfjs;
  try {
    require('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return { tf, backend: 'wasm' };
    }
  } catch {
    // fall through to the pure-JS backend
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}

/** Loads tfjs once and selects the best backend available. */
export function loadTfjs(): Promise<LoadedTfjs> {
  loaded ??= load();
  return loaded;
}
