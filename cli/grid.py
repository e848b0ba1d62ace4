"""Long tables of plain text, printed with rich and fast (``bbo trials``).

Rich lays a table out cell by cell: measure, pad, wrap and crop each one (about 0.3 ms a
cell, 0.1 s for 200 trials of 8 columns, more than the rest of ``bbo trials``). When every
cell is one line of printable characters and the table fits the console at its columns'
natural widths (the usual case: rich then wraps nothing), the same output comes from *one*
row whose cells hold a whole column as lines of one text, about three times faster.
Otherwise (a cell with a line break, a tab or another control character, or a table wider
than the console, whose cells rich then folds) the table is laid out row by row as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

Justify = Literal["left", "right"]


def _table(title: str, columns: Sequence[tuple[str, Justify]]) -> Table:
    from rich.table import Table

    table = Table(title=title)  # default box, padding (0, 1) and edges: see _natural_width
    for header, justify in columns:
        table.add_column(header, overflow="fold", justify=justify)
    return table


def _natural_width(columns: Sequence[tuple[str, Justify]], rows: Sequence[Sequence[str]]) -> int:
    """The width of :func:`_table` holding ``rows`` when no cell wraps: each column as wide
    as its widest cell or header plus one space of padding each side, and a border between
    and around the columns."""
    from rich.cells import cell_len

    widths = [cell_len(header) for header, _ in columns]
    for row in rows:
        for i, cell in enumerate(row):
            n = cell_len(cell)
            if n > widths[i]:
                widths[i] = n
    return sum(widths) + 2 * len(widths) + len(widths) + 1


def print_grid(
    console: Console,
    title: str,
    columns: Sequence[tuple[str, Justify]],
    rows: Sequence[Sequence[str]],
) -> None:
    """Print the table ``title`` of ``columns`` (``(header, justify)``; a cell too wide
    for the console folds) and ``rows`` of plain text (shown as is: no rich markup or
    emoji codes) on ``console``: exactly what rich prints for it row by row, faster."""
    from rich.text import Text

    table = _table(title, columns)
    plain = all(cell.isprintable() for row in rows for cell in row)  # no line break, tab
    if rows and plain and _natural_width(columns, rows) <= console.width:
        table.add_row(*(Text("\n".join(column)) for column in zip(*rows, strict=True)))
    else:
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
    console.print(table)


__all__ = ["print_grid"]
