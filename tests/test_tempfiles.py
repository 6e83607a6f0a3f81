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
