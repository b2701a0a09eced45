"""Run-time estimates and time budgets: the step-time model, the cache, the ladder, and the command line's --time."""

import json

import pytest

import nst_cli
import nst_extended as extended
from nst_extended import budget, timing
from nst_plumbing.checks import parse_duration
from nst_plumbing.config import MEDIA_DIR

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"  # crab.jpg is 16:9


def fake_times(fixed=0.01, per_pixel=1e-6, first=2.0, optimizer="lbfgs", precision="float32"):
    """A step-time model with known numbers: ``fixed + per_pixel x pixels`` seconds per evaluation."""
    pixels = (10_000, 40_000)
    return extended.StepTimes(optimizer, precision, pixels, tuple(fixed + per_pixel * p for p in pixels), first,
                              0.0, "CPU: a pretend machine", 0.0)


# ---------------------------------------------------------------------------
# The step-time model and the estimate (no clocks)
# ---------------------------------------------------------------------------

def test_time_per_evaluation_is_a_fixed_cost_plus_a_cost_per_pixel():
    times = fake_times(fixed=0.05, per_pixel=2e-6)
    assert times.per_evaluation(0) == pytest.approx(0.05)
    assert times.per_evaluation(100_000) == pytest.approx(0.25)
    noisy = extended.StepTimes("adam", "float32", (10_000, 40_000), (0.3, 0.2), 1.0, 0.0, "cpu", 0.0)
    assert noisy.per_evaluation(10**6) == pytest.approx(0.3)  # a larger size measured faster: no negative slope
    steep = extended.StepTimes("adam", "float32", (10_000, 40_000), (0.01, 0.41), 1.0, 0.0, "cpu", 0.0)
    assert steep.per_evaluation(0) == 0.0  # the fixed cost is never negative


def test_the_estimate_adds_every_level_its_targets_and_the_first_trace():
    times = extended.StepTimes("lbfgs", "float32", (10_000, 40_000), (0.02, 0.05), 3.0, 1e-6, "cpu", 0.0)
    levels, counts = [(100, 100), (200, 200)], [10, 20]
    expected = 3.0 + (20_000 * 1e-6 + 10 * 0.02) + (40_000 * 2 * 1e-6 + 20 * 0.05)
    assert timing.estimate_evaluations(times, levels, counts) == pytest.approx(expected)
    assert timing.estimate_evaluations(times, levels, counts, traced=True) == pytest.approx(expected - 3.0)
    assert timing.estimate_evaluations(times, levels, counts, style_pixels=[0, 0]) == pytest.approx(
        expected - (10_000 + 40_000) * 1e-6)


def test_a_plans_estimate_scales_with_its_pixels_and_evaluations():
    times = fake_times(fixed=0.0, per_pixel=1e-6, first=0.0)
    settings = extended.Settings(100, max_dim=128, optimizer="lbfgs", precision="float32")
    small = timing.estimate_plan(extended.plan_run(CONTENT, STYLE, settings), times)
    large = timing.estimate_plan(extended.plan_run(CONTENT, STYLE, extended.Settings(
        200, max_dim=256, optimizer="lbfgs", precision="float32")), times)
    assert small.size == (128, 72) and small.evaluations == 100
    assert small.seconds == pytest.approx(100 * 128 * 72 * 1e-6)
    assert large.seconds == pytest.approx(8 * small.seconds)  # 4x the pixels, 2x the evaluations
    assert str(small) == "about 1 s (CPU: a pretend machine; float32, 128x72 px, 100 evaluations)"
    assert timing.estimate_plan(extended.plan_run(CONTENT, STYLE, settings), times, pairs=3).seconds == pytest.approx(
        3 * small.seconds)
    with pytest.raises(ValueError, match="these step times are for adam in float32, but the plan runs lbfgs"):
        timing.estimate_plan(extended.plan_run(CONTENT, STYLE, settings), fake_times(optimizer="adam"))


@pytest.mark.parametrize("seconds,said", [(0.4, "0 s"), (45.2, "45 s"), (99, "99 s"), (190, "3 min 10 s"),
                                          (1500, "25 min"), (3900, "1 h 5 min")])
def test_durations_read_as_a_person_reads_them(seconds, said):
    assert timing.format_seconds(seconds) == said


@pytest.mark.parametrize("text,seconds", [("60", 60), (60, 60), ("90s", 90), ("2m", 120), ("1m30s", 90),
                                          ("2 min", 120), ("1.5h", 5400)])
