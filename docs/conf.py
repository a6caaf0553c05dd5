"""Sphinx configuration of skaudio's documentation.

    pip install -e ".[docs]" && sphinx-build -W -b html docs docs/_build/html

Before the build, ``_generate.py`` writes the API reference (every name of
``skaudio.PUBLIC_MODULES``' ``__all__``) and the benchmark and reproduction
pages from ``benchmarks/results/*.json`` into ``docs/generated/``.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("MPLBACKEND", "Agg")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _generate import generate_all  # noqa: E402

import skaudio  # noqa: E402

generate_all()

project = "skaudio"
copyright = "2026, the skaudio developers"
author = "the skaudio developers"
release = skaudio.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
# generated/results and generated/examples are included by other pages.
exclude_patterns = ["_build", "generated/results", "generated/examples",
                    "generated/benchmark_table.md", "generated/backends.md",
                    "generated/training_defaults.md", "generated/api/*.examples",
                    "**/*.ipynb", "**/*.py.md5",
                    "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json"]

# API reference: one page per public name, from the docstrings.
autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Markdown pages (the user guide) with MyST: $...$ maths, anchors on headings.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# The example gallery: scripts named plot_*.py run at build time (seconds,
# synthetic data); the others train networks on real recordings for minutes
# to hours, are shown with their code and stored results, and say so.
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"(__init__|_common)\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 10**6,
}

html_theme = "pydata_sphinx_theme"
html_title = f"skaudio {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path = []
