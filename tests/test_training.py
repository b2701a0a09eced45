"""Training the fast network (notebook 09): its batches, its loss, repeatability, checkpoints that resume, and the committed networks."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

import nst_extended as extended
import nst_helpers as nst
from nst_extended.fast import evaluations_to_reach, load_network, network_path, paint_with, series_losses
from nst_extended.loss import LossWeights
from nst_extended.training import (TrainingSettings, batch_losses, photo_content_features, style_grams, train)
from nst_extended.training_checkpoints import STATE_NAME
from nst_extended.training_data import (HELD_OUT_PHOTOS, TRAINING_PHOTOS, Augment, load_photos, training_batch)
from nst_extended.transform_net import NetSpec

STYLE = nst.MEDIA_DIR / "great_wave.jpg"
PHOTOS = ("chelsea.jpg", "training/coffee.jpg")
# Tiny: a 4-wide network, 32 px crops, a 64 px style; the real VGG19 (conftest's float32 model).
TINY = TrainingSettings(steps=6, batch=2, learning_rate=1e-2, style_side=64, precision="float32", checkpoint_every=3,
                        net=NetSpec(width=4, residual_blocks=1), augment=Augment(crop=32, photo_side=64))
# Two trainings with one seed on one machine give the same weights to this tolerance (measured: identical).
REPEAT_TOLERANCE = 1e-5


def _weights(net) -> list[np.ndarray]:
    return [np.asarray(weight) for weight in net.weights]


def _largest_difference(first, second) -> float:
    return max(float(np.max(np.abs(a - b))) for a, b in zip(_weights(first), _weights(second)))


@pytest.fixture(scope="module")
def photos():
    return load_photos(PHOTOS)


def test_the_held_out_photos_are_never_trained_on():
    assert not set(HELD_OUT_PHOTOS) & set(TRAINING_PHOTOS)
    assert all((nst.MEDIA_DIR / path).is_file() for path in (*TRAINING_PHOTOS, *HELD_OUT_PHOTOS))


def test_every_training_photo_is_credited():
    credits = (nst.MEDIA_DIR / "CREDITS.md").read_text(encoding="utf-8")
    for path in TRAINING_PHOTOS:
        assert f"| {path} |" in credits, path


def test_a_batch_is_the_same_every_time_it_is_asked_for_and_new_at_each_step(photos):
    augment = Augment(crop=48, photo_side=96)
    first = training_batch(photos, 5, 3, augment, seed=1)
    assert first.shape == (3, 48, 48, 3) and first.dtype == np.float32
    assert 0 <= first.min() and first.max() <= 255
    np.testing.assert_array_equal(first, training_batch(photos, 5, 3, augment, seed=1))
    assert not np.array_equal(first, training_batch(photos, 6, 3, augment, seed=1))
    assert not np.array_equal(first, training_batch(photos, 5, 3, augment, seed=2))


def test_without_jitter_or_flips_a_crop_is_a_piece_of_the_scaled_photo(photos):
    plain = Augment(crop=32, photo_side=64, scale_range=(1.0, 1.0), flip=False, jitter=0.0)
    crop = training_batch(photos[:1], 0, 1, plain, seed=0)[0]
    assert crop.std() > 5  # a picture, not a flat colour
    jittered = training_batch(photos[:1], 0, 1, dataclasses.replace(plain, jitter=0.3), seed=0)[0]
    assert not np.allclose(crop, jittered)


@pytest.mark.parametrize("change, message", [(dict(crop=0), "crop"), (dict(scale_range=(2.0, 1.0)), "scale_range"),
                                             (dict(jitter=1.0), "jitter")])
def test_bad_augmentation_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Augment(**change)


@pytest.mark.parametrize("change, message", [(dict(steps=0), "steps"), (dict(learning_rate=-1.0), "learning_rate"),
                                             (dict(precision="float16"), "precision"), (dict(seed=-1), "seed")])
def test_bad_training_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        TrainingSettings(**change)


def test_the_batch_loss_is_the_lessons_loss_of_each_image_averaged(model, photos):
    """d2l: the training's loss is ``nst_helpers.compute_loss`` (plus total variation), image by image."""
    batch = tf.constant(training_batch(photos, 0, 2, Augment(crop=48, photo_side=96), seed=0))
    painted = tf.constant(np.random.default_rng(0).uniform(0, 255, batch.shape).astype(np.float32))
    grams = style_grams(model, STYLE, 64)
    total, style, content, tv = batch_losses(model, painted, photo_content_features(model, batch), grams,
                                             LossWeights.of(nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT, 1e4))
    lesson = []
    for index in range(2):
        _, content_features = nst.split_features(model, nst.load_and_process_img(batch[index].numpy()), 5)
        lesson.append([float(value) for value in nst.compute_loss(
            model, (nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), nst.load_and_process_img(painted[index].numpy()),
            grams, content_features)])
        lesson[-1].append(1e4 * float(nst.total_variation_loss(painted[index:index + 1])))
    expected = np.mean(lesson, axis=0)
    np.testing.assert_allclose([float(style), float(content), float(tv)], expected[[1, 2, 3]], rtol=1e-4)
    np.testing.assert_allclose(float(total), expected[0] + expected[3], rtol=1e-4)


