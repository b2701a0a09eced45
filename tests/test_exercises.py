"""The exercise checkers accept right answers, reject wrong ones with a hint, and never raise
on an unanswered exercise."""

import numpy as np
import pytest
import tensorflow as tf

import nst_exercises as ex
import nst_helpers as nst


def not_implemented(*args):
    raise NotImplementedError


def test_unanswered_exercises_remind_and_do_not_raise(capsys):
    assert not ex.check_resized_shape(None, (1024, 576), 300)
    assert not ex.check_preprocess(not_implemented)
    assert not ex.check_gram_matrix(None)
    assert not ex.check_paper_style_loss(not_implemented)
    assert not ex.check_layer_output_shape("block4_conv1", (256, 384), ...)
    assert not ex.check_clip_bounds(None, None)
    assert not ex.check_choice("best-image", None)
    assert capsys.readouterr().out.count("Not answered yet") == 7


def test_resized_shape():
    assert ex.check_resized_shape((169, 300), (1024, 576), 300)
    assert not ex.check_resized_shape((300, 169), (1024, 576), 300)


def test_preprocess():
    assert ex.check_preprocess(lambda x: tf.keras.applications.vgg19.preprocess_input(x.copy()))
    assert not ex.check_preprocess(lambda x: x - nst.VGG_MEAN_BGR)  # forgot BGR


def test_gram_matrix():
    assert ex.check_gram_matrix(nst.gram_matrix)
    assert not ex.check_gram_matrix(lambda f: nst.gram_matrix(f) * 15)  # forgot to divide


def test_paper_style_loss():
    def paper(generated, style):
        n = generated.shape[-1]
        m = generated.shape[0] * generated.shape[1]
        g, a = (tf.reshape(x, (-1, n)) for x in (generated, style))
        diff = tf.matmul(g, g, transpose_a=True) - tf.matmul(a, a, transpose_a=True)
        return tf.reduce_sum(diff ** 2) / (4.0 * n**2 * m**2)

    assert ex.check_paper_style_loss(paper)
    # The article's normalisation is not the paper's.
    assert not ex.check_paper_style_loss(lambda g, s: nst.get_style_loss(g, nst.gram_matrix(s)))


def test_a_learners_bug_is_reported_not_raised(capsys):
    assert not ex.check_paper_style_loss(nst.get_style_loss)  # wrong arguments: shapes clash
    assert not ex.check_gram_matrix(lambda f: 1 / 0)
    out = capsys.readouterr().out
    assert "Your function raised InvalidArgumentError" in out and "ZeroDivisionError" in out


@pytest.mark.parametrize("layer,size", [("block4_conv1", (256, 384)), ("block5_conv2", (100, 70)),
                                        ("block1_conv2", (25, 11))])
def test_layer_output_shape(vgg19, layer, size):
    truncated = tf.keras.Model(vgg19.input, vgg19.get_layer(layer).output)
    expected = tuple(truncated(np.zeros((1, *size, 3), dtype=np.float32)).shape)
    assert ex.check_layer_output_shape(layer, size, expected)
    assert not ex.check_layer_output_shape(layer, size, (1, size[0] // 2, size[1] // 2, expected[-1]))


def test_clip_bounds():
    assert ex.check_clip_bounds(-nst.VGG_MEAN_BGR, 255 - nst.VGG_MEAN_BGR)
    assert not ex.check_clip_bounds(np.zeros(3), np.full(3, 255.0))


@pytest.mark.parametrize("question", sorted(ex.QUESTIONS))
def test_choices(question, capsys):
    right = ex.QUESTIONS[question][2]
    wrong = next(k for k in ex.QUESTIONS[question][1] if k != right)
    assert ex.check_choice(question, right.upper())
    assert not ex.check_choice(question, wrong)
    assert not ex.check_choice(question, "z")
    assert "Answer with one of" in capsys.readouterr().out


def test_check_result_is_truthy_and_silent_in_a_notebook():
    right, wrong = ex.check_clip_bounds(-nst.VGG_MEAN_BGR, 255 - nst.VGG_MEAN_BGR), ex.check_clip_bounds(None, None)
    assert bool(right) is True and bool(wrong) is False
    assert right._ipython_display_() is None  # IPython shows nothing for it: the printed line is the feedback
    assert repr(wrong) == "CheckResult(correct=False)"


def test_check_total_variation():
    import tensorflow as tf

    def right(image):
        return float(nst.total_variation_loss(tf.constant(image[np.newaxis])))

    def unnormalised(image):
        return right(image) * image.shape[0] * image.shape[1]

    assert ex.check_total_variation(right)
    assert not ex.check_total_variation(unnormalised)
    assert not ex.check_total_variation(lambda image: np.zeros(3))
    assert not ex.check_total_variation(None)
