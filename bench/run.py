"""Run every benchmark in turn and print their figures (`make bench`).

Benchmarks print numbers; they do not pass or fail on time, so a noisy
machine cannot make them flake.  The pyroute2 one needs root (it makes
network namespaces) and runs under each pyroute2 found: the venv's and,
when present, the Debian 12 version's venv (.build/venv-pyroute2-072).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(python, script, *args):
    print(f"\n== {os.path.basename(script)} ({python})", flush=True)
    subprocess.run([python, os.path.join(HERE, script), *args], check=True)


def main():
    run(sys.executable, "bench_allocate.py")
    if os.geteuid() != 0:
        print("\n== bench_peers.py skipped: needs root (network namespaces)")
        return
    run(sys.executable, "bench_peers.py")
    old = os.path.join(ROOT, ".build", "venv-pyroute2-072", "bin", "python")
    if os.path.exists(old):
        run(old, "bench_peers.py")


if __name__ == "__main__":
    main()
