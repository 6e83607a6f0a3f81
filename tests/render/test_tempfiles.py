"""Stale scratch folders of killed render runs are swept, and nothing else is touched."""

import os
import time

from rvs_analysis.render.tempfiles import STALE_SECONDS, sweep_stale_scratch


def _aged(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_sweep_removes_only_stale_rvs_scratch_folders(tmp_path):
    stale = [tmp_path / name for name in ("rvs-kernel-abc", "rvs-report-def", "rvs-pdf-ghi")]
    for path in stale:
        path.mkdir()
        (path / "kernel-1").write_text("x")
        _aged(path, STALE_SECONDS + 60)
    fresh = tmp_path / "rvs-kernel-running"
    fresh.mkdir()
    foreign = tmp_path / "someone-elses-dir"
    foreign.mkdir()
    _aged(foreign, STALE_SECONDS + 60)
    stale_file = tmp_path / "rvs-report-not-a-folder"
    stale_file.write_text("keep")
    _aged(stale_file, STALE_SECONDS + 60)
    target = tmp_path / "precious"
    target.mkdir()
    (target / "data.csv").write_text("1")
    link = tmp_path / "rvs-pdf-link"
    link.symlink_to(target, target_is_directory=True)
    os.utime(link, (0, 0), follow_symlinks=False)

    removed = sweep_stale_scratch(tmp_path)

    assert sorted(p.name for p in removed) == sorted(p.name for p in stale)
    assert not any(p.exists() for p in stale)
    assert fresh.is_dir()
    assert foreign.is_dir()
    assert stale_file.read_text() == "keep"
    assert link.is_symlink()
    assert (target / "data.csv").read_text() == "1"


def test_sweep_of_a_missing_folder_is_a_no_op(tmp_path):
    assert sweep_stale_scratch(tmp_path / "absent") == []


def _connection_file(path, ip, transport="ipc"):
    import json

    info = {
        "shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
        "ip": ip, "key": "secret", "transport": transport,
        "signature_scheme": "hmac-sha256", "kernel_name": "python3",
    }  # fmt: skip
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def test_sweep_removes_only_stale_connection_files_proven_ours(tmp_path):
    """A killed batch of earlier versions left tmp*.json files with the kernel's key in TMPDIR:
    removed when stale, owned by us and a connection file of an rvs kernel; nothing else."""
    ours = _connection_file(
        tmp_path / "tmpab_cd123.json", str(tmp_path / "rvs-kernel-x1" / "kernel")
    )
    fresh = _connection_file(
        tmp_path / "tmpfresh123.json", str(tmp_path / "rvs-kernel-x2" / "kernel")
    )
    users_kernel = _connection_file(tmp_path / "tmptcp12345.json", "127.0.0.1", transport="tcp")
    elsewhere = _connection_file(tmp_path / "tmpother123.json", "/elsewhere/rvs-kernel-x3/kernel")
    extra_key = tmp_path / "tmpextra123.json"
    _connection_file(extra_key, str(tmp_path / "rvs-kernel-x4" / "kernel"))
    extra_key.write_text(extra_key.read_text()[:-1] + ', "note": 1}', encoding="utf-8")
    not_json = tmp_path / "tmpnotjson1.json"
    not_json.write_text("{", encoding="utf-8")
    other_name = _connection_file(
        tmp_path / "kernel-1.json", str(tmp_path / "rvs-kernel-x5" / "kernel")
    )
    target = _connection_file(tmp_path / "target.json", str(tmp_path / "rvs-kernel-x6" / "kernel"))
    link = tmp_path / "tmplink1234.json"
    link.symlink_to(target)
    for path in (ours, users_kernel, elsewhere, extra_key, not_json, other_name, target):
        _aged(path, STALE_SECONDS + 60)
    os.utime(link, (0, 0), follow_symlinks=False)

    removed = sweep_stale_scratch(tmp_path)

    assert removed == [ours] and not ours.exists()
    kept = (fresh, users_kernel, elsewhere, extra_key, not_json, other_name, target, link)
    assert all(path.exists() or path.is_symlink() for path in kept)


def test_a_batch_scratch_folder_is_removed_however_the_batch_ends(tmp_path):
    import pytest

    from rvs_analysis.render.tempfiles import batch_scratch

    with batch_scratch(tmp_path) as scratch:
        assert os.path.basename(scratch).startswith("rvs-batch-")
        (tmp_path / "keep").write_text("mine")
        os.symlink(tmp_path / "keep", os.path.join(scratch, "link"))
    assert os.listdir(tmp_path) == ["keep"]
    with pytest.raises(KeyboardInterrupt), batch_scratch(tmp_path) as scratch:
        os.mkdir(os.path.join(scratch, "k123"))
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == ["keep"]
    assert (tmp_path / "keep").read_text() == "mine"


def test_ci_runs_the_suite_in_a_fresh_tmpdir_and_fails_on_leftovers():
    """Issue 29: no run of the test suite may leave anything in TMPDIR; .ci/run runs
    ``make test`` through .ci/in-fresh-tmpdir, which fails listing what a command left."""
    import subprocess
    from pathlib import Path

    ci = Path(__file__).resolve().parents[2] / ".ci"
    assert ".ci/in-fresh-tmpdir make test" in (ci / "run").read_text(encoding="utf-8")
    script = str(ci / "in-fresh-tmpdir")

    def run(code):
        return subprocess.run(
            [script, "sh", "-c", code], capture_output=True, text=True, timeout=60
        )

    leaky = run('mkdir "$TMPDIR/rvs-kernel-x" && : > "$TMPDIR/tmpab_cd123.json"')
    assert leaky.returncode == 1
    assert "rvs-kernel-x" in leaky.stderr and "tmpab_cd123.json" in leaky.stderr
    clean = run('test -z "$(ls -A "$TMPDIR")" && d=$(mktemp -d) && rmdir "$d"')
    assert clean.returncode == 0, clean.stderr
    assert run("exit 3").returncode == 3, "the command's own failure comes first"
    options, tmpdir = run('echo "$PYTEST_ADDOPTS|$TMPDIR"').stdout.splitlines()[0].split("|")
    basetemp = options.split("--basetemp=", 1)[1]
    assert not basetemp.startswith(tmpdir), "pytest's own tmp_path folders are kept elsewhere"
