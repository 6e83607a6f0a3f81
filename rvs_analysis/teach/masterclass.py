"""Build the participant and trainer versions of the masterclass notebooks.

The masterclass notebooks in ``notebooks/masterclass/`` hold both the exercises and their
solutions. Each exercise is two code cells:

* a cell tagged ``exercise`` with a placeholder (``antwoord = ...``) and a check call, which
  reports "nog niet beantwoord" until the participant fills it in;
* a cell tagged ``solution`` with the worked answer and the same check call.

:func:`build` writes two versions of every notebook with nbconvert's
:class:`~nbconvert.preprocessors.TagRemovePreprocessor`:

``deelnemers/``
    the participant version: ``solution`` cells removed, ``exercise`` cells kept;
``trainers/``
    the trainer version: ``exercise`` cells removed, so the solutions run in their place and
    every check says "goed".

Both versions are cleared of outputs and get a first markdown cell that says which version
they are. The notebooks' data folder (``data/``, the raw CBS sample) is copied beside each
version so that the relative paths in the notebooks keep working.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor
from traitlets.config import Config

from rvs_analysis.exceptions import RvsError
from rvs_analysis.resources import notebooks_path

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
PARTICIPANT_DIR = "deelnemers"
TRAINER_DIR = "trainers"

#: The masterclass notebooks' folder: ``notebooks/masterclass`` in a checkout, the installed
#: package's copy otherwise (:mod:`rvs_analysis.resources`).
DEFAULT_SOURCE = notebooks_path("masterclass")

_BANNERS = {
    PARTICIPANT_DIR: (
        "**Deelnemersversie.** Werk de opdrachten uit op de plaats van de `...` en controleer "
        "je antwoord met de `teach.check(...)`-regel eronder. De uitwerkingen krijg je van de "
        "trainer."
    ),
    TRAINER_DIR: (
        "**Trainersversie** met uitwerkingen. Elke `teach.check(...)` hoort hier *goed* te "
        "zeggen; deel deze versie niet vooraf met deelnemers."
    ),
}


@dataclass(frozen=True)
class BuiltNotebook:
    """One written notebook: which source it came from, which version, where it went."""

    source: Path
    version: str
    path: Path


def masterclass_notebooks(source: Path = DEFAULT_SOURCE) -> list[Path]:
    """The masterclass notebooks in ``source``, in their numbered order."""
    return sorted(path for path in Path(source).glob("*.ipynb") if path.is_file())


def _remove_tag(tag: str) -> TagRemovePreprocessor:
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = {tag}
    config.TagRemovePreprocessor.enabled = True
    return TagRemovePreprocessor(config=config)


def make_version(notebook: nbformat.NotebookNode, version: str) -> nbformat.NotebookNode:
    """Return the participant or trainer version of one notebook (the input is not changed).

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A masterclass notebook with ``solution`` and ``exercise`` cells.
    version : {"deelnemers", "trainers"}
        Which version to make.

    Returns
    -------
    nbformat.NotebookNode
        The version without outputs, with a banner cell after the title cell.
    """
    if version not in _BANNERS:
        raise ValueError(
            f"Unknown version {version!r}; use {PARTICIPANT_DIR!r} or {TRAINER_DIR!r}."
        )
    removed_tag = SOLUTION_TAG if version == PARTICIPANT_DIR else EXERCISE_TAG
    copy = nbformat.reads(nbformat.writes(notebook), as_version=4)
    copy, _ = _remove_tag(removed_tag).preprocess(copy, {})
    copy, _ = ClearOutputPreprocessor().preprocess(copy, {})
    banner = nbformat.v4.new_markdown_cell(_BANNERS[version])
    banner.metadata["tags"] = ["version-banner"]
    position = 1 if copy.cells and copy.cells[0].cell_type == "markdown" else 0
    copy.cells.insert(position, banner)
    return copy


def build(out: Path, source: Path = DEFAULT_SOURCE) -> list[BuiltNotebook]:
    """Write participant and trainer versions of every masterclass notebook to ``out``.

    Parameters
    ----------
    out : Path
        Output folder; ``out/deelnemers`` and ``out/trainers`` are created (existing notebooks
        with the same names are overwritten, other files are left alone).
    source : Path
        Folder with the masterclass notebooks (default: ``notebooks/masterclass`` of this
        checkout).

    Returns
    -------
    list of BuiltNotebook
        What was written, participant and trainer version of each notebook.

    Raises
    ------
    RvsError
        When ``source`` holds no notebooks, or a notebook has no ``solution`` cell (a
        masterclass notebook without exercises is most likely the wrong folder).
    """
    source = Path(source)
    notebooks = masterclass_notebooks(source)
    if not notebooks:
        raise RvsError(
            f"No masterclass notebooks found in {source}. Run the command from a checkout of "
            "rvs-analysis or pass the folder with the masterclass notebooks."
        )
    built = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        tags = [set(cell.metadata.get("tags", [])) for cell in notebook.cells]
        if not any(SOLUTION_TAG in cell_tags for cell_tags in tags):
            raise RvsError(
                f"{path} has no cell tagged '{SOLUTION_TAG}', so it is not a masterclass notebook "
                "with exercises; tag the worked answers 'solution' and the placeholders 'exercise'."
            )
        for version in (PARTICIPANT_DIR, TRAINER_DIR):
            folder = Path(out) / version
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / path.name
            nbformat.write(make_version(notebook, version), target)
            built.append(BuiltNotebook(path, version, target))
    data = source / "data"
    if data.is_dir():
        for version in (PARTICIPANT_DIR, TRAINER_DIR):
            shutil.copytree(data, Path(out) / version / "data", dirs_exist_ok=True)
    return built
