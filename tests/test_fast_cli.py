"""The command line's fast path: python -m nst_cli --method fast CONTENT NETWORK -o OUT.png, one pair or a batch."""

import json

import pytest
from PIL import Image

import nst_cli
from nst_extended.net_files import save_transform_net
from nst_extended.transform_net import NetSpec, build_transform_net
from nst_plumbing.config import MEDIA_DIR

CRAB, CASTLE = str(MEDIA_DIR / "crab.jpg"), str(MEDIA_DIR / "neuschwanstein.jpg")


@pytest.fixture(scope="module")
def own_network(tmp_path_factory):
    """A network file as tools/train_fast.py writes one (random weights: the command line's plumbing is tested)."""
    path = tmp_path_factory.mktemp("nets") / "mine.weights.h5"
    save_transform_net(build_transform_net(NetSpec(width=4, residual_blocks=1)), path, {"training": {"style": "x.jpg"}})
    return path


def test_a_committed_network_paints_one_photo(tmp_path, capsys):
    out = tmp_path / "crab_wave.png"
    assert nst_cli.main(["--method", "fast", CRAB, "great_wave", "-o", str(out), "--max-dim", "80"]) == 0
    with Image.open(out) as img:
        assert img.size == (80, 45) and img.mode == "RGB"
    printed = capsys.readouterr().out
    assert "This run: fast style transfer" in printed and f"Saved {out} (80x45) | crab x great_wave in" in printed


def test_a_batch_of_photos_and_networks_with_its_record_and_sheet_then_resumes(tmp_path, own_network, capsys):
    args = ["--method", "fast", "-c", CRAB, CASTLE, "-s", "starry_night", str(own_network), "-o", str(tmp_path),
            "--max-dim", "64"]
    assert nst_cli.main(args) == 0
    names = {"crab__starry_night.png", "crab__mine.png", "neuschwanstein__starry_night.png", "neuschwanstein__mine.png"}
    assert names <= {path.name for path in tmp_path.iterdir()}
    record = json.loads((tmp_path / "batch.json").read_text())
    assert set(record["pairs"]) == names
    assert all(entry["method"] == "fast" for entry in record["pairs"].values())
    assert record["pairs"]["crab__mine.png"]["network"] == str(own_network)
    assert Image.open(tmp_path / "contact_sheet.png").size[0] > 3 * 64
    capsys.readouterr()
    assert nst_cli.main(args) == 0
    assert "4 pairs: 4 already done (skipped), 0 to paint." in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--mask", "m.png"], "--mask does not apply"),
    (["--tv-weight", "1", "--iterations", "5"], "--iterations, --tv-weight do not apply"),
    (["--time", "1m"], "--time does not apply"),
    (["--max-dim", "8"], "--max-dim must be"),
])
def test_options_of_optimisation_are_refused_by_name(tmp_path, capsys, extra, message):
    out = tmp_path / "out.png"
    assert nst_cli.main(["--method", "fast", CRAB, "great_wave", "-o", str(out), *extra]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_corrupt_and_wrong_shaped_networks_are_refused_clearly(tmp_path, own_network, capsys):
    out = tmp_path / "out.png"

    def error_of(network) -> str:
        assert nst_cli.main(["--method", "fast", CRAB, str(network), "-o", str(out), "--max-dim", "32"]) == 1
        return capsys.readouterr().err

    assert "network not found" in error_of(tmp_path / "absent.weights.h5")
    assert "is not a network: give NAME.weights.h5" in error_of(tmp_path / "model.keras")
    corrupt = tmp_path / "corrupt.weights.h5"
    corrupt.write_bytes(b"not HDF5 at all")
    (tmp_path / "corrupt.json").write_text(NetSpec(width=4, residual_blocks=1).to_json())
    assert "corrupt.weights.h5: could not load it" in error_of(corrupt)
    wrong = tmp_path / "wrong.weights.h5"
    wrong.write_bytes(own_network.read_bytes())
    (tmp_path / "wrong.json").write_text(NetSpec(width=8, residual_blocks=1).to_json())
    assert "wrong.weights.h5: could not load it" in error_of(wrong)
    assert not out.exists()


def test_an_existing_result_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "mine.png"
    out.write_bytes(b"precious work")
    assert nst_cli.main(["--method", "fast", CRAB, "great_wave", "-o", str(out), "--max-dim", "32"]) == 1
    assert out.read_bytes() == b"precious work"
    assert "already exists; pass --force" in capsys.readouterr().err
