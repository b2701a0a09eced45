"""Self-checks for the notebooks: the learners' exercises, and the functions notebooks write out.

Each ``check_*`` function prints whether the learner's answer is right, with a hint when it is
not, and returns a ``CheckResult`` (truthy when right, invisible in a notebook). An unanswered
exercise (``None`` or ``...``, or a function that raises ``NotImplementedError``) gets a
reminder, never an error, so a notebook still runs top to bottom before anyone has tried the
exercises.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from nst_config import VGG_MEAN_BGR

_VGG_MEAN_BGR = VGG_MEAN_BGR.astype(np.float64)

__all__ = [
    "CheckResult", "check_resized_shape", "check_preprocess", "check_gram_matrix", "check_paper_style_loss",
    "check_layer_output_shape", "check_clip_bounds", "check_total_variation", "check_choice", "QUESTIONS",
    "check_same_contract",
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


def _call(fn: Callable, not_implemented_hint: str, *args) -> np.ndarray | CheckResult:
    """Calls the learner's function. Returns its result as a float64 array, or the verdict when it
    raised: ``NotImplementedError`` means not answered yet; any other error is reported."""
    try:
        return np.asarray(fn(*args), dtype=np.float64)
    except NotImplementedError:
        return _not_answered(not_implemented_hint)
    except Exception as error:  # a learner's bug is feedback, not a crash
        print(f"Not yet. Your function raised {type(error).__name__}: {str(error).splitlines()[0][:200]}")
        return CheckResult(False)


def check_resized_shape(answer: tuple[int, int] | None, original_size: tuple[int, int], max_dim: int) -> CheckResult:
    """Notebook 01: the ``(height, width)`` an image of ``original_size = (width, height)`` gets
    from ``load_img(..., max_dim)``."""
    if _unanswered(answer):
        return _not_answered("give (height, width) as a tuple of two integers.")
    width, height = original_size
    scale = max_dim / max(width, height)
    expected = (max(1, round(height * scale)), max(1, round(width * scale)))
    return _report(tuple(answer) == expected, f"The image becomes {expected[0]} x {expected[1]} pixels.",
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
    return _report(bool(got.shape == () and np.isclose(got, expected, rtol=1e-4)),
                   f"E = {expected:.5f}, as in Gatys et al., equation 4.",
                   "Use unnormalised Gram matrices G = F^T F, sum the squared differences, and divide by "
                   "4 N^2 M^2 with N = channels and M = height * width. Return one number.")


def check_layer_output_shape(layer_name: str, input_hw: tuple[int, int], answer: tuple | None) -> CheckResult:
    """Notebook 04: VGG19's output shape ``(1, h, w, channels)`` at ``layer_name`` for an input
    of ``input_hw`` pixels (every 'same' 3x3 conv keeps the size; each pool halves it)."""
    if _unanswered(answer):
        return _not_answered(f"give the output shape of {layer_name} as (1, height, width, channels).")
    block, conv = layer_name.replace("block", "").split("_conv")
    pools = int(block) - 1
    channels = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}[int(block)]
    expected = (1, input_hw[0] // 2**pools, input_hw[1] // 2**pools, channels)
    return _report(tuple(answer) == expected, f"{layer_name} gives {expected}.",
                   f"Count the max-pooling layers before block {block} (each halves height and width, "
                   f"rounding down) and look up how many filters block {block} has.")


def check_clip_bounds(min_vals: Any, max_vals: Any) -> CheckResult:
    """Notebook 05: the per-channel (BGR) bounds that keep a preprocessed image a real image."""
    if _unanswered(min_vals) or _unanswered(max_vals):
        return _not_answered("compute min_vals and max_vals, one value per BGR channel.")
    means = _VGG_MEAN_BGR
    got_min, got_max = np.asarray(min_vals, dtype=np.float64), np.asarray(max_vals, dtype=np.float64)
    ok = got_min.shape == (3,) and got_max.shape == (3,) and np.allclose(got_min, -means) and np.allclose(got_max, 255 - means)
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


QUESTIONS = {
    "content-layer": (
        "Why is the content taken from a deep layer (block5_conv2) rather than block1_conv1?",
        {"a": "Deep layers are faster to compute.",
         "b": "Deep layers keep the arrangement of objects but not the exact pixels, so the style can change the textures.",
         "c": "block1_conv1 has too few channels to compute a loss."},
        "b",
        "Early layers nearly reproduce the pixels; matching them would leave no room for the style."),
    "best-image": (
        "The loop keeps the image with the lowest loss. Whose loss is computed in iteration i?",
        {"a": "The image before iteration i's update.",
         "b": "The image after iteration i's update.",
         "c": "The content image."},
        "a",
        "The tape computes the loss of the current image, then Adam updates it: keep the image from before the update."),
    "lbfgs-bounds": (
        "The Adam loop clips the image after every step. Why does the L-BFGS run need no clipping?",
        {"a": "SciPy's L-BFGS-B clips the image after each step, as the Adam loop does.",
         "b": "L-BFGS-B is given the valid pixel range as bounds and never evaluates an image outside them.",
         "c": "Its steps are too small to leave the valid range."},
        "b",
        "The 'B' in L-BFGS-B is for bounds: each step is projected into the box before the loss is computed, so every "
        "image it evaluates is a real picture."),
    "weight-ratio": (
        "You multiply both content_weight and style_weight by 10. What happens to the result?",
        {"a": "The style becomes ten times stronger.",
         "b": "Almost nothing: the balance is set by the ratio, and Adam's steps hardly depend on the overall "
              "scale of the loss.",
         "c": "The optimisation diverges."},
        "b",
        "Adam divides each step by a running estimate of the gradient's size, so scaling the whole loss hardly "
        "changes the steps; only the ratio changes their direction."),
}


def check_choice(question: str, answer: str | None) -> CheckResult:
    """Multiple choice: ``question`` is a key of ``QUESTIONS``, ``answer`` a letter."""
    text, options, right, why = QUESTIONS[question]
    if _unanswered(answer):
        choices = "; ".join(f"{k}) {v}" for k, v in options.items())
        return _not_answered(f"{text} Options: {choices}")
    letter = str(answer).strip().lower()
    if letter not in options:
        return _report(False, "", f"Answer with one of {', '.join(options)}.")
    return _report(letter == right, why, f"Not {letter}. Think again: {text}")


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
