"""The teacher's kit's times: the committed tables are what tools/kit_times.py computes; its parsing and rescaling."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import kit_times  # noqa: E402

CPU = "Intel(R) Xeon(R) Processor (family 6, model 207; 2 cores; AMX-BF16)"
FLOAT32_LINE = f"Estimate: about 3 min 1 s (CPU: {CPU}; float32, 256x144 px, 400 steps)"
BFLOAT16_LINE = f"L-BFGS, precision auto   about 50 s (CPU: {CPU}; bfloat16, 256x144 px, 300 evaluations)"


def _times(optimizer: str, precision: str, small: float, large: float) -> dict:
    """A StepTimes record: ``small`` seconds at 10,000 pixels, ``large`` at 50,000."""
    return {"optimizer": optimizer, "precision": precision, "pixels": [10_000, 50_000], "seconds": [small, large],
            "first_seconds": 1.0, "targets_seconds_per_pixel": 1e-6, "device": f"CPU: {CPU}", "measured_at": 0.0}


# Per evaluation, linear in pixels: native float32 0.1 s + 1e-5 s/px, bfloat16 a quarter of that per
# pixel, float32 without AMX twice native float32.
STEPS = {"cpu": CPU, "date": "2025-01-01",
         "native": {"adam float32": _times("adam", "float32", 0.2, 0.6),
                    "lbfgs float32": _times("lbfgs", "float32", 0.2, 0.6),
                    "lbfgs bfloat16": _times("lbfgs", "bfloat16", 0.125, 0.225)},
         "float32_avx2": {"adam float32": _times("adam", "float32", 0.4, 1.2),
                          "lbfgs float32": _times("lbfgs", "float32", 0.4, 1.2)}}


def _notebook(path: Path, outputs_by_cell: list[str | None]) -> None:
    """A notebook whose code cells print the given text (``None``: a markdown cell)."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# x"} if text is None else
             {"cell_type": "code", "metadata": {}, "source": "", "execution_count": 1,
              "outputs": [{"output_type": "stream", "name": "stdout", "text": text}] if text else []}
             for text in outputs_by_cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


@pytest.mark.parametrize("text,seconds", [("50 s", 50), ("3 min 1 s", 181), ("12 min", 720), ("1 h 5 min", 3900),
                                          ("0 s", 0)])
def test_durations_as_format_seconds_writes_them(text, seconds):
    assert kit_times.duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "3 minutes", "about 5 s", "5 s 3 min x"])
def test_a_duration_in_another_form_is_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        kit_times.duration_seconds(text)


def test_estimate_lines_in_float32_and_bfloat16_are_parsed():
    text = f"Run cpu.\n{FLOAT32_LINE}\nstep 10/400\n{BFLOAT16_LINE}\n"
    assert kit_times.parse_estimates(text) == [
        kit_times.Estimate(181.0, "adam", "float32", 256 * 144),
        kit_times.Estimate(50.0, "lbfgs", "bfloat16", 256 * 144)]
    assert kit_times.parse_estimates("Best loss 1.2e6 after 400 steps in 3 min") == []


def test_a_cli_estimate_with_its_whole_command_is_parsed():
    line = (f"Estimate: about 1 s (CPU: {CPU}; float32, 64x36 px, 5 steps) to paint; about 7 s in all, 4 s of it "
            "spent starting.")
    assert kit_times.parse_estimates(line) == [kit_times.Estimate(1.0, "adam", "float32", 64 * 36)]


def test_ratios_are_the_float32_without_amx_time_over_the_printed_precision_s():
    pixels = 30_000  # native float32 0.4 s, bfloat16 0.175 s, float32 without AMX 0.8 s
    assert kit_times.ratio(kit_times.Estimate(10, "adam", "float32", pixels), STEPS) == pytest.approx(2.0)
    assert kit_times.ratio(kit_times.Estimate(10, "lbfgs", "bfloat16", pixels), STEPS) == pytest.approx(0.8 / 0.175)
    with pytest.raises(KeyError, match="adam bfloat16.*kit_times.py measure"):
        kit_times.ratio(kit_times.Estimate(10, "adam", "bfloat16", pixels), STEPS)


def test_a_cell_with_two_precisions_is_weighted_by_its_estimates():
    pixels = 30_000
    estimates = [kit_times.Estimate(30, "adam", "float32", pixels), kit_times.Estimate(10, "lbfgs", "bfloat16", pixels)]
    expected = (30 * 2.0 + 10 * 0.8 / 0.175) / 40
    assert kit_times.cell_ratio(estimates, STEPS) == pytest.approx(expected)


