"""Where the product's own files are, in a checkout and in an installed package.

The product's own files are the region tables (``data/regions/``), the strategies (their
targets in ``data/strategies/<id>/targets.csv``), the crime-change classification (``data/crime_change_classification.csv``),
the CSV templates for the region's own figures (``data/templates/``), the embedded demo data set
(``data/demo/``) and the notebooks (``notebooks/``: the reports, the masterclass and the exploration
notebook). They have one copy in the repository, in its top-level ``data/`` and ``notebooks/``
folders.

* In a checkout (an editable install, or the repository on ``PYTHONPATH``) they are read from
  those folders, so an edit to ``data/regions/municipalities.csv`` takes effect at once.
* In an installed wheel they are inside the package, as ``rvs_analysis/_product/data/`` and
  ``rvs_analysis/_product/notebooks/``: the build step in ``setup.py`` copies them there when the
  wheel is built (:data:`PRODUCT_FILES` lists what is copied). They are found with
  :mod:`importlib.resources`, so the package works wherever it is installed: a researcher's own
  environment, a dask worker, a masterclass participant's laptop.

User folders are not part of the product: the CBS download cache (``data/raw``) and the region's own
files (``data/regional``, next to the cache) are wherever the user says (``--cache DIR``, the
``cache`` argument), relative to the working directory; only in a checkout does a relative path that
does not exist there fall back to the repository (:func:`user_path`).
"""

from __future__ import annotations

from importlib import resources as _importlib_resources
from pathlib import Path

from rvs_analysis.exceptions import SourceNotAvailableError

__all__ = [
    "PRODUCT_DIR",
    "PRODUCT_FILES",
    "checkout_root",
    "data_path",
    "notebooks_path",
    "product_root",
    "user_path",
]

PRODUCT_DIR = "_product"
"""Folder inside the installed package that holds the product's own ``data/`` and ``notebooks/``."""

PRODUCT_FILES: dict[str, tuple[str, ...]] = {
    "data": (
        "regions/*.csv",
        "regions/README.md",
        "demo/*",
        "templates/*",
        "crime_change_classification.csv",
        "indicator_catalogue.csv",
        "strategies/README.md",
        "strategies/*/*",
    ),
    "notebooks": (
        "*.ipynb",
        "README.md",
        "masterclass/**/*",
        "explore/**/*",
    ),
}
"""What the wheel carries, as glob patterns per top-level folder. ``data/raw`` and
``data/regional`` (user folders) are deliberately absent. ``setup.py`` reads this mapping."""

_MARKER = ("data", "regions", "municipalities.csv")


def checkout_root() -> Path | None:
    """The repository root when the package runs from a checkout, else ``None``.

    Returns
    -------
    pathlib.Path or None
        The folder holding ``rvs_analysis/``, ``data/`` and ``pyproject.toml``; ``None`` in an
        installed package (where the folder above the package is ``site-packages`` or a
        ``--target`` folder).
    """
    root = Path(__file__).resolve().parent.parent
    if root.joinpath(*_MARKER).is_file() and (root / "pyproject.toml").is_file():
        return root
    return None


def _installed_root() -> Path | None:
    root = _importlib_resources.files("rvs_analysis") / PRODUCT_DIR
    if not root.is_dir():
        return None
    if not isinstance(root, Path):
        raise SourceNotAvailableError(
            f"The product files of rvs_analysis are in {root}, which is not a folder on disk "
            "(a zipped install?). Install the package as files (pip install rvs_analysis)."
        )
    return root


def product_root() -> Path:
    """The folder that holds the product's ``data/`` and ``notebooks/``.

    Returns
    -------
    pathlib.Path
        ``rvs_analysis/_product`` of an installed package, else the repository root of a checkout.

    Raises
    ------
    SourceNotAvailableError
        When neither exists (a package built without its product files).
    """
    installed = _installed_root()
    if installed is not None:
        return installed
    root = checkout_root()
    if root is not None:
        return root

    package = Path(__file__).resolve().parent
    raise SourceNotAvailableError(
        f"The product files of rvs_analysis (region tables, demo data, notebooks) are missing: "
        f"neither {package / PRODUCT_DIR} (an installed wheel) nor {package.parent / 'data'} (a "
        "checkout) exists. Reinstall the package from a wheel built by 'pip wheel .'."
    )


def data_path(*parts: str) -> Path:
    """Path of one of the product's data files or folders.

    Parameters
    ----------
    *parts : str
        Path parts below ``data/``, e.g. ``("regions", "municipalities.csv")``.

    Returns
    -------
    pathlib.Path
        The path; it is not checked for existence (callers raise their own clear error).

    Examples
    --------
    >>> data_path("regions", "municipalities.csv").name
    'municipalities.csv'
    >>> data_path("demo").name
    'demo'
    """
    return product_root().joinpath("data", *parts)


def notebooks_path(*parts: str) -> Path:
    """Path of one of the product's notebooks or notebook folders (below ``notebooks/``).

    Examples
    --------
    >>> notebooks_path("masterclass").name
    'masterclass'
    """
    return product_root().joinpath("notebooks", *parts)


def user_path(path) -> Path:
    """Resolve a user folder such as the CBS cache ``data/raw``.

    Parameters
    ----------
    path : str or pathlib.Path
        Absolute, or relative to the working directory.

    Returns
    -------
    pathlib.Path
        The absolute path. A relative path that does not exist in the working directory is taken
        from the repository root when running from a checkout (so a notebook opened in
        ``notebooks/`` finds ``data/raw``), and from the working directory otherwise.
    """
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    root = checkout_root()
    if root is not None:
        return (root / path).resolve()
    return path.resolve()
