"""Build the participant and trainer packages of the masterclass.

The masterclass notebooks in ``notebooks/masterclass/`` hold the exercises, their solutions and the
model answers of the discussion questions. Each exercise is two code cells:

* a cell tagged ``exercise`` with a placeholder (``antwoord = ...``) and a check call, which
  reports "nog niet beantwoord" until the participant fills it in;
* a cell tagged ``solution`` with the worked answer and the same check call.

A markdown cell tagged ``model-answer`` follows every discussion question ("Denkvraag") with the
model answer for the trainer.

:func:`build` writes two packages:

``deelnemers/`` (participants)
    the notebooks without ``solution`` and ``model-answer`` cells, the notebooks' ``data/`` folder,
    ``LEESMIJ.md`` (how to install and start) and ``pakket/``: a wheel of ``rvs_analysis`` that holds
    the library, the demo data and the exercise data but **not** the masterclass source notebooks
    (which contain the solutions). The package runs on its own: ``pip install`` the wheel (with
    ``--no-index`` when the dependencies are present) and open the notebooks.
``trainers/`` (trainers)
    the notebooks without ``exercise`` cells (the solutions run in their place, every check says
    "goed") with the model answers, ``TRAINER.md`` (the trainer's guide), ``data/``, ``LEESMIJ.md``
    and the same wheel.

Every notebook is cleared of outputs and gets a first markdown cell that says which version it is.
The wheel is written directly from the running package (its modules and its product files, see
:mod:`rvs_analysis.resources`), so a trainer can build the packages from a checkout or from an
installed ``rvs_analysis``.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tomllib
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor
from traitlets.config import Config

from rvs_analysis import resources
from rvs_analysis.exceptions import RvsError

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
MODEL_ANSWER_TAG = "model-answer"
TRAINER_TAG = "trainer"
PARTICIPANT_DIR = "deelnemers"
TRAINER_DIR = "trainers"
GUIDE = "TRAINER.md"
WHEEL_DIR = "pakket"
DISTRIBUTION = "rvs_analysis"


def default_source() -> Path:
    """The masterclass notebooks' folder: a checkout's ``notebooks/masterclass`` or the installed copy."""
    return resources.notebooks_path("masterclass")


#: Cells removed from each version, by tag.
REMOVED_TAGS = {
    PARTICIPANT_DIR: {SOLUTION_TAG, MODEL_ANSWER_TAG, TRAINER_TAG},
    TRAINER_DIR: {EXERCISE_TAG},
}

_BANNERS = {
    PARTICIPANT_DIR: (
        "**Deelnemersversie.** Werk de opdrachten uit op de plaats van de `...` en controleer "
        "je antwoord met de `teach.check(...)`-regel eronder. De uitwerkingen en de "
        "modelantwoorden op de denkvragen krijg je van de trainer."
    ),
    TRAINER_DIR: (
        "**Trainersversie** met uitwerkingen en modelantwoorden. Elke `teach.check(...)` hoort "
        "hier *goed* te zeggen; deel deze versie niet vooraf met deelnemers. De handleiding staat "
        "in `TRAINER.md`."
    ),
}

_README = {
    PARTICIPANT_DIR: """# Masterclass RVS Midden-Nederland: deelnemerspakket

Dit pakket werkt op zichzelf, zonder de repository van rvs-analysis.

1. Installeer de bibliotheek uit `pakket/` (Python 3.11 of nieuwer), bij voorkeur in een eigen
   omgeving:

       python -m venv .venv
       .venv/bin/python -m pip install pakket/{wheel}

   Zonder internet: als de trainer de afhankelijkheden in `pakket/` heeft gezet
   (`pip download -d pakket rvs_analysis` op een machine met internet), dan
   `.venv/bin/python -m pip install --no-index --find-links pakket pakket/{wheel}`.
2. Start JupyterLab in deze map (`.venv/bin/jupyter lab`) en open de notebooks op volgorde.
3. Werk de opdrachten uit op de plaats van de `...`; `teach.check(...)` zegt *goed*, *bijna*,
   *fout* of *nog niet beantwoord* en geeft bij bekende vergissingen een gerichte tip.

