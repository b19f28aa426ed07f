"""Sphinx configuration of the flopcast documentation.

Build with warnings as errors (as CI does, through ``tests/test_docs.py``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Tutorials are MyST Markdown text notebooks (``file_format: mystnb``) executed by myst-nb
at build time with small draws; a cell that raises fails the build.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# Document the source tree next to this folder (not an installed copy elsewhere): the
# build sees the code it is built from, also in a git worktree.
_SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(_SRC))
# Notebook kernels are separate processes: give them the same source tree.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(_SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
)

from flopcast._version import __version__  # noqa: E402

project = "flopcast"
author = "flopcast developers"
copyright = "flopcast developers; bundled data: Epoch AI, CC BY 4.0"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "sphinx_click",
    "sphinxcontrib.autodoc_pydantic",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "jupyter_execute", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
nitpicky = False

# -- MyST and notebooks ---------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath", "deflist"]
myst_heading_anchors = 3
# Execute every notebook at each build (no cache that could hide a broken tutorial); a cell
# that raises fails the build. Each tutorial fits with small draws and takes about a minute.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 900
nb_execution_show_tb = True
nb_merge_streams = True

# -- API docs -------------------------------------------------------------------------------
autosummary_generate = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc docstrings state the types
autodoc_mock_imports: list[str] = []
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

# autodoc_pydantic: the spec reference shows each section's fields with defaults and limits.
autodoc_pydantic_model_show_json = False
autodoc_pydantic_model_show_config_summary = False
autodoc_pydantic_model_show_validator_summary = False
autodoc_pydantic_model_show_validator_members = False
autodoc_pydantic_model_show_field_summary = True
autodoc_pydantic_field_list_validators = False
autodoc_pydantic_model_member_order = "bysource"
autodoc_pydantic_model_undoc_members = True
autodoc_pydantic_field_show_constraints = True

# -- HTML -----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"flopcast {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False


# -- Hooks ----------------------------------------------------------------------------------
_SECTION_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


def _module_sections_as_rubrics(app, what, name, obj, options, lines):
    """Render numpy-style section headings of *module* docstrings as rubrics.

    numpydoc parses function and class docstrings but leaves module docstrings alone, so an
    ``Examples`` heading there became a real section, and the same section name on several
    API pages was reported as a duplicate label.
    """
    if what != "module":
        return
    for i in range(len(lines) - 1, 0, -1):
        title = lines[i - 1].strip()
        if title and _SECTION_UNDERLINE.match(lines[i]) and len(lines[i].strip()) >= len(title):
            lines[i - 1 : i + 1] = [f".. rubric:: {title}", ""]


def _escape_click_help(app, ctx, lines):
    """Help texts are plain text; escape the ``*`` of globs such as ``models/*.toml``."""
    lines[:] = [line.replace("/*.", "/\\*.") for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _module_sections_as_rubrics)
    for event in (
        "sphinx-click-process-options",
        "sphinx-click-process-arguments",
        "sphinx-click-process-description",
        "sphinx-click-process-usage",
        "sphinx-click-process-epilog",
        "sphinx-click-process-envvars",
    ):
        app.connect(event, _escape_click_help)
