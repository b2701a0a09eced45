"""Self-checks for the notebooks: the learners' exercises, and the functions notebooks write out.

Each ``check_*`` function prints whether the learner's answer is right, with a hint when it is
not, and returns a ``CheckResult`` (truthy when right, invisible in a notebook). An unanswered
exercise (``None`` or ``...``, or a function that raises ``NotImplementedError``) gets a
reminder, never an error, so a notebook still runs top to bottom before anyone has tried the
exercises. A wrongly typed answer (a number where a tuple is expected, a string, a list of the
wrong length, a NaN) is never an error either: the check says what it expected.
"""

from __future__ import annotations

import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from nst_plumbing import vgg19
from nst_plumbing.config import VGG_MEAN_BGR

_VGG_MEAN_BGR = VGG_MEAN_BGR.astype(np.float64)

__all__ = [
    "CheckResult", "check_resized_shape", "check_preprocess", "check_gram_matrix", "check_paper_style_loss",
    "check_layer_output_shape", "check_clip_bounds", "check_total_variation", "check_instance_norm", "check_channel_statistics",
    "check_choice", "Question", "QUESTIONS", "check_same_contract",
]


class CheckResult:
    """Whether an answer was right. Truthy when correct; shows nothing in a notebook, because the
    printed message is the feedback (a bare ``True``/``False`` under it would only confuse)."""

    def __init__(self, correct: bool):
        self.correct = bool(correct)

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return f"CheckResult(correct={self.correct})"

    def _ipython_display_(self) -> None:
        pass


def _unanswered(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def _report(correct: bool, right: str, wrong: str) -> CheckResult:
    print(("Correct! " + right) if correct else ("Not yet. " + wrong))
    return CheckResult(correct)


def _not_answered(what: str) -> CheckResult:
    print(f"Not answered yet: {what}")
    return CheckResult(False)


def _describe(answer: Any) -> str:
    """A short description of a learner's answer, for messages: its type and value."""
    text = " ".join(repr(answer).split())  # one line, even for an array
    return f"{type(answer).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _expected(what: str, answer: Any) -> CheckResult:
    return _report(False, "", f"Expected {what}; got {_describe(answer)}.")


def _integers(answer: Any, length: int) -> tuple[int, ...] | None:
    """``answer`` as a tuple of ``length`` whole numbers, or None if it is not one (a string, a
    single number, the wrong length, NaN, 3.5, True, ...)."""
    if isinstance(answer, (str, bytes, Mapping)) or not hasattr(answer, "__len__"):
        return None
    try:
        items = list(answer)
    except TypeError:  # a 0-d array has __len__ but cannot be iterated
        return None
    if len(items) != length:
        return None
    values = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Real):
            return None
        if not math.isfinite(float(item)) or float(item) != int(item):
            return None
        values.append(int(item))
    return tuple(values)


def _finite_array(answer: Any, size: int | None = None) -> np.ndarray | None:
    """``answer`` as a float64 array of finite numbers (with ``size`` elements, when given), or None."""
    if isinstance(answer, (str, bytes, Mapping)):
        return None
    try:
        array = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if (size is not None and array.size != size) or not np.all(np.isfinite(array)):
        return None
    return array


def _call(fn: Any, not_implemented_hint: str, *args) -> np.ndarray | CheckResult:
    """Calls the learner's function. Returns its result as a float64 array, or the verdict when it
    is not a function, raised, or returned something that is not an array of finite numbers:
    ``NotImplementedError`` means not answered yet; anything else is reported."""
    if not callable(fn):
        return _expected("a function (pass its name, without calling it)", fn)
    try:
        result = fn(*args)
    except NotImplementedError:
        return _not_answered(not_implemented_hint)
    except Exception as error:  # a learner's bug is feedback, not a crash
        print(f"Not yet. Your function raised {type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]}")
        return CheckResult(False)
    array = _finite_array(result)
    if array is None:
        return _expected("your function to return an array (or tensor) of finite numbers", result)
    return array


def _resized(width: int, height: int, max_dim: int) -> tuple[int, int]:
    scale = max_dim / max(width, height)
    return max(1, round(height * scale)), max(1, round(width * scale))


