"""The memory estimate (nst_plumbing.memory) and the refusal of runs that cannot fit, before any model is built."""

import numpy as np
import pytest

import nst_cli
import nst_extended as extended
import nst_helpers
from nst_plumbing import memory as nst_memory
from nst_plumbing import weights as nst_weights
from nst_plumbing.config import CONTENT_LAYERS, MEDIA_DIR, STYLE_LAYERS
from nst_plumbing.device import gpu_details

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"
SMALL = nst_memory.MemoryLimit(2 * 2**30, "a pretend 2 GiB machine")


def test_activation_count_matches_the_model(model):
    """Every layer's output in the model that get_model builds, summed, for an odd-sized image."""
    import tensorflow as tf

    every_layer = tf.keras.Model(model.input, [layer.output for layer in model.layers[1:]])
    image = np.zeros((1, 45, 70, 3), dtype=np.float32)
    total = 3 * 45 * 70 + sum(int(np.prod(output.shape)) for output in every_layer(image))
    assert model.layers[-1].name == "block5_conv2"
    assert nst_memory.activation_count(45, 70, (*STYLE_LAYERS, *CONTENT_LAYERS)) == total


def test_activation_count_stops_at_the_deepest_layer():
    assert nst_memory.activation_count(16, 16, ["block1_conv1"]) == 3 * 256 + 64 * 256
    assert nst_memory.activation_count(16, 16, ["block1_conv2", "block1_conv1"]) == 3 * 256 + 2 * 64 * 256
    with pytest.raises(ValueError, match="unknown VGG19 layer 'block6_conv1'"):
        nst_memory.activation_count(16, 16, ["block6_conv1"])


def test_estimate_grows_with_size_optimizer_history_and_precision():
    estimate = nst_memory.estimate_peak_memory
    small, large = estimate(256, 256), estimate(512, 512)
    assert large.activations == pytest.approx(4 * small.activations, rel=0.02)
    assert large.total > small.total > small.overhead
    lbfgs = estimate(512, 512, optimizer="lbfgs", lbfgs_history=10)
    assert lbfgs.optimizer_state > large.optimizer_state
    # Each extra L-BFGS correction pair costs two float64 vectors of the image's size.
    more = estimate(512, 512, optimizer="lbfgs", lbfgs_history=20)
    assert more.optimizer_state - lbfgs.optimizer_state == pytest.approx(10 * 2 * 8 * 3 * 512 * 512, rel=0.001)
    assert estimate(512, 512, precision="bfloat16").activations == pytest.approx(large.activations / 2, abs=1)
    for bad in (dict(optimizer="sgd"), dict(precision="float16"), dict(device="tpu"), dict(lbfgs_history=0)):
        with pytest.raises(ValueError, match="must be"):
            estimate(64, 64, **bad)


def test_check_fits_refuses_with_the_estimate_the_limit_and_a_size_that_fits():
    with pytest.raises(nst_memory.InsufficientMemoryError) as refused:
        nst_memory.check_fits(2304, 4096, limit=SMALL)
    message = str(refused.value)
    estimate = nst_memory.estimate_peak_memory(2304, 4096)
    assert f"needs an estimated {nst_memory.format_bytes(estimate.total)}" in message
    assert "2.0 GiB: a pretend 2 GiB machine" in message and "--max-dim" in message
    suggested = int(message.split("about ")[-1].split(" px")[0])
    assert 256 < suggested < 4096
    scale = suggested / 4096
    nst_memory.check_fits(round(2304 * scale), suggested, limit=SMALL)  # the advice is right
    with pytest.raises(nst_memory.InsufficientMemoryError):
        nst_memory.check_fits(round(2304 * (suggested + 2) / 4096), suggested + 2, limit=SMALL)


def test_available_memory_on_this_machine_is_plausible():
    limit = nst_memory.available_memory("cpu")
    assert limit is not None and 2**28 < limit.bytes < 2**50 and "this process" in limit.description


@pytest.fixture
def no_model(monkeypatch):
    """Fails the test if a model is built or an image decoded; records the calls."""
    calls = []

    def forbidden(name):
        def fail(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")
        return fail

    for module, name in ((nst_helpers, "get_model"), (nst_helpers, "load_vgg19"), (nst_weights, "load_vgg19"),
                         (nst_helpers, "load_img"), (nst_helpers, "find_vgg19_weights")):
        monkeypatch.setattr(module, name, forbidden(name))
    return calls


def test_cli_refuses_a_size_that_cannot_fit_before_building_the_model(tmp_path, capsys, monkeypatch, no_model):
    monkeypatch.setattr(nst_memory, "available_memory", lambda device="cpu": SMALL)
    out = tmp_path / "big.png"
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(out), "--max-dim", "4096", "--precision", "float32"]) == 1
    captured = capsys.readouterr()
    assert "not enough memory: a 4096x2772 px run (adam, float32) needs an estimated" in captured.err
    assert "the limit is 1.8 GiB (90% of 2.0 GiB: a pretend 2 GiB machine); use a smaller max_dim (--max-dim)" \
        in captured.err
    assert "Traceback" not in captured.err and "it/s" not in captured.err  # no progress bar was started
    assert no_model == [] and not out.exists()


