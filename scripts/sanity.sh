#!/usr/bin/env bash
# ansible-test sanity, offline. ansible-test wants to run from a path ending in
# ansible_collections/NAMESPACE/NAME, so the tracked files are copied there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
dest="$root/.build/sanity/ansible_collections/mesos/overlay"

# ansible-test bootstraps pip from a download site this machine cannot reach;
# give it a pip installer that works from the standard library.
pipver=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" \
  "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -n 1)
mkdir -p ~/.ansible/test/cache
cp -f "$root/scripts/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${pipver//./_}.py"

rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
git ls-files -co --exclude-standard -z | grep -zvE '^(\.ci|bench|scripts)/' | rsync -a --from0 --files-from=- ./ "$dest/"
cd "$dest"
git init -q . && git add -A >/dev/null
PATH="$venv/bin:$PATH" ansible-test sanity --local --python 3.11 --requirements "$@"
