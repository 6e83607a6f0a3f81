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