def test_cli_refuses_max_dim_100000_on_this_machine(tmp_path, capsys, no_model):
    """The issue's case, with the machine's real memory: refused at once, with what to do."""
    computes_on = "cpu" if gpu_details() is None else "gpu"
    if nst_memory.available_memory(computes_on) is None:  # then no run is refused (and this one would be tried)
        pytest.skip(f"this machine's {computes_on.upper()} memory cannot be read (on a GPU: no nvidia-smi)")
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(tmp_path / "huge.png"), "--max-dim", "100000"]) == 1
    err = capsys.readouterr().err
    assert "not enough memory: a 100000x67669 px run" in err and "about" in err and "px would fit" in err
    assert no_model == []


@pytest.mark.parametrize("args,message", [
    (["--iterations", "0"], "--iterations must be a positive integer; got 0"),
    (["--claim-timeout", "0"], "--claim-timeout must be a number of seconds greater than 0; got 0.0"),
])
def test_cli_refuses_bad_numbers_before_building_the_model(tmp_path, capsys, no_model, args, message):
    assert nst_cli.main([str(CONTENT), str(STYLE), "-o", str(tmp_path / "out.png"), *args]) == 1
    assert message in capsys.readouterr().err
    assert no_model == []


def test_run_style_transfer_checks_memory_before_building_its_model(monkeypatch, no_model, model):
    monkeypatch.setattr(nst_memory, "available_memory", lambda device="cpu": SMALL)
    with pytest.raises(nst_memory.InsufficientMemoryError, match="needs an estimated"):
        extended.run_style_transfer(CONTENT, STYLE, extended.Settings(iterations=1, max_dim=4096))
    with pytest.raises(nst_memory.InsufficientMemoryError, match="4096x4096 px"):
        extended.run_style_transfer(np.zeros((4096, 4096, 3)), np.zeros((64, 64, 3)), extended.Settings(iterations=1),
                                    model=model)
    assert no_model == []
    # Experts may skip the check (here at a size that does fit, so that the test stays quick).
    tiny = nst_memory.MemoryLimit(2**20, "a pretend 1 MiB machine")
    monkeypatch.setattr(nst_memory, "available_memory", lambda device="cpu": tiny)
    with pytest.raises(nst_memory.InsufficientMemoryError, match="a 32x22 px run"):  # the style, the larger image
        extended.plan_run(CONTENT, STYLE, extended.Settings(iterations=1, max_dim=32))
    unchecked = extended.Settings(iterations=1, max_dim=32, check_memory=False)
    result = extended.run_style_transfer(CONTENT, STYLE, unchecked, model=model)
    assert result.best_img.shape == (18, 32, 3)


def test_a_plan_estimates_the_largest_image_with_the_runs_optimizer_and_precision(monkeypatch):
    monkeypatch.setattr(nst_memory, "available_memory", lambda device="cpu": None)  # nothing to refuse against
    plan = extended.plan_run(CONTENT, np.zeros((200, 100, 3)), extended.Settings(
        iterations=1, max_dim=64, optimizer="lbfgs", precision="bfloat16", style_scale=3))
    # The style, read at three times the content's 64 px, is the larger image: 96x192 px.
    assert plan.sizes[-1][1] == (96, 192) and plan.memory == nst_memory.estimate_peak_memory(
        192, 96, optimizer="lbfgs", precision="bfloat16", device=plan.memory.device)
    assert extended.plan_run(CONTENT, STYLE, extended.Settings(iterations=1, max_dim=64, check_memory=False)).memory \
        is None


@pytest.mark.parametrize("gpu,device", [(None, "cpu"), ({"device_name": "NVIDIA A100", "compute_capability": (8, 0)},
                                                        "gpu")])
def test_check_memory_fits_asks_the_device_tensorflow_computes_on(monkeypatch, gpu, device):
    asked = []
    monkeypatch.setattr(nst_memory, "gpu_details", lambda: gpu)
    monkeypatch.setattr(nst_memory, "available_memory", lambda device="cpu": asked.append(device) or SMALL)
    assert nst_memory.check_memory_fits(64, 64).device == device and asked == [device]
    with pytest.raises(nst_memory.InsufficientMemoryError, match=r"\(lbfgs, bfloat16\)"):
        nst_memory.check_memory_fits(2304, 4096, optimizer="lbfgs", precision="bfloat16")
