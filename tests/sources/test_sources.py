"""Sources: tidy folders, the CBS cache (offline read and fetch), demo, caching and versions."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rvs_analysis.sources as sources
from rvs_analysis.exceptions import DataValidationError, FetchError, SourceNotAvailableError
from rvs_analysis.sources import cbs, kinds, load_source, source_version

REPO_ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------------
# Tidy folders
# ---------------------------------------------------------------------------------------------


def test_tidy_folder_loads_typed_frames_and_provenance(tidy_folder):
    dataset = load_source(str(tidy_folder))
    assert dataset.crime_boundary_year == 2017 and dataset.population_boundary_year == 2017
    assert list(dataset.crime.columns) == [
        "gemeente_code",
        "year",
        "offence_code",
        "registered_offences",
        "provisional",
    ]
    assert dataset.crime["registered_offences"].dtype == np.int64
    assert dataset.years == [2015, 2016, 2017]
    assert set(dataset.offences["offence_code"]) == {"0.0.0", "1.1.1"}
    provenance = dataset.provenance
    assert provenance["version"] == source_version(str(tidy_folder))
    assert provenance["files"] == ["metadata.json", "population.csv", "registered_crime.csv"]
    assert provenance["not_attributable"]["rows"] == 6
    assert not dataset.is_demo


def test_loaded_sources_are_cached_until_a_file_changes(tidy_folder, tidy_kit):
    first = load_source(str(tidy_folder))
    assert load_source(str(tidy_folder)) is first
    crime = tidy_kit.region_crime()
    crime.loc[0, "registered_offences"] = 999_999
    crime.to_csv(tidy_folder / "registered_crime.csv", index=False)
    os.utime(tidy_folder / "registered_crime.csv", ns=(time.time_ns(), time.time_ns() + 10**9))
    second = load_source(str(tidy_folder))
    assert second is not first
    assert second.provenance["version"] != first.provenance["version"]
    assert second.crime["registered_offences"].max() == 999_999


def test_version_is_a_content_hash(tmp_path, tidy_folder, tidy_kit):
    copy = tidy_kit.write_tidy(tmp_path / "copy")
    (copy / "metadata.json").write_text((tidy_folder / "metadata.json").read_text())
    version = source_version(str(tidy_folder))
    assert len(version) == 12 and int(version, 16) >= 0
    assert source_version(str(copy)) == version


def test_boundary_year_from_geojson_name_without_metadata(tmp_path, tidy_kit):
    folder = tidy_kit.write_tidy(tmp_path / "extract")
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"statcode": "GM0344", "statnaam": "Utrecht"},
                "geometry": {"type": "Polygon", "coordinates": [_SQUARE]},
            }
        ],
    }
    (folder / "gemeenten_2024.geojson").write_text(json.dumps(geojson))
    dataset = load_source(str(folder))
    assert dataset.crime_boundary_year == 2024 and dataset.population_boundary_year is None
    assert dataset.boundaries["features"][0]["properties"]["statcode"] == "GM0344"


def test_missing_folder_and_missing_required_file(tmp_path, tidy_kit):
    with pytest.raises(SourceNotAvailableError, match="does not exist"):
        load_source(str(tmp_path / "nowhere"))
    folder = tidy_kit.write_tidy(tmp_path / "half")
    (folder / "population.csv").unlink()
    with pytest.raises(SourceNotAvailableError, match="population"):
        load_source(str(folder))


def test_bad_file_in_a_tidy_folder_names_file_column_and_row(tmp_path, tidy_kit):
    crime = tidy_kit.region_crime()
    crime.loc[4, "registered_offences"] = -1
    folder = tidy_kit.write_tidy(tmp_path / "bad", crime=crime)
    with pytest.raises(DataValidationError) as caught:
        load_source(str(folder))
    assert caught.value.file.endswith("registered_crime.csv")
    assert caught.value.column == "registered_offences" and caught.value.row == 5


def test_optional_files_are_validated(tmp_path, tidy_kit):
    cleared = "gemeente_code,year,offence_code,registered_offences,cleared_offences\n"
    cleared += "GM0344,2016,1.1.1,100,8\nGM9999,2016,1.1.1,100,8\n"
    folder = tidy_kit.write_tidy(tmp_path / "optional", extra={"cleared_offences.csv": cleared})
    with pytest.raises(DataValidationError) as caught:
        load_source(str(folder))
    assert caught.value.file == "cleared_offences.csv" and caught.value.row == 2


def test_demo_source_reads_the_repository_demo_folder(tmp_path, monkeypatch, tidy_kit):
    monkeypatch.setattr(kinds, "DEMO_DIR", tmp_path / "demo")
    with pytest.raises(SourceNotAvailableError, match="rvs demo-data"):
        load_source("demo")
    tidy_kit.write_tidy(tmp_path / "demo", metadata={"crime_boundary_year": 2017, "is_demo": True})
    dataset = load_source("demo")
    assert dataset.is_demo and dataset.source == "demo"


# ---------------------------------------------------------------------------------------------
# CBS cache, offline
# ---------------------------------------------------------------------------------------------


def test_cbs_cache_is_read_offline(cbs_cache):
    dataset = load_source("cbs", cache=str(cbs_cache))
    crime = dataset.crime
    assert set(crime["gemeente_code"]) == {"GM0000", "GM0344", "GM1942", "GM1961", "GM0363"}
    assert set(crime["offence_code"]) == {"0.0.0", "1.1.1"}
    assert dataset.crime_boundary_year == 2024
    missing = crime.loc[
        (crime["gemeente_code"] == "GM0363")
        & (crime["offence_code"] == "0.0.0")
        & (crime["year"] == 2024),
        "registered_offences",
    ]
    assert missing.isna().all() and len(missing) == 1
    assert dataset.provenance["provisional_years"] == [2024]
    assert dataset.provenance["not_attributable"]["registered_offences"]["1.1.1"] == 40 + 43 + 40
    assert dataset.offences.set_index("offence_code")["offence_label"]["1.1.1"] == (
        "Diefstal/inbraak woning"
    )
    assert dataset.population["population"].dtype == np.int64
    assert "NL01" not in set(dataset.population["gemeente_code"])
    assert set(dataset.cleared["offence_code"]) == {"T001161", "CRI1100"}
    assert dataset.cleared["suspects"].isna().sum() == 2
    assert dataset.provenance["retrieved"]["47018NED"].startswith("2026-11-01")


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_cbs_topics_are_resolved_by_title_not_key(cbs_cache):
    def rename(rows, old, new):
        for row in rows:
            if old in row:
                row[new] = row.pop(old)
            if row.get("Key") == old:
                row["Key"] = new

    table = cbs_cache / "47018NED"
    _edit_json(
        table / "DataProperties.json",
        lambda rows: rename(rows, "GeregistreerdeMisdrijven_1", "GeregistreerdeMisdrijven_7"),
    )
    _edit_json(
        table / "TypedDataSet.json",
        lambda rows: rename(rows, "GeregistreerdeMisdrijven_1", "GeregistreerdeMisdrijven_7"),
    )
    dataset = load_source("cbs", cache=str(cbs_cache))
    assert dataset.crime["registered_offences"].max() == 108_003


def test_bad_cbs_period_code_names_the_file_and_row(cbs_cache):
    def corrupt(rows):
        rows[5]["Perioden"] = "2016XX01"

    _edit_json(cbs_cache / "47018NED" / "TypedDataSet.json", corrupt)
    with pytest.raises(DataValidationError) as caught:
        load_source("cbs", cache=str(cbs_cache))
    assert caught.value.file == "47018NED/TypedDataSet.json" and caught.value.row == 6


def test_negative_cbs_count_names_the_original_json_row(cbs_cache):
    def corrupt(rows):
        rows[9]["GeregistreerdeMisdrijven_1"] = -4

    _edit_json(cbs_cache / "47018NED" / "TypedDataSet.json", corrupt)
    with pytest.raises(DataValidationError) as caught:
        load_source("cbs", cache=str(cbs_cache))
    assert caught.value.row == 10 and caught.value.column == "registered_offences"


def test_cbs_cache_without_tables(tmp_path):
    with pytest.raises(SourceNotAvailableError, match="rvs fetch"):
        load_source("cbs", cache=str(tmp_path))


# ---------------------------------------------------------------------------------------------
# Fetch (no real network in tests; through the loopback CBS feed: tests/sources/test_fetch.py)
# ---------------------------------------------------------------------------------------------


def test_fetch_without_network_fails_fast_and_leaves_the_cache(cbs_cache):
    before = sorted(path.name for path in (cbs_cache / "47018NED").iterdir())
    content = (cbs_cache / "47018NED" / "TypedDataSet.json").read_bytes()
    started = time.perf_counter()
    with pytest.raises(FetchError) as caught:
        cbs.fetch(["47018NED"], cbs_cache, timeout=2, catalogs={"47018NED": "127.0.0.1:9"})
    assert time.perf_counter() - started < 30
    assert "47018NED" in str(caught.value) and "left as it was" in str(caught.value)
    assert sorted(path.name for path in (cbs_cache / "47018NED").iterdir()) == before
    assert (cbs_cache / "47018NED" / "TypedDataSet.json").read_bytes() == content
    assert not [path for path in cbs_cache.iterdir() if path.name.startswith(".")]


def test_fetch_refuses_unknown_tables(tmp_path):
    with pytest.raises(FetchError, match="99999XYZ"):
        cbs.fetch(["99999XYZ"], tmp_path)


# ---------------------------------------------------------------------------------------------
# The shared extract
# ---------------------------------------------------------------------------------------------


def test_shared_extract_loads_as_it_is(shared_dataset):
    assert shared_dataset.crime_boundary_year == 2024
    assert shared_dataset.population_boundary_year is None
    assert shared_dataset.provenance["provisional_years"] == [2024, 2025]
    assert shared_dataset.provenance["not_attributable"]["rows"] > 0
    assert shared_dataset.provenance["tables"]["registered_crime_47018NED_gemeente_year.csv"] == (
        "47018NED"
    )
    assert len(shared_dataset.crime) == 57_624
    assert isinstance(shared_dataset.crime, pd.DataFrame)


# ---------------------------------------------------------------------------------------------
# Region-supplied figures (data/templates)
# ---------------------------------------------------------------------------------------------


def test_templates_match_the_validation_schemas():
    from rvs_analysis import clean
    from rvs_analysis.sources.tidy import OPTIONAL_FILES, read_csv_text

    templates = REPO_ROOT / "data" / "templates"
    for kind, name in OPTIONAL_FILES.items():
        if kind == "monthly":
            continue
        header = read_csv_text(templates / name)
        required = [column.name for column in clean.SCHEMAS[kind].columns if column.required]
        assert set(required) <= set(header.columns), name
        assert clean.validate_frame(kind, header, name).empty
    assert "cleared_offences.csv" in (templates / "README.md").read_text()


def test_regional_burglary_clearance_is_added_to_the_cbs_source(cbs_cache):
    version_before = source_version("cbs", cache=str(cbs_cache))
    regional = cbs_cache.parent / "regional"
    regional.mkdir()
    header = (REPO_ROOT / "data" / "templates" / "cleared_offences.csv").read_text()
    rows = "GM0344,2016,1.1.1,1653,129,540,Politie Midden-Nederland (test)\n"
    (regional / "cleared_offences.csv").write_text(header + rows)
    dataset = load_source("cbs", cache=str(cbs_cache))
    burglary = dataset.cleared.loc[dataset.cleared["offence_code"] == "1.1.1"]
    assert burglary[["registered_offences", "cleared_offences"]].values.tolist() == [[1653, 129]]
    assert set(dataset.cleared["offence_code"]) == {"T001161", "CRI1100", "1.1.1"}
    assert source_version("cbs", cache=str(cbs_cache)) != version_before
    (regional / "cleared_offences.csv").write_text(header + rows.replace(",129,", ",1700,"))
    with pytest.raises(DataValidationError) as caught:
        load_source("cbs", cache=str(cbs_cache))
    assert caught.value.file == "cleared_offences.csv" and caught.value.row == 1


def test_fetch_gives_up_when_the_network_does_not_answer(cbs_cache, monkeypatch):
    import socket

    def hanging_connection(address, timeout=None):
        time.sleep(3)  # a resolver or network that never answers, bounded for the test
        raise OSError("late")

    monkeypatch.setattr(socket, "create_connection", hanging_connection)
    started = time.perf_counter()
    with pytest.raises(FetchError, match="no answer"):
        cbs.fetch(["70072ned"], cbs_cache, timeout=0.5)
    assert time.perf_counter() - started < 2.5
    assert (cbs_cache / "70072ned" / "TypedDataSet.json").exists()


def test_embedded_demo_data_pass_validation(demo_dataset):
    from rvs_analysis import regions

    assert demo_dataset.is_demo and demo_dataset.source == "demo"
    assert demo_dataset.crime_boundary_year == 2017
    codes = set(demo_dataset.crime["gemeente_code"]) - {"GM0000"}
    # the region's 39 of 2017, and Leerdam and Zederik for Vijfheerenlanden on later boundaries
    assert codes == set(regions.municipalities(2017)["gemeente_code"]) | {"GM0545", "GM0707"}
    assert len(demo_dataset.provenance["version"]) == 12


_SQUARE = [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.0]]


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        ({"type": "Polygon", "coordinates": [[["a", 52.0], *_SQUARE[1:]]]}, "finite numbers"),
        ({"type": "Polygon", "coordinates": [[[5.0, 52.0], [5.1]]]}, "four positions"),
        ({"type": "Polygon", "coordinates": [[[float("nan"), 52.0], *_SQUARE[1:]]]}, "finite"),
        ({"type": "Polygon", "coordinates": []}, "no coordinates"),
        ({"type": "Blob", "coordinates": [[_SQUARE]]}, "Blob"),
        ("POLYGON((5 52, 5.1 52, 5.1 52.1, 5 52))", "geometry object"),
    ],
    ids=["text", "ragged", "nan", "empty", "unknown type", "string"],
)
def test_a_broken_geometry_is_refused_naming_the_file_and_the_feature(
    geometry, words, tmp_path, tidy_kit, capsys
):
    """Issue 29 (medium): every map-drawing report failed with a raw Python error."""
    import json as json_module

    from rvs_analysis import cli

    features = [
        {
            "type": "Feature",
            "properties": {"statcode": "GM0344", "statnaam": "Utrecht"},
            "geometry": geometry,
        }
    ]
    text = json_module.dumps({"type": "FeatureCollection", "features": features})
    folder = tidy_kit.write_tidy(
        tmp_path / "t",
        metadata={"crime_boundary_year": 2017},
        extra={"gemeenten_2017.geojson": text},
    )
    out = tmp_path / "out"
    status = cli.main(["render", "--source", str(folder), "--out", str(out), "--level", "region"])
    err = capsys.readouterr().err
    assert status != 0 and "gemeenten_2017.geojson" in err and "GM0344" in err and words in err
    assert "Traceback" not in err and not out.exists()


def test_deeply_nested_json_is_one_paragraph(tmp_path, tidy_kit, capsys):
    from rvs_analysis import cli

    deep = "[" * 100_000 + "]" * 100_000
    for name in ("gemeenten_2017.geojson", "metadata.json"):
        folder = tidy_kit.write_tidy(tmp_path / name, extra={name: deep})
        status = cli.main(
            ["table", "--source", str(folder), "--offence", "1.1.1", "--level", "region"]
        )
        err = capsys.readouterr().err
        assert status != 0 and "nested too deeply" in err and "Traceback" not in err


def test_a_registered_source_kind_is_read_like_the_built_in_ones(tmp_path, monkeypatch, tidy_kit):
    """A new kind is one SourceKind: no branch in sources/__init__.py (issue 30 item 5)."""
    from dataclasses import replace

    monkeypatch.setattr(kinds, "_KINDS", list(kinds._KINDS))
    folder = tidy_kit.write_tidy(tmp_path / "mirrored", metadata={"crime_boundary_year": 2017})
    mirror = kinds.register_source_kind(
        replace(
            kinds.TIDY,
            name="mirror",
            takes=lambda source: source.startswith("mirror:"),
            locate=lambda source, cache: Path(source.removeprefix("mirror:")),
            missing=lambda where: f"Nothing mirrored in {where}.",
        )
    )
    assert [kind.name for kind in kinds.source_kinds()] == ["demo", "cbs", "mirror", "tidy"]
    assert kinds.source_kind("mirror:x") is mirror and kinds.source_kind("other").name == "tidy"
    dataset = load_source(f"mirror:{folder}")
    assert len(dataset.crime) and sources.resolve_source(f"mirror:{folder}")[0] == "mirror"
    assert sources.source_files(f"mirror:{folder}") == sources.source_files(str(folder))
    with pytest.raises(SourceNotAvailableError, match="Nothing mirrored in"):
        load_source(f"mirror:{tmp_path / 'empty'}")