def check_resized_shape(answer: tuple[int, int] | None, original_size: tuple[int, int], max_dim: int, *,
                        rotated: bool = False) -> CheckResult:
    """Notebooks 01 and 06: the ``(height, width)`` that ``load_img(..., max_dim)`` gives an image
    stored as ``original_size = (width, height)`` pixels.

    Args:
        answer: The learner's ``(height, width)``.
        original_size: The pixels as stored in the file, ``(width, height)`` as Pillow reports them.
        max_dim: The longest side after loading.
        rotated: The file's EXIF orientation tag turns it by 90 degrees (a phone held upright), so
            ``load_img`` swaps width and height before resizing.
    """
    if _unanswered(answer):
        return _not_answered("give (height, width) as a tuple of two integers.")
    width, height = original_size
    if rotated:
        width, height = height, width
    expected = _resized(width, height, max_dim)
    got = _integers(answer, 2)
    if got is None:
        return _expected("(height, width), a tuple of two whole numbers such as (120, 300)", answer)
    if rotated and got == _resized(height, width, max_dim):
        return _report(False, "", "That is the size of the pixels as stored. load_img first applies the EXIF "
                                  "orientation tag (notebook 02), which turns the photo upright: width and height swap.")
    return _report(got == expected, f"The image becomes {expected[0]} x {expected[1]} pixels (height x width).",
                   "Scale both sides by max_dim / (longest side), round, and give (height, width): "
                   "NumPy and TensorFlow put the height first.")


def check_preprocess(fn: Callable[[np.ndarray], np.ndarray] | None) -> CheckResult:
    """Notebook 02: ``fn(rgb_batch)`` must equal ``keras.applications.vgg19.preprocess_input``."""
    if _unanswered(fn):
        return _not_answered("write my_preprocess(rgb) and pass the function itself.")
    rng = np.random.default_rng(0)
    rgb = rng.uniform(0, 255, size=(1, 4, 5, 3)).astype(np.float32)
    got = _call(fn, "my_preprocess still raises NotImplementedError.", rgb.copy())
    if isinstance(got, CheckResult):
        return got
    expected = rgb[..., ::-1] - _VGG_MEAN_BGR
    if got.shape != expected.shape:
        return _report(False, "", f"Your function returns shape {got.shape}; expected {expected.shape}.")
    if np.allclose(got, rgb - _VGG_MEAN_BGR, atol=1e-3):
        return _report(False, "", "The means are right, but VGG19 expects the channels in BGR order: "
                                  "reverse the last axis first.")
    return _report(bool(np.allclose(got, expected, atol=1e-3)),
                   "Your preprocessing matches Keras's VGG19 preprocess_input.",
                   "Reverse the channels (RGB to BGR), then subtract the means [103.939, 116.779, 123.68].")


def check_gram_matrix(fn: Callable | None) -> CheckResult:
    """Notebook 03: ``fn(features)`` for features of shape ``(h, w, c)`` returns ``F^T F / (h w)``."""
    if _unanswered(fn):
        return _not_answered("write your own Gram matrix function and pass it.")
    rng = np.random.default_rng(1)
    features = rng.normal(size=(3, 5, 4)).astype(np.float32)
    got = _call(fn, "your function still raises NotImplementedError.", features)
    if isinstance(got, CheckResult):
        return got
    flat = features.reshape(-1, 4).astype(np.float64)
    expected = flat.T @ flat / flat.shape[0]
    if got.shape != expected.shape:
        return _report(False, "", f"A Gram matrix is channels x channels, here (4, 4); you returned {got.shape}.")
    if np.allclose(got, expected * flat.shape[0], rtol=1e-4):
        return _report(False, "", "Almost: divide by the number of positions, height * width (here 15).")
    return _report(bool(np.allclose(got, expected, rtol=1e-4, atol=1e-5)),
                   "Your Gram matrix matches nst_helpers.gram_matrix.",
                   "Flatten to (positions, channels), multiply its transpose by it, divide by positions.")