def test_training_lowers_the_loss_within_a_few_steps(model):
    losses = []
    train(STYLE, TINY, photos=PHOTOS, model=model, progress=lambda progress: losses.append(progress.losses[0]))
    assert len(losses) == TINY.steps
    assert np.mean(losses[-2:]) < 0.7 * np.mean(losses[:2]), losses


def test_training_under_a_seed_repeats_itself_and_another_seed_differs(model):
    first = train(STYLE, TINY, photos=PHOTOS, model=model)
    second = train(STYLE, TINY, photos=PHOTOS, model=model)
    other = train(STYLE, dataclasses.replace(TINY, seed=1), photos=PHOTOS, model=model)
    assert _largest_difference(first.net, second.net) <= REPEAT_TOLERANCE
    assert _largest_difference(first.net, other.net) > 1e-3
    assert first.record["curve"]["every"] == 25 and first.record["steps"] == TINY.steps


def test_a_resumed_training_ends_where_an_uninterrupted_one_does(model, tmp_path):
    uninterrupted = train(STYLE, TINY, photos=PHOTOS, model=model)

    def stop_after_four(progress):
        if progress.step == 4:
            raise KeyboardInterrupt  # as Ctrl+C: the training saves a checkpoint on its way out

    with pytest.raises(KeyboardInterrupt):
        train(STYLE, TINY, photos=PHOTOS, model=model, checkpoint_dir=tmp_path, progress=stop_after_four)
    assert json.loads((tmp_path / STATE_NAME).read_text())["step"] == 4
    resumed = train(STYLE, TINY, photos=PHOTOS, model=model, checkpoint_dir=tmp_path)
    assert _largest_difference(uninterrupted.net, resumed.net) <= REPEAT_TOLERANCE
    assert [session["from_step"] for session in resumed.record["sessions"]] == [0, 4]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "net-0000006.weights.h5", "optimizer-0000006.npz", STATE_NAME]  # older steps' files removed


def test_a_checkpoint_of_another_training_is_refused_not_overwritten(model, tmp_path):
    train(STYLE, dataclasses.replace(TINY, steps=3), photos=PHOTOS, model=model, checkpoint_dir=tmp_path)
    state = (tmp_path / STATE_NAME).read_text()
    with pytest.raises(ValueError, match="other settings"):
        train(STYLE, dataclasses.replace(TINY, learning_rate=1e-3), photos=PHOTOS, model=model, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="other style"):
        train(nst.MEDIA_DIR / "starry_night.jpg", TINY, photos=PHOTOS, model=model, checkpoint_dir=tmp_path)
    assert (tmp_path / STATE_NAME).read_text() == state


def test_a_damaged_checkpoint_is_refused_by_name(model, tmp_path):
    (tmp_path / STATE_NAME).write_text("{not json")
    with pytest.raises(ValueError, match="not a training checkpoint"):
        train(STYLE, TINY, photos=PHOTOS, model=model, checkpoint_dir=tmp_path)


def test_network_names_and_paths():
    assert network_path("great_wave") == extended.fast.NETWORKS_DIR / "great_wave.weights.h5"
    with pytest.raises(ValueError, match="is not a network"):
        network_path("model.keras")
    with pytest.raises(FileNotFoundError, match="network not found"):
        load_network("no_such.weights.h5")


def test_evaluations_to_reach():
    assert evaluations_to_reach([9.0, 5.0, 3.0, 1.0], 3.0) == 3
    assert evaluations_to_reach([9.0, 5.0], 1.0) is None


def test_series_losses_score_an_optimised_image_as_its_optimisation_did(model):
    photo = nst.load_img(nst.MEDIA_DIR / "crab.jpg", 48)
    style = nst.load_img(STYLE, 48)
    result = extended.run_style_transfer(photo, style, extended.Settings(
        optimizer="lbfgs", iterations=8, tv_weight=1e4, precision="float32", max_dim=48))
    scored = series_losses(model, photo, style, result.best_img)
    assert scored.total == pytest.approx(result.best_loss, rel=0.02)  # the result is rounded to whole pixel values
    assert series_losses(model, photo, style, photo[0]).content == 0.0
    with pytest.raises(ValueError, match="photo's size"):
        series_losses(model, photo, style, result.best_img[:-1])


@pytest.mark.parametrize("name", extended.COMMITTED_NETWORKS)
def test_each_committed_network_is_small_has_its_record_and_paints_any_size(name):
    path = network_path(name)
    assert path.stat().st_size < 5_000_000
    net, about = load_network(name)
    record = about["training"]
    assert record["style"] == f"{name}.jpg" and record["photos"] == list(TRAINING_PHOTOS)
    assert record["steps"] >= 1000 and len(record["curve"]["total"]) == record["steps"] // 25
    assert record["curve"]["total"][-1] < 0.5 * record["curve"]["total"][0]
    painting = paint_with(net, nst.MEDIA_DIR / "crab.jpg", 67)
    assert painting.shape == (38, 67, 3) and painting.dtype == np.uint8


def test_a_finished_training_asked_again_adds_nothing(model, tmp_path):
    first = train(STYLE, TINY, photos=PHOTOS, model=model, checkpoint_dir=tmp_path)
    again = train(STYLE, TINY, photos=PHOTOS, model=model, checkpoint_dir=tmp_path)
    assert _largest_difference(first.net, again.net) == 0.0
    assert again.record["sessions"] == first.record["sessions"] and len(again.record["sessions"]) == 1
