#!/usr/bin/env bash
# Run the netlink and module tests under every pyroute2 we support:
#   - the repo venv (.venv, pyroute2 as pinned in requirements-dev.txt, 0.9.x)
#   - pyroute2 0.7.2, as Debian 12 ships it (.build/venv-pyroute2-072)
# The second venv is made on first use (pip install pyroute2==0.7.2 pytest);
# set PYROUTE2_072_PYTHON to use an existing interpreter instead (e.g. a
# Debian 12 /usr/bin/python3 with python3-pyroute2). The module tests run the
# modules with ansible-playbook from .venv under the interpreter of each leg.
# Needs root (network namespaces). Usage: tests/unit/run_pyroute2_matrix.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/../.."
TESTS=(tests/unit/plugins/module_utils/test_netlink_*.py tests/unit/plugins/modules/test_overlay_vtep*.py tests/unit/plugins/modules/test_overlay_peers*.py)

OLD_VENV=.build/venv-pyroute2-072
OLD_PY=${PYROUTE2_072_PYTHON:-$OLD_VENV/bin/python}
if [ -z "${PYROUTE2_072_PYTHON:-}" ] && ! "$OLD_PY" -c 'import pyroute2, pytest' 2>/dev/null; then
    python3 -m venv "$OLD_VENV"
    "$OLD_VENV/bin/pip" install -q pyroute2==0.7.2 "pytest==$(.venv/bin/python -c 'import pytest; print(pytest.__version__)')"
fi

status=0
# LEGS=old runs only the 0.7.2 leg (make unit has already run the rest).
legs=(.venv/bin/python "$OLD_PY")
[ "${LEGS:-all}" = old ] && legs=("$OLD_PY")
for py in "${legs[@]}"; do
    ver=$("$py" -c 'import pyroute2; print(pyroute2.__version__)')
    echo "=== pyroute2 $ver ($py)"
    "$py" -m pytest -q -p no:cacheprovider "$@" "${TESTS[@]}" || status=1
done
exit $status
