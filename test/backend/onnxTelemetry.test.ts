/**
 * ONNX Runtime's telemetry stays off: since 1.30 the runtime starts an uploader on Linux and keeps
 * a device id under ~/.cache/Microsoft/DeveloperTools unless ORT_DISABLE_TELEMETRY is set before
 * it initialises. Each case runs in a fresh process with its own HOME, and without the variables
 * by which the runtime recognises a CI machine (where it would stay silent anyway).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..', '..');
const CI_VARIABLES = ['CI', 'GITHUB_ACTIONS', 'GITLAB_CI', 'JENKINS_URL', 'TF_BUILD', 'ORT_DISABLE_TELEMETRY'];

function runIn(home: string, script: string, extra: Record<string, string> = {}): string {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), HOME: home, XDG_CACHE_HOME: join(home, '.cache'), ...extra };
  for (const name of CI_VARIABLES) if (!(name in extra)) delete env[name];
  const result = spawnSync(process.execPath, ['-e', script], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

const product = `
  const { outerProduct } = require('./dist/src/backend/onnx/gram');
  const a = { rows: 40, cols: 64, data: Float32Array.from({ length: 2560 }, (_, i) => Math.sin(i)) };
  outerProduct(a).then((p) => console.log(p.length, process.env.ORT_DISABLE_TELEMETRY));
`;
const deviceIdFolder = (home: string) => join(home, '.cache', 'Microsoft', 'DeveloperTools');

test("emishift's sessions start ONNX Runtime with its telemetry off: no device id is written", () => {
  const home = mkdtempSync(join(tmpdir(), 'emishift-telemetry-'));
  assert.equal(runIn(home, product), '1600 1');
  assert.equal(existsSync(deviceIdFolder(home)), false, `${deviceIdFolder(home)} was created`);
});

test('without the switch the same runtime writes its device id (what the test above guards against)', () => {
  const home = mkdtempSync(join(tmpdir(), 'emishift-telemetry-'));
  // Creating a session initialises the runtime (and its telemetry) before the bytes are parsed.
  const direct = `require('onnxruntime-node').InferenceSession.create(new Uint8Array(8)).catch(() => console.log('initialised'));`;
  assert.equal(runIn(home, direct), 'initialised');
  assert.equal(existsSync(deviceIdFolder(home)), true, 'onnxruntime-node no longer keeps a device id: this guard can go');
});

test("a user's own setting of the switch is kept", () => {
  const home = mkdtempSync(join(tmpdir(), 'emishift-telemetry-'));
  assert.equal(runIn(home, product, { ORT_DISABLE_TELEMETRY: '0' }), '1600 0');
});
