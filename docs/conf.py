"""Sphinx configuration of softlogit's documentation site.

Built by ``python3 scripts/dev.py docs`` (and by ``python3 scripts/dev.py test``) with
warnings as errors. The choices, and why, are in ``docs/README.md``:

- pydata-sphinx-theme: the theme of NumPy, SciPy, pandas and scikit-learn, whose
  readers are ours; it bundles its icons and fonts (nothing from a CDN).
- numpydoc: the package's docstrings are numpydoc.
- myst-nb: pages written as MyST Markdown notebooks are executed at build time in a
  Jupyter kernel, so every printed figure and every plot comes from the code beside
  it (never stale); the tutorial notebook renders with the same machinery.
- MathJax 3 served from the ``sphinx-mathjax-offline`` package (``_static/mathjax``):
  formulas render in the browser from local files only.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import softlogit

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "softlogit"
author = "softlogit developers"
copyright = "softlogit developers"  # noqa: A001 - Sphinx's name
release = softlogit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 from the package; sets mathjax_path
    "numpydoc",
    "plain_docstrings",  # |x| and fitted_attr_ in docstrings are plain text
    "myst_nb",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "**.ipynb_checkpoints", "jupyter_execute"]
root_doc = "index"

# -- the tutorial: examples/tutorial.ipynb is the notebook readers download; the site
# renders (and executes) a copy, refreshed on every build.
shutil.copyfile(ROOT / "examples" / "tutorial.ipynb", DOCS / "tutorial.ipynb")

# -- API reference -------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's type lines say it, with shapes
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- executed pages (myst-nb) --------------------------------------------------------
# The kernels inherit this environment: TensorFlow's C++ start-up lines stay out of
# the build log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (the derivation) get $$ math
nb_ipywidgets_js: dict[str, dict[str, str]] = {}  # no widget scripts from a CDN

# -- HTML ----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"softlogit {release}"
html_static_path = ["_static"]
html_css_files = ["softlogit.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
