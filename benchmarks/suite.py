"""Run benchmark workloads against the brokers, keep the results, and write the report.

    python -m benchmarks.suite --workloads startup,produce --brokers odradek,kafka,tansu

Results accumulate in one JSON file: running some workloads replaces only those workloads'
measurements, so a slow workload need not be re-run to refresh another. A workload that fails
outright is recorded as a note in its table, and the suite goes on with the next.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import machine, report
from .measurement import Measurement
from .session import Session

WORKLOAD_ORDER = ["startup", "produce", "consume", "latency", "cpu", "many_partitions", "log_growth", "hot_path",
                  "odradek_perf", "cluster", "share", "group_pipeline", "security", "metrics", "soak"]
BROKERS = ["odradek", "kafka", "tansu"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = load(args.results)
    if not args.report_only:
        if args.scratch:
            run_all(args, results, args.scratch)
        else:
            with tempfile.TemporaryDirectory(prefix="odradek-bench-") as scratch:
                run_all(args, results, Path(scratch))
    path = report.write(results, args.docs, WORKLOAD_ORDER)
    print(f"[suite] results in {args.results}, report in {path}")
    return 0


def run_all(args: argparse.Namespace, results: dict, scratch: Path) -> None:
    session = Session(brokers=args.brokers, repetitions=args.repetitions, scratch=scratch,
                      scale=args.scale)
    results["machine"] = machine.describe(scratch)
    for workload in args.workloads:
        print(f"[suite] {workload}: {', '.join(args.brokers)} x {args.repetitions}", flush=True)
        run = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "brokers": args.brokers,
               "repetitions": args.repetitions, "scale": args.scale}
        merge(results, workload, run_workload(workload, session), run)
        save(args.results, results)   # after each workload: a later crash keeps what was measured


def merge(results: dict, workload: str, measurements: list[Measurement], run: dict) -> None:
    """Replace ``workload``'s measurements and run settings in ``results``; the others stay."""
    results["measurements"] = [m for m in results["measurements"] if m["workload"] != workload]
    results["measurements"] += [m.to_json() for m in measurements]
    results["runs"][workload] = run


def run_workload(workload: str, session: Session) -> list[Measurement]:
    """The workload's measurements, or one note per broker saying how it failed."""
    try:
        module = importlib.import_module(f"benchmarks.workloads.{workload}")
        return module.run(session)
    except Exception as error:
        traceback.print_exc()
        note = f"the workload failed: {type(error).__name__}: {error}"[:300]
        return [Measurement(workload, "", broker, "(no result)", note=note) for broker in session.brokers]


def available_workloads() -> list[str]:
    here = Path(__file__).resolve().parent / "workloads"
    return [name for name in WORKLOAD_ORDER if (here / f"{name}.py").exists()]


def load(path: Path) -> dict:
    results = json.loads(path.read_text()) if path.exists() else {}
    return {"machine": results.get("machine", {}), "runs": results.get("runs", {}),
            "measurements": results.get("measurements", [])}


def save(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite", description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="all",
                        help=f"comma-separated, or all (of {', '.join(WORKLOAD_ORDER)})")
    parser.add_argument("--brokers", default=",".join(BROKERS), help="comma-separated")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="below 1 shrinks record counts and durations, for a smoke run")
    parser.add_argument("--scratch", type=Path, help="where brokers keep their data (default: a temp dir)")
    parser.add_argument("--results", type=Path, default=Path("docs/benchmarks/results.json"))
    parser.add_argument("--docs", type=Path, default=Path("docs"),
                        help="where benchmarks.md and benchmarks/*.png are written")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the report from --results")
    args = parser.parse_args(argv)
    args.workloads = available_workloads() if args.workloads == "all" else _names(args.workloads)
    unknown = [name for name in args.workloads if name not in WORKLOAD_ORDER]
    if unknown:
        parser.error(f"unknown workloads: {', '.join(unknown)}")
    args.brokers = _names(args.brokers)
    if any(name not in BROKERS for name in args.brokers):
        parser.error(f"brokers are some of {', '.join(BROKERS)}")
    return args


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


if __name__ == "__main__":
    sys.exit(main())
