"""Wall time of `hotelero validate` per profile, with the figures that decide it (prints, never asserts).

.venv/bin/python benchmarks/bench_validate.py --profile quick --runs 1 [-- extra validate args]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("extra", nargs="*", help="more `hotelero validate` arguments (after --)")
    args = parser.parse_args()
    walls = []
    for i in range(args.runs):
        out = Path(tempfile.mkdtemp(prefix=f"bench-validate-{args.profile}-"))
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "validation.cli", "validate", "--profile", args.profile, "--out", str(out),
             "--no-live", *args.extra],
            capture_output=True, text=True,
        )  # fmt: skip
        wall = time.monotonic() - start
        walls.append(wall)
        result = json.loads((out / "result.json").read_text())
        print(
            f"run {i + 1}: exit {proc.returncode} {result['verdict']} wall {wall:.1f} s "
            f"(result.json {result['run']['wall_s']} s)"
        )
        for stage in result["stages"]:
            seconds = (stage["ended_ms"] - stage["started_ms"]) / 1000
            print(f"  stage {stage['name']:<11} {stage['status']:<13} {seconds:6.1f} s  {stage['detail'][:90]}")
        for gate in result["gates"]:
            measured = "-" if gate["measured"] is None else f"{gate['measured']:.4g} {gate['unit']}"
            print(
                f"  gate  {gate['name']:<21} {gate['status']:<12} {measured:>14}  "
                f"n={gate['samples']}/{gate['min_samples']}"
            )
        print(f"  reports in {out}")
    print(f"{args.profile}: median wall {statistics.median(walls):.1f} s over {len(walls)} run(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
