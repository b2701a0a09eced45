"""Beyond the article: L-BFGS, total variation, coarse-to-fine and bfloat16 (notebook 07)."""

import numpy as np
import pytest

import nst_helpers as nst
from nst_config import MEDIA_DIR

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"


def neighbour_difference(rgb: np.ndarray) -> float:
    """High-frequency energy: mean absolute difference between neighbouring pixel values."""
    rgb = rgb.astype(np.float64)
    return float(np.mean(np.abs(np.diff(rgb, axis=0))) + np.mean(np.abs(np.diff(rgb, axis=1))))


@pytest.fixture(scope="module")
def bf16_model():
    return nst.get_model(verbose=False, precision="bfloat16")


def test_lbfgs_lowers_the_loss_and_never_leaves_the_pixel_range(model):
    seen = []
    result = nst.run_style_transfer(CONTENT, STYLE, 25, max_dim=64, model=model, optimizer="lbfgs",
                                    callback=lambda step: seen.append(np.array(step.processed_image)))
    history = result.history
    assert history.optimizer == "lbfgs" and len(history.iterations) == len(seen) == 25
    assert result.best_loss < 0.2 * history.total_loss[0], (history.total_loss[0], result.best_loss)
    assert result.best_loss == min(history.total_loss)
    lowest, highest = -nst.VGG_MEAN_BGR, 255 - nst.VGG_MEAN_BGR
    for image in seen:  # every image L-BFGS evaluated is a real picture
        assert np.all(image >= lowest - 1e-3) and np.all(image <= highest + 1e-3)


def test_lbfgs_beats_adam_for_the_same_number_of_evaluations(model):
    adam = nst.run_style_transfer(CONTENT, STYLE, 25, max_dim=64, model=model, optimizer="adam")
    lbfgs = nst.run_style_transfer(CONTENT, STYLE, 25, max_dim=64, model=model, optimizer="lbfgs")
    assert lbfgs.best_loss < adam.best_loss, (lbfgs.best_loss, adam.best_loss)


def test_total_variation_lowers_high_frequency_energy(model):
    plain = nst.run_style_transfer(CONTENT, STYLE, 25, max_dim=64, model=model, optimizer="lbfgs")
    smooth = nst.run_style_transfer(CONTENT, STYLE, 25, max_dim=64, model=model, optimizer="lbfgs",
                                    tv_weight=1e6)
    assert plain.history.tv_loss == [0.0] * 25 and min(smooth.history.tv_loss) > 0
    np.testing.assert_allclose(np.add.reduce([smooth.history.style_loss, smooth.history.content_loss,
                                              smooth.history.tv_loss]), smooth.history.total_loss, rtol=1e-5)
    assert neighbour_difference(smooth.best_img) < 0.8 * neighbour_difference(plain.best_img)


def test_total_variation_loss_is_a_mean_per_pixel():
    flat = np.zeros((1, 8, 10, 3), dtype=np.float32)
    assert float(nst.total_variation_loss(flat)) == 0
    stripes = flat.copy()
    stripes[:, :, ::2] = 1.0  # every horizontal neighbour differs by 1 in each of 3 channels
    # 9 horizontal differences per row, 8 rows, 3 channels, divided by the 80 pixels.
    assert float(nst.total_variation_loss(stripes)) == pytest.approx(8 * 9 * 3 / 80)


def test_coarse_to_fine_returns_the_final_size(model):
    steps = []
    result = nst.run_style_transfer(CONTENT, STYLE, [6, 4], scales=(32, 64), model=model, optimizer="lbfgs",
                                    callback=steps.append)
    assert result.best_img.shape == nst.load_img(CONTENT, 64).shape[1:]
    history = result.history
    assert history.scales == [32] * 6 + [64] * 4 and [step.scale for step in steps] == history.scales
    assert history.best_iteration >= 6  # the best image is one of the final scale's
    assert history.seconds_to_reach(result.best_loss) == history.seconds[history.best_iteration]


def test_coarse_to_fine_resizes_arrays_too(model):
    content, style = nst.read_image(CONTENT, 80), nst.read_image(STYLE, 80)
    result = nst.run_style_transfer(content, style, 2, scales=(40, 56), model=model)
    assert max(result.best_img.shape[:2]) == 56


def test_bfloat16_loss_is_within_one_percent_of_float32(model, bf16_model):
    assert nst.model_precision(model) == "float32" and nst.model_precision(bf16_model) == "bfloat16"
    processed = nst.load_and_process_img(CONTENT, 256)
    targets = nst.compute_targets(model, processed, nst.load_and_process_img(STYLE, 256))
    noisy = processed + np.random.default_rng(0).normal(0, 20, processed.shape).astype(np.float32)
    for image in (processed, noisy):
        exact = nst.compute_loss(model, (nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), image,
                                 targets.gram_style_features, targets.content_features)
        fast = nst.compute_loss(bf16_model, (nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), image,
                                targets.gram_style_features, targets.content_features)
        assert all(output.dtype == "float32" for output in bf16_model(image))
        assert abs(float(fast[0]) - float(exact[0])) < 0.01 * float(exact[0]), (float(fast[0]), float(exact[0]))


