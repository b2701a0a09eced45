"""Control over the result: the photo's colours, several styles, regions and the style's scale.

Part of the extended run, built on the lesson; after Gatys, Ecker, Bethge, Hertzmann and Shechtman, "Controlling
Perceptual Factors in Neural Style Transfer" (CVPR 2017, arXiv 1611.07865), and Gatys et al.,
"Preserving Color in Neural Artistic Style Transfer" (arXiv 1606.05897). Pure NumPy and Pillow
functions that prepare the images before the optimisation and finish the result after it; the
extended run (``nst_extended.run_style_transfer``) calls them, and notebook 08 writes each one
out and checks it against the version here. No TensorFlow; importing it has no side effects.

- Colour: ``match_luminance`` and ``keep_colors`` (luminance-only transfer), and
  ``match_color_histogram`` (the style recoloured to the content's colour statistics).
- Regions: ``read_regions`` turns a mask image into one weight map per style.
- Several styles: ``blend_weights`` checks and normalises the weights of several styles.
- Scale: ``style_side`` is the style image's longest side for a ``style_scale``.

Images are float RGB arrays with values in ``[0, 255]``, of shape ``(height, width, 3)`` or
``(1, height, width, 3)``; each function returns the shape it was given.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np
from PIL import Image

from nst_plumbing.checks import non_negative_float, one_of, positive_float
from nst_plumbing.config import MIN_IMAGE_SIDE, PRESERVE_COLORS
from nst_plumbing.images import ImageSource, read_grey, scaled_size

__all__ = ["rgb_to_ycbcr", "ycbcr_to_rgb", "luminance", "to_grey", "match_luminance", "keep_colors",
           "match_color_histogram", "check_preserve_colors", "blend_weights", "read_regions", "style_side",
           "check_style_scale"]

# ITU-R BT.601 luma and chroma, full range, as in JPEG: Y is the luminance; Cb and Cr, centred on
# 128, are the blue and red differences that carry the colour.
_RGB_TO_YCBCR = np.array([[0.299, 0.587, 0.114],
                          [-0.168736, -0.331264, 0.5],
                          [0.5, -0.418688, -0.081312]])
_YCBCR_TO_RGB = np.linalg.inv(_RGB_TO_YCBCR)
_CHROMA_OFFSET = np.array([0.0, 128.0, 128.0])


def _rgb_array(image: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(image, dtype=np.float64)
    if array.shape[-1:] != (3,) or array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[0] != 1):
        raise ValueError(f"{name} must be an RGB image of shape (height, width, 3) or (1, height, width, 3); "
                         f"got shape {array.shape}")
    return array


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """RGB to YCbCr (BT.601, full range): luminance Y and chroma Cb, Cr, each in ``[0, 255]``.

    Args:
        rgb: RGB values in ``[0, 255]``, shape ``(..., 3)``.

    Returns:
        float64 array of the same shape: Y, Cb, Cr.
    """
    return np.asarray(rgb, dtype=np.float64) @ _RGB_TO_YCBCR.T + _CHROMA_OFFSET


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """The inverse of ``rgb_to_ycbcr``; not clipped, so out-of-range colours stay visible."""
    return (np.asarray(ycbcr, dtype=np.float64) - _CHROMA_OFFSET) @ _YCBCR_TO_RGB.T


def luminance(rgb: np.ndarray) -> np.ndarray:
    """The luminance Y of an RGB image: ``0.299 R + 0.587 G + 0.114 B``, shape ``rgb.shape[:-1]``."""
    return np.asarray(rgb, dtype=np.float64) @ _RGB_TO_YCBCR[0]


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """An RGB image's luminance repeated in all three channels: what VGG19 sees of it in grey."""
    return np.repeat(luminance(_rgb_array(rgb, "rgb"))[..., np.newaxis], 3, axis=-1).astype(np.float32)


def match_luminance(style_rgb: np.ndarray, content_rgb: np.ndarray) -> np.ndarray:
    """The style image as a grey image whose luminance has the content's mean and spread.

    Luminance-only transfer (Gatys et al. 2016, section 2) optimises grey images: the style's
    luminance ``L_S`` becomes ``sigma_C / sigma_S * (L_S - mu_S) + mu_C``, so that its
    brightness and contrast are the photo's, and it is repeated in all three channels for VGG19.

    Args:
        style_rgb: The style image, RGB in ``[0, 255]``.
        content_rgb: The content image, RGB in ``[0, 255]``.

    Returns:
        float32 grey RGB image of ``style_rgb``'s shape, clipped to ``[0, 255]``.

    Raises:
        ValueError: An image is not RGB, or the style image is one flat grey (no spread to match).
    """
    style_y = luminance(_rgb_array(style_rgb, "style_rgb"))
    content_y = luminance(_rgb_array(content_rgb, "content_rgb"))
    if style_y.std() == 0:
        raise ValueError("the style image has a single brightness everywhere; luminance transfer needs some contrast")
    matched = np.clip((style_y - style_y.mean()) * (content_y.std() / style_y.std()) + content_y.mean(), 0, 255)
    return np.repeat(matched[..., np.newaxis], 3, axis=-1).astype(np.float32)


