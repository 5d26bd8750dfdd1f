#!/usr/bin/env bash
# Every shell script of the repository through shellcheck: tracked (or new, not
# ignored) files named *.sh or starting with a sh/bash shebang, wherever they
# are (scripts/, the lab image, .ci/, bench/, molecule/, tests/). ansible-test
# sanity only sees the copy it checks, which leaves scripts/, bench/ and .ci/ out.
#   scripts/shellcheck.sh          lint them all
#   scripts/shellcheck.sh --list   print the files it lints
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null || { echo "shellcheck missing: run scripts/host-packages.sh" >&2; exit 1; }
files=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  if [[ $f == *.sh ]] || head -n 1 "$f" | grep -qE '^#!(/usr)?/bin/(env +)?(ba|da)?sh\b'; then
    files+=("$f")
  fi
done < <(git ls-files -co --exclude-standard -z)
[ ${#files[@]} -gt 0 ] || { echo "shellcheck: no shell scripts found" >&2; exit 1; }
if [ "${1:-}" = --list ]; then
  printf '%s\n' "${files[@]}"
  exit 0
fi
shellcheck --external-sources "${files[@]}"
echo "shellcheck: ${#files[@]} scripts clean"
