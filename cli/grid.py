"""Long tables of plain text, printed with rich and fast (``bbo trials``).

Rich lays a table out cell by cell: measure, pad, wrap and crop each one (about 0.3 ms a
cell, 0.1 s for 200 trials of 8 columns, more than the rest of ``bbo trials``). When every
cell is one line of printable characters and the table fits the console at its columns'
natural widths (the usual case: rich then wraps nothing), the same output comes from *one*
row whose cells each hold a whole column (:class:`_Column`): its lines, already justified
as rich would justify them, go out as they are, with no wrapping pass (about seven times
faster than row by row). Otherwise (a cell with a line break, a tab or another control
character, or a table wider than the console, whose cells rich then folds) the table is
laid out row by row as usual.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.measure import Measurement
    from rich.segment import Segment
    from rich.table import Table

Justify = Literal["left", "right"]


def _table(title: str, columns: Sequence[tuple[str, Justify]]) -> Table:
    from rich.table import Table

    table = Table(title=title)  # default box, padding (0, 1) and edges: see _table_width
    for header, justify in columns:
        table.add_column(header, overflow="fold", justify=justify)
    return table


class _Column:
    """A whole column of one-line cells, as one cell of a rich table that is as wide as
    its widest line (the header's width when that is wider): each line justified as rich
    justifies a text that needs no wrapping (``right``: trailing spaces dropped, padded on
    the left; ``left``: padded on the right by the table), one line of output each."""

    def __init__(self, cells: Sequence[str], width: int, justify: Justify) -> None:
        self.cells = cells
        self.width = width
        self.justify = justify

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        from rich.measure import Measurement

        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        from rich.cells import cell_len
        from rich.segment import Segment

        width = options.max_width
        end = Segment.line()
        for cell in self.cells:
            if self.justify == "right":
                cell = cell.rstrip()
                cell = " " * (width - cell_len(cell)) + cell
            yield Segment(cell)
            yield end


def _widths(columns: Sequence[tuple[str, Justify]], rows: Sequence[Sequence[str]]) -> list[int]:
    """The width of each column's text when no cell wraps: its widest cell or header."""
    from rich.cells import cell_len

    widths = [cell_len(header) for header, _ in columns]
    for row in rows:
        for i, cell in enumerate(row):
            n = cell_len(cell)
            if n > widths[i]:
                widths[i] = n
    return widths


def _table_width(widths: Sequence[int]) -> int:
    """The width of :func:`_table` with columns of text ``widths`` wide: each column plus
    one space of padding each side, and a border between and around the columns."""
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
    widths = _widths(columns, rows)
    if rows and plain and _table_width(widths) <= console.width:
        texts = zip(*rows, strict=True)  # the cells of each column
        table.add_row(
            *(_Column(t, w, justify) for t, w, (_, justify) in zip(texts, widths, columns))
        )
    else:
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
    console.print(table)


__all__ = ["print_grid"]