De map `data/` hoort bij de notebooks: laat hem naast de notebooks staan. Alle getallen zijn
fictief of synthetisch (demodata), bedoeld om mee te oefenen.
""",
    TRAINER_DIR: """# Masterclass RVS Midden-Nederland: trainerspakket

Lees eerst `TRAINER.md` (leerdoelen, tijden, verwachte antwoorden, veelgemaakte fouten en hoe je het
deelnemerspakket uitdeelt). De notebooks hier bevatten de uitwerkingen en de modelantwoorden op de
denkvragen; voer ze vóór de sessie één keer uit: elke controle hoort *goed* te zeggen.

Installeren gaat zoals in het deelnemerspakket: `python -m pip install pakket/{wheel}`.
""",
}


@dataclass(frozen=True)
class BuiltNotebook:
    """One written notebook: which source it came from, which version, where it went."""

    source: Path
    version: str
    path: Path


def masterclass_notebooks(source: Path | None = None) -> list[Path]:
    """The masterclass notebooks in ``source`` (default: :func:`default_source`), in their order."""
    source = default_source() if source is None else Path(source)
    return sorted(path for path in source.glob("*.ipynb") if path.is_file())


def _remove_tags(tags: set[str]) -> TagRemovePreprocessor:
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = set(tags)
    config.TagRemovePreprocessor.enabled = True
    return TagRemovePreprocessor(config=config)


def make_version(notebook: nbformat.NotebookNode, version: str) -> nbformat.NotebookNode:
    """Return the participant or trainer version of one notebook (the input is not changed).

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A masterclass notebook with ``solution``, ``exercise`` and ``model-answer`` cells.
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
    copy = nbformat.reads(nbformat.writes(notebook), as_version=4)
    copy, _ = _remove_tags(REMOVED_TAGS[version]).preprocess(copy, {})
    copy, _ = ClearOutputPreprocessor().preprocess(copy, {})
    banner = nbformat.v4.new_markdown_cell(_BANNERS[version])
    banner.metadata["tags"] = ["version-banner"]
    position = 1 if copy.cells and copy.cells[0].cell_type == "markdown" else 0
    copy.cells.insert(position, banner)
    return copy


def build(out: Path, source: Path | None = None) -> list[BuiltNotebook]:
    """Write the participant and the trainer package of the masterclass to ``out``.

    Parameters
    ----------
    out : Path
        Output folder; ``out/deelnemers`` and ``out/trainers`` are created (files with the same
        names as the ones written are overwritten, other files are left alone).
    source : Path, optional
        Folder with the masterclass notebooks, their ``data/`` and ``TRAINER.md`` (default:
        :func:`default_source`).

    Returns
    -------
    list of BuiltNotebook
        The notebooks written, participant and trainer version of each.

    Raises
    ------
    RvsError
        When ``source`` holds no notebooks, or a notebook has no ``solution`` cell (a
        masterclass notebook without exercises is most likely the wrong folder).
    """
    source = default_source() if source is None else Path(source)
    notebooks = masterclass_notebooks(source)
    if not notebooks:
        raise RvsError(
            f"No masterclass notebooks found in {source}. Pass the folder with the masterclass "
            "notebooks (--notebooks DIR), or run the command from a checkout or an installed "
            "rvs_analysis."
        )
    built = []
    sources = []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        tags = [set(cell.metadata.get("tags", [])) for cell in notebook.cells]
        if not any(SOLUTION_TAG in cell_tags for cell_tags in tags):
            raise RvsError(
                f"{path} has no cell tagged '{SOLUTION_TAG}', so it is not a masterclass notebook "
                "with exercises; tag the worked answers 'solution' and the placeholders 'exercise'."
            )
        sources.append((path, notebook))
    wheel = None
    for version in (PARTICIPANT_DIR, TRAINER_DIR):
        folder = Path(out) / version
        folder.mkdir(parents=True, exist_ok=True)
        for path, notebook in sources:
            target = folder / path.name
            nbformat.write(make_version(notebook, version), target)
            built.append(BuiltNotebook(path, version, target))
        if (source / "data").is_dir():
            shutil.copytree(source / "data", folder / "data", dirs_exist_ok=True)
        if version == TRAINER_DIR and (source / GUIDE).is_file():
            shutil.copyfile(source / GUIDE, folder / GUIDE)
        if wheel is None:
            wheel = write_wheel(folder / WHEEL_DIR)
        else:
            (folder / WHEEL_DIR).mkdir(exist_ok=True)
            shutil.copyfile(wheel, folder / WHEEL_DIR / wheel.name)
        (folder / "LEESMIJ.md").write_text(
            _README[version].format(wheel=wheel.name), encoding="utf-8"
        )
    return built