def test_rows_rescale_only_the_cells_that_printed_an_estimate(tmp_path):
    line = f"about 40 s (CPU: {CPU}; bfloat16, 200x150 px, 200 evaluations)"  # 30,000 px
    _notebook(tmp_path / "notebooks" / "08_control.ipynb", [None, "setup", line, "", f"a: {line}\nb: {line}"])
    _notebook(tmp_path / "notebooks" / "01_visualize_data.ipynb", [None, "hello", "a figure"])
    cell_times = {
        "notebooks/08_control.ipynb": {"profile": "cpu", "seconds": 110.0, "cpu": CPU, "date": "2025-01-02",
                                       "cells": {"1": 5.0, "2": 35.0, "3": 0.5, "4": 68.0}},
        "notebooks/01_visualize_data.ipynb": {"profile": "cpu", "seconds": 9.0, "cpu": CPU, "date": "2025-01-02",
                                              "cells": {"1": 3.0, "2": 5.0}}}
    first, second = kit_times.rows(cell_times, STEPS, root=tmp_path)
    assert first.notebook == "notebooks/01_visualize_data.ipynb"
    assert (first.measured, first.derived, first.lower_bound) == (9.0, pytest.approx(9.0), False)  # no estimates
    factor = 0.8 / 0.175
    assert second.derived_cells == {"1": 5.0, "2": pytest.approx(35 * factor), "3": 0.5,
                                    "4": pytest.approx(68 * factor)}
    assert second.derived == pytest.approx(1.5 + 5.5 + 103 * factor)  # 1.5 s between cells, unchanged
    assert second.estimated == {"2": 1, "4": 2}

    table = kit_times.render_table([first, second], cell_times, STEPS, "../")
    assert f"on {CPU}, 2025-01-02" in table and "float32 (derived)" in table and "not measured" in table
    assert "| [01 visualize data](../notebooks/01_visualize_data.ipynb) | 9 s | 9 s | not measured |" in table
    assert f"| 1.8 min (110 s) | {kit_times.format_duration(second.derived)} |" in table
    assert kit_times.inline_figure([first, second], "08", "each", "cpu") == "about 35 s"  # median of 35 and 68/2
    assert kit_times.inline_figure([first, second], "08", "rest", "f32") == "about 6 s"
    assert kit_times.inline_figure([first, second], "01", "total", "f32") == "about 9 s"


def test_a_notebook_whose_long_cells_print_no_estimate_is_a_lower_bound(tmp_path):
    _notebook(tmp_path / "teaching" / "solutions.ipynb", [None, "", ""])
    cell_times = {"teaching/solutions.ipynb": {"profile": "cpu", "seconds": 100.0, "cpu": CPU, "date": "d",
                                               "cells": {"1": 60.0, "2": 39.0}}}
    (row,) = kit_times.rows(cell_times, STEPS, root=tmp_path)
    assert row.lower_bound and row.derived == pytest.approx(100.0)
    assert "| at least 1.7 min (100 s) |" in kit_times.render_table([row], cell_times, STEPS)


def test_fill_replaces_the_table_and_the_inline_figures_only(tmp_path):
    _notebook(tmp_path / "notebooks" / "05_optimize.ipynb", [None, FLOAT32_LINE])
    cell_times = {"notebooks/05_optimize.ipynb": {"profile": "cpu", "seconds": 200.0, "cpu": CPU, "date": "d",
                                                  "cells": {"1": 190.0}}}
    table_rows = kit_times.rows(cell_times, STEPS, root=tmp_path)
    text = (f"intro\n{kit_times.TABLE_START}\nold table\n{kit_times.TABLE_END}\nlive "
            "(<!-- kt 05 longest cpu -->old<!-- /kt -->, without AMX <!-- kt 05 longest f32 -->old<!-- /kt -->)\n")
    filled = kit_times.fill(text, "NEW", table_rows)
    assert filled == (f"intro\n{kit_times.TABLE_START}\nNEW\n{kit_times.TABLE_END}\nlive "
                      "(<!-- kt 05 longest cpu -->about 3 min<!-- /kt -->, without AMX "
                      "<!-- kt 05 longest f32 -->about 6.5 min<!-- /kt -->)\n")
    assert kit_times.fill(filled, "NEW", table_rows) == filled


@pytest.mark.parametrize("seconds,said", [(4.4, "about 4 s"), (23, "about 25 s"), (199, "about 3.5 min"),
                                          (815, "about 14 min")])
def test_coarse_figures_round_as_a_teacher_plans(seconds, said):
    assert kit_times.coarse(seconds) == said


def test_the_committed_tables_are_what_the_committed_times_give():
    try:
        expected = kit_times.expected_texts()
    except FileNotFoundError as error:
        pytest.fail(str(error))
    for path, text in expected.items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)}'s times are not those of teaching/cell_times.json and teaching/step_times.json: "
            "run `python tools/kit_times.py table --write` (after `python tools/notebooks.py run --profile cpu`)")


def test_every_inline_figure_names_a_notebook_of_the_series():
    names = {path.name[:2] for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")} | {"so"}
    for path in kit_times.documents():
        for match in kit_times.INLINE.finditer(path.read_text(encoding="utf-8")):
            assert match["notebook"][:2] in names, f"{path.name}: {match[0]} names no notebook"


def test_measure_times_what_the_committed_notebooks_print_plus_float32():
    combinations = kit_times.needed_combinations()
    assert {"adam float32", "lbfgs float32"} <= set(combinations)
    assert all(c.split()[0] in ("adam", "lbfgs") and c.split()[1] in ("float32", "bfloat16") for c in combinations)