def check_paper_style_loss(fn: Callable | None) -> CheckResult:
    """Notebook 03: the paper's per-layer style loss ``sum((G - A)^2) / (4 N^2 M^2)`` with
    unnormalised Gram matrices, for ``fn(generated, style)`` feature maps ``(h, w, c)``."""
    if _unanswered(fn):
        return _not_answered("write style_loss_paper(generated, style) and pass it.")
    rng = np.random.default_rng(2)
    generated = rng.normal(size=(4, 6, 3)).astype(np.float32)
    style = rng.normal(size=(4, 6, 3)).astype(np.float32)
    got = _call(fn, "your function still raises NotImplementedError.", generated, style)
    if isinstance(got, CheckResult):
        return got
    f, a = generated.reshape(-1, 3).astype(np.float64), style.reshape(-1, 3).astype(np.float64)
    n, m = 3, f.shape[0]
    expected = np.sum((f.T @ f - a.T @ a) ** 2) / (4 * n**2 * m**2)
    if got.size != 1:
        return _report(False, "", f"Return one number (the loss of the layer); yours has shape {got.shape}.")
    return _report(bool(np.isclose(got.item(), expected, rtol=1e-4)),
                   f"E = {expected:.5f}, as in Gatys et al., equation 4.",
                   "Use unnormalised Gram matrices G = F^T F, sum the squared differences, and divide by "
                   "4 N^2 M^2 with N = channels and M = height * width. Return one number.")


