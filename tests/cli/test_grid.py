"""``print_grid`` prints exactly what rich prints for the same table laid out row by row,
whether it merges the rows (every cell one line, the table fits) or not."""

from __future__ import annotations

import io

import pytest
from bbo.cli.grid import _table_width, _widths, print_grid
from rich.console import Console
from rich.table import Table
from rich.text import Text

COLUMNS = [("trial", "right"), ("state", "left"), ("value", "right"), ("reason", "left")]
ROWS = [
    ["0", "COMPLETED", "3.11354", ""],
    ["1", "FAILED", "", "exit 1"],
    ["12", "RUNNING", "", ""],
    ["13", "COMPLETED", "0.5", "[bold]not markup[/] :smile:"],
    ["14", "PRUNED", "", ""],
]


def _rows_one_by_one(console: Console, title, columns, rows) -> None:
    table = Table(title=title)
    for header, justify in columns:
        table.add_column(header, overflow="fold", justify=justify)
    for row in rows:
        table.add_row(*(Text(c) for c in row))
    console.print(table)


def _both(rows, width: int, terminal: bool = False, columns=COLUMNS) -> tuple[str, str]:
    out = []
    for printer in (print_grid, _rows_one_by_one):
        buf = io.StringIO()
        console = Console(file=buf, width=width, force_terminal=terminal, highlight=False)
        printer(console, "trials of demo", columns, rows)
        out.append(buf.getvalue())
    return out[0], out[1]


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_same_output_at_every_width(terminal):
    natural = _table_width(_widths(COLUMNS, ROWS))
    for width in range(natural - 25, natural + 3):  # folded cells below `natural`
        fast, plain = _both(ROWS, width, terminal)
        assert fast == plain, width


@pytest.mark.parametrize(
    "rows",
    [
        [["1", "a\nb", "2", ""], ["2", "c", "3", ""]],  # a line break: laid out row by row
        [["1", "a\tb", "2", ""]],
        [["1", "日本語のパラメータ", "2", "é"], ["2", "x", "", ""]],  # wide characters
        [["1", "", "", ""], ["2", "", "", ""]],  # empty trailing cells
        [["1 ", " a ", " 2", "  "], ["22", "b  ", "3  ", " x "]],  # spaces at either end
        [],
    ],
    ids=["newline", "tab", "wide", "empty", "spaces", "no-rows"],
)
def test_same_output_for_awkward_cells(rows):
    for width in (20, 40, 200):
        fast, plain = _both(rows, width)
        assert fast == plain, width


def test_cells_are_plain_text():
    fast, _ = _both(ROWS, 200)
    assert "[bold]not markup[/] :smile:" in fast