def test_time_budgets_are_read_with_or_without_units(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0", "-5", "soon", "", "m", "5 days", True])
def test_a_bad_time_budget_is_refused_with_what_was_expected(text):
    with pytest.raises(ValueError, match="time budget"):
        parse_duration(text)


# ---------------------------------------------------------------------------
# The ladder and the budget, with a pretend step-time model
# ---------------------------------------------------------------------------

def test_every_rung_is_larger_and_longer_than_the_one_below():
    sizes = [rung.max_dim for rung in extended.LADDER]
    evaluations = [rung.evaluations for rung in extended.LADDER]
    assert sizes == sorted(set(sizes)) and evaluations == sorted(evaluations)
    assert extended.LADDER[0].max_dim >= 128  # at least BFLOAT16_MIN_SIDE: one precision for every rung
    assert budget.Rung(384, 200) in extended.LADDER  # the cpu profile's recipe


def fit(seconds, times=None, spent=0.0, pairs=1, **options):
    settings = extended.Settings(precision="float32", tv_weight=4e3)
    return extended.fit_to_budget(CONTENT, STYLE, settings, times or fake_times(),
                                  extended.TimeBudget(seconds, spent, pairs), **options)


def test_a_larger_budget_chooses_a_larger_rung_and_says_what_the_next_needs():
    times = fake_times(fixed=0.01, per_pixel=2e-6, first=2.0)
    short, long = fit(30, times), fit(120, times)
    assert long.rung.max_dim > short.rung.max_dim
    for choice in (short, long):
        index = extended.LADDER.index(choice.rung)
        assert choice.spent + choice.estimate.seconds + budget.FINISH_SECONDS <= choice.budget
        assert choice.next_rung == extended.LADDER[index + 1] and choice.next_needed > choice.budget
        assert choice.settings.max_dim == choice.rung.max_dim
        assert choice.rung.evaluations <= choice.evaluations <= 2 * choice.rung.evaluations
        assert choice.settings.optimizer == "lbfgs" and choice.settings.tv_weight == 4e3  # the others are kept
        assert choice.plan.result_size[0] == choice.rung.max_dim
    assert str(short).startswith(f"A time budget of 30 s fits {short.rung}")
    assert f"; the next, {short.next_rung}, would need" in str(short)


def test_the_time_left_below_the_next_rung_buys_more_evaluations_within_the_margin():
    times = fake_times(fixed=0.0, per_pixel=1e-6, first=0.0)
    one = 128 * 72 * 1e-6  # seconds per evaluation at the smallest rung (crab.jpg is 16:9)
    ladder = (budget.Rung(128, 100), budget.Rung(10_000, 100))  # the next never fits
    seconds = (budget.FINISH_SECONDS + 150 * one) / budget.FILL_FRACTION + 1e-9  # room for exactly 50 more
    choice = fit(seconds, times, ladder=ladder)
    assert choice.evaluations == 150 and choice.plan.iterations == (150,) and choice.estimate.evaluations == 150
    assert choice.estimate.seconds + budget.FINISH_SECONDS <= budget.FILL_FRACTION * seconds
    assert "and 50 more evaluations in the time left" in str(choice)
    assert fit(10**6, times, ladder=ladder).evaluations == 200  # never more than twice the rung's
    assert fit(budget.FINISH_SECONDS + 100 * one + 1e-9, times, ladder=ladder).evaluations == 100  # no room


def test_time_already_spent_counts_against_the_budget():
    times = fake_times(fixed=0.01, per_pixel=2e-6, first=2.0)
    assert fit(60, times, spent=40).rung.max_dim < fit(60, times).rung.max_dim


def test_a_budget_too_small_for_the_smallest_rung_names_the_budget_that_works():
    times = fake_times(fixed=0.1, per_pixel=1e-5, first=5.0)
    with pytest.raises(extended.TimeBudgetError, match="give at least") as refused:
        fit(10, times, spent=8)
    needed = refused.value.needed_seconds
    assert f"the smallest recipe ({extended.LADDER[0]})" in str(refused.value)
    assert fit(needed + 0.01, times, spent=8).rung == extended.LADDER[0]  # the budget it names works


def test_rungs_that_do_not_fit_in_memory_are_not_chosen():
    ladder = (budget.Rung(128, 10), budget.Rung(200_000, 10))
    choice = fit(10**9, fake_times(fixed=0, per_pixel=0, first=0), ladder=ladder)
    assert choice.rung == ladder[0] and choice.next_rung is None


def test_a_batch_shares_the_budget_between_its_pairs():
    times = fake_times(fixed=0.01, per_pixel=2e-6, first=2.0)
    assert fit(120, times, pairs=4).rung.max_dim < fit(120, times).rung.max_dim


# ---------------------------------------------------------------------------
# Measured on this machine, cached per machine
# ---------------------------------------------------------------------------

@pytest.fixture
def tiny_calibration(monkeypatch, tmp_path):
    """Times this machine at tiny sizes (cached under their own key, beside the real sizes' figures)."""
    monkeypatch.setattr(timing, "CALIBRATION_SIZES", ((32, 24), (48, 36)))


def test_step_times_are_measured_here_at_tiny_sizes(model, tiny_calibration):
    times = timing.measure_step_times(model, optimizer="adam")
    assert times.pixels == (32 * 24, 48 * 36) and times.optimizer == "adam" and times.precision == "float32"
    assert all(seconds > 0 for seconds in times.seconds) and times.first_seconds >= 0
    assert times.targets_seconds_per_pixel > 0 and times.device.startswith(("CPU: ", "GPU: "))
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'lbfgs'; got 'sgd'"):
        timing.measure_step_times(model, optimizer="sgd")


def test_step_times_are_cached_by_machine_and_measured_again_when_it_changes(model, tiny_calibration, tmp_path,
                                                                             monkeypatch):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    first, measured = extended.step_times(model, optimizer="lbfgs")
    assert measured and (tmp_path / timing.CACHE_FILE).is_file()
    again, measured = extended.step_times(model, optimizer="lbfgs")
    assert not measured and again == first
    assert extended.step_times(model, optimizer="adam")[1]  # another optimiser: its own entry
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")  # a setting that changes the speed: another key
    assert "ONEDNN_MAX_CPU_ISA=AVX2" in timing.machine_key()
    assert extended.step_times(model, optimizer="lbfgs")[1]
    assert len(json.loads((tmp_path / timing.CACHE_FILE).read_text())) == 3


def test_times_measured_at_other_sizes_are_measured_again(model, tiny_calibration, tmp_path, monkeypatch):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path))
    assert extended.step_times(model, optimizer="adam")[1]
    monkeypatch.setattr(timing, "CALIBRATION_SIZES", ((32, 24), (64, 48)))
    times, measured = extended.step_times(model, optimizer="adam")
    assert measured and times.pixels == (32 * 24, 64 * 48)


