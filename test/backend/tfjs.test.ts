import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hasNativeTfjs, loadTfjs } from '../../src/backend/tfjs';

test("the npm alias of @tensorflow/tfjs-node (danfojs-node's pin) is not mistaken for native tfjs-node", () => {
  // The project's overrides install plain tfjs under the tfjs-node name; its manifest says so.
  const manifest = JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-node/package.json'), 'utf8'));
  assert.equal(manifest.name, '@tensorflow/tfjs');
  assert.equal(hasNativeTfjs(), false);
});

test('without tfjs-node, tfjs runs on the WASM backend and computes', async () => {
  const { tf, backend } = await loadTfjs();
  assert.equal(backend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
  assert.deepEqual(Array.from(await product.data()), [11]);
  // One tfjs-core in the tree: the WASM backend registered with the same engine tfjs uses.
  assert.ok(tf.engine().registryFactory.wasm !== undefined);
});
