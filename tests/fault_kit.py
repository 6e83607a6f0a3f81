"""Helpers of the fault-injection tests (``tests/test_faults.py``,
``tests/render/test_render_faults.py``): the CLI in-process and as a process of its own, the one
error paragraph, and a guard that turns a read blocked on a named pipe into a failure.

A helper module, not a conftest: test modules import it by name (``tests/`` is on pytest's
``pythonpath``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

BARE_KERNELS_CLI = """
import functools, sys
from rvs_analysis.render import batch
batch.render_batch = functools.partial(batch.render_batch, warm_imports=())
from rvs_analysis.cli import main
sys.exit(main(sys.argv[1:]))
"""
"""``python -c`` program: ``rvs`` whose batches start bare kernels (``render_batch(warm_imports=())``:
no scientific stack, no library module, no pre-loaded source), for tests whose notebooks need
none of it. Everything else is the real command in a process of its own (signals, exit status,
stderr)."""


def run_cli(argv, capsys):
    """``rvs ARGV`` in this process: (exit status, stdout, stderr)."""
    from rvs_analysis import cli

    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_paragraph(stderr: str) -> str:
    """The one error paragraph of ``stderr`` (asserting there is exactly one and no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("rvs: error: "), stderr
    return lines[0]


def rvs_process(argv, timeout, cwd=REPO_ROOT, bare_kernels=False):
    """``python -m rvs_analysis.cli ARGV`` as a process of its own (``bare_kernels``: through
    :data:`BARE_KERNELS_CLI`), stdin closed; a hang past ``timeout`` seconds raises."""
    command = ["-c", BARE_KERNELS_CLI] if bare_kernels else ["-m", "rvs_analysis.cli"]
    return subprocess.run(
        [sys.executable, *command, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def fifo_released_after(fifo: Path, seconds: float = 60.0):
    """Run the body; should it still run after ``seconds``, open ``fifo`` for writing and close it
    again, so that a reader blocked on it gets end-of-file and returns, and fail.

    For code under test that runs in this process: a read that blocks on a named pipe fails the
    test instead of hanging the test run.
    """
    done = threading.Event()
    released = []

    def release():
        while not done.wait(0.2):
            try:
                descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:  # ENXIO: nobody is reading it (yet)
                if error.errno != errno.ENXIO:
                    return
                continue
            os.close(descriptor)
            released.append(fifo)

    timer = threading.Timer(seconds, release)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        done.set()
        timer.cancel()
        timer.join()
    assert not released, f"the command blocked for over {seconds} s reading the named pipe {fifo}"
