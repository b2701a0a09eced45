"""The command line: python -m nst_cli CONTENT STYLE -o OUT.png."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import nst_cli
from nst_plumbing.config import MEDIA_DIR, PROFILES, REPO_ROOT

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"


def test_cli_writes_a_png(tmp_path, capsys):
    out = tmp_path / "crab_wave.png"
    code = nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--max-dim", "64", "--iterations", "5",
                         "--seed", "1"])
    assert code == 0
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (64, 36) and img.mode == "RGB"
    saved, finished = capsys.readouterr().out.strip().splitlines()[-2:]
    assert saved.startswith(f"Saved {out} (64x36) | best loss") and "5 iterations in" in saved
    assert finished.startswith("Finished in ")


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "mine.png"
    out.write_bytes(b"precious work")
    code = nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--max-dim", "32", "--iterations", "1"])
    assert code == 1
    assert out.read_bytes() == b"precious work"
    assert f"{out} already exists; pass --force" in capsys.readouterr().err

    code = nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--max-dim", "32", "--iterations", "1",
                         "--force"])
    assert code == 0
    assert Image.open(out).size == (32, 18)


@pytest.mark.parametrize("args,message", [
    (["missing.jpg", str(STYLE)], "image file not found: missing.jpg"),
    ([str(CONTENT), str(STYLE), "--iterations", "0"], "--iterations must be a positive integer; got 0"),
    ([str(CONTENT), str(STYLE), "--style-weight", "-1"], "--style-weight must be a finite number >= 0; got -1"),
    ([str(CONTENT), str(STYLE), "--max-dim", "8"], "--max-dim must be an integer of at least 16"),
])
def test_cli_reports_bad_input(tmp_path, capsys, args, message):
    out = tmp_path / "out.png"
    assert nst_cli.main(["--max-dim", "32", *args, "-o", str(out)]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_unknown_output_format(tmp_path, capsys):
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(tmp_path / "out.xyz")]) == 1
    assert "out.xyz: cannot tell the image format" in capsys.readouterr().err


def test_python_dash_m_nst_cli(tmp_path):
    out = tmp_path / "out.png"
    done = subprocess.run([sys.executable, "-m", "nst_cli", str(CONTENT), str(STYLE), "-o", str(out),
                           "--max-dim", "48", "--iterations", "3"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "profile 'test'" in done.stdout  # the tests run under NST_PROFILE=test
    assert np.asarray(Image.open(out)).shape == (27, 48, 3)


def batch_args(out, *extra):
    return ["-c", str(CONTENT), str(MEDIA_DIR / "chelsea.jpg"), "-s", str(STYLE), "-o", str(out),
            "--max-dim", "48", "--iterations", "3", *extra]


def test_batch_writes_every_pair_a_record_and_a_contact_sheet(tmp_path, capsys):
    import json

    out = tmp_path / "gallery"
    assert nst_cli.main(batch_args(out)) == 0
    assert sorted(p.name for p in out.glob("*__*.png")) == ["chelsea__great_wave.png", "crab__great_wave.png"]
    record = json.loads((out / "batch.json").read_text())["pairs"]
    assert record["crab__great_wave.png"]["iterations"] == 3 and record["crab__great_wave.png"]["max_dim"] == 48
    assert {"seed", "weights", "device", "seconds", "content_weight", "style_weight"} <= set(record["crab__great_wave.png"])
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width == 2 * 192 and 3 * 100 < sheet.height < 3 * 192  # 2 columns (label + 1 style), 3 rows, no bands
    assert "Batch done: 2/2 pairs" in capsys.readouterr().out


def test_interrupted_batch_resumes_where_it_stopped(tmp_path, monkeypatch, capsys):
    import nst_extended

    out = tmp_path / "gallery"
    real = nst_extended.paint  # the command line paints each pair's plan with it
    calls = []

    def interrupted_on_second_pair(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C during the second pair
        return real(*args, **kwargs)

    monkeypatch.setattr(nst_extended, "paint", interrupted_on_second_pair)
    assert nst_cli.main(batch_args(out)) == 130
    assert "Run the same command again to resume" in capsys.readouterr().err
    first = out / "crab__great_wave.png"
    assert first.exists() and not (out / "chelsea__great_wave.png").exists()
    assert not list(out.glob(".*partial"))  # no half-written files left behind
    first_bytes, first_mtime = first.read_bytes(), first.stat().st_mtime_ns

    monkeypatch.setattr(nst_extended, "paint", real)
    capsys.readouterr()
    assert nst_cli.main(batch_args(out)) == 0
    assert "2 pairs: 1 already done (skipped), 1 to paint." in capsys.readouterr().out
    assert first.read_bytes() == first_bytes and first.stat().st_mtime_ns == first_mtime
    assert (out / "chelsea__great_wave.png").exists()


def test_batch_force_redoes_pairs(tmp_path, capsys):
    out = tmp_path / "gallery"
    assert nst_cli.main(batch_args(out)) == 0
    capsys.readouterr()
    assert nst_cli.main(batch_args(out, "--force")) == 0
    assert "2 pairs: 0 already done (skipped), 2 to paint." in capsys.readouterr().out


def test_batch_refuses_a_foreign_contact_sheet(tmp_path, capsys):
    out = tmp_path / "holiday"
    out.mkdir()
    (out / "contact_sheet.png").write_bytes(b"someone else's file")
    assert nst_cli.main(batch_args(out)) == 1
    assert "not a batch folder made by this command" in capsys.readouterr().err
    assert (out / "contact_sheet.png").read_bytes() == b"someone else's file"


@pytest.mark.parametrize("args,message", [
    (["a.jpg", "b.jpg", "-c", "x.jpg", "-s", "y.jpg"], "not both"),
    (["-c", "x.jpg"], "needs both -c/--content and -s/--style"),
    (["only_one.jpg"], "expected CONTENT STYLE (at least two images), got 1"),
])
def test_cli_usage_errors(tmp_path, capsys, args, message):
    assert nst_cli.main([*args, "-o", str(tmp_path / "out")]) == 1
    assert message in capsys.readouterr().err


def test_cli_lbfgs_coarse_to_fine_with_total_variation(tmp_path, capsys):
    out = tmp_path / "gallery"
    code = nst_cli.main(["-c", str(CONTENT), "-s", str(STYLE), "-o", str(out), "--optimizer", "lbfgs",
                         "--scales", "32", "48", "--iterations", "3", "4", "--tv-weight", "10",
                         "--precision", "float32"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "This run: L-BFGS, 3 evaluations at 32 px then 4 evaluations at 48 px, total variation weight 10; " \
           "VGG19 in float32" in printed
    assert "7 evaluations in" in printed
    record = json.loads((out / "batch.json").read_text())["pairs"]["crab__great_wave.png"]
    assert (record["optimizer"], record["scales"], record["iterations_per_scale"], record["tv_weight"],
            record["precision"]) == ("lbfgs", [32, 48], [3, 4], 10.0, "float32")
    assert "learning_rate" not in record  # Adam's settings are recorded only for Adam runs
    assert Image.open(out / "crab__great_wave.png").size == (48, 27)


@pytest.mark.parametrize("args,message", [
    (["--scales", "64", "32"], "--scales must increase from coarse to fine (the last is the result's size); got 64 32"),
    (["--scales", "32", "64", "--max-dim", "48"], "--max-dim 48 contradicts --scales 32 64"),
    (["--scales", "8", "64"], "--scales: each size must be an integer of at least 16 pixels; got 8"),
    (["--scales", "32", "64", "--iterations", "1", "2", "3"], "--iterations takes one number, or one per scale (2); got 3"),
    (["--iterations", "1", "2"], "several --iterations need as many --scales"),
    (["--tv-weight", "-1"], "--tv-weight must be a finite number >= 0; got -1.0"),
])
def test_cli_refuses_bad_faster_options_before_any_work(tmp_path, capsys, args, message):
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(tmp_path / "out.png"), *args]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_cli_recipe_follows_the_profile_and_the_options():
    profile = PROFILES["cpu"]
    parse = nst_cli.build_parser().parse_args
    recipe = nst_cli.resolve_recipe(parse(["a", "b", "-o", "x.png"]), profile, batch=False)
    expected = profile.command_line
    assert (recipe.optimizer, recipe.scales, recipe.iterations, recipe.tv_weight) == \
        (expected.optimizer, expected.scales, expected.iterations, expected.tv_weight)
    one_level = nst_cli.resolve_recipe(parse(["a", "b", "-o", "x.png", "--max-dim", "300"]), profile, batch=True)
    assert one_level.scales == (300,) and one_level.iterations == profile.command_line.gallery_iterations[-1:]
    adam = nst_cli.resolve_recipe(parse(["a", "b", "-o", "x.png", "--optimizer", "adam", "--iterations", "7",
                                         "--tv-weight", "0"]), profile, batch=False)
    assert (adam.optimizer, adam.iterations, adam.tv_weight) == ("adam", (7,) * len(profile.command_line.scales), 0.0)


def test_ci_runs_exactly_the_readme_commands_and_the_main_one_has_a_time_budget():
    import re

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    setup = next(line for line in re.findall(r"```bash\n(.*?)\n```", readme, re.S) if line.startswith("python3 -m venv"))
    test = next(line for line in re.findall(r"```bash\n(.*?)\n```", readme, re.S) if line.endswith("python -m pytest"))
    assert setup in ci.splitlines() and test in ci.splitlines()
    assert setup.endswith("--time 60")
