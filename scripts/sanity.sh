#!/usr/bin/env bash
# ansible-test sanity, offline. ansible-test wants to run from a path ending in
# ansible_collections/NAMESPACE/NAME, so the tracked files are copied there.
# A test ansible-test skips (a tool it needs is missing) fails the run: every
# test runs. scripts/, bench/ and .ci/ are not in the copy (they are not part
# of the collection); scripts/shellcheck.sh lints their shell scripts.
set -euo pipefail
command -v shellcheck >/dev/null || { echo "sanity: shellcheck missing: run scripts/host-packages.sh" >&2; exit 1; }
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
log="$root/.build/sanity.log"
PATH="$venv/bin:$PATH" ansible-test sanity --local --python 3.11 --requirements "$@" 2>&1 | tee "$log"
if grep -E "Skipping sanity test|Required program .* not found" "$log"; then
  echo "sanity: a test was skipped (above); install what it needs" >&2
  exit 1
fi
