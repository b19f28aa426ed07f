"""The report as a small document model: sections of paragraphs, tables, figures and boxes.

The content is built once from these plain-text blocks and rendered twice (HTML and
Markdown, :mod:`flopcast.report.render`), so the two cannot drift apart. Every string in a
block is plain text; the renderers escape it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from flopcast import figures
from flopcast.formatting import format_cell

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "COLLAPSE_ROWS",
    "REPORT_VERSION",
    "SECTION_TITLES",
    "Banner",
    "BulletList",
    "Code",
    "Details",
    "FigureBlock",
    "Paragraph",
    "Section",
    "Table",
    "figure_block",
    "slug",
    "table_from_frame",
]

#: Version of the report layout and of ``summary.json``'s report keys.
REPORT_VERSION = 1

#: Section titles, in order. "Sensitivity study" appears only when a study is given.
SECTION_TITLES: tuple[str, ...] = (
    "Key findings",
    "Training compute of all runs",
    "Break dates and doubling times",
    "The frontier",
    "Forecasts",
    "Threshold crossings",
    "Runs above thresholds and limits",
    "Sensitivity study",
    "Diagnostics",
    "Data provenance",
    "Method notes",
    "Reproduction",
)

#: Exclusion groups with more rows than this are shown as a count plus a collapsible list.
COLLAPSE_ROWS = 10


@dataclass(frozen=True)
class Paragraph:
    """Plain text; ``lead`` is shown in bold before it."""

    text: str
    lead: str = ""
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class BulletList:
    """A list of plain-text items."""

    items: tuple[str, ...]
    kind: ClassVar[str] = "list"


@dataclass(frozen=True)
class Table:
    """A table of plain-text cells; ``numeric[i]`` right-aligns column ``i``."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    numeric: tuple[bool, ...] = ()
    kind: ClassVar[str] = "table"

    def align(self, i: int) -> str:
        """``"num"`` for right-aligned columns, else ``"text"``."""
        return "num" if i < len(self.numeric) and self.numeric[i] else "text"


@dataclass(frozen=True)
class FigureBlock:
    """A PNG figure; ``name`` is its file name (without ``.png``) beside the Markdown."""

    name: str
    png: bytes
    alt: str
    caption: str
    kind: ClassVar[str] = "figure"

    @property
    def width(self) -> int:
        """Display width in CSS pixels: the figure's size in inches at 96 pixels per inch."""
        pixels = int.from_bytes(self.png[16:20], "big") if len(self.png) > 24 else 0
        return max(1, round(pixels * 96 / figures.PNG_DPI))

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI for the HTML page."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Code:
    """Preformatted text (equations, the spec, a command line)."""

    text: str
    language: str = ""
    kind: ClassVar[str] = "code"


@dataclass(frozen=True)
class Banner:
    """A highlighted box: ``level`` is ``"danger"``, ``"ok"`` or ``"note"``."""

    level: str
    title: str
    items: tuple[str, ...] = ()
    kind: ClassVar[str] = "banner"


@dataclass(frozen=True)
class Details:
    """A collapsible block (``<details>``) with a one-line summary."""

    summary: str
    blocks: tuple[Any, ...]
    kind: ClassVar[str] = "details"


@dataclass
class Section:
    """One report section: an anchor id, a title and its blocks."""

    id: str
    title: str
    blocks: list[Any] = field(default_factory=list)


def slug(title: str) -> str:
    """GitHub-style anchor of a heading (lower case, spaces to dashes, punctuation out).

    Examples
    --------
    >>> slug("Break dates and doubling times")
    'break-dates-and-doubling-times'
    """
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def table_from_frame(df: pd.DataFrame, caption: str = "") -> Table:
    """A generic table from a DataFrame (index dropped unless it is named)."""
    if df.index.name is not None:
        df = df.reset_index()
    numeric = tuple(pd.api.types.is_numeric_dtype(df[c]) for c in df.columns)
    rows = tuple(tuple(format_cell(v) for v in row) for row in df.itertuples(index=False))
    return Table(tuple(str(c) for c in df.columns), rows, caption, numeric)


def figure_block(name: str, fig: Figure, alt: str, caption: str) -> FigureBlock:
    """A figure rendered to PNG as a block."""
    return FigureBlock(name, figures.to_png(fig), alt, caption)
