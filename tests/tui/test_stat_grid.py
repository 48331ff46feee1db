"""The stat grid's column widths (plain text; no Rich table per redraw)."""

from __future__ import annotations

from rich.text import Text

from aegis_cli.tui.widgets.stat_grid import GAP, column_widths


def cells(*texts: str) -> list[Text]:
    return [Text(t) for t in texts]


def test_columns_fit_their_widest_cell_and_share_the_spare_room():
    rows = [cells("Calls 42", "Speed 7,802.4 tok/s processed"), cells("Load Time 1,874 ms")]
    widths = column_widths(rows, 2, 80)
    assert sum(widths) == 80
    assert widths[0] >= len("Load Time 1,874 ms") + GAP
    assert widths[1] >= len("Speed 7,802.4 tok/s processed") + GAP
    assert abs((widths[0] - 20) - (widths[1] - 31)) <= 1  # the spare room is shared evenly


def test_figures_that_do_not_fit_get_equal_columns():
    rows = [cells("x" * 40, "y" * 40, "z" * 40)]
    assert column_widths(rows, 3, 60) == [20, 20, 20]
