"""The command line: python -m nst_helpers CONTENT STYLE -o OUT.png."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import nst_cli

ROOT = Path(__file__).resolve().parents[1]
CONTENT, STYLE = ROOT / "media" / "crab.jpg", ROOT / "media" / "great_wave.jpg"


def test_cli_writes_a_png(tmp_path, capsys):
    out = tmp_path / "crab_wave.png"
    code = nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--max-dim", "64", "--iterations", "5",
                         "--seed", "1"])
    assert code == 0
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (64, 36) and img.mode == "RGB"
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"Saved {out} (64x36) | best loss") and "5 iterations in" in last


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
    ([str(CONTENT), str(STYLE), "--iterations", "0"], "num_iterations must be a positive integer"),
])
def test_cli_reports_bad_input(tmp_path, capsys, args, message):
    out = tmp_path / "out.png"
    assert nst_cli.main([*args, "-o", str(out), "--max-dim", "32"]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_cli_refuses_unknown_output_format(tmp_path, capsys):
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(tmp_path / "out.xyz")]) == 1
    assert "out.xyz: cannot tell the image format" in capsys.readouterr().err


def test_python_dash_m_nst_helpers(tmp_path):
    out = tmp_path / "out.png"
    done = subprocess.run([sys.executable, "-m", "nst_helpers", str(CONTENT), str(STYLE), "-o", str(out),
                           "--max-dim", "48", "--iterations", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "profile 'test'" in done.stdout  # the tests run under NST_PROFILE=test
    assert np.asarray(Image.open(out)).shape == (27, 48, 3)
