#!/usr/bin/env bash
# The install checks of issue 8, against the npm registry (CI reaches it; nothing else is needed):
#   1. in an empty folder, `npm init -y && npm install emishift-*.tgz` exits 0; then
#      `node -e "require('emishift')"`, `npx emishift --help`, and a script calling
#      readSplitFolder, ClubEstimator.load, emid and emidUpperBound prints numbers;
#   2. `npx emishift init DIR && cd DIR && npm install` exits 0 (without an install-scripts or
#      config warning), and the starter notebook executes headless through the tslab kernel.
# One line per step; a failing step prints its name and the end of its output, and exits 1.
# Needs jupyter nbconvert and a python3 that imports jupyter_client (scripts/setup-notebook-env.sh).
# The kernel is registered into the work folder (JUPYTER_PATH), never into the user's Jupyter.
# About 1.5 minutes with a warm npm cache (pack 15 s, installs 10 s + 25 s, notebook 15 s).
# EMISHIFT_KEEP_CHECK=1 keeps the work folder for inspection.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work="$(mktemp -d "${TMPDIR:-/tmp}/emishift-check-install-XXXXXX")"
log="$work/step.log"
started=$(date +%s)

cleanup() {
  if [ -n "${EMISHIFT_KEEP_CHECK:-}" ]; then echo "check-install: work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# step NAME COMMAND...: runs COMMAND with its output in $log; one line saying how it went.
step() {
  local name=$1
  shift
  local start
  start=$(date +%s)
  if "$@" > "$log" 2>&1; then
    printf 'check-install: %-60s ok (%d s)\n' "$name" $(($(date +%s) - start))
  else
    printf 'check-install: %-60s FAILED (%d s)\n' "$name" $(($(date +%s) - start))
    echo "check-install: step '$name' failed; the end of its output:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

no_npm_warnings() {
  # npm 11 lists unreviewed install scripts and unknown config keys as warnings; a scaffolded
  # project must install without either.
  if grep -E 'npm warn (install-scripts|Unknown)' "$1"; then return 1; fi
}

python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" > /dev/null && "$candidate" -c 'import jupyter_client' > /dev/null 2>&1; then
    python="$candidate"
    break
  fi
done

pack() {
  npm pack --pack-destination "$work" --no-audit --no-fund
}
step "npm pack (builds through prepack)" pack
tarball="$(ls "$work"/emishift-*.tgz)"
echo "check-install: tarball $(basename "$tarball"), $(du -k "$tarball" | cut -f1) KB"

mkdir "$work/empty"
cd "$work/empty" || exit 1
step "empty folder: npm init -y" npm init -y
step "empty folder: npm install $(basename "$tarball")" npm install "$tarball"
step "node -e \"require('emishift')\"" node -e "require('emishift')"
step "npx emishift --help" npx emishift --help

cat > api-check.js << 'EOF'
// The library from an installed package: split folders and a CLUB file written through the API,
// read back with readSplitFolder and ClubEstimator.load, then EMI/EMID and the bound.
const { join } = require('node:path');
const api = require('emishift');
(async () => {
  const [source, , target] = api.sampleShiftGrid({ seed: 7, imageSeverities: [0, 3], questionSeverities: [0, 3] });
  api.writeSplitFolder(join('splits', 'id'), source);
  api.writeSplitFolder(join('splits', 'shifted'), target);
  const id = api.readSplitFolder(join('splits', 'id'));
  const shifted = api.readSplitFolder(join('splits', 'shifted'));
  (await api.ClubEstimator.fit([id, shifted], 'small', { overrides: { epochs: 2, hiddenDim: 16 } })).save('club.safetensors');
  const club = api.ClubEstimator.load('club.safetensors');
  const pair = await api.emid(id, shifted, club);
  const bound = await api.emidUpperBound(id, shifted);
  const numbers = { emi_source: pair.source.emi, emi_target: pair.target.emi, emid: pair.emid, emid_ub: bound.value };
  console.log(Object.entries(numbers).map(([key, value]) => `${key}=${value.toFixed(4)}`).join(' '));
  if (!Object.values(numbers).every(Number.isFinite)) throw new Error('a result is not a finite number');
  // DataFrames need the optional peer, which this project does not have: a typed, one-line error.
  try {
    api.toDataFrame([]);
    throw new Error('toDataFrame worked without danfojs-node');
  } catch (error) {
    if (!api.isOptionalPeerError(error) || /\n/.test(error.message)) throw error;
    console.log(`without danfojs-node: ${error.message}`);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
EOF
step "API: readSplitFolder, ClubEstimator.fit/save/load, emid, emidUpperBound" node api-check.js
sed 's/^/check-install:   /' "$log"

step "npx emishift init notebooks" npx emishift init notebooks
cd notebooks || exit 1
step "notebooks: npm install" npm install
cp "$log" "$work/notebooks-install.log"
step "notebooks: npm install printed no npm warning" no_npm_warnings "$work/notebooks-install.log"
single_tfjs_core() {
  local versions
  versions="$(npm ls @tensorflow/tfjs-core --all --parseable | sort -u)"
  echo "$versions"
  [ "$(echo "$versions" | wc -l)" -eq 1 ]
}
step "notebooks: one @tensorflow/tfjs-core" single_tfjs_core
step "notebooks: toDataFrame (danfojs-node with its overrides)" node -e "
  const frame = require('emishift').toDataFrame([{ question_id: 1, question: 'q', reference_answer: 'r' }, { question_id: 2, question: 'q2', reference_answer: 'r2' }]);
  if (frame.shape[0] !== 2) throw new Error('shape ' + frame.shape);"
if [ -z "$python" ]; then
  echo "check-install: no python3 imports jupyter_client: run 'bash scripts/setup-notebook-env.sh' (the notebook step needs Jupyter)" >&2
  exit 1
fi
step "notebooks: npx tslab install (into the work folder)" npx tslab install --python="$python" --prefix="$work/jupyter"
export JUPYTER_PATH="$work/jupyter/share/jupyter"
step "notebooks: npm run execute (quickstart.ipynb through tslab)" npm run execute
clean_outputs() {
  "$python" - out/quickstart.ipynb << 'EOF'
import json, sys
notebook = json.load(open(sys.argv[1]))
problems = [f"cell {index + 1}: {output.get('ename') or ''.join(output.get('text', ''))[:300]}"
            for index, cell in enumerate(notebook['cells']) if cell['cell_type'] == 'code'
            for output in cell.get('outputs', [])
            if output['output_type'] == 'error' or (output['output_type'] == 'stream' and output['name'] == 'stderr')]
figures = [output for cell in notebook['cells'] for output in cell.get('outputs', []) if 'application/vnd.plotly.v1+json' in output.get('data', {})]
print('\n'.join(problems) or f'{len(figures)} figure(s), no errors')
sys.exit(1 if problems or len(figures) != 1 else 0)
EOF
}
step "notebooks: no error or stderr output, one figure" clean_outputs
echo "check-install: all checks passed in $(($(date +%s) - started)) s"