def test_bfloat16_weights_are_stored_in_bfloat16_and_give_the_mixed_policys_numbers(model, bf16_model):
    """Stored weights are rounded once; Keras's mixed_bfloat16 rounds float32 weights the same way
    on every call, so both give the same activations."""
    import keras

    assert {weight.dtype for weight in bf16_model.weights} == {"bfloat16"}
    with nst._keras_dtype_policy("mixed_bfloat16"):
        mixed_vgg = nst.load_vgg19("auto", verbose=False)
    assert {weight.dtype for weight in mixed_vgg.weights} == {"float32"}
    image = nst.load_and_process_img(CONTENT, 64)
    stored = bf16_model(image)[-1]
    mixed = keras.ops.cast(keras.Model(mixed_vgg.input, mixed_vgg.get_layer(nst.CONTENT_LAYERS[0]).output)(image),
                           "float32")
    np.testing.assert_array_equal(np.asarray(stored), np.asarray(mixed))


def test_lbfgs_runs_scipy_with_one_blas_thread_and_restores_it_after(model):
    import scipy.optimize  # noqa: F401  (loads SciPy's BLAS before the count is taken)
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    with threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        before, during = blas_threads(), []
        assert before and max(before) == 2, before
        nst.run_style_transfer(CONTENT, STYLE, 3, max_dim=32, model=model, optimizer="lbfgs",
                               callback=lambda step: during.append(blas_threads()))
        assert during and all(threads == [1] * len(before) for threads in during), during
        assert blas_threads() == before


def test_a_bfloat16_run_records_its_precision_and_lowers_the_loss(model, bf16_model):
    result = nst.run_style_transfer(CONTENT, STYLE, 10, max_dim=64, model=bf16_model, target_model=model,
                                    optimizer="lbfgs")
    assert result.history.precision == "bfloat16"
    assert result.best_loss < 0.5 * result.history.total_loss[0]


def test_precision_auto_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(nst, "cpu_has_fast_bfloat16", lambda: True)
    assert nst.preferred_precision() == "bfloat16"
    monkeypatch.setattr(nst, "cpu_has_fast_bfloat16", lambda: False)
    assert nst.preferred_precision() == "float32"


@pytest.mark.parametrize("kwargs,message", [
    ({"optimizer": "sgd"}, "optimizer must be one of 'adam', 'lbfgs'; got 'sgd'"),
    ({"tv_weight": -1.0}, "tv_weight must be a finite number >= 0; got -1.0"),
    ({"scales": (64, 32)}, "scales must increase from coarse to fine (the last is the result's size); got [64, 32]"),
    ({"scales": (32, 64), "max_dim": 48}, "max_dim 48 contradicts scales [32, 64]"),
    ({"scales": ()}, "scales must be a non-empty sequence"),
    ({"scales": (8, 64)}, "max_dim must be an integer of at least 16 pixels or None; got 8"),
    ({"scales": (32, 64), "num_iterations": [1, 2, 3]}, "num_iterations has 3 entries for 2 scales"),
    ({"precision": "float16"}, "precision must be one of 'auto', 'float32', 'bfloat16'; got 'float16'"),
])
def test_bad_options_get_clear_errors_before_any_work(kwargs, message, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was built before the arguments were checked")

    monkeypatch.setattr(nst, "get_model", no_model)
    with pytest.raises(ValueError) as info:
        nst.run_style_transfer(CONTENT, STYLE, **{"num_iterations": 2, **kwargs})
    assert message in str(info.value)


def test_precision_contradicting_the_model_is_refused(model):
    with pytest.raises(ValueError, match="contradicts the given model, which computes in float32"):
        nst.run_style_transfer(CONTENT, STYLE, 1, max_dim=32, model=model, precision="bfloat16")


def test_cpu_features_are_read_from_the_machine():
    import nst_device

    assert nst_device.cpu_model().strip()
    assert isinstance(nst_device.cpu_flags(), frozenset)
    assert nst_device.cpu_has_fast_bfloat16() == ("amx_bf16" in nst_device.cpu_flags())
    assert nst_device.cpu_model() in nst.device_name() or nst.device_name().startswith("GPU")


def test_small_images_stay_in_float32_whatever_the_hardware(monkeypatch):
    monkeypatch.setattr(nst, "cpu_has_fast_bfloat16", lambda: True)
    assert nst.preferred_precision(64) == "float32"
    assert nst.preferred_precision(384) == "bfloat16"


@pytest.mark.parametrize("name", sorted(nst.PROFILES))
def test_every_profile_recipe_is_valid(name):
    import nst_config

    recipe = nst.PROFILES[name].command_line
    assert recipe.optimizer in nst_config.OPTIMIZERS and recipe.tv_weight >= 0
    assert list(recipe.scales) == sorted(set(recipe.scales)) and min(recipe.scales) >= nst_config.MIN_IMAGE_SIDE
    assert len(recipe.iterations) == len(recipe.gallery_iterations) == len(recipe.scales)
    assert min(recipe.iterations + recipe.gallery_iterations) >= 1
