"""Control over the result (notebook 08): colours, several styles, regions and the style's scale."""

import numpy as np
import pytest
from PIL import Image

import nst_cli
import nst_extended as extended
import nst_helpers as nst
from hardware import exact_float32, repeat_rtol
from nst_extended import controls as nst_controls
from nst_plumbing.config import MEDIA_DIR

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"
STARRY = MEDIA_DIR / "starry_night.jpg"


def chroma(rgb: np.ndarray) -> np.ndarray:
    return nst_controls.rgb_to_ycbcr(np.asarray(rgb, dtype=np.float64))[..., 1:]


# ---------------------------------------------------------------------------
# Colour: the pure functions
# ---------------------------------------------------------------------------

def test_ycbcr_of_known_colours_and_the_round_trip():
    colours = np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 0, 255]], dtype=np.float64)
    ycbcr = nst_controls.rgb_to_ycbcr(colours)
    np.testing.assert_allclose(ycbcr[0], [255, 128, 128], atol=1e-6)  # white: full brightness, no colour
    np.testing.assert_allclose(ycbcr[1], [0, 128, 128], atol=1e-6)
    np.testing.assert_allclose(ycbcr[2, 0], 0.299 * 255)  # red: its luma weight
    assert ycbcr[3, 1] > 250 and ycbcr[2, 2] > 250  # blue is all Cb, red all Cr
    np.testing.assert_allclose(nst_controls.ycbcr_to_rgb(ycbcr), colours, atol=1e-9)
    np.testing.assert_allclose(nst_controls.luminance(colours), ycbcr[:, 0])


def test_match_luminance_gives_a_grey_style_with_the_contents_brightness_and_contrast():
    content, style = nst.load_img(CONTENT, 128)[0], nst.load_img(STYLE, 128)[0]
    matched = nst_controls.match_luminance(style, content)
    assert matched.shape == style.shape and matched.dtype == np.float32
    assert np.array_equal(matched[..., 0], matched[..., 1]) and np.array_equal(matched[..., 1], matched[..., 2])
    content_y, matched_y = nst_controls.luminance(content), nst_controls.luminance(matched)
    assert abs(matched_y.mean() - content_y.mean()) < 1.0, (matched_y.mean(), content_y.mean())
    assert abs(matched_y.std() - content_y.std()) < 0.02 * content_y.std(), (matched_y.std(), content_y.std())
    # and it is not the content: the style's own pattern of light and dark
    assert np.corrcoef(matched_y.ravel(), nst_controls.luminance(style).ravel())[0, 1] > 0.99


def test_keep_colors_takes_the_luminance_of_one_image_and_the_colour_of_the_other():
    content = nst.load_img(CONTENT, 64)[0]
    result = nst.load_img(STYLE, 64)[0][:content.shape[0], :content.shape[1]]
    kept = nst_controls.keep_colors(result, content)
    assert kept.dtype == np.uint8 and kept.shape == content.shape
    # where no channel was clipped, luminance is the result's and chroma the content's, up to rounding
    unclipped = np.all((kept > 0) & (kept < 255), axis=-1)
    assert unclipped.mean() > 0.9
    assert np.abs(nst_controls.luminance(kept) - nst_controls.luminance(result))[unclipped].max() < 1.0
    assert np.abs(chroma(kept) - chroma(content))[unclipped].max() < 1.5
    with pytest.raises(ValueError, match="result is 10x5 px but the content is 64x36 px"):
        nst_controls.keep_colors(np.zeros((5, 10, 3)), content)


def test_histogram_matching_moves_the_styles_mean_and_spread_to_the_contents():
    content, style = nst.load_img(CONTENT, 128)[0], nst.load_img(STYLE, 128)[0]
    recoloured = nst_controls.match_color_histogram(style, content)
    assert recoloured.shape == style.shape and recoloured.dtype == np.float32
    before = np.abs(style.mean(axis=(0, 1)) - content.mean(axis=(0, 1))).max()
    after = np.abs(recoloured.mean(axis=(0, 1)) - content.mean(axis=(0, 1)))
    assert before > 10 and after.max() < 1.0, (before, after)  # a little could be lost to clipping at 0 and 255
    spread_before = np.abs(style.std(axis=(0, 1)) / content.std(axis=(0, 1)) - 1).max()
    assert spread_before > 0.1, spread_before
    np.testing.assert_allclose(recoloured.std(axis=(0, 1)), content.std(axis=(0, 1)), rtol=0.03)
    covariance = np.cov(recoloured.reshape(-1, 3), rowvar=False)
    np.testing.assert_allclose(covariance, np.cov(content.reshape(-1, 3), rowvar=False), rtol=0.1, atol=40)
    # the transform is linear: the style's pattern survives, in the content's colours
    assert np.corrcoef(nst_controls.luminance(recoloured).ravel(), nst_controls.luminance(style).ravel())[0, 1] > 0.9


