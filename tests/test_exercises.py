"""The exercise checkers accept right answers, reject wrong ones with a hint, and never raise
on an unanswered exercise."""

import numpy as np
import pytest
import tensorflow as tf

import nst_helpers as nst
from nst_plumbing import exercises as ex


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
    q = ex.QUESTIONS[question]
    assert ex.check_choice(question, f" {q.answer.upper()} ")
    assert q.explanation in capsys.readouterr().out
    assert not ex.check_choice(question, "z")
    assert "Answer with one of" in capsys.readouterr().out


@pytest.mark.parametrize("question", sorted(ex.QUESTIONS))
def test_each_wrong_option_gets_its_own_hint(question, capsys):
    q = ex.QUESTIONS[question]
    wrong = [letter for letter in q.options if letter != q.answer]
    assert wrong and set(q.hints) == set(wrong)
    shown = {}
    for letter in wrong:
        assert not ex.check_choice(question, letter)
        shown[letter] = capsys.readouterr().out
        assert q.hints[letter] in shown[letter]
        assert q.text not in shown[letter], "a hint, not the question again"
    assert len(set(shown.values())) == len(wrong), "each wrong option has a hint of its own"


def test_a_question_without_a_hint_for_a_wrong_option_is_refused():
    with pytest.raises(ValueError, match="needs exactly one hint"):
        ex.Question("?", {"a": "yes", "b": "no", "c": "maybe"}, "a", "because", {"b": "no"})


def test_unknown_question_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown question 'nope'; expected one of"):
        ex.check_choice("nope", "a")


def test_no_question_is_asked_twice_in_the_series():
    import json
    import re
    from collections import Counter
    from pathlib import Path

    asked = Counter()
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        sources = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        asked.update(re.findall(r'check_choice\(\s*"([^"]+)"', sources))
    assert asked, "the series asks multiple-choice questions"
    assert [q for q, n in asked.items() if n > 1] == []
    assert set(asked) <= set(ex.QUESTIONS)


WRONGLY_TYPED = [5, 2.5, "169, 300", "abc", [1], [1, 2, 3, 4, 5], (float("nan"), 300), (True, False), [[1, 2]],
                 {"height": 1}, np.float64("nan"), np.zeros((2, 2)), object(), b"ab"]


@pytest.mark.parametrize("answer", WRONGLY_TYPED, ids=repr)
def test_a_wrongly_typed_answer_is_explained_not_raised(answer, capsys):
    assert not ex.check_resized_shape(answer, (1024, 576), 300)
    assert not ex.check_resized_shape(answer, (4032, 3024), 256, rotated=True)
    assert not ex.check_layer_output_shape("block4_conv1", (256, 384), answer)
    assert not ex.check_clip_bounds(answer, answer)
    assert not ex.check_clip_bounds(-nst.VGG_MEAN_BGR, answer)
    assert not ex.check_choice("best-image", answer)
    assert not ex.check_preprocess(answer)
    assert not ex.check_gram_matrix(answer)
    assert not ex.check_paper_style_loss(answer)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 9
    assert all(line.startswith("Not yet.") and ("Expected" in line or "Answer with one of" in line) for line in out), out


def test_what_a_wrongly_typed_answer_gets_told(capsys):
    ex.check_resized_shape(169, (1024, 576), 300)
    ex.check_layer_output_shape("block4_conv1", (256, 384), (32, 48, 512))
    ex.check_clip_bounds([0, 0, float("nan")], [255, 255, 255])
    ex.check_choice("weight-ratio", 2)
    ex.check_gram_matrix(nst.gram_matrix(np.ones((2, 2, 3), np.float32)))  # called it instead of passing it
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Not yet. Expected (height, width), a tuple of two whole numbers such as (120, 300); got int 169."
    assert out[1].startswith("Not yet. Expected (1, height, width, channels), a tuple of four whole numbers; got tuple")
    assert out[2] == ("Not yet. Expected min_vals as three finite numbers, one per BGR channel; "
                      "got list [0, 0, nan].")
    assert out[3].startswith("Not yet. Answer with one of 'a', 'b', 'c', as a string (got int 2).")
    assert out[4].startswith("Not yet. Expected a function (pass its name, without calling it); got EagerTensor")


@pytest.mark.parametrize("returned", ["x", None, np.full((4, 4), np.nan), [[1, 2], [3]]], ids=repr)
def test_a_function_returning_a_wrong_type_is_explained(returned, capsys):
    assert not ex.check_gram_matrix(lambda features: returned)
    assert capsys.readouterr().out.startswith(
        "Not yet. Expected your function to return an array (or tensor) of finite numbers; got ")


def test_resized_shape_of_a_rotated_phone_photo(capsys):
    assert ex.check_resized_shape((256, 192), (4032, 3024), 256, rotated=True)
    assert not ex.check_resized_shape((192, 256), (4032, 3024), 256, rotated=True)
    assert "EXIF orientation" in capsys.readouterr().out.splitlines()[-1]


def test_clip_bounds_in_rgb_order_get_their_own_hint(capsys):
    assert not ex.check_clip_bounds(-nst.VGG_MEAN_BGR[::-1], 255 - nst.VGG_MEAN_BGR[::-1])
    assert "RGB order" in capsys.readouterr().out
    # the preprocessed black pixel as preprocess_input returns it, batch axes and all
    assert ex.check_clip_bounds(-nst.VGG_MEAN_BGR.reshape(1, 1, 1, 3), (255 - nst.VGG_MEAN_BGR).tolist())


def test_check_result_is_truthy_and_silent_in_a_notebook():
    right, wrong = ex.check_clip_bounds(-nst.VGG_MEAN_BGR, 255 - nst.VGG_MEAN_BGR), ex.check_clip_bounds(None, None)
    assert bool(right) is True and bool(wrong) is False
    from IPython.core.formatters import DisplayFormatter

    # IPython shows nothing for it (no data, no metadata): the printed line is the feedback.
    assert DisplayFormatter().format(right) == ({}, {}) and DisplayFormatter().format(wrong) == ({}, {})
    assert DisplayFormatter().format(True) != ({}, {})  # where a plain bool would show as text
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


def test_check_instance_norm_accepts_the_network_s_own_layer_and_names_the_usual_mistakes(capsys):
    from nst_extended.transform_net import NetSpec, build_transform_net

    net = build_transform_net(NetSpec(width=4, residual_blocks=1))
    layer = type(net.down[0].norm)()  # a new InstanceNormalization of the network's: scale 1, offset 0
    assert ex.check_instance_norm(lambda x: np.asarray(layer(x)))

    def over(axes):
        return lambda x: (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)

    capsys.readouterr()
    assert not ex.check_instance_norm(over((0, 1, 2)))
    assert "batch normalisation" in capsys.readouterr().out
    assert not ex.check_instance_norm(over((1, 2, 3)))
    assert "own statistics" in capsys.readouterr().out
    assert not ex.check_instance_norm(lambda x: x[0])
    assert not ex.check_instance_norm(None)