# ------------------------------------------------------------------------------------------------
# The participant wheel: the library and its product files without the masterclass solutions
# ------------------------------------------------------------------------------------------------


def _withheld(relative: str) -> bool:
    """Product files the participant wheel leaves out: the masterclass sources and the guide."""
    folder, _, name = relative.rpartition("/")
    return folder == "notebooks/masterclass" and (name.endswith(".ipynb") or name == GUIDE)


def _visible(relative: Path) -> bool:
    return not any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


def _product_files() -> dict[str, Path]:
    """Product files by their path below the product root (``data/...``, ``notebooks/...``)."""
    root = resources.product_root()
    files = {}
    for folder, patterns in resources.PRODUCT_FILES.items():
        for pattern in patterns:
            for path in sorted((root / folder).glob(pattern)):
                relative = path.relative_to(root)
                if path.is_file() and _visible(relative):
                    files[relative.as_posix()] = path
    return files


def _package_files() -> dict[str, Path]:
    """The package's own files (modules, templates) by their path in the wheel."""
    package = Path(__file__).resolve().parents[1]
    files = {}
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if (
            path.is_file()
            and _visible(relative)
            and relative.parts[0] != resources.PRODUCT_DIR
            and path.suffix not in {".pyc", ".pyo"}
        ):
            files[f"{DISTRIBUTION}/{relative.as_posix()}"] = path
    return files


def _metadata() -> tuple[str, str, str]:
    """(version, METADATA text, entry_points.txt text) of the running distribution."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        distribution = None
    if distribution is not None and distribution.read_text("METADATA"):
        entry_points = distribution.read_text("entry_points.txt") or ""
        return distribution.version, distribution.read_text("METADATA"), entry_points

    root = resources.checkout_root()
    if root is None:
        raise RvsError(
            "Cannot write the participant wheel: rvs_analysis has no installed metadata and "
            "is not a checkout. Install it (pip install rvs_analysis) and try again."
        )
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3.11')}",
        *(f"Requires-Dist: {requirement}" for requirement in project.get("dependencies", [])),
    ]
    scripts = project.get("scripts", {})
    entry_points = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())
    return project["version"], "\n".join(lines) + "\n", entry_points


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(folder: Path) -> Path:
    """Write the participant wheel of ``rvs_analysis`` to ``folder`` and return its path.

    Parameters
    ----------
    folder : Path
        Where the wheel goes (created if needed).

    Returns
    -------
    pathlib.Path
        ``folder/rvs_analysis-<version>-py3-none-any.whl``.

    Notes
    -----
    The wheel holds the package's modules and its product files (``rvs_analysis/_product/data``
    and ``.../notebooks``, as a wheel built by ``setup.py`` does), except the masterclass source
    notebooks and the trainer's guide: the participant package must not carry the solutions. The
    notebooks' exercise data (``notebooks/masterclass/data``) stay in, because the checker computes
    its references from them. The metadata are those of the running distribution.
    """
    version, metadata_text, entry_points = _metadata()
    files = dict(_package_files())
    for relative, path in _product_files().items():
        if not _withheld(relative):
            files[f"{DISTRIBUTION}/{resources.PRODUCT_DIR}/{relative}"] = path
    info = f"{DISTRIBUTION}-{version}.dist-info"
    extra = {
        f"{info}/METADATA": metadata_text.encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: rvs_analysis.teach.masterclass\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{info}/entry_points.txt": entry_points.encode(),
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{DISTRIBUTION}-{version}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files.items()):
            data = path.read_bytes()
            archive.writestr(name, data)
            records.append(_record_line(name, data))
        for name, data in extra.items():
            archive.writestr(name, data)
            records.append(_record_line(name, data))
        records.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return wheel
