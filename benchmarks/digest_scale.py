"""`python -m benchmarks.digest_scale`: weekly digests and leaderboard posts for 1,000, 10,000
and 50,000 reps (20 to a team, plus a manager each, 100 activities a rep over the quarter),
each size seeded afresh, built once to warm up and then five times, in a process of its own, so its peak memory
is its own. Prints the build time, the milliseconds per rep and the peak RSS of each size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from benchmarks.scheduler import progress

PER_TEAM = 20
ACTIVITIES_PER_REP = 100
BUILDS = 5  # timed builds of each size, after one to warm up


def measure(reps: int) -> dict[str, float]:
    teams = reps // PER_TEAM
    command = [
        sys.executable,
        "-m",
        "benchmarks.scheduler",
        f"--teams={teams}",
        f"--per-team={PER_TEAM}",
        f"--activities={reps * ACTIVITIES_PER_REP}",
        "--digests-only",
        f"--builds={BUILDS}",
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    seconds = statistics.median(figures["seconds"])
    return {
        "seconds": seconds,
        "spread": max(figures["seconds"]) - min(figures["seconds"]),
        "ms_per_rep": seconds * 1000 / reps,
        "peak_mb": figures["peak_mb"],
        "built": figures["built"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", default="1000,10000,50000", help="sizes, comma-separated")
    args = parser.parse_args()
    sizes = [int(size) for size in args.reps.split(",")]
    results = {}
    for reps in sizes:
        progress(f"{reps:,} reps: seeding and building (the largest takes minutes)")
        results[reps] = measure(reps)
        progress(
            f"{reps:,} reps: {results[reps]['seconds']:.2f} s, {results[reps]['peak_mb']:.0f} MB"
        )
    print(f"\nmanager digests and leaderboard posts, PostgreSQL, median of {BUILDS} builds")
    print("| reps | teams | activities | messages built | build | spread | ms per rep | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for reps, r in results.items():
        print(
            f"| {reps:,} | {reps // PER_TEAM:,} | {reps * ACTIVITIES_PER_REP:,} | {r['built']:,.0f} "
            f"| {r['seconds']:.2f} s | {r['spread']:.2f} s | {r['ms_per_rep']:.3f} | {r['peak_mb']:.0f} MB |"
        )
    per_rep = [r["ms_per_rep"] for r in results.values()]
    print(f"ms per rep: largest / smallest = {max(per_rep) / min(per_rep):.2f}")


if __name__ == "__main__":
    main()