def check_layer_output_shape(layer_name: str, input_hw: tuple[int, int], answer: tuple | None) -> CheckResult:
    """Notebook 04: VGG19's output shape ``(1, h, w, channels)`` at ``layer_name`` for an input
    of ``input_hw`` pixels (every 'same' 3x3 conv keeps the size; each pool halves it)."""
    if _unanswered(answer):
        return _not_answered(f"give the output shape of {layer_name} as (1, height, width, channels).")
    block, _ = vgg19.layer_position(layer_name)
    pools = vgg19.pools_before(layer_name)
    expected = (1, input_hw[0] // 2**pools, input_hw[1] // 2**pools, vgg19.layer_channels(layer_name))
    got = _integers(answer, 4)
    if got is None:
        return _expected("(1, height, width, channels), a tuple of four whole numbers", answer)
    return _report(got == expected, f"{layer_name} gives {expected}.",
                   f"Count the max-pooling layers before block {block} (each halves height and width, "
                   f"rounding down) and look up how many filters block {block} has.")


def check_clip_bounds(min_vals: Any, max_vals: Any) -> CheckResult:
    """Notebook 05: the per-channel (BGR) bounds that keep a preprocessed image a real image."""
    if _unanswered(min_vals) or _unanswered(max_vals):
        return _not_answered("compute min_vals and max_vals, one value per BGR channel.")
    means = _VGG_MEAN_BGR
    got_min, got_max = _finite_array(min_vals, size=3), _finite_array(max_vals, size=3)
    for name, given, got in (("min_vals", min_vals, got_min), ("max_vals", max_vals, got_max)):
        if got is None:
            return _expected(f"{name} as three finite numbers, one per BGR channel", given)
    got_min, got_max = got_min.reshape(3), got_max.reshape(3)
    if np.allclose(got_min, -means[::-1]) and np.allclose(got_max, 255 - means[::-1]):
        return _report(False, "", "These are in RGB order; the preprocessed image is BGR: reverse them.")
    ok = np.allclose(got_min, -means) and np.allclose(got_max, 255 - means)
    return _report(bool(ok), "Pixels 0..255 become -mean .. 255 - mean after preprocessing.",
                   "A pixel value p becomes p - mean; apply that to p = 0 and p = 255 for each BGR channel.")


def check_total_variation(fn: Callable | None) -> CheckResult:
    """Notebook 07: ``fn(image)`` for an image ``(h, w, 3)`` returns the total variation per pixel:
    the absolute differences to the right and below, summed over positions and channels,
    divided by ``h * w`` (``nst_helpers.total_variation_loss``)."""
    if _unanswered(fn):
        return _not_answered("write my_total_variation(image) and pass the function itself.")
    rng = np.random.default_rng(3)
    image = rng.uniform(0, 255, size=(5, 7, 3)).astype(np.float32)
    got = _call(fn, "my_total_variation still raises NotImplementedError.", image)
    if isinstance(got, CheckResult):
        return got
    summed = np.abs(np.diff(image, axis=0)).sum() + np.abs(np.diff(image, axis=1)).sum()
    expected = summed / (5 * 7)
    if got.shape != ():
        return _report(False, "", f"Return one number; your function returned an array of shape {got.shape}.")
    if np.isclose(got, summed, rtol=1e-4):
        return _report(False, "", "Almost: divide the sum by the number of pixels, height * width (here 35).")
    if np.isclose(got, summed / image.size, rtol=1e-4):
        return _report(False, "", "Divide by the number of pixels (height * width = 35), not by every value "
                                  "(height * width * channels = 105).")
    return _report(bool(np.isclose(got, expected, rtol=1e-4)), f"{expected:.3f}, as nst.total_variation_loss gives.",
                   "Sum |image[1:] - image[:-1]| (down) and |image[:, 1:] - image[:, :-1]| (right) over everything, "
                   "then divide by height * width.")


def check_channel_statistics(fn: Callable | None) -> CheckResult:
    """Notebook 08: ``fn(style_rgb, content_rgb)`` returns the style image with each colour
    channel's mean and standard deviation moved to the content's (a simpler colour transfer
    than ``nst_extended.controls.match_color_histogram``, which matches the whole covariance)."""
    if _unanswered(fn):
        return _not_answered("write my_channel_transfer(style_rgb, content_rgb) and pass the function itself.")
    rng = np.random.default_rng(8)
    style = rng.uniform(60, 140, size=(12, 10, 3)) * np.array([1.0, 0.8, 0.6])  # dull, each channel its own spread
    content = rng.uniform(40, 220, size=(9, 14, 3))  # another size: only the statistics count
    got = _call(fn, "my_channel_transfer still raises NotImplementedError.", style.copy(), content.copy())
    if isinstance(got, CheckResult):
        return got
    if got.shape != style.shape:
        return _report(False, "", f"Return an image of the style's shape {style.shape}; got shape {got.shape}.")
    means_right = np.allclose(got.mean(axis=(0, 1)), content.mean(axis=(0, 1)), atol=0.5)
    spreads_right = np.allclose(got.std(axis=(0, 1)), content.std(axis=(0, 1)), rtol=0.02)
    pattern_kept = min(np.corrcoef(got[..., c].ravel(), style[..., c].ravel())[0, 1] for c in range(3)) > 0.99
    if not pattern_kept:
        return _report(False, "", "The result must still be the style image, only recoloured: transform each "
                                  "style pixel (x - style mean) * ... + ..., do not replace it.")
    if means_right and not spreads_right:
        return _report(False, "", "The means are right; now the spread: multiply (x - style mean) by "
                                  "content std / style std, per channel (axis=(0, 1)).")
    if spreads_right and not means_right:
        return _report(False, "", "The spread is right; add the content's mean per channel at the end.")
    return _report(bool(means_right and spreads_right),
                   "Each channel now has the content's mean and spread, and the style's pattern.",
                   "Per channel (statistics over axis=(0, 1)): (x - style mean) / style std * content std + content mean.")


def check_instance_norm(fn: Callable | None) -> CheckResult:
    """Notebook 09: ``fn(x)`` for a batch of feature maps ``(batch, h, w, channels)`` normalises each
    image's channels over its own positions, ``(x - mean) / sqrt(variance + 1e-5)`` (the network's
    ``InstanceNormalization`` before its scale and offset)."""
    if _unanswered(fn):
        return _not_answered("write my_instance_norm(x) and pass the function itself.")
    rng = np.random.default_rng(9)
    x = (rng.normal(size=(2, 5, 6, 3)) * [1.0, 4.0, 0.5] + [0.0, 10.0, -3.0]).astype(np.float32)
    x[1] *= 3.0  # the second image has its own statistics
    got = _call(fn, "my_instance_norm still raises NotImplementedError.", x)
    if isinstance(got, CheckResult):
        return got
    if got.shape != x.shape:
        return _report(False, "", f"Return an array of the input's shape {x.shape}; yours has shape {got.shape}.")

    def normalised(axes: tuple[int, ...], epsilon: float = 1e-5) -> np.ndarray:
        mean, variance = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        return (x - mean) / np.sqrt(variance + epsilon)

    if np.allclose(got, normalised((0, 1, 2)), atol=1e-4):
        return _report(False, "", "That is batch normalisation: the statistics mix the two images. Take the mean "
                                  "and variance over each image's own positions, axis=(1, 2).")
    if np.allclose(got, normalised((1, 2, 3)), atol=1e-4):
        return _report(False, "", "Each channel needs its own statistics: average over the positions only, "
                                  "axis=(1, 2), not over the channels too.")
    return _report(bool(np.allclose(got, normalised((1, 2)), atol=1e-4)),
                   "Each image's channels now have mean 0 and variance 1 over its positions, whatever the other "
                   "images in the batch hold.",
                   "Over axis=(1, 2) with keepdims=True: (x - mean) / np.sqrt(variance + 1e-5).")


@dataclass(frozen=True)
class Question:
    """A multiple-choice question.

    Attributes:
        text: The question.
        options: Letter -> option.
        answer: The right letter.
        explanation: Why it is right, shown with a right answer.
        hints: Wrong letter -> a hint about what is wrong with that option; every wrong option has one.
    """

    text: str
    options: Mapping[str, str]
    answer: str
    explanation: str
    hints: Mapping[str, str]

    def __post_init__(self) -> None:
        wrong = set(self.options) - {self.answer}
        if self.answer not in self.options or set(self.hints) != wrong:
            raise ValueError(f"question {self.text!r}: the answer must be an option and every wrong option "
                             f"({sorted(wrong)}) needs exactly one hint; hints given for {sorted(self.hints)}")


QUESTIONS: dict[str, Question] = {
    "fast-new-style": Question(
        "You have the Great Wave network and want the crab in Kandinsky's Composition VIII in one pass. What do "
        "you need?",
        {"a": "Pass the Kandinsky painting to the Great Wave network together with the photo.",
         "b": "A new network, trained on Composition VIII: the style is in the weights, and the network never sees a "
              "style image.",
         "c": "Only a larger style weight when painting."},
        "b",
        "The network's only input is the photo; the Gram matrices of one painting shaped its weights during training. "
        "Another style means another training (arbitrary-style networks, such as AdaIN's, take the style as an input).",
        {"a": "Look at the network's call: how many images does it take?",
         "c": "When the network paints, no loss is computed at all. Where could a style weight act?"}),
    "fast-held-out": Question(
        "Why is each network judged on the crab and the castle?",
        {"a": "They are the largest photos in media/.",
         "b": "Optimisation works only on those two.",
         "c": "They were kept out of training: a loss on photos the network never saw shows what it learned about "
              "photos in general, not what it remembers of eight."},
        "c",
        "With eight training photos a network could fit them closely and fail elsewhere; held-out photos measure what "
        "generalises.",
        {"a": "Size does not decide it: the comparison resizes every photo to the same longest side.",
         "b": "Optimisation paints any photo. What is special about these two for the network?"}),
    "content-layer": Question(
        "Why is the content taken from a deep layer (block5_conv2) rather than block1_conv1?",
        {"a": "Deep layers are faster to compute.",
         "b": "Deep layers keep the arrangement of objects but not the exact pixels, so the style can change the textures.",
         "c": "block1_conv1 has too few channels to compute a loss."},
        "b",
        "Early layers nearly reproduce the pixels; matching them would leave no room for the style.",
        {"a": "Speed is not it: to reach block5_conv2 the network computes every layer before it, so a deep layer "
              "costs more, not less. Think about what a deep layer's maps record, compared with the photo's pixels.",
         "c": "Any number of channels gives a loss (block1_conv1 has 64). Look at block1_conv1's maps in the "
              "figure above: they are almost the photo. What would matching them leave for the style?"}),
    "best-image": Question(
        "The loop keeps the image with the lowest loss. Whose loss is computed in iteration i?",
        {"a": "The image before iteration i's update.",
         "b": "The image after iteration i's update.",
         "c": "The content image."},
        "a",
        "The tape computes the loss of the current image, then Adam updates it: keep the image from before the update.",
        {"b": "Follow the order in the loop: compute_grads measures the loss first, and only then does "
              "apply_gradients change the image. After the update the image is no longer the one that was measured.",
         "c": "The content image is only where the loop starts; from the first update on, the image being "
              "optimised differs from it, and compute_loss measures that image."}),
    "lbfgs-bounds": Question(
        "The Adam loop clips the image after every step. Why does the L-BFGS run need no clipping?",
        {"a": "SciPy's L-BFGS-B clips the image after each step, as the Adam loop does.",
         "b": "L-BFGS-B is given the valid pixel range as bounds and never evaluates an image outside them.",
         "c": "Its steps are too small to leave the valid range."},
        "b",
        "The 'B' in L-BFGS-B is for bounds: it chooses every step inside the box of valid pixel values, so every "
        "image it evaluates is a real picture.",
        {"a": "Look at the written-out lbfgs_style_transfer: nothing clips there. What do the lower and upper "
              "arrays passed to scipy.optimize.minimize do?",
         "c": "L-BFGS's steps are not small: its line search tries the whole quasi-Newton step first, and its very "
              "first step overshoots (the spike in the curves). Something else keeps the pixels in range."}),
    "weight-ratio": Question(
        "You multiply both content_weight and style_weight by 10. What happens to the result?",
        {"a": "The style becomes ten times stronger.",
         "b": "Almost nothing: the balance is set by the ratio, and Adam's steps hardly depend on the overall "
              "scale of the loss.",
         "c": "The optimisation diverges."},
        "b",
        "Adam divides each step by a running estimate of the gradient's size, so scaling the whole loss hardly "
        "changes the steps; only the ratio changes their direction.",
        {"a": "Both weights grow by the same factor, so neither term gains on the other: their ratio, the "
              "balance between content and style, α/β, stays 10^5.",
         "c": "Adam's steps are about learning_rate in size whatever the size of the gradient (it divides by a "
              "running estimate of it), so a ten times larger loss does not make the steps larger."}),
    "gram-where": Question(
        "The castle painted as Kandinsky's Composition VIII has the painting's colours, thin dark lines and small "
        "rings scattered all over it, but not its composition: no large circle in the top left. Why?",
        {"a": "200 iterations are too few: with more, the painting's layout would appear.",
         "b": "The style loss compares Gram matrices, which sum over all positions: they ask for features to "
              "occur together in the right amounts, not for any shape at any place, so nothing asks for the "
              "painting's layout.",
         "c": "VGG19 has no features that respond to circles."},
        "b",
        "A Gram matrix forgets where features are (notebook 03 shuffled positions and it did not change), so the "
        "painting's local statistics (colours, lines, small rings) transfer, but its arrangement does not.",
        {"a": "More iterations lower the same loss further; they cannot produce what the loss does not ask for. "
              "What does the Gram matrix keep of the painting, and what does it sum away?",
         "c": "VGG19 was trained to recognise wheels, balls and clocks, and the result does have small rings. The "
              "question is what the style loss keeps of where its features respond."}),
    "luminance-or-histogram": Question(
        "With preserve_colors='luminance' every pixel keeps the photo's colour; with 'histogram' the result only "
        "has the photo's palette, and colours can move. Why the difference?",
        {"a": "Histogram matching is approximate: it matches only the mean and the covariance of the colours.",
         "b": "Luminance-only transfer never lets the optimisation change colour: it works on grey images and puts "
              "each pixel's own Cb and Cr back. Histogram matching only recolours the style image, so the "
              "optimisation still places colours, from the photo's palette, where the style asks.",
         "c": "The luminance method runs more iterations."},
        "b",
        "keep_colors takes Cb and Cr pixel by pixel from the photo, after an optimisation that saw only brightness; "
        "histogram matching changes the target's colours, not where the optimisation puts them.",
        {"a": "Even an exact match of the whole colour histogram would give the style the photo's colours as a "
              "collection, not pixel by pixel. Ask which method decides each pixel's colour, and when.",
         "c": "Both use the same number of evaluations here (paint gives every run the same). The difference is "
              "in what the optimisation is allowed to change."}),
    "style-scale": Question(
        "You paint with style_scale=2 instead of 1. What happens to the brush strokes?",
        {"a": "They come out smaller: a larger style image has more, finer detail.",
         "b": "Nothing: Gram matrices average over all positions, so the style image's size cannot matter.",
         "c": "They come out larger: each stroke of the painting covers twice as many pixels, and VGG19's "
              "features, fixed in size in pixels, record the strokes at that size."},
        "c",
        "The Gram matrices describe patterns as many pixels wide as the style image shows them; the result "
        "reproduces patterns of that pixel size, so a larger style image means larger strokes.",
        {"a": "The painting has the same detail at any size; enlarging it spreads each stroke over more pixels. "
              "Which size in pixels do VGG19's filters see a stroke at?",
         "b": "They average over positions, but each feature responds to a patch of fixed size in pixels. Does a "
              "stroke twice as wide in pixels give the same features?"}),
    "mask-order": Question(
        "A mask is black where the ground is and white where the sky is, and you pass style_path=[None, "
        "'starry_night.jpg']. Where does The Starry Night go?",
        {"a": "In the sky: the regions take the styles in order, darkest first, so black (the ground) gets None "
              "and white (the sky) The Starry Night.",
         "b": "On the ground: the first region gets the first real style.",
         "c": "Everywhere: None is skipped and one style is left."},
        "a",
        "read_regions sorts the mask's grey levels, darkest first: level 0 (black) takes the first entry, None, "
        "and level 255 (white) the second.",
        {"b": "None is an entry too: it takes the darkest region and leaves it without style.",
         "c": "None is not skipped: it belongs to a region, which keeps the photo (only the content loss acts "
              "there)."}),
}


def check_choice(question: str, answer: str | None) -> CheckResult:
    """Multiple choice: ``question`` is a key of ``QUESTIONS``, ``answer`` a letter.

    A wrong letter gets the hint for that option; an answer that is not a letter gets the options.

    Raises:
        ValueError: ``question`` is not a key of ``QUESTIONS`` (a mistake in the notebook, not the learner's).
    """
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}; expected one of {', '.join(QUESTIONS)}")
    q = QUESTIONS[question]
    choices = "; ".join(f"{k}) {v}" for k, v in q.options.items())
    if _unanswered(answer):
        return _not_answered(f"{q.text} Options: {choices}")
    letter = answer.strip().lower() if isinstance(answer, str) else None
    if letter not in q.options:
        return _report(False, "", f"Answer with one of {', '.join(repr(k) for k in q.options)}, as a string "
                                  f"(got {_describe(answer)}). {q.text} Options: {choices}")
    return _report(letter == q.answer, q.explanation, f"Option {letter}: {q.hints.get(letter, '')}")


