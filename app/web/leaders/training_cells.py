"""The staff training dashboard's cells, as a table row at a desk and as a list on a phone.

Made here rather than with loops in the template because a school of 300 has thousands of cells,
and this costs a fraction of the time. Many cells are alike (the same status on the same date), so
each is made once.
"""

from __future__ import annotations

import functools

from markupsafe import Markup, escape

from app.leadership import staff_training as dashboards
from app.web.leaders import bp


@bp.app_template_filter("training_cells")
def training_cells(cells: list[dashboards.Cell | None]) -> Markup:
    """A row of the staff training table's status cells."""
    return Markup("".join(_training_cell(cell) for cell in cells))  # noqa: S704 (_training_cell escapes every value)


@bp.app_template_filter("training_list")
def training_list(row: dashboards.PersonRow, module_ids: list[str], titles: dict[str, str]) -> Markup:
    """One person's modules as a list, for a phone: those needing action first, then in column order."""
    cells = [(module_id, row.cells[module_id]) for module_id in module_ids if module_id in row.cells]
    cells.sort(key=lambda item: not item[1].status.needs_action)
    items = "".join(_training_item(titles[module_id], cell) for module_id, cell in cells)
    return Markup(f'<ul class="govuk-list app-training-list__modules">{items}</ul>')  # noqa: S704 (escaped below)


@functools.lru_cache(maxsize=4096)
def _training_cell(cell: dashboards.Cell | None) -> str:
    if cell is None:
        return '<td class="govuk-table__cell"><span class="govuk-visually-hidden">Not required</span></td>'
    return (
        f'<td class="govuk-table__cell"><strong class="govuk-tag {escape(cell.status.tag_class)}">'
        f'{escape(cell.status.label)}</strong><span class="app-cell-date">{_when(cell)}</span></td>'
    )


@functools.lru_cache(maxsize=4096)
def _training_item(title: str, cell: dashboards.Cell) -> str:
    return (
        f'<li><span class="app-training-list__module">{escape(title)}</span> '
        f'<strong class="govuk-tag {escape(cell.status.tag_class)}">{escape(cell.status.label)}</strong>'
        f'<span class="app-cell-date">{_when(cell)}</span></li>'
    )


def _when(cell: dashboards.Cell) -> str:
    return str(escape(cell.date_label[:1].upper() + cell.date_label[1:] + (", assigned" if cell.assigned else "")))
