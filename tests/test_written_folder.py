"""rvs masterclass and rvs demo-data write only into a folder of their own (issue 29, medium):
never into a user's folder, never over a file the user changed, unless told --force."""

from __future__ import annotations

import sys
import types

import pytest

from rvs_analysis import cli
from rvs_analysis.exceptions import RvsError
from rvs_analysis.written_folder import RECORD, check_folder, record_folder


def test_new_empty_and_own_unchanged_folders_are_fine_others_refused(tmp_path):
    check_folder(tmp_path / "new", "rvs x")
    (tmp_path / "empty").mkdir()
    check_folder(tmp_path / "empty", "rvs x")
    own = tmp_path / "own"
    own.mkdir()
    (own / "a.txt").write_text("a", encoding="utf-8")
    record_folder(own, "rvs x")
    check_folder(own, "rvs x")
    with pytest.raises(RvsError, match="did not write"):
        check_folder(own, "rvs y")  # another command's folder
    (own / "a.txt").write_text("edited", encoding="utf-8")
    with pytest.raises(RvsError, match="changed since"):
        check_folder(own, "rvs x")
    check_folder(own, "rvs x", force=True)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "population.csv").write_text("mine", encoding="utf-8")
    with pytest.raises(RvsError, match="population.csv"):
        check_folder(foreign, "rvs x")


@pytest.fixture
def fake_generator(monkeypatch):
    def generate(out_dir):
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "population.csv").write_text("gemeente_code,year,population\n", "utf-8")

    fake = types.ModuleType("rvs_analysis.sources.demo")
    fake.generate = generate
    fake.truth = lambda: {}
    monkeypatch.setitem(sys.modules, "rvs_analysis.sources.demo", fake)


def test_demo_data_refuses_a_users_folder_and_a_changed_file(tmp_path, fake_generator, capsys):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "population.csv").write_text("my own figures", encoding="utf-8")
    (user / "metadata.json").write_text("{}", encoding="utf-8")
    assert cli.main(["demo-data", "--out", str(user)]) != 0
    err = capsys.readouterr().err
    assert "did not write" in err and "Traceback" not in err
    assert (user / "population.csv").read_text(encoding="utf-8") == "my own figures"
    fresh = tmp_path / "fresh"
    assert cli.main(["demo-data", "--out", str(fresh)]) == 0
    assert (fresh / RECORD).is_file()
    assert cli.main(["demo-data", "--out", str(fresh)]) == 0  # its own folder, unchanged
    (fresh / "population.csv").write_text("edited", encoding="utf-8")
    assert cli.main(["demo-data", "--out", str(fresh)]) != 0
    assert "changed since" in capsys.readouterr().err
    assert (fresh / "population.csv").read_text(encoding="utf-8") == "edited"
    assert cli.main(["demo-data", "--out", str(fresh), "--force"]) == 0


def test_masterclass_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "cursus"
    out.mkdir()
    (out / "TRAINER.md").write_text("mijn aantekeningen", encoding="utf-8")
    assert cli.main(["masterclass", "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "did not write" in err and "--force" in err and "Traceback" not in err
    assert (out / "TRAINER.md").read_text(encoding="utf-8") == "mijn aantekeningen"
    assert sorted(path.name for path in out.iterdir()) == ["TRAINER.md"]


# --------------------------------------------------------------------------------------------
# rvs masterclass on a full disk: staged beside the target, moved in only when complete
# --------------------------------------------------------------------------------------------

FULL_DISK = """
import resource, signal, sys
from rvs_analysis import cli
# Every file may grow to {limit} bytes, no further (the wheel is larger): a write past it fails
# with EFBIG, as a full disk fails with ENOSPC.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
sys.exit(cli.main(sys.argv[1:]))
"""


def _masterclass_on_a_full_disk(*argv):
    import subprocess

    return subprocess.run(
        [sys.executable, "-c", FULL_DISK.format(limit=200_000), "masterclass", *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _tree(folder):
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A masterclass package as rvs masterclass writes it."""
    out = tmp_path_factory.mktemp("package") / "cursus"
    assert cli.main(["masterclass", "--out", str(out)]) == 0
    return out


def test_masterclass_on_a_full_disk_leaves_no_half_written_package(package, tmp_path):
    import shutil

    new = tmp_path / "nieuw" / "cursus"
    done = _masterclass_on_a_full_disk("--out", str(new))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "File too large" in done.stderr, done.stderr
    assert not new.exists(), "nothing of the half-written package is left"
    assert list(new.parent.iterdir()) == [], "nor its staging folder"

    existing = tmp_path / "cursus"
    shutil.copytree(package, existing)
    notebook = next((existing / "deelnemers").glob("*.ipynb"))
    notebook.write_text(notebook.read_text(encoding="utf-8") + " ", encoding="utf-8")
    before = _tree(existing)
    done = _masterclass_on_a_full_disk("--out", str(existing), "--force")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert _tree(existing) == before, "the package and the participant's edit are untouched"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cursus", "nieuw"]


def test_masterclass_force_into_its_package_keeps_what_the_user_changed(package, tmp_path, capsys):
    import json
    import shutil

    out = tmp_path / "cursus"
    shutil.copytree(package, out)
    notebook = next((out / "deelnemers").glob("*.ipynb"))
    notebook.write_text("mijn uitwerking", encoding="utf-8")
    (out / "trainers" / "TRAINER.md").write_text("mijn handleiding", encoding="utf-8")
    (out / "trainers" / "mine.txt").write_text("van mij", encoding="utf-8")
    wheel = next((out / "deelnemers" / "pakket").glob("*.whl"))
    wheel.write_bytes(b"stale")
    record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    record["files"][wheel.relative_to(out).as_posix()] = (
        __import__("hashlib").sha256(b"stale").hexdigest()
    )  # an outdated file rvs wrote itself: replaced
    (out / RECORD).write_text(json.dumps(record), encoding="utf-8")

    assert cli.main(["masterclass", "--out", str(out)]) != 0  # changed files: refused
    assert "changed since" in capsys.readouterr().err
    assert cli.main(["masterclass", "--out", str(out), "--force"]) == 0
    printed = capsys.readouterr().out
    assert "2 file(s) you changed were kept" in printed
    assert notebook.read_text(encoding="utf-8") == "mijn uitwerking"
    assert (out / "trainers" / "TRAINER.md").read_text(encoding="utf-8") == "mijn handleiding"
    assert (out / "trainers" / "mine.txt").read_text(encoding="utf-8") == "van mij"
    assert wheel.read_bytes().startswith(b"PK"), "rvs's own outdated wheel is replaced"
    # The kept files still count as changed; the user's own file is not recorded as rvs's.
    assert cli.main(["masterclass", "--out", str(out)]) != 0
    recorded = json.loads((out / RECORD).read_text(encoding="utf-8"))["files"]
    assert "trainers/mine.txt" not in recorded
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cursus"]
