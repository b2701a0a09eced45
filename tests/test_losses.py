"""The losses: Gram matrix, content and style losses, and their weighting in compute_loss."""


import numpy as np
import pytest
import tensorflow as tf

import nst_helpers as nst
from hardware import exact_float32
from nst_plumbing.config import MEDIA_DIR as MEDIA


def gram_reference(features: np.ndarray) -> np.ndarray:
    """Plain NumPy: G[c, d] = mean over positions of F[position, c] * F[position, d]."""
    flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
    return np.einsum("pc,pd->cd", flat, flat) / flat.shape[0]


@pytest.mark.parametrize("shape", [(5, 7, 3), (1, 6, 4, 8), (1, 1, 1, 2)])
def test_gram_matrix_matches_numpy(shape):
    rng = np.random.default_rng(0)
    features = rng.normal(size=shape).astype(np.float32)
    with exact_float32():  # against float64 NumPy: no TensorFloat-32 on a recent GPU
        gram = nst.gram_matrix(tf.constant(features)).numpy()
    assert gram.shape == (shape[-1], shape[-1])
    np.testing.assert_allclose(gram, gram_reference(features), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gram, gram.T, rtol=1e-6)


def test_gram_matrix_of_known_tensor():
    # Two positions, two channels: rows (1, 2) and (3, 4).
    features = tf.constant([[[1.0, 2.0], [3.0, 4.0]]])  # shape (1, 2, 2)
    expected = np.array([[1 + 9, 2 + 12], [2 + 12, 4 + 16]]) / 2
    np.testing.assert_allclose(nst.gram_matrix(features).numpy(), expected)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 3, 4), (1, 2, 3, 4, 5)])
def test_gram_matrix_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match="gram_matrix expects one feature map"):
        nst.gram_matrix(tf.zeros(shape))


def test_content_loss_is_mean_squared_error():
    a = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    b = tf.constant([[1.0, 0.0], [3.0, 8.0]])
    assert nst.get_content_loss(a, b).numpy() == pytest.approx((4 + 16) / 4)
    assert nst.get_content_loss(a, a).numpy() == 0


def test_style_loss_zero_for_own_gram_and_positive_otherwise():
    rng = np.random.default_rng(1)
    features = tf.constant(rng.normal(size=(6, 6, 4)).astype(np.float32))
    target = nst.gram_matrix(features)
    assert nst.get_style_loss(features, target).numpy() == pytest.approx(0.0, abs=1e-10)
    other = nst.gram_matrix(features * 2.0)  # Gram scales with the square: loss = mean((G - 4G)^2)
    np.testing.assert_allclose(nst.get_style_loss(features, other).numpy(),
                               np.mean((3 * target.numpy()) ** 2), rtol=1e-5)


def test_compute_loss_weights_each_part(model):
    rng = np.random.default_rng(2)
    image = rng.uniform(0, 255, size=(1, 48, 64, 3)).astype(np.float32)
    style_features, content_features = nst.get_feature_representations(
        model, image, image[:, ::-1])
    grams = [nst.gram_matrix(f) for f in style_features]
    init_image = tf.Variable(nst.load_and_process_img(image[:, :, ::-1]))

    total1, style1, content1 = nst.compute_loss(model, (1.0, 1.0), init_image, grams, content_features)
    total2, style2, content2 = nst.compute_loss(model, (1e-2, 1e3), init_image, grams, content_features)
    assert style1 > 0 and content1 > 0
    np.testing.assert_allclose(total1, style1 + content1, rtol=1e-6)
    np.testing.assert_allclose(style2, 1e-2 * style1, rtol=1e-5)
    np.testing.assert_allclose(content2, 1e3 * content1, rtol=1e-5)

    # The content image itself has zero content loss.
    own = tf.Variable(nst.load_and_process_img(image))
    _, _, content_own = nst.compute_loss(model, (1.0, 1.0), own, grams, content_features)
    assert content_own.numpy() == pytest.approx(0.0, abs=1e-3)


def test_compute_grads_gradient_has_image_shape_and_lowers_loss(model):
    image = nst.load_img(MEDIA / "crab.jpg", 64)
    style = nst.load_img(MEDIA / "great_wave.jpg", 64)
    style_features, content_features = nst.get_feature_representations(model, image, style)
    cfg = nst.LossConfig(model=model, loss_weights=(1e-2, 1e3),
                         init_image=tf.Variable(nst.load_and_process_img(image)),
                         gram_style_features=[nst.gram_matrix(f) for f in style_features],
                         content_features=content_features)
    grads, (loss, _, _) = nst.compute_grads(cfg)
    assert grads.shape == cfg.init_image.shape
    cfg.init_image.assign_sub(1e-3 * grads / tf.reduce_max(tf.abs(grads)) * 100)
    _, (loss_after, _, _) = nst.compute_grads(cfg)
    assert loss_after < loss