def keep_colors(result_rgb: np.ndarray, content_rgb: np.ndarray) -> np.ndarray:
    """The result's luminance with the content's colour (chroma): luminance-only transfer's last step.

    Args:
        result_rgb: The stylised image (grey or not: only its luminance is used).
        content_rgb: The content image, the same height and width.

    Returns:
        uint8 RGB image: Y from ``result_rgb``, Cb and Cr from ``content_rgb``. Where that
        combination leaves the RGB cube it is clipped, which changes the colour slightly there.

    Raises:
        ValueError: The images are not RGB or differ in size.
    """
    result, content = _rgb_array(result_rgb, "result_rgb"), _rgb_array(content_rgb, "content_rgb")
    if result.shape[-3:-1] != content.shape[-3:-1]:
        raise ValueError(f"result is {result.shape[-2]}x{result.shape[-3]} px but the content is "
                         f"{content.shape[-2]}x{content.shape[-3]} px; they must be the same size")
    ycbcr = rgb_to_ycbcr(content)
    ycbcr[..., 0] = luminance(result)
    return np.clip(np.rint(ycbcr_to_rgb(ycbcr)), 0, 255).astype(np.uint8).reshape(result.shape)


def _symmetric_power(covariance: np.ndarray, power: float) -> np.ndarray:
    """``covariance ** power`` for a symmetric positive semi-definite 3x3 matrix (eigenvalues
    floored at a tiny positive number, so a colourless image does not divide by zero)."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    return (eigenvectors * np.maximum(eigenvalues, 1e-6) ** power) @ eigenvectors.T


def match_color_histogram(style_rgb: np.ndarray, content_rgb: np.ndarray) -> np.ndarray:
    """The style image recoloured so that its colours have the content's mean and covariance.

    Colour histogram matching (Gatys et al. 2016, section 3): every style pixel ``x`` becomes
    ``A (x - mu_S) + mu_C`` with ``A = Sigma_C^(1/2) Sigma_S^(-1/2)``, the symmetric matrix
    square roots of the two 3x3 colour covariances (the "3D colour matching" of Image
    Analogies; a Cholesky factor is the other choice the paper mentions). The transfer then
    uses the recoloured style, so the result takes the photo's palette.

    Args:
        style_rgb: The style image, RGB in ``[0, 255]``.
        content_rgb: The content image, RGB in ``[0, 255]`` (any size).

    Returns:
        float32 RGB image of ``style_rgb``'s shape, clipped to ``[0, 255]``: before clipping,
        each channel's mean and spread (and the covariances between channels) are the content's.

    Raises:
        ValueError: An image is not RGB.
    """
    style = _rgb_array(style_rgb, "style_rgb")
    pixels = style.reshape(-1, 3)
    content = _rgb_array(content_rgb, "content_rgb").reshape(-1, 3)
    style_mean, content_mean = pixels.mean(axis=0), content.mean(axis=0)
    transform = (_symmetric_power(np.cov(content, rowvar=False, bias=True), 0.5)
                 @ _symmetric_power(np.cov(pixels, rowvar=False, bias=True), -0.5))
    recoloured = (pixels - style_mean) @ transform.T + content_mean
    return np.clip(recoloured, 0, 255).reshape(style.shape).astype(np.float32)


def check_preserve_colors(preserve_colors: str | None) -> str | None:
    """Returns ``preserve_colors`` if it is one of ``PRESERVE_COLORS``, else raises ``ValueError``."""
    return one_of("preserve_colors", preserve_colors, PRESERVE_COLORS)


def blend_weights(weights: Sequence[float] | None, styles: Sequence[object]) -> list[float]:
    """Checks the weights of several styles and normalises them to sum to 1.

    Args:
        weights: One number per entry of ``styles``, each finite and at least 0, or ``None``
            for equal weights. An entry of ``styles`` that is ``None`` (a region without
            style) takes no part: its weight is ignored and it gets 0.
        styles: The style images (anything; only ``None`` entries matter here).

    Returns:
        The weights, divided by the sum of those of the real styles.

    Raises:
        ValueError: Wrong count, a negative or non-finite weight, or all weights zero, naming
            the weights given.
    """
    real = [style is not None for style in styles]
    if weights is None:
        weights = [1.0] * len(styles)
    if isinstance(weights, np.ndarray) and weights.ndim == 1:
        weights = weights.tolist()
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise ValueError(f"style_blend_weights must be a sequence of numbers, one per style; got {weights!r}")
    values = list(weights)
    if len(values) != len(styles):
        raise ValueError(f"style_blend_weights has {len(values)} entries for {len(styles)} style(s): {values}; "
                         "give one weight per style, in the same order")
    try:
        for value in values:
            non_negative_float("a style blend weight", value)
    except ValueError:
        raise ValueError(f"style_blend_weights must be finite numbers >= 0; got {values}") from None
    total = sum(value for value, is_real in zip(values, real) if is_real)
    if total == 0:
        raise ValueError(f"style_blend_weights are all zero for the styles given: {values}; at least one style "
                         "needs a positive weight")
    return [float(value) / total if is_real else 0.0 for value, is_real in zip(values, real)]


def _grey_levels(source: ImageSource, name: str) -> np.ndarray:
    """A mask as a 2-D uint8 array of grey levels, read from a file, URL or array."""
    if isinstance(source, (str, os.PathLike)):
        return read_grey(source)
    array = np.asarray(source)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 3 and array.shape[-1] in (1, 3):
        array = array[..., 0] if array.shape[-1] == 1 else np.asarray(
            Image.fromarray(np.clip(np.rint(array), 0, 255).astype(np.uint8), "RGB").convert("L"))
    if array.ndim != 2:
        raise ValueError(f"{name} must be an image of shape (height, width), (height, width, 1) or "
                         f"(height, width, 3); got shape {np.asarray(source).shape}")
    if array.dtype == bool:
        return array.astype(np.uint8) * 255
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 255:
        raise ValueError(f"{name} must hold grey levels between 0 and 255")
    return np.rint(array).astype(np.uint8)


def read_regions(mask: ImageSource, content_size: tuple[int, int], num_styles: int) -> np.ndarray:
    """Splits a mask image into one region per style, at the content image's size.

    The mask is read in grey levels. Each distinct level is a region; the regions, darkest
    first, get the styles in the order given (a style of ``None`` leaves its region without
    style). A black-and-white mask with two styles therefore puts the first style where the mask
    is black and the second where it is white. The mask must have the content image's aspect
    ratio; it is resized to the content's size with nearest-neighbour sampling, so no new
    levels appear.

    Args:
        mask: A path, URL or array of grey levels (or RGB, converted to grey).
        content_size: ``(width, height)`` of the content image as it will be optimised.
        num_styles: How many styles the regions are for.

    Returns:
        float32 array ``(num_styles, height, width)``: 1 inside each region, 0 elsewhere.

    Raises:
        ValueError: The mask's aspect ratio is not the content's, or it has a different number of
            grey levels than there are styles (the message lists the levels found).
    """
    name = f"the mask {mask}" if isinstance(mask, (str, os.PathLike)) else "the mask"
    levels = _grey_levels(mask, name)
    width, height = content_size
    mask_height, mask_width = levels.shape
    # The same picture at another size: the mask, scaled to the content's longest side, is the
    # content's size within a pixel of rounding.
    scaled_width, scaled_height = scaled_size((mask_width, mask_height), max(width, height))
    if abs(scaled_width - width) > 1 or abs(scaled_height - height) > 1:
        raise ValueError(f"{name} is {mask_width}x{mask_height} px but the content image is {width}x{height} px; "
                         "a mask must have the content's aspect ratio (the same size, or scaled)")
    if (mask_width, mask_height) != (width, height):
        levels = np.asarray(Image.fromarray(levels).resize((width, height), Image.Resampling.NEAREST))
    found = np.unique(levels)
    if len(found) != num_styles:
        shown = ", ".join(map(str, found[:8])) + (", ..." if len(found) > 8 else "")
        raise ValueError(f"{name} has {len(found)} grey level(s) ({shown}) but {num_styles} style(s) were given: "
                         "give one style (or none) per grey level, darkest first. A mask saved as JPEG or drawn "
                         "with anti-aliasing has in-between levels: save it as PNG with exactly one level per region")
    return np.stack([(levels == level).astype(np.float32) for level in found])


def check_style_scale(style_scale: float) -> float:
    """Returns ``style_scale`` as a float if it is a finite number greater than 0, else raises ``ValueError``."""
    return positive_float("style_scale", style_scale)


def style_side(content_side: int, style_scale: float) -> int:
    """The style image's longest side for a content image whose longest side is ``content_side``.

    ``style_scale`` 1 reads the style at the content's size (the article); 2 at twice that, so
    its brush strokes cover twice as many pixels and the result's strokes come out larger.

    Raises:
        ValueError: ``style_scale`` is not a positive number, or the style would be smaller than
            VGG19's deepest layers need.
    """
    side = round(content_side * check_style_scale(style_scale))
    if side < MIN_IMAGE_SIDE:
        raise ValueError(f"style_scale {style_scale:g} makes the style image {side} px on its longest side, "
                         f"below the {MIN_IMAGE_SIDE} px VGG19 needs; use a larger style_scale or image size")
    return side