def test_colour_functions_name_a_wrong_shape():
    with pytest.raises(ValueError, match=r"style_rgb must be an RGB image .* got shape \(4, 4\)"):
        nst_controls.match_color_histogram(np.zeros((4, 4)), np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="single brightness everywhere"):
        nst_controls.match_luminance(np.full((8, 8, 3), 100.0), np.random.default_rng(0).uniform(0, 255, (8, 8, 3)))


# ---------------------------------------------------------------------------
# Several styles, regions and scale: the pure functions
# ---------------------------------------------------------------------------

def test_blend_weights_are_normalised_and_a_region_without_style_takes_none():
    assert nst_controls.blend_weights(None, ["a", "b"]) == [0.5, 0.5]
    assert nst_controls.blend_weights([3, 1], ["a", "b"]) == [0.75, 0.25]
    assert nst_controls.blend_weights([1, 5, 1], ["a", None, "b"]) == [0.5, 0.0, 0.5]
    assert nst_controls.blend_weights(np.array([1.0, 4.0]), ["a", "b"]) == [0.2, 0.8]


@pytest.mark.parametrize("weights,message", [
    ([1.0], "style_blend_weights has 1 entries for 2 style(s): [1.0]"),
    ([1.0, 2.0, 3.0], "style_blend_weights has 3 entries for 2 style(s): [1.0, 2.0, 3.0]"),
    ([1.0, -0.5], "style_blend_weights must be finite numbers >= 0; got [1.0, -0.5]"),
    ([1.0, float("nan")], "style_blend_weights must be finite numbers >= 0; got [1.0, nan]"),
    ([0, 0.0], "style_blend_weights are all zero for the styles given: [0, 0.0]"),
    ("0.5 0.5", "style_blend_weights must be a sequence of numbers, one per style; got '0.5 0.5'"),
])
def test_bad_blend_weights_are_named(weights, message):
    with pytest.raises(ValueError) as info:
        nst_controls.blend_weights(weights, ["a", "b"])
    assert message in str(info.value)


