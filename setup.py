"""Build step that puts the product's own files into the wheel.

The region tables, targets, classification, templates, demo data and notebooks have one copy in the
repository, in the top-level ``data/`` and ``notebooks/`` folders (see
``rvs_analysis/resources.py``). Building a wheel copies them into ``rvs_analysis/_product/``, where
``rvs_analysis.resources`` finds them with ``importlib.resources``. An editable install copies
nothing: it reads the repository's own folders. Everything else is configured in pyproject.toml.
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _resources_module():
    """rvs_analysis/resources.py on its own (stdlib only), without importing the package."""
    spec = importlib.util.spec_from_file_location(
        "_rvs_resources", ROOT / "rvs_analysis" / "resources.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def product_files():
    """(source, path inside the package) of every product file, from resources.PRODUCT_FILES."""
    resources = _resources_module()
    found = {}
    for folder, patterns in resources.PRODUCT_FILES.items():
        base = ROOT / folder
        for pattern in patterns:
            for source in sorted(base.glob(pattern)):
                relative = source.relative_to(base)
                if not source.is_file() or any(
                    part.startswith(".") or part == "__pycache__" for part in relative.parts
                ):
                    continue
                found[source] = Path("rvs_analysis", resources.PRODUCT_DIR, folder, relative)
    return sorted(found.items())


class BuildWithProductFiles(build_py):
    """``build_py`` that also copies the product files into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads data/ and notebooks/ where they are
        for source, inside in product_files():
            target = Path(self.build_lib) / inside
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildWithProductFiles})
