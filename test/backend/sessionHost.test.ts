import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { GraphBuilder } from '../../src/backend/onnx/modelBuilder';
import { createSession, floatTensor } from '../../src/backend/onnx/runtime';
import { createHostedSession, startSessionHost } from '../../src/backend/onnx/sessionHost';

function gemmModel(): Uint8Array {
  const g = new GraphBuilder('gemm');
  const a = g.input('a', 'float32', ['n', 'd']);
  const b = g.input('b', 'float32', ['m', 'd']);
  g.op('Gemm', [a, b], { transB: 1 }, 'product');
  g.output('product', 'float32', ['n', 'm']);
  return g.toModel();
}

const a = Float32Array.from({ length: 6 * 5 }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: 4 * 5 }, (_, i) => Math.cos(i));

test('a session on the engine thread gives the numbers of the same session in this thread', async () => {
  startSessionHost();
  const hosted = createHostedSession(gemmModel(), { threads: 1 });
  const local = await createSession(gemmModel(), { threads: 1 });
  const expected = (await local.run({ a: floatTensor(a, [6, 5]), b: floatTensor(b, [4, 5]) })).product.data as Float32Array;
  // Two runs in one turn share an input (it crosses once) and come back in order.
  const [first, second] = await Promise.all([
    hosted.run({ a: { data: a, dims: [6, 5] }, b: { data: b, dims: [4, 5] } }),
    hosted.run({ a: { data: a, dims: [6, 5] }, b: { data: a.subarray(0, 20), dims: [4, 5] } }),
  ]);
  assert.deepEqual(first.product, expected);
  const expectedSecond = (await local.run({ a: floatTensor(a, [6, 5]), b: floatTensor(a.slice(0, 20), [4, 5]) })).product.data as Float32Array;
  assert.deepEqual(second.product, expectedSecond);
  assert.notDeepEqual(second.product, first.product);
  // The caller's arrays are copied, never moved.
  assert.equal(a.length, 30);
  assert.equal(b.length, 20);
});

test('a model ONNX Runtime refuses fails every run of its session with the runtime\'s message', async () => {
  const broken = createHostedSession(Uint8Array.from([1, 2, 3, 4]));
  await assert.rejects(broken.run({ a: { data: a, dims: [6, 5] } }), (error: Error) => error instanceof Error && error.message.length > 0);
  await assert.rejects(broken.run({ a: { data: a, dims: [6, 5] } }), Error);
  // A bad feed is the runtime's error too, and the session stays usable.
  const good = createHostedSession(gemmModel());
  await assert.rejects(good.run({ a: { data: a, dims: [6, 5] }, b: { data: b, dims: [5, 4] } }), Error);
  assert.equal((await good.run({ a: { data: a, dims: [6, 5] }, b: { data: b, dims: [4, 5] } })).product.length, 24);
});

test('an idle engine thread does not keep the process alive', () => {
  const host = JSON.stringify(path.resolve(__dirname, '../../src/backend/onnx/sessionHost.js'));
  const builder = JSON.stringify(path.resolve(__dirname, '../../src/backend/onnx/modelBuilder.js'));
  const script = `
    const { createHostedSession } = require(${host});
    const { GraphBuilder } = require(${builder});
    const g = new GraphBuilder('id'); const x = g.input('x', 'float32', ['n']); g.op('Identity', [x], {}, 'y'); g.output('y', 'float32', ['n']);
    createHostedSession(g.toModel()).run({ x: { data: Float32Array.of(1, 2), dims: [2] } }).then((out) => console.log(Array.from(out.y).join(',')));`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), '1,2');
});
