"""The red-team cases (issue 29) in one table: what was tried, what must happen, which test proves
it. Add a row with its test when you find a new case; the test below fails on a row whose test does
not exist.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

CASES = [
    # (case, expected, "file::test")
    (
        "CSV download with a text cell starting with = + - @ TAB (offence label, area name)",
        "cell prefixed with a single quote; numbers, also negative ones, stay numbers",
        "test_downloads.py::test_text_cells_are_never_formulas_in_csv_or_xlsx_and_numbers_stay_numbers",
    ),
    (
        "xlsx download with a text cell '=...'",
        "stored as text (string type), never as a formula",
        "test_downloads.py::test_text_cells_are_never_formulas_in_csv_or_xlsx_and_numbers_stay_numbers",
    ),
    (
        "rvs table --output with a custom area named '=cmd|calc'",
        "the name is written as quoted text",
        "test_downloads.py::test_rvs_table_output_escapes_a_hostile_area_name",
    ),
    (
        "a carried-over download rewritten to =HYPERLINK(...), truncated, missing or a link",
        "the report is rendered again (every download's SHA-256 in the manifest); no link followed",
        "test_render_faults.py::test_a_changed_download_is_rendered_again_never_carried_over",
    ),
    (
        "a symlink planted at the lock file's path",
        "refused with one paragraph; the link's target untouched",
        "test_render_faults.py::test_a_link_at_the_lock_path_is_refused_and_its_target_untouched",
    ),
    (
        "-p report_year=201B / nan / inf / True / -2018",
        "refused before anything renders; previous output byte-identical",
        "test_render_faults.py::test_a_parameter_value_a_report_cannot_use_is_refused_before_anything_renders",
    ),
    (
        "--timeout 1e308; a notebook with bad JSON or a syntax error in its parameters cell",
        "one paragraph, non-zero exit, nothing written",
        "test_render_faults.py::test_an_absurd_timeout_and_a_malformed_notebook_are_one_paragraph",
    ),
    (
        "rvs render --pdf with a Chromium that fails on every page",
        "non-zero exit with a Dutch message (was exit 0 and '0 PDF's geschreven')",
        "test_pdf.py::test_a_browser_that_prints_nothing_fails_the_run",
    ),
    (
        "rvs table --output naming one of its own input files",
        "refused with one paragraph; the source file unchanged",
        "test_cli.py::test_rvs_table_never_overwrites_its_own_input",
    ),
    (
        "GeoJSON with text, ragged, NaN or empty coordinates, an unknown type or a string geometry",
        "refused by the source check naming the file and the feature; nothing written",
        "test_sources.py::test_a_broken_geometry_is_refused_naming_the_file_and_the_feature",
    ),
    (
        "deeply nested JSON in a GeoJSON or metadata.json",
        "one paragraph, not a RecursionError",
        "test_sources.py::test_deeply_nested_json_is_one_paragraph",
    ),
    (
        "rvs masterclass --out / rvs demo-data --out into a folder they did not write",
        "refused with one paragraph unless --force; the user's files untouched",
        "test_written_folder.py::test_masterclass_refuses_a_folder_it_did_not_write",
    ),
    (
        "rvs masterclass on a full disk (a write fails with EFBIG under RLIMIT_FSIZE), into a "
        "new folder and into its existing package with --force",
        "one paragraph, non-zero exit; no half-written package, no staging folder, the existing "
        "package byte-identical",
        "test_written_folder.py::test_masterclass_on_a_full_disk_leaves_no_half_written_package",
    ),
    (
        "rvs masterclass --force into its package where the user edited a notebook and "
        "TRAINER.md and added a file",
        "moved in per file; the user's files kept and named, not recorded as rvs's",
        "test_written_folder.py::test_masterclass_force_into_its_package_keeps_what_the_user_changed",
    ),
    (
        "rvs demo-data over a file the user changed since it wrote it",
        "refused (the edit kept) unless --force",
        "test_written_folder.py::test_demo_data_refuses_a_users_folder_and_a_changed_file",
    ),
    (
        "a source lacking a municipality's rows (absent becomes zero)",
        "refused with one paragraph naming the municipality; nothing written",
        "test_completeness.py::test_rvs_render_refuses_an_incomplete_source_before_anything_is_written",
    ),
    (
        "a population of 0",
        "refused when read, naming file, row and municipality",
        "test_completeness.py::test_rvs_table_refuses_an_incomplete_source_and_writes_nothing",
    ),
    (
        "a killed batch leaves rvs-kernel-/rvs-report-/rvs-pdf- folders in TMPDIR",
        "the next render sweeps them (ours, older than an hour, rvs names only)",
        "test_tempfiles.py::test_sweep_removes_only_stale_rvs_scratch_folders",
    ),
    (
        "SIGTERM or SIGINT during rvs render, local workers or a dask LocalCluster",
        "exit 128+signal, no process left, nothing in TMPDIR (kernel sockets and connection "
        "files with the key, report scratch, dask's worker space), previous output untouched",
        "test_render_faults.py::test_sigterm_stops_workers_and_kernels_and_removes_staging",
    ),
    (
        "SIGTERM while Chromium prints the PDFs (rvs render --pdf)",
        "exit 143 with a Dutch message, no half-written PDF, no browser or profile left",
        "test_render_faults.py::test_sigterm_during_the_pdf_step_leaves_no_half_pdf_and_nothing_in_tmpdir",
    ),
    (
        "tmp*.json kernel connection files (with the key) of a killed run in TMPDIR",
        "swept when stale, ours and provably an rvs kernel's (ipc socket in rvs-kernel-*); a "
        "user's own kernel's file or any other file left alone",
        "test_tempfiles.py::test_sweep_removes_only_stale_connection_files_proven_ours",
    ),
    (
        "an IPC socket path longer than the system allows (a long TMPDIR)",
        "the kernel uses the loopback interface instead of hanging until the start-up timeout",
        "test_render_cluster.py::test_a_kernel_under_a_long_tmpdir_starts_and_leaves_nothing",
    ),
    (
        "the only dask worker, or the scheduler, killed (SIGKILL) mid-batch",
        "the open reports fail with a Dutch message within a minute (marked for retry), the "
        "finished ones are kept, exit 1; no hang, no English traceback",
        "test_render_cluster.py::test_a_killed_dask_worker_or_scheduler_fails_the_open_reports_within_a_minute",
    ),
    (
        "make test leaving files in TMPDIR (Chromium's org.chromium.Chromium.* of rvs render "
        "--pdf and of the browser test, kernel and dask scratch)",
        ".ci/run runs make test through .ci/in-fresh-tmpdir, which fails listing what is left",
        "test_tempfiles.py::test_ci_runs_the_suite_in_a_fresh_tmpdir_and_fails_on_leftovers",
    ),
    (
        "--out at a mount point (or on another device than its parent)",
        "refused with one paragraph before anything is rendered",
        "test_render.py::test_out_at_a_mount_point_is_refused_before_rendering",
    ),
]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize(("case", "expected", "test"), CASES, ids=[row[0][:40] for row in CASES])
def test_every_red_team_case_has_its_test(case, expected, test):
    file, name = test.split("::")
    found = sorted(TESTS.rglob(file))  # the test modules sit in tests/ and its package folders
    assert len(found) == 1, f"{case}: no single test module {file} under tests/"
    assert name in _test_names(found[0]), f"{case}: no test {test}"
