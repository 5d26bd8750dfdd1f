"""Run every benchmark and print one table (`make bench`).

Each figure stands beside its floor, measured in the same run, so the ratio
holds on a busy machine even when the seconds do not.  Benchmarks print
numbers; they never pass or fail on time.  The peers benchmark needs root
(network namespaces); without it those rows are left out.

    python bench/run.py [--quick]     # --quick: 1/10 of the sizes, no per-entry floor
"""

import argparse
import datetime
import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_allocate  # noqa: E402
import bench_master  # noqa: E402
import bench_peers  # noqa: E402


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "?")
    except OSError:
        pass
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}, "
            f"Python {platform.python_version()}; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"load average {load}")


def table(rows):
    head = ["WHAT", "CASE", "SECONDS", "FLOOR", "FLOOR IS", "RATIO", "TARGET", "RUN", "PEAK MB"]
    lines = []
    for r in rows:
        floor = r.get("floor")
        ratio = r["ours"] / floor if floor else None
        target = r.get("target")
        verdict = ""
        if target is not None and ratio is not None:
            verdict = f"<= {target:g}x " + ("met" if ratio <= target else "MISSED")
        lines.append([r["what"], r["case"], f"{r['ours']:.2f}", f"{floor:.2f}" if floor else "",
                      r.get("floor_what", "") if floor else "", f"{ratio:.3g}x" if ratio is not None else "",
                      verdict, f"{r['run']:.1f}" if r.get("run") else "", f"{r['mem']:.0f}" if r.get("mem") else ""])
    width = [max(len(x) for x in col) for col in zip(head, *lines)]
    out = ["  ".join(v.ljust(w) for v, w in zip(row, width)).rstrip() for row in [head] + lines]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes (a smoke test)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    print(machine(), flush=True)
    rows = []
    rows += bench_allocate.rows(10000 // scale)
    if os.geteuid() == 0:
        for count in (2000 // scale, 5000 // scale):
            rows += bench_peers.rows(count, 2, per_entry_floor=not args.quick)
    else:
        print("peers: skipped (needs root for network namespaces)")
    rows += bench_master.rows((1000 // scale, 5000 // scale))
    print(f"finished {datetime.datetime.now(datetime.timezone.utc):%H:%M} UTC, load average "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print("SECONDS: a task's own time (from its start to its result) or, for RUN-only rows, the whole run; "
          "RATIO = SECONDS / FLOOR; RUN: the whole ansible-playbook (or Python) process; PEAK MB: its peak RSS")
    print(table(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
