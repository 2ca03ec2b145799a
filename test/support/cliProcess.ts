/** The CLI as a child process, for tests that serve it from this process (a fake chat server). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'emishift.js');

/**
 * Runs `emishift ...args` without blocking this process's event loop, with the chat endpoint's
 * environment variables removed so that only the flags given reach a server.
 */
export function emishiftProcess(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('EMISHIFT_CHAT') || key === 'OPENAI_API_KEY') delete env[key];
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
