"""The sensitivity-study section: a study table (and its chart) given to the report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from flopcast.exceptions import FlopcastError
from flopcast.report.document import Paragraph, Section, figure_block, slug, table_from_frame

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["study_parts", "study_section"]


def study_parts(study: Any, study_figure: Figure | None) -> tuple[pd.DataFrame, Any]:
    """The study's table and figure from ``study`` (a DataFrame or ``(DataFrame, Figure)``).

    Raises
    ------
    FlopcastError
        When the table is not a DataFrame.
    """
    table, fig = study, study_figure
    if isinstance(study, tuple):
        table, fig = study[0], study[1] if len(study) > 1 else study_figure
    if not isinstance(table, pd.DataFrame):
        raise FlopcastError(
            f"study must be a pandas DataFrame (one row per variant), got {type(table).__name__}"
        )
    return table, fig


def study_section(study: Any, study_figure: Figure | None) -> Section:
    """The study's description, its chart and its table, one row per variant."""
    sec = Section(slug("Sensitivity study"), "Sensitivity study")
    table, fig = study_parts(study, study_figure)
    description = table.attrs.get("description")
    if description:
        sec.blocks.append(Paragraph(str(description)))
    if fig is not None:
        sec.blocks.append(
            figure_block(
                "study",
                fig,
                "Sensitivity study chart",
                "How each variation moves the headline outputs relative to the base spec.",
            )
        )
    sec.blocks.append(table_from_frame(table, f"One row per variant ({len(table)} variants)."))
    return sec
