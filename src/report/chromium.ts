/**
 * Headless Chromium as a renderer: a page is loaded from a temporary file with networking
 * switched off, given virtual time to finish its scripts, and its DOM is printed
 * (`--dump-dom`). Figures are drawn by the same plotly.js the report inlines, and images come
 * from plotly's own `Plotly.toImage` written into the DOM — so no DevTools client and no npm
 * dependency are needed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';
import type { PlotlyFigure } from '../plots/figures';
import { plotlyScriptElement, scriptJson } from '../plots/plotlyJs';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export interface ChromiumOptions {
  /** The browser executable (default: EMISHIFT_CHROMIUM, else /usr/bin/chromium). */
  chromium?: string | undefined;
  /** Wall-clock limit for the browser process (default 120 s). */
  timeoutMs?: number | undefined;
  /** Virtual time the page gets for its scripts before the DOM is dumped (default 15 s). */
  virtualTimeBudgetMs?: number | undefined;
}

/**
 * The browser executable to use, or undefined when none is installed. An explicit path or
 * EMISHIFT_CHROMIUM is taken at its word: a wrong one is reported, not silently replaced.
 */
export function findChromium(explicit?: string): string | undefined {
  const chosen = explicit ?? process.env.EMISHIFT_CHROMIUM;
  const candidates = chosen ? [chosen] : [DEFAULT_CHROMIUM, '/usr/bin/chromium-browser'];
  return candidates.find((path) => existsSync(path));
}

/** What to tell a user without a browser: where it was looked for and how to get one. */
export function chromiumMissingMessage(explicit?: string): string {
  const looked = explicit ?? process.env.EMISHIFT_CHROMIUM ?? DEFAULT_CHROMIUM;
  return `headless Chromium not found at ${looked}: install it with 'apt-get install chromium' (or point EMISHIFT_CHROMIUM at a Chromium/Chrome binary)`;
}

/** The Chromium executable to export images with; an InputError saying how to install it when there is none. */
export function requireChromium(explicit?: string): string {
  const found = findChromium(explicit);
  if (found) return found;
  throw new InputError(chromiumMissingMessage(explicit), { field: 'chromium' });
}

/** Flags for a throwaway, offline browser: no sandbox (root in containers), no GPU, no network. */
export function chromiumFlags(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    '--disable-extensions',
    '--mute-audio',
    '--hide-scrollbars',
    // Belt and braces for "never fetch": any host name fails to resolve.
    '--host-resolver-rules=MAP * ~NOTFOUND',
    `--user-data-dir=${userDataDir}`,
  ];
}

function run(executable: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a hung browser is ended with all of its helper processes.
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${executable}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code };
      if (timedOut) reject(new Error(`${executable} did not finish within ${Math.round(timeoutMs / 1000)} s`));
      else resolve(result);
    });
  });
}

/**
 * Loads an HTML file in headless Chromium and returns its DOM after the page's scripts have run
 * (e.g. to check that a figure was drawn: plotly's SVG is in the DOM).
 */
export async function dumpRenderedDom(htmlFile: string, options: ChromiumOptions = {}): Promise<string> {
  const executable = requireChromium(options.chromium);
  if (!existsSync(htmlFile)) throw new InputError('no such file', { file: htmlFile });
  const profile = mkdtempSync(join(tmpdir(), 'emishift-chromium-'));
  try {
    const budget = options.virtualTimeBudgetMs ?? 15_000;
    const args = [...chromiumFlags(profile), '--dump-dom', `--virtual-time-budget=${budget}`, pathToFileURL(htmlFile).href];
    const result = await run(executable, args, options.timeoutMs ?? 120_000);
    if (result.code !== 0 || result.stdout.trim() === '') {
      const detail = result.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${executable} exited with code ${result.code} while rendering ${htmlFile}${detail ? `: ${detail}` : ''}`);
    }
    return result.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The format and size of an image `exportFigureImage` renders, plus how headless Chromium is found and run. */
export interface ImageOptions extends ChromiumOptions {
  format: 'png' | 'svg';
  /** Pixels (default: the figure's layout size, else 900 × 560). */
  width?: number | undefined;
  height?: number | undefined;
  /** PNG pixel density multiplier (default 2, for sharp text). */
  scale?: number | undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function imagePage(figure: PlotlyFigure, options: { format: 'png' | 'svg'; width: number; height: number; scale: number }): string {
  const spec = scriptJson({ data: figure.data, layout: { ...figure.layout, width: options.width, height: options.height }, config: { ...(figure.config ?? {}), staticPlot: true } });
  const imageOptions = scriptJson({ format: options.format, width: options.width, height: options.height, scale: options.format === 'png' ? options.scale : 1 });
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">${plotlyScriptElement()}</head>
<body><div id="figure" style="width:${options.width}px;height:${options.height}px"></div><pre id="emishift-image"></pre>
<script type="text/javascript">
(function () {
  var out = document.getElementById('emishift-image');
  var figure = ${spec};
  try {
    window.Plotly.newPlot('figure', figure.data, figure.layout, figure.config)
      .then(function (gd) { return window.Plotly.toImage(gd, ${imageOptions}); })
      .then(function (url) { out.textContent = url; })
      .catch(function (error) { out.textContent = 'ERROR ' + error; });
  } catch (error) { out.textContent = 'ERROR ' + error; }
})();
</script></body></html>`;
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The image bytes a data: URL holds (base64 for PNG; plotly URL-encodes SVG). */
function dataUrlBytes(url: string): Buffer {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) throw new Error(`expected a data: URL from Plotly.toImage, got '${url.slice(0, 60)}'`);
  const header = url.slice(5, comma);
  const body = url.slice(comma + 1);
  return header.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
}

/**
 * Renders a figure to a PNG or SVG file through headless Chromium. Throws InputError when
 * Chromium is not installed (the message says how to install it), Error when rendering fails.
 * The file is written atomically.
 */
export async function exportFigureImage(figure: PlotlyFigure, file: string, options: ImageOptions): Promise<void> {
  if (options.format !== 'png' && options.format !== 'svg') throw new InputError(`expected png or svg, got '${String(options.format)}'`, { field: 'format' });
  requireChromium(options.chromium);
  const width = options.width ?? (typeof figure.layout.width === 'number' ? figure.layout.width : 900);
  const height = options.height ?? (typeof figure.layout.height === 'number' ? figure.layout.height : 560);
  const scale = options.scale ?? 2;
  const work = mkdtempSync(join(tmpdir(), 'emishift-image-'));
  try {
    const page = join(work, 'figure.html');
    writeFileSync(page, imagePage(figure, { format: options.format, width, height, scale }));
    const dom = await dumpRenderedDom(page, options);
    const match = /<pre id="emishift-image">([^<]*)<\/pre>/.exec(dom);
    const content = match ? decodeEntities(match[1]).trim() : '';
    if (content === '' || content.startsWith('ERROR')) {
      throw new Error(`plotly.js did not produce a ${options.format.toUpperCase()} in headless Chromium${content ? `: ${content}` : ' (page timed out?)'}`);
    }
    const bytes = dataUrlBytes(content);
    if (options.format === 'png' && !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('the rendered image is not a PNG');
    if (options.format === 'svg' && !bytes.toString('utf8', 0, 200).includes('<svg')) throw new Error('the rendered image is not an SVG');
    writeFileAtomic(file, bytes);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
