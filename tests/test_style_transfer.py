"""The optimisation loop (the lesson's, and the extended run's noise start and size checks) and the run profiles."""

import numpy as np
import pytest

import nst_extended as extended
import nst_helpers as nst
from hardware import repeat_rtol
from nst_plumbing import device
from nst_plumbing.config import MEDIA_DIR as MEDIA

CONTENT, STYLE = MEDIA / "crab.jpg", MEDIA / "great_wave.jpg"


def test_64px_30_iterations_halves_the_loss(model):
    steps = []
    result = nst.run_style_transfer(CONTENT, STYLE, num_iterations=30, max_dim=64, model=model,
                                    callback=steps.append)
    content = nst.load_img(CONTENT, 64)
    assert result.best_img.shape == content.shape[1:] and result.best_img.dtype == np.uint8
    history = result.history
    assert history.iterations == list(range(30)) and len(steps) == 30
    assert result.best_loss <= 0.5 * history.total_loss[0], (history.total_loss[0], result.best_loss)
    assert result.best_loss == min(history.total_loss)
    np.testing.assert_allclose(np.add(history.style_loss, history.content_loss), history.total_loss, rtol=1e-5)
    assert all(b > a for a, b in zip(history.seconds, history.seconds[1:]))
    assert steps[-1].image().shape == result.best_img.shape
    assert history.content_loss[0] == 0  # it starts from the content image itself
    # The result is no longer the content photo.
    assert np.abs(result.best_img.astype(float) - content[0]).mean() > 5


def test_best_image_is_the_one_whose_loss_was_lowest(model):
    # Recompute the loss of the returned image: it must equal the best loss reported.
    result = nst.run_style_transfer(CONTENT, STYLE, num_iterations=6, max_dim=48, model=model)
    style_features, content_features = nst.get_feature_representations(model, CONTENT, STYLE, max_dim=48)
    import tensorflow as tf
    grams = [nst.gram_matrix(f) for f in style_features]
    image = tf.Variable(nst.load_and_process_img(result.best_img))
    loss, _, _ = nst.compute_loss(model, (nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), image, grams, content_features)
    # Rounding the best image to uint8 changes its loss a little, never by much.
    assert float(loss) == pytest.approx(result.best_loss, rel=0.05)


def test_eager_and_compiled_agree(model):
    eager = nst.run_style_transfer(CONTENT, STYLE, num_iterations=3, max_dim=48, compiled=False, model=model)
    compiled = nst.run_style_transfer(CONTENT, STYLE, num_iterations=3, max_dim=48, compiled=True, model=model)
    np.testing.assert_allclose(eager.history.total_loss, compiled.history.total_loss, rtol=1e-3)
    assert np.abs(eager.best_img.astype(int) - compiled.best_img.astype(int)).max() <= 2


def assert_same_run(a, b):
    """Exactly the same on a CPU; within a GPU's run-to-run noise there."""
    np.testing.assert_allclose(a.history.total_loss, b.history.total_loss, rtol=repeat_rtol())
    assert np.abs(a.best_img.astype(int) - b.best_img.astype(int)).max() <= (0 if repeat_rtol() == 0 else 1)


def test_the_lessons_run_is_repeatable(model):
    a = nst.run_style_transfer(CONTENT, STYLE, num_iterations=2, max_dim=48, model=model)
    b = nst.run_style_transfer(CONTENT, STYLE, num_iterations=2, max_dim=48, model=model)
    assert_same_run(a, b)


def test_noise_init_is_repeatable_with_a_seed(model):
    def noise(seed):
        settings = extended.Settings(iterations=2, max_dim=48, init="noise", seed=seed)
        return extended.run_style_transfer(CONTENT, STYLE, settings, model=model)

    a, b, other = noise(3), noise(3), noise(4)
    assert_same_run(a, b)
    assert a.history.content_loss[0] > 0  # noise is not the content photo
    assert not np.array_equal(a.best_img, other.best_img)


@pytest.mark.parametrize("kwargs,match", [
    ({"num_iterations": 0}, "num_iterations"),
    ({"style_weight": -1.0}, "style_weight"),
    ({"content_weight": float("nan")}, "content_weight"),
    ({"max_dim": 8}, "max_dim"),
])
def test_bad_arguments_are_refused(model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        nst.run_style_transfer(CONTENT, STYLE, **{"num_iterations": 1, "max_dim": 48, **kwargs}, model=model)


def test_too_thin_image_is_refused(model):
    thin = np.zeros((1, 8, 200, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="content image is 200x8 px"):
        extended.run_style_transfer(thin, STYLE, extended.Settings(iterations=1, max_dim=64), model=model)


def test_history_timing():
    history = nst.History(iterations=[0, 1, 2, 3], seconds=[5.0, 6.0, 7.5, 8.5])
    assert history.seconds_per_iteration(skip=1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="more than 4"):
        history.seconds_per_iteration(skip=4)


def test_profiles(monkeypatch):
    monkeypatch.setenv("NST_PROFILE", "cpu")
    assert nst.get_profile() is nst.PROFILES["cpu"]
    assert nst.get_profile("GPU").max_dim == 512 and nst.get_profile("gpu").iterations == 1000
    monkeypatch.delenv("NST_PROFILE")
    assert nst.get_profile().name == ("gpu" if device.gpu_details() is not None else "cpu")  # this machine's
    monkeypatch.setattr(device, "gpu_details", lambda: None)
    assert nst.get_profile().name == "cpu"
    monkeypatch.setattr(device, "gpu_details", lambda: {"device_name": "NVIDIA T4", "compute_capability": (7, 5)})
    assert nst.get_profile().name == "gpu"
    monkeypatch.setenv("NST_PROFILE", "fast")
    with pytest.raises(ValueError, match="unknown run profile 'fast'.*test, cpu, gpu"):
        nst.get_profile()
    assert "test" in str(nst.PROFILES["test"])
