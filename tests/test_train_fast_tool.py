"""tools/train_fast.py: trains, writes a network file with its record, refuses to replace one, resumes."""

import json
import sys

import pytest

from nst_plumbing.config import MEDIA_DIR, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tools"))
import train_fast  # noqa: E402

TINY = ["--crop", "32", "--width", "4", "--style-side", "64", "--batch", "1", "--checkpoint-every", "2"]


def test_the_tool_trains_writes_its_record_and_resumes(tmp_path, capsys):
    out, checkpoints = tmp_path / "wave.weights.h5", tmp_path / "checkpoints"
    base = [str(MEDIA_DIR / "great_wave.jpg"), "-o", str(out), "--checkpoint-dir", str(checkpoints), *TINY]
    assert train_fast.main([*base, "--steps", "2"]) == 0
    record = json.loads((tmp_path / "wave.json").read_text())["about"]["training"]
    assert record["steps"] == 2 and record["batch"] == 1 and record["crop"] == 32
    assert record["sessions"][0]["machine"] and record["settings"]["net"] == {"width": 4, "residual_blocks": 5}
    assert "Wrote" in capsys.readouterr().out

    with pytest.raises(SystemExit):  # the network file exists: not replaced without --force
        train_fast.main([*base, "--steps", "4"])
    assert "add --force" in capsys.readouterr().err
    assert train_fast.main([*base, "--steps", "4", "--force"]) == 0
    record = json.loads((tmp_path / "wave.json").read_text())["about"]["training"]
    assert [(s["from_step"], s["to_step"]) for s in record["sessions"]] == [(0, 2), (2, 4)]


def test_bad_options_are_refused_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train_fast.main([str(MEDIA_DIR / "great_wave.jpg"), "-o", str(tmp_path / "x.keras")])
    assert "weights only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_fast.main([str(MEDIA_DIR / "great_wave.jpg"), "-o", str(tmp_path / "x.weights.h5"), "--steps", "0"])
    assert "steps must be a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train_fast.main([str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "x.weights.h5")])
    assert "style image not found" in capsys.readouterr().err
