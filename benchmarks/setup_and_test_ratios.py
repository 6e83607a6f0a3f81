"""Benchmark: what a new user waits for on a fresh clone, as ratios to the render alone.

Clones the repository (its committed ``HEAD``) into a temporary folder and times, with
``time.perf_counter`` around each command:

(a) ``make reports``: creating ``.venv``, installing the locked dependencies and rendering the
    region and district reports on the demo data (the first of the README's two commands);
(b) ``.venv/bin/rvs render --source demo --out <a fresh folder>``: the same batch rendered again
    into an empty folder, the render alone;
(c) ``make test``: lint, the notebook check and the whole test suite (the second command).

It prints the three wall times and the two ratios (a)/(b) and (c)/(b) with the goals of issue 30
(at most 1.6 and 8). The ratios compare times taken on the same machine a few minutes apart, so
they do not depend on how fast the machine is, but they do on how busy it is: the load average
before and after is printed too.

As on CI (``.ci/run``), the shared CBS extract beside the repository (``../shared``) is linked
beside the clone when it exists, and axe-core is installed with ``npm ci`` when npm exists (before
the timings), so the tests that need them run rather than skip.

Usage::

    python benchmarks/setup_and_test_ratios.py [--no-test] [--keep] [--shared ../shared]

About 10 minutes on an idle two-core machine; ``--no-test`` stops after (b).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_REPORTS = 1.6  # fresh `make reports` / render alone
GOAL_TEST = 8.0  # `make test` / render alone


def _environment() -> dict[str, str]:
    """The caller's environment without an activated venv (the clone uses its own)."""
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    venv_bin = os.environ.get("VIRTUAL_ENV")
    if venv_bin:
        prefix = str(Path(venv_bin) / "bin")
        env["PATH"] = os.pathsep.join(
            part for part in env.get("PATH", "").split(os.pathsep) if part != prefix
        )
    return env


def _timed(command: list[str], cwd: Path, log: Path) -> float:
    """Run ``command`` in ``cwd`` with its output in ``log``; its wall time in seconds."""
    print(f"$ {' '.join(command)}", flush=True)
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        status = subprocess.run(
            command, cwd=cwd, env=_environment(), stdout=out, stderr=subprocess.STDOUT
        ).returncode
    seconds = time.perf_counter() - start
    if status != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        raise SystemExit(
            f"{' '.join(command)} failed (exit {status}) after {seconds:.0f} s:\n{tail}"
        )
    print(f"  {seconds:.1f} s", flush=True)
    return seconds


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--no-test", action="store_true", help="skip (c), make test")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared",
        help="the shared folder to link beside the clone (default: ../shared, if it exists)",
    )
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="rvs-fresh-clone-"))
    clone = root / "rvs-analysis"
    logs = root / "logs"
    logs.mkdir()
    try:
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        if args.shared.is_dir():
            (root / "shared").symlink_to(args.shared.resolve(), target_is_directory=True)
        else:
            print(f"no shared folder at {args.shared}: the tests that need it skip", flush=True)
        if shutil.which("npm") and (clone / "package-lock.json").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=clone,
                stdout=subprocess.DEVNULL,
                check=False,
            )
        print(f"fresh clone of {REPO} in {clone}; load average {_load()}", flush=True)

        reports = _timed(["make", "reports"], clone, logs / "make_reports.log")
        render = _timed(
            [str(clone / ".venv" / "bin" / "rvs"), "render", "--source", "demo", "--out",
             str(root / "render-alone"), "--progress", "lines"],
            clone,
            logs / "render_alone.log",
        )  # fmt: skip
        test = None if args.no_test else _timed(["make", "test"], clone, logs / "make_test.log")

        print(f"\nload average after: {_load()} ({os.cpu_count()} cores)")
        print(f"(a) make reports on a fresh clone (install + render): {reports:6.1f} s")
        print(f"(b) rvs render into a fresh folder (render alone):     {render:6.1f} s")
        print(
            f"    install {reports - render:.1f} s; make reports / render = "
            f"{reports / render:.2f} (goal <= {GOAL_REPORTS})"
        )
        if test is not None:
            print(f"(c) make test:                                         {test:6.1f} s")
            print(f"    make test / render = {test / render:.2f} (goal <= {GOAL_TEST})")
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
