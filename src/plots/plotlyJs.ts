/**
 * plotly.js for inlining into HTML: the minified bundle of the `plotly.js-dist-min` package, read
 * from node_modules (never a CDN, so notebooks and reports work offline), made safe to sit
 * inside a <script> element, and JSON that is safe there too.
 */
import { readFileSync } from 'node:fs';

let cached: { source: string; version: string } | undefined;

function load(): { source: string; version: string } {
  if (cached) return cached;
  let file: string;
  try {
    file = require.resolve('plotly.js-dist-min/plotly.min.js');
  } catch {
    throw new Error("plotly.js is not installed: run 'npm install plotly.js-dist-min' (a dependency of emishift)");
  }
  const raw = readFileSync(file, 'utf8');
  const version = /plotly\.js v(\d+\.\d+\.\d+)/.exec(raw.slice(0, 400))?.[1] ?? 'unknown';
  cached = { source: escapeScript(raw), version };
  return cached;
}

/**
 * Source text that cannot end or re-mode its <script> element: `</script` would close it and
 * `<!--` … `<script` would switch the HTML parser into the double-escaped state (only when the
 * tag name is followed by whitespace, `/` or `>`, which the lookahead mirrors). `\x3C` means `<`
 * wherever such text can occur in JavaScript: string, template and regex literals (in
 * comments the change is harmless).
 */
export function escapeScript(source: string): string {
  return source.replace(/<(\/?script(?=[\s/>])|!--)/gi, '\\x3C$1');
}

/** The plotly.js bundle, escaped for an inline script. */
export function plotlyScriptSource(): string {
  return load().source;
}

/** The version of the inlined plotly.js bundle (from its header comment). */
export function plotlyVersion(): string {
  return load().version;
}

/**
 * The bundle as an inline script that defines `window.Plotly`. The bundle's UMD wrapper exports
 * to `module` when one is in scope (some notebook front ends and bundlers leave one around);
 * shadowing it keeps the library on `window` where the figure scripts look for it.
 */
export function plotlyScriptElement(): string {
  return `<script type="text/javascript">/* plotly.js ${plotlyVersion()} (MIT), inlined from plotly.js-dist-min */\n(function (module, exports, define) {\n${plotlyScriptSource()}\n}).call(window);\n</script>`;
}

/** JSON that can be embedded in a <script> element: `<` never appears literally. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
