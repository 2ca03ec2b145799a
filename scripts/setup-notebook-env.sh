#!/usr/bin/env bash
# Prepares this machine for executing the notebooks headless (scripts/run-notebooks.js):
#   1. Debian's jupyter-nbconvert, python3-ipykernel and chromium (installed only when missing);
#   2. the tslab kernel spec registered with that Jupyter (kernel name `tslab`, which runs the
#      command `tslab`: put node_modules/.bin on PATH when executing notebooks);
#   3. node_modules/emishift -> .. so that `import ... from 'emishift'` resolves from notebooks/.
# Safe to run again: each step checks first and says whether it did anything.
# Needs root (or sudo) only when packages are missing; run it after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup-notebook-env: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo > /dev/null; then sudo "$@"; else
    say "need root to run: $*"; return 1
  fi
}

# nbconvert is looked up as the Debian package's own script: a pyenv or venv python earlier on
# PATH may shadow `jupyter` without having nbconvert.
missing=()
dpkg -s jupyter-nbconvert > /dev/null 2>&1 || missing+=(jupyter-nbconvert)
dpkg -s python3-ipykernel > /dev/null 2>&1 || missing+=(python3-ipykernel)
# Headless Chromium draws the exported notebooks and reports in the tests (figures must render).
dpkg -s chromium > /dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${missing[@]}" > /dev/null
  say "installed ${missing[*]}"
else
  say "jupyter-nbconvert, python3-ipykernel and chromium already installed"
fi

# tslab's installer runs a python that must import jupyter_client. The Debian packages put it
# in /usr/bin/python3's site-packages, which a pyenv/venv `python3` on PATH cannot see.
python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" > /dev/null && "$candidate" -c 'import jupyter_client' > /dev/null 2>&1; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  say "no python3 on this machine imports jupyter_client: cannot register the tslab kernel"
  exit 1
fi

tslab=node_modules/.bin/tslab
if [ ! -x "$tslab" ]; then
  say "$tslab is missing: run 'npm ci' first (tslab is a devDependency)"
  exit 1
fi

# The registered spec must start the kernel with the bare command `tslab` (resolved through
# PATH at run time), so a clone in another folder reuses it; re-register only when it differs.
current_argv="$("$python" - << 'EOF'
import json
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print(json.dumps(KernelSpecManager().get_kernel_spec('tslab').argv))
except NoSuchKernel:
    print('')
EOF
)"
wanted_argv='["tslab", "kernel", "--config-path", "{connection_file}"]'
if [ "$current_argv" = "$wanted_argv" ]; then
  say "tslab kernel already registered"
else
  "$tslab" install --python="$python" > /dev/null
  say "registered the tslab kernel with $python ($("$python" -c "from jupyter_client.kernelspec import KernelSpecManager as K; print(K().get_kernel_spec('tslab').resource_dir)"))"
fi

# tslab type-checks with TypeScript's node10 resolution, which ignores a package's own
# `exports` self-reference: the name must resolve through node_modules.
link=node_modules/emishift
if [ -L "$link" ] && [ "$(readlink "$link")" = ".." ]; then
  say "$link -> .. already present"
elif [ -e "$link" ] || [ -L "$link" ]; then
  say "$link exists and is not the link to this package: left alone"
else
  ln -s .. "$link"
  say "linked $link -> .. (notebooks import the package by its name)"
fi

if [ ! -f dist/src/index.js ]; then
  say "note: dist/ is not built yet; 'npm run build' before executing notebooks"
fi
say "done; execute the notebooks with: npm run notebooks"