def two_level_mask(width=64, height=36):
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[:, width // 2:] = 255  # left black, right white
    return mask


def test_read_regions_orders_regions_darkest_first_and_resizes_with_the_content(tmp_path):
    regions = nst_controls.read_regions(two_level_mask(), (64, 36), 2)
    assert regions.shape == (2, 36, 64) and regions.dtype == np.float32
    assert regions[0, :, :32].min() == 1 and regions[0, :, 32:].max() == 0  # the black half: the first style
    np.testing.assert_array_equal(regions.sum(axis=0), 1)
    path = tmp_path / "mask.png"  # the same mask drawn at four times the size, in colour
    Image.fromarray(np.repeat(np.kron(two_level_mask(), np.ones((4, 4), np.uint8))[..., None], 3, axis=-1)).save(path)
    from_file = nst_controls.read_regions(path, (64, 36), 2)
    np.testing.assert_array_equal(from_file, regions)


def test_read_regions_names_a_mask_that_does_not_fit(tmp_path):
    path = tmp_path / "sky.png"
    Image.fromarray(two_level_mask(40, 40)).save(path)
    with pytest.raises(ValueError, match=f"the mask {path} is 40x40 px but the content image is 64x36 px; "
                                         "a mask must have the content's aspect ratio"):
        nst_controls.read_regions(path, (64, 36), 2)
    three = two_level_mask()
    three[:5] = 128
    with pytest.raises(ValueError, match=r"has 3 grey level\(s\) \(0, 128, 255\) but 2 style\(s\) were given"):
        nst_controls.read_regions(three, (64, 36), 2)
    jpeg = tmp_path / "sky.jpg"
    edge_inside_a_block = two_level_mask()
    edge_inside_a_block[:, 29:] = 255  # JPEG rings at an edge inside its 8x8 blocks
    Image.fromarray(edge_inside_a_block).save(jpeg, quality=60)
    with pytest.raises(ValueError, match="save it as PNG"):
        nst_controls.read_regions(jpeg, (64, 36), 2)


def test_style_side_scales_the_content_side_and_refuses_a_style_too_small_for_vgg19():
    assert nst_controls.style_side(256, 1) == 256
    assert nst_controls.style_side(256, 0.5) == 128 and nst_controls.style_side(256, 1.5) == 384
    with pytest.raises(ValueError, match="style_scale 0.05 makes the style image 3 px on its longest side"):
        nst_controls.style_side(64, 0.05)
    for bad in (0, -1.0, float("inf"), True, "2"):
        with pytest.raises(ValueError, match="style_scale must be a finite number greater than 0"):
            nst_controls.style_side(64, bad)


def test_guided_gram_matrix_is_the_gram_matrix_of_the_regions_positions():
    with exact_float32():  # against float64 NumPy: no TensorFloat-32 on a recent GPU
        check_guided_gram_matrix()


def check_guided_gram_matrix():
    features = np.random.default_rng(0).normal(size=(6, 8, 5)).astype(np.float32)
    everywhere = np.ones((6, 8), np.float32)
    np.testing.assert_allclose(extended.guided_gram_matrix(features, everywhere), nst.gram_matrix(features), rtol=1e-5)
    mask = np.zeros((6, 8), np.float32)
    mask[1:4, 2:7] = 1
    inside = features[mask > 0]  # (15, 5): only the region's positions
    np.testing.assert_allclose(extended.guided_gram_matrix(features, mask), inside.T @ inside / len(inside), rtol=1e-5)
    several = extended.guided_gram_matrix(features, np.stack([everywhere, mask]))  # several regions at once
    np.testing.assert_allclose(several[1], inside.T @ inside / len(inside), rtol=1e-5)
    np.testing.assert_allclose(several[0], nst.gram_matrix(features), rtol=1e-5)
    with pytest.raises(ValueError, match="the mask is \\(3, 8\\) but the feature map is \\(6, 8, 5\\)"):
        extended.guided_gram_matrix(features, np.ones((3, 8)))


# ---------------------------------------------------------------------------
# What each control promises, in a real run with VGG19's real weights
# ---------------------------------------------------------------------------

def run(model, mask=None, target_model=None, callback=None, **options):
    """The extended run with L-BFGS at 64 px (unless ``options`` says otherwise), 15 evaluations."""
    style = options.pop("style", STYLE)
    settings = extended.Settings(**{"iterations": options.pop("evaluations", 15), "max_dim": 64,
                                    "optimizer": "lbfgs", "seed": 0, **options})
    return extended.run_style_transfer(CONTENT, style, settings, mask=mask, model=model, target_model=target_model,
                                       callback=callback)


def test_luminance_keeps_the_contents_colour(model):
    content = nst.load_img(CONTENT, 64)[0]
    plain, kept = run(model), run(model, preserve_colors="luminance")
    kept_difference = np.abs(chroma(kept.best_img) - chroma(content)).mean()
    plain_difference = np.abs(chroma(plain.best_img) - chroma(content)).mean()
    assert kept_difference < 1.0 and plain_difference > 5 * kept_difference, (kept_difference, plain_difference)
    # the brightness was stylised: it moved away from the photo's as far as the plain run's did
    moved = np.abs(extended.luminance(kept.best_img) - extended.luminance(content)).mean()
    assert moved > 0.5 * np.abs(extended.luminance(plain.best_img) - extended.luminance(content)).mean()


@pytest.mark.parametrize("optimizer,init", [("lbfgs", "content"), ("adam", "content"), ("lbfgs", "noise")])
def test_luminance_optimises_grey_images(model, optimizer, init):
    seen = []
    run(model, evaluations=3, optimizer=optimizer, preserve_colors="luminance", init=init,
        callback=lambda step: seen.append(step.image()))
    assert len(seen) == 3
    for image in seen:
        assert np.abs(image.astype(int) - image[..., :1]).max() <= 1  # grey, up to rounding of the means


class TargetSpy:
    """A target model that records the images the run computes its targets from, then asks the real model.

    At each level the run computes the content's targets, then each style's, in order: ``levels``
    holds one ``(processed content, [processed styles])`` per level.
    """

    def __init__(self, model, num_styles=1):
        self.model, self.num_styles, self.images = model, num_styles, []

    def __call__(self, image, *args, **kwargs):
        self.images.append(np.array(image))
        return self.model(image, *args, **kwargs)

    @property
    def levels(self):
        per_level = 1 + self.num_styles
        assert len(self.images) % per_level == 0, len(self.images)
        return [(self.images[i], self.images[i + 1:i + per_level]) for i in range(0, len(self.images), per_level)]


def test_a_mask_drawn_on_an_upright_phone_photo_fits_it(model, tmp_path):
    stored = Image.fromarray(nst.load_img(CONTENT, 64)[0].astype(np.uint8))  # 64 wide, 36 high, on its side
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to show": upright it is 36 wide, 64 high
    photo = tmp_path / "phone.jpg"
    stored.save(photo, exif=exif, quality=95)
    mask = np.zeros((64, 36), np.uint8)  # drawn on the upright picture
    mask[32:] = 255
    result = extended.run_style_transfer(photo, [None, STYLE], extended.Settings(iterations=2, max_dim=64,
                                                                                optimizer="lbfgs"),
                                         mask=mask, model=model)
    assert result.best_img.shape == (64, 36, 3)


def test_histogram_targets_the_recoloured_style_and_keeps_the_contents_palette(model):
    content, style = nst.load_img(CONTENT, 64)[0], nst.load_img(STYLE, 64)[0]
    spy = TargetSpy(model)
    matched = run(model, preserve_colors="histogram", target_model=spy)
    (_, (processed_style,)), = spy.levels
    expected = nst.load_and_process_img(nst_controls.match_color_histogram(style, content))
    np.testing.assert_allclose(processed_style, expected, atol=1e-3)
    plain = run(model)

    def palette_distance(image):
        return np.abs(image.reshape(-1, 3).mean(axis=0) - content.reshape(-1, 3).mean(axis=0)).max()

    assert palette_distance(matched.best_img) < palette_distance(plain.best_img)


def test_blend_weights_one_and_zero_give_the_first_styles_result(model):
    alone = run(model, style=STARRY, evaluations=6)
    blended = run(model, style=[STARRY, STYLE], style_blend_weights=[1, 0], evaluations=6)
    np.testing.assert_allclose(blended.history.total_loss, alone.history.total_loss, rtol=repeat_rtol())
    if repeat_rtol() == 0:  # on a CPU the very same run; a GPU's run-to-run noise may move a pixel by one level
        np.testing.assert_array_equal(blended.best_img, alone.best_img)
    assert np.abs(blended.best_img.astype(int) - alone.best_img.astype(int)).max() <= 1
    assert blended.best_loss == pytest.approx(alone.best_loss, rel=repeat_rtol(1e-6))
    even = run(model, style=[STARRY, STYLE], evaluations=6)
    assert not np.array_equal(even.best_img, alone.best_img)


def test_a_region_without_style_stays_close_to_the_content(model):
    content = nst.load_img(CONTENT, 128)[0]
    width = content.shape[1]
    mask = np.zeros(content.shape[:2], np.uint8)
    mask[:, width // 2:] = 255  # left half (black): the Great Wave; right half (white): no style
    result = run(model, style=[STYLE, None], mask=mask, max_dim=128, evaluations=30)
    change = np.abs(result.best_img.astype(float) - content).mean(axis=(0, 2))  # per column
    styled, unstyled = change[:width // 2 - 16].mean(), change[width // 2 + 16:].mean()
    assert unstyled < 0.35 * styled, (styled, unstyled)


def test_two_styles_in_two_regions(model):
    content = nst.load_img(CONTENT, 64)[0]
    mask = np.zeros(content.shape[:2], np.uint8)
    mask[:, content.shape[1] // 2:] = 255
    result = run(model, style=[STARRY, STYLE], mask=mask)
    assert result.best_img.shape == content.shape
    assert result.best_loss < 0.5 * result.history.total_loss[0]


def test_style_scale_sets_the_style_images_size(model):
    for scale, side in ((1, 64), (0.5, 32), (2, 128)):
        spy = TargetSpy(model)
        run(model, style_scale=scale, evaluations=2, target_model=spy)
        (content, (style,)), = spy.levels
        assert content.shape == (1, 36, 64, 3) and max(style.shape[1:3]) == side, (scale, style.shape)
    spy = TargetSpy(model)
    run(model, style_scale=0.5, evaluations=[2, 2], scales=(64, 128), max_dim=None, target_model=spy)
    # at every level, relative to the content
    assert [max(styles[0].shape[1:3]) for _, styles in spy.levels] == [32, 64]


@pytest.mark.parametrize("options,setting,message", [
    ({"preserve_colors": "hsv"}, "preserve_colors",
     "preserve_colors must be one of None, 'luminance', 'histogram'; got 'hsv'"),
    ({"style_scale": 0}, "style_scale", "style_scale must be a finite number greater than 0; got 0"),
    ({"style_blend_weights": [-1, 2]}, "style_blend_weights", "style_blend_weights must be finite numbers >= 0"),
    ({"style_blend_weights": [0, 0]}, "style_blend_weights", "style_blend_weights are all zero"),
    ({"style_blend_weights": "1 1"}, "style_blend_weights", "style_blend_weights must be a sequence of numbers"),
])
def test_bad_control_settings_are_refused_naming_the_setting(options, setting, message):
    with pytest.raises(extended.SettingError) as info:
        extended.Settings(**options)
    assert message in str(info.value) and info.value.setting == setting


@pytest.mark.parametrize("options,message", [
    ({"style_scale": 0.1}, "style_scale 0.1 makes the style image 6 px on its longest side"),
    ({"style": [STYLE, STARRY], "style_blend_weights": [1.0]}, "style_blend_weights has 1 entries for 2 style(s)"),
    ({"style": [STYLE, STARRY, STYLE], "style_blend_weights": [1.0, 2.0]},
     "style_blend_weights has 2 entries for 3 style(s)"),
    ({"style": [STYLE, None]}, "a style of None leaves a region without style, so it needs a mask"),
    ({"style": [None], "mask": np.zeros((36, 64))}, "every style is None"),
    ({"style": []}, "style must be an image (path, URL or RGB array) or a non-empty list of them"),
    ({"style": [STYLE, STARRY], "mask": np.zeros((36, 64))},
     "the mask has 1 grey level(s) (0) but 2 style(s) were given"),
    ({"style": [STYLE, STARRY], "mask": two_level_mask(50, 50)},
     "the mask is 50x50 px but the content image is 64x36 px"),
])
def test_bad_controls_get_clear_errors_before_any_work(options, message, monkeypatch):
    def forbidden(what):
        def fail(*args, **kwargs):
            raise AssertionError(f"{what} before the arguments were checked")
        return fail

    monkeypatch.setattr(nst, "get_model", forbidden("a model was built"))
    monkeypatch.setattr(nst, "load_and_process_img", forbidden("an image was decoded"))
    style, mask = options.pop("style", STYLE), options.pop("mask", None)
    with pytest.raises(ValueError) as info:
        extended.run_style_transfer(CONTENT, style, extended.Settings(iterations=2, max_dim=64, **options), mask=mask)
    assert message in str(info.value)


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------

def test_cli_paints_two_styles_in_the_regions_of_a_mask_file(tmp_path, capsys):
    mask = tmp_path / "halves.png"
    Image.fromarray(np.kron(two_level_mask(), np.ones((16, 16), np.uint8))).save(mask)  # 1024x576, like the crab
    out = tmp_path / "regions.png"
    code = nst_cli.main([str(CONTENT), str(STYLE), "none", "--mask", str(mask), "-o", str(out), "--max-dim", "64",
                         "--iterations", "3", "--preserve-colors", "histogram", "--style-scale", "0.75"])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert (f"styles great_wave + none in the regions of {mask}; colours preserved by histogram; style scale 0.75"
            in printed)
    assert Image.open(out).size == (64, 36)


def test_cli_blends_styles(tmp_path, capsys):
    out = tmp_path / "blend.png"
    code = nst_cli.main([str(CONTENT), str(STYLE), str(STARRY), "--style-blend-weights", "3", "1", "-o", str(out),
                         "--max-dim", "48", "--iterations", "2"])
    assert code == 0 and "styles great_wave + starry_night blended 0.75 : 0.25" in capsys.readouterr().out
    assert Image.open(out).size == (48, 27)


@pytest.mark.parametrize("args,message", [
    ([str(CONTENT), str(STYLE), "none"], "'none' in place of a style leaves a region unstyled, so it needs --mask"),
    ([str(CONTENT), "none", "--mask", str(CONTENT)], "every style is 'none'"),
    ([str(CONTENT), str(STYLE), str(STARRY), "--style-blend-weights", "1"],
     "--style-blend-weights has 1 entries for 2 style(s)"),
    ([str(CONTENT), str(STYLE), "--style-scale", "-2"], "--style-scale must be a finite number greater than 0"),
    (["-c", str(CONTENT), "-s", str(STYLE), "--mask", str(CONTENT)], "--mask is for one result with several styles"),
    (["-c", str(CONTENT), "-s", str(STYLE), str(STARRY), "--style-blend-weights", "1", "1"],
     "--style-blend-weights is for one result with several styles"),
    ([str(CONTENT), str(STYLE), str(STARRY), "--mask", str(MEDIA_DIR / "chelsea.jpg")],
     "is 451x300 px but the content image is 32x18 px"),
    ([str(CONTENT), str(STYLE), "--preserve-colors", "sepia"], "invalid choice: 'sepia'"),
])
def test_cli_reports_bad_controls(tmp_path, capsys, args, message):
    out = tmp_path / "out.png"
    try:
        code = nst_cli.main(["--max-dim", "32", *args, "-o", str(out)])
    except SystemExit as exit_:  # argparse's own errors (an invalid choice) exit with 2
        code = exit_.code
    assert code in (1, 2)
    assert message in capsys.readouterr().err
    assert not out.exists()