def test_an_unreadable_cache_is_measured_again_not_an_error(model, tiny_calibration, tmp_path, monkeypatch):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path))
    (tmp_path / timing.CACHE_FILE).write_text("not json", encoding="utf-8")
    times, measured = extended.step_times(model, optimizer="adam")
    assert measured and json.loads((tmp_path / timing.CACHE_FILE).read_text())  # replaced by a good one
    key = next(iter(json.loads((tmp_path / timing.CACHE_FILE).read_text())))
    (tmp_path / timing.CACHE_FILE).write_text(json.dumps({key: {"old": "format"}}), encoding="utf-8")
    assert extended.step_times(model, optimizer="adam")[1]


# ---------------------------------------------------------------------------
# The command line: the estimate, and --time, end to end at tiny sizes
# ---------------------------------------------------------------------------

def test_the_command_line_prints_its_estimate_before_painting(tmp_path, capsys, tiny_calibration):
    out = tmp_path / "out.png"
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--max-dim", "48", "--iterations", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    estimate = next(index for index, line in enumerate(lines) if line.startswith("Estimate: about "))
    saved = next(index for index, line in enumerate(lines) if line.startswith("Saved "))
    assert estimate < saved and "48x27 px, 4 steps" in lines[estimate] and " in all, " in lines[estimate]
    assert lines[-1].startswith("Finished in ") and "(estimated " in lines[-1]


def test_time_chooses_a_rung_that_fits_and_says_so(tmp_path, capsys, tiny_calibration, monkeypatch):
    monkeypatch.setattr(budget, "LADDER", (budget.Rung(32, 3), budget.Rung(48, 4)))
    out = tmp_path / "out.png"
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--time", "10m"]) == 0
    said = capsys.readouterr().out
    assert ("A time budget of 10 min fits 48 px, 4 L-BFGS evaluations, and 4 more evaluations in the time left; "
            "it is the ladder's largest.") in said  # at most twice the rung's evaluations
    assert "This run: L-BFGS, 8 evaluations at 48 px" in said
    from PIL import Image
    assert Image.open(out).size == (48, 27)


def test_time_too_short_is_refused_with_the_budget_that_works(tmp_path, capsys, tiny_calibration, monkeypatch):
    monkeypatch.setattr(budget, "LADDER", (budget.Rung(32, 3), budget.Rung(48, 4)))
    out = tmp_path / "out.png"
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--time", "0.01s"]) == 1
    error = capsys.readouterr().err
    assert "--time 0.01s: a time budget of 0 s is too short on this machine: the smallest recipe (32 px, 3 L-BFGS" \
           in error and "give at least" in error
    assert not out.exists()


@pytest.mark.parametrize("extra,message", [
    (["--time", "1m", "--max-dim", "64"], "--time chooses the size, the evaluations and the optimiser itself; "
                                          "drop --max-dim"),
    (["--time", "1m", "--iterations", "5", "--optimizer", "adam"], "drop --iterations, --optimizer"),
    (["--time", "soon"], "--time: a time budget is seconds (60), or with units"),
    (["--time", "0"], "--time: a time budget must be more than 0 seconds"),
])
def test_time_refuses_what_it_cannot_honour(tmp_path, capsys, extra, message):
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(tmp_path / "out.png"), *extra]) == 1
    assert message in capsys.readouterr().err


def test_estimate_run_times_the_machine_once_then_scales_to_the_run(model, tiny_calibration, tmp_path, monkeypatch):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path))
    settings = extended.Settings(30, max_dim=48)
    estimate = extended.estimate_run(CONTENT, STYLE, settings, model, pairs=2)
    assert estimate.evaluations == 30 and estimate.size == (48, 27) and estimate.optimizer == "adam"
    times, measured = extended.step_times(model, optimizer="adam")
    assert not measured  # estimate_run cached what it measured
    plan = extended.plan_run(CONTENT, STYLE, settings, model=model)
    assert estimate.seconds == pytest.approx(timing.estimate_plan(plan, times, pairs=2).seconds)