def _return_type(fn: Callable) -> Any:
    """The return annotation of ``fn``, evaluated if it is a string (``from __future__ import
    annotations``); ``None`` when there is none."""
    annotation = inspect.signature(fn).return_annotation
    if annotation is inspect.Signature.empty:
        return None
    if isinstance(annotation, str):
        annotation = eval(annotation, getattr(fn, "__globals__", {}))  # our own modules' annotations
    return annotation


def check_same_contract(mine: Callable, reference: Callable) -> None:
    """Checks that a function a notebook writes out can stand in for the module's version.

    The notebook's function must take the same positional parameters in the same order, only
    keyword-only parameters that the reference also has, every one with the same default, and
    declare the same return type. The reference may have extra keyword-only options.

    Raises:
        AssertionError: Naming the first difference.
    """
    name = getattr(reference, "__name__", "the reference")
    ours, theirs = inspect.signature(mine).parameters, inspect.signature(reference).parameters
    positional = [p.name for p in ours.values() if p.kind != inspect.Parameter.KEYWORD_ONLY]
    reference_positional = [p.name for p in theirs.values() if p.kind != inspect.Parameter.KEYWORD_ONLY]
    assert positional == reference_positional, \
        f"positional parameters {positional} differ from nst.{name}'s {reference_positional}"
    for parameter in ours.values():
        other = theirs.get(parameter.name)
        assert other is not None, f"parameter {parameter.name!r} is not one of nst.{name}'s"
        assert parameter.kind == other.kind, f"parameter {parameter.name!r} is {parameter.kind}, not {other.kind}"
        assert parameter.default == other.default, \
            f"parameter {parameter.name!r} defaults to {parameter.default!r}, nst.{name}'s to {other.default!r}"
    assert _return_type(mine) == _return_type(reference), \
        f"declares the return type {_return_type(mine)}, nst.{name} declares {_return_type(reference)}"
    extra = [p for p in theirs if p not in ours]
    print(f"{getattr(mine, '__name__', 'yours')} has the signature and return type of nst.{name}"
          + (f" (which also takes {', '.join(extra)})" if extra else ""))
