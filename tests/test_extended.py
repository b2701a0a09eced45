"""The extended run against the lesson: with default Settings it is the article's run; its settings are checked."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

import nst_extended as extended
import nst_helpers as nst
from hardware import ON_GPU, repeat_rtol
from nst_plumbing.config import BETA_1, CONTENT_WEIGHT, EPSILON, LEARNING_RATE, MEDIA_DIR, STYLE_WEIGHT

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"


# ---------------------------------------------------------------------------
# The same method: the lesson's run and the extended run's defaults agree
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("compiled,iterations,weights", [
    (True, 8, {}),  # the article's weights
    (True, 5, {"content_weight": 1.0, "style_weight": 1.0}),
    (False, 3, {}),  # eagerly, line by line
])
def test_the_lesson_and_the_extended_defaults_give_the_same_run(model, compiled, iterations, weights):
    lesson_steps, extended_steps = [], []
    lesson = nst.run_style_transfer(CONTENT, STYLE, iterations, **weights, max_dim=48, model=model, compiled=compiled,
                                    callback=lesson_steps.append)
    settings = extended.Settings(iterations=iterations, max_dim=48, compiled=compiled, **weights)
    assert (settings.optimizer, settings.tv_weight, settings.init, settings.scales) == ("adam", 0.0, "content", None)
    result = extended.run_style_transfer(CONTENT, STYLE, settings, model=model, callback=extended_steps.append)
    for name in ("total_loss", "style_loss", "content_loss"):
        np.testing.assert_allclose(getattr(result.history, name), getattr(lesson.history, name),
                                   rtol=repeat_rtol(1e-4), err_msg=name)
    assert result.history.tv_loss == [0.0] * iterations and result.history.iterations == lesson.history.iterations
    assert (result.history.optimizer, result.history.precision) == ("adam", "float32")
    assert result.best_loss == pytest.approx(lesson.best_loss, rel=repeat_rtol(1e-4))
    assert result.best_img.shape == lesson.best_img.shape == (27, 48, 3)
    levels = 2 if ON_GPU else 1  # rounding to uint8, and on a GPU its run-to-run noise
    assert np.abs(result.best_img.astype(int) - lesson.best_img.astype(int)).max() <= levels
    assert [step.iteration for step in extended_steps] == [step.iteration for step in lesson_steps]
    assert np.abs(extended_steps[-1].image().astype(int) - lesson_steps[-1].image().astype(int)).max() <= levels


def test_default_settings_are_the_articles_recipe_at_the_profiles_size():
    settings = extended.Settings()
    assert (settings.content_weight, settings.style_weight, settings.learning_rate, settings.beta_1,
            settings.epsilon) == (CONTENT_WEIGHT, STYLE_WEIGHT, LEARNING_RATE, BETA_1, EPSILON)
    assert (settings.optimizer, settings.tv_weight, settings.init, settings.preserve_colors) == \
        ("adam", 0.0, "content", None)
    profile = nst.get_profile()
    plan = extended.plan_run(CONTENT, STYLE, settings)
    assert plan.iterations == (profile.iterations,) and max(plan.result_size) == profile.max_dim
    assert plan.result_size == nst.load_img(CONTENT).shape[2:0:-1]


def test_the_extended_loss_and_gradient_are_the_lessons(model):
    processed = nst.load_and_process_img(CONTENT, 48)
    style_features, content_features = nst.get_feature_representations(model, CONTENT, STYLE, max_dim=48)
    grams = [nst.gram_matrix(feature) for feature in style_features]
    targets = extended.compute_targets(model, processed, nst.load_and_process_img(STYLE, 48))
    for mine, lessons in zip(targets.gram_style_features + targets.content_features, grams + content_features):
        np.testing.assert_allclose(mine, lessons, rtol=repeat_rtol(1e-5))
    assert targets.region_masks is None and targets.region_weights is None

    image = processed + np.random.default_rng(0).normal(0, 10, processed.shape).astype(np.float32)
    cfg = nst.LossConfig(model, (STYLE_WEIGHT, CONTENT_WEIGHT), tf.Variable(image), grams, content_features)
    grads, (total, style_score, content_score) = nst.compute_grads(cfg)
    for step in (extended.loss_and_grads, extended.compiled_loss_and_grads()):
        mine, losses = step(model, tf.constant(image), extended.LossWeights.of(STYLE_WEIGHT, CONTENT_WEIGHT), targets)
        np.testing.assert_allclose([float(value) for value in losses],
                                   [float(total), float(style_score), float(content_score), 0.0],
                                   rtol=repeat_rtol(1e-5))
        np.testing.assert_allclose(mine, grads, rtol=repeat_rtol(1e-4),
                                   atol=repeat_rtol(1e-4) * float(tf.reduce_max(tf.abs(grads))))
    assert extended.compiled_loss_and_grads() is extended.compiled_loss_and_grads()  # one graph per process

    # Total variation is one more term, weighted, on top of the lesson's loss.
    _, (with_tv, _, _, tv_score) = extended.loss_and_grads(model, tf.constant(image),
                                                            extended.LossWeights.of(STYLE_WEIGHT, CONTENT_WEIGHT, 50.0),
                                                            targets)
    assert float(tv_score) == pytest.approx(50.0 * float(nst.total_variation_loss(image)), rel=1e-5)
    assert float(with_tv) == pytest.approx(float(total) + float(tv_score), rel=repeat_rtol(1e-5))


def test_a_grey_gradient_keeps_a_grey_image_grey(model):
    grey = nst.load_and_process_img(extended.to_grey(nst.load_img(CONTENT, 48)))
    targets = extended.compute_targets(model, grey, nst.load_and_process_img(STYLE, 48))
    grads, _ = extended.loss_and_grads(model, tf.constant(grey), extended.LossWeights.of(1e-2, 1e3), targets, grey=True)
    grads = grads.numpy()
    np.testing.assert_array_equal(grads[..., 0], grads[..., 1])
    np.testing.assert_array_equal(grads[..., 1], grads[..., 2])
    assert np.abs(grads).max() > 0


# ---------------------------------------------------------------------------
# Settings: every value checked when the object is made, the setting named
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("options,setting,message", [
    ({"iterations": 0}, "iterations", "iterations must be a positive integer; got 0"),
    ({"iterations": 2.5}, "iterations", "iterations must be a positive integer; got 2.5"),
    ({"iterations": True}, "iterations", "iterations must be a positive integer; got True"),
    ({"iterations": [3, 0], "scales": (32, 64)}, "iterations", "iterations must be a positive integer; got 0"),
    ({"style_weight": -1}, "style_weight", "style_weight must be a finite number >= 0; got -1"),
    ({"content_weight": float("nan")}, "content_weight", "content_weight must be a finite number >= 0; got nan"),
    ({"tv_weight": float("inf")}, "tv_weight", "tv_weight must be a finite number >= 0; got inf"),
    ({"learning_rate": 0}, "learning_rate", "learning_rate must be a finite number greater than 0; got 0"),
    ({"epsilon": -0.1}, "epsilon", "epsilon must be a finite number greater than 0; got -0.1"),
    ({"beta_1": 1.0}, "beta_1", "beta_1 must be in [0, 1); got 1.0"),
    ({"beta_1": -0.5}, "beta_1", "beta_1 must be a finite number >= 0; got -0.5"),
    ({"max_dim": 8}, "max_dim", "max_dim must be an integer of at least 16 pixels or None; got 8"),
    ({"max_dim": "512"}, "max_dim", "max_dim must be an integer of at least 16 pixels or None; got '512'"),
    ({"optimizer": "sgd"}, "optimizer", "optimizer must be one of 'adam', 'lbfgs'; got 'sgd'"),
    ({"precision": "float16"}, "precision", "precision must be one of 'auto', 'float32', 'bfloat16'; got 'float16'"),
    ({"init": "zeros"}, "init", "init must be one of 'content', 'noise'; got 'zeros'"),
    ({"preserve_colors": "hsv"}, "preserve_colors", "preserve_colors must be one of None, 'luminance', 'histogram'"),
    ({"style_scale": -2}, "style_scale", "style_scale must be a finite number greater than 0; got -2"),
    ({"style_blend_weights": [1, -1]}, "style_blend_weights", "style_blend_weights must be finite numbers >= 0"),
    ({"scales": (64, 32)}, "scales", "scales must increase from coarse to fine"),
    ({"scales": "64"}, "scales", "scales must be a non-empty sequence of image sizes"),
    ({"scales": (32, 64), "max_dim": 48}, "max_dim", "max_dim 48 contradicts scales 32 64"),
])
def test_settings_refuse_bad_values_naming_the_setting(options, setting, message):
    with pytest.raises(extended.SettingError) as info:
        extended.Settings(**options)
    assert isinstance(info.value, ValueError)  # callers that catch ValueError still catch it
    assert info.value.setting == setting and message in str(info.value), (info.value.setting, str(info.value))


def test_settings_are_normalised_and_frozen():
    settings = extended.Settings(iterations=[7], scales=[32, 64], style_blend_weights=np.array([3, 1]),
                                 style_weight=1, max_dim=64)
    assert settings.iterations == 7 and settings.scales == (32, 64) and settings.style_blend_weights == (3.0, 1.0)
    assert isinstance(settings.style_weight, float)
    assert settings.levels == (32, 64) and settings.iterations_per_level(10) == (7, 7)
    assert extended.Settings(iterations=(3, 4), scales=(32, 64)).iterations_per_level(10) == (3, 4)
    assert extended.Settings().iterations_per_level(10) == (10,) and extended.Settings(max_dim=96).levels == (96,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.optimizer = "lbfgs"
    assert dataclasses.replace(settings, optimizer="lbfgs").optimizer == "lbfgs"
    with pytest.raises(extended.SettingError, match="optimizer must be one of"):
        dataclasses.replace(settings, optimizer="sgd")  # a changed copy is checked again
