"""Issue 14, item 11: the live display on a narrow terminal keeps the count and the time."""

from __future__ import annotations

import io

import pytest
from bbo.cli.display import RunDisplay
from rich.console import Console

import bbo


@pytest.mark.parametrize("width", [60, 80, 160])
def test_progress_keeps_count_and_elapsed_time_on_narrow_terminals(width):
    space = bbo.Space({f"parameter_{i}": bbo.Float(0.0, 1.0) for i in range(6)})
    study = bbo.Study(space, strategy="sobol", seed=0)
    display = RunDisplay(Console(width=width, force_terminal=True, file=io.StringIO()))
    display.started(study, 0, 10)
    assert display.progress is not None
    trials = study.ask(3)
    display.asked(trials)
    for t in trials:
        display.told(study.tell(t, 0.123456789), len(study.trials), study.best)
    out = io.StringIO()
    Console(width=width, file=out, force_terminal=True, color_system=None).print(
        display.progress.get_renderable()
    )
    display.stop()
    (line,) = out.getvalue().splitlines()
    assert len(line) <= width
    assert " 3/10 " in line and " 0:00:0" in line and line.startswith("best: 0.12")
