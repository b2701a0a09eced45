"""load_img, VGG preprocessing and its inverse, and the errors bad files get."""


import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import nst_helpers as nst
from nst_plumbing.config import MEDIA_DIR as MEDIA
from nst_plumbing.display import contact_sheet
from nst_plumbing.images import image_size


def save(img: Image.Image, path, **kwargs):
    img.save(path, **kwargs)
    return path


@pytest.mark.parametrize("max_dim", [64, 128, 512])
def test_load_img_scales_longest_side_and_keeps_aspect(max_dim):
    original = Image.open(MEDIA / "crab.jpg")
    img = nst.load_img(MEDIA / "crab.jpg", max_dim=max_dim)
    assert img.dtype == np.float32 and img.ndim == 4 and img.shape[0] == 1 and img.shape[-1] == 3
    h, w = img.shape[1:3]
    assert max(h, w) == max_dim
    assert abs(w / h - original.width / original.height) < 2 / min(h, w)
    assert 0 <= img.min() and img.max() <= 255


def test_read_image_without_max_dim_keeps_original_size():
    original = Image.open(MEDIA / "great_wave.jpg")
    img = nst.read_image(MEDIA / "great_wave.jpg")
    assert img.shape == (1, original.height, original.width, 3)


def test_load_img_without_max_dim_uses_the_active_profile(monkeypatch):
    for name in ("test", "cpu"):
        monkeypatch.setenv("NST_PROFILE", name)
        assert max(nst.load_img(MEDIA / "crab.jpg").shape[1:3]) == nst.PROFILES[name].max_dim


def test_vgg_mean_is_what_keras_preprocessing_subtracts():
    black_pixel = np.zeros((1, 1, 1, 3), dtype=np.float32)
    np.testing.assert_allclose(tf.keras.applications.vgg19.preprocess_input(black_pixel)[0, 0, 0],
                               -nst.VGG_MEAN_BGR, rtol=1e-6)


def test_credits_list_every_shipped_image():
    rows = nst.read_credits(MEDIA / "CREDITS.md")
    shipped = {path.relative_to(MEDIA).as_posix() for path in [*MEDIA.glob("*.jpg"), *MEDIA.glob("training/*.jpg")]}
    assert {row["file"] for row in rows} == shipped
    assert {row["section"] for row in rows} == {"Content photos", "Style images", "Training photos"}
    assert all(row["license"] for row in rows)


def test_load_img_portrait_tall_side_is_max_dim(tmp_path):
    path = save(Image.new("RGB", (30, 90), (10, 20, 30)), tmp_path / "tall.png")
    assert nst.load_img(path, max_dim=60).shape == (1, 60, 20, 3)


@pytest.mark.parametrize("mode,colour,expected", [
    ("L", 128, (128, 128, 128)),
    ("P", None, (255, 0, 0)),
    ("CMYK", (0, 255, 255, 0), (255, 0, 0)),
])
def test_load_img_converts_colour_modes_to_rgb(tmp_path, mode, colour, expected):
    if mode == "P":
        img = Image.new("RGB", (20, 10), (255, 0, 0)).convert("P")
        path = save(img, tmp_path / "palette.png")
    else:
        path = save(Image.new(mode, (20, 10), colour), tmp_path / f"{mode}.{'jpg' if mode == 'CMYK' else 'png'}")
    img = nst.load_img(path, max_dim=20)
    assert img.shape == (1, 10, 20, 3)
    np.testing.assert_allclose(img[0, 5, 10], expected, atol=3)


def test_load_img_composites_transparency_on_white(tmp_path):
    rgba = Image.new("RGBA", (20, 10), (0, 0, 255, 255))
    rgba.paste((0, 0, 0, 0), (0, 0, 10, 10))  # left half fully transparent
    img = nst.load_img(save(rgba, tmp_path / "rgba.png"), max_dim=20)
    np.testing.assert_allclose(img[0, 5, 2], (255, 255, 255), atol=1)
    np.testing.assert_allclose(img[0, 5, 17], (0, 0, 255), atol=1)


def test_load_img_converts_16_bit_grayscale(tmp_path):
    values = np.full((10, 20), 65535 // 2, dtype=np.uint16)
    values[:, 10:] = 65535
    img16 = Image.fromarray(values)
    path = save(img16, tmp_path / "gray16.png")
    assert Image.open(path).mode.startswith("I")
    img = nst.load_img(path, max_dim=20)
    np.testing.assert_allclose(img[0, 5, 2], (128, 128, 128), atol=1)
    np.testing.assert_allclose(img[0, 5, 17], (255, 255, 255), atol=1)


def test_load_img_honours_exif_orientation(tmp_path):
    # Stored 40 wide x 20 high, red on the left; orientation 6 means "rotate 90 degrees clockwise to view".
    stored = Image.new("RGB", (40, 20), (0, 0, 255))
    stored.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    stored.save(path, exif=exif, quality=95)
    img = nst.load_img(path, max_dim=40)
    assert img.shape == (1, 40, 20, 3)  # shown upright: 20 wide, 40 high
    assert image_size(path, max_dim=40) == (20, 40)  # the header alone says the same
    np.testing.assert_allclose(img[0, 5, 10], (255, 0, 0), atol=40)  # red is now on top
    np.testing.assert_allclose(img[0, 35, 10], (0, 0, 255), atol=40)


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "no_such_image.jpg"
    with pytest.raises(FileNotFoundError, match="no_such_image.jpg"):
        nst.load_img(missing)


def test_non_image_file_names_the_path(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture")
    with pytest.raises(ValueError, match=r"notes\.jpg is not an image"):
        nst.load_img(path)


def test_truncated_jpeg_names_the_path(tmp_path):
    data = (MEDIA / "crab.jpg").read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"truncated\.jpg could not be decoded"):
        nst.load_img(path)


def test_empty_file_names_the_path(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(ValueError, match=r"empty\.png is empty"):
        nst.load_img(path)


def test_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="is not a file"):
        nst.load_img(tmp_path)


def test_unreachable_url_names_the_url():
    url = "http://127.0.0.1:9/turtle.jpg"  # the discard port on this machine: nothing listens
    with pytest.raises(ConnectionError, match="127.0.0.1:9/turtle.jpg"):
        nst.load_img(url)


@pytest.mark.parametrize("bad", [0, 8, 12.5, "512"])
def test_bad_max_dim_is_refused(bad):
    with pytest.raises(ValueError, match="max_dim"):
        nst.load_img(MEDIA / "crab.jpg", max_dim=bad)


def test_preprocessing_is_keras_vgg19_preprocess_input():
    img = nst.load_img(MEDIA / "crab.jpg", max_dim=64)
    processed = nst.load_and_process_img(MEDIA / "crab.jpg", max_dim=64)
    # Explicitly: RGB -> BGR, then the ImageNet means subtracted.
    expected = img[..., ::-1] - nst.VGG_MEAN_BGR
    np.testing.assert_allclose(processed, expected, atol=1e-4)
    np.testing.assert_allclose(processed, tf.keras.applications.vgg19.preprocess_input(img.copy()), atol=1e-4)


def test_preprocess_deprocess_round_trip_within_one_grey_level():
    img = nst.load_img(MEDIA / "great_wave.jpg", max_dim=128)
    restored = nst.deprocess_img(nst.load_and_process_img(img))
    assert restored.dtype == np.uint8 and restored.shape == img.shape[1:]
    assert np.abs(restored.astype(int) - img[0].astype(int)).max() <= 1


def test_deprocess_clips_to_valid_pixels_and_leaves_input_alone():
    processed = np.full((1, 4, 4, 3), 500.0, dtype=np.float32)
    processed[0, 0, 0] = -500.0
    before = processed.copy()
    out = nst.deprocess_img(processed)
    assert out.dtype == np.uint8 and out.max() == 255 and out.min() == 0
    np.testing.assert_array_equal(processed, before)


@pytest.mark.parametrize("shape", [(4, 4), (2, 4, 4, 3), (1, 4, 4, 4)])
def test_deprocess_rejects_wrong_shapes(shape):
    with pytest.raises(ValueError, match=r"\[1, height, width, 3\]"):
        nst.deprocess_img(np.zeros(shape, dtype=np.float32))


def test_contact_sheet_lays_out_styles_across_and_contents_down():
    red = np.zeros((20, 40, 3), dtype=np.uint8)
    red[..., 0] = 255
    blue = np.zeros((40, 20, 3), dtype=np.uint8)
    blue[..., 2] = 255
    green = np.zeros((30, 30, 3), dtype=np.uint8)
    green[..., 1] = 255
    cell = 100
    sheet = contact_sheet([("red", red), ("blue", blue)], [("green", green)], {(1, 0): green}, cell=cell)
    # Each row is as tall as its tallest picture (fitted to the column's width) plus a label strip.
    label, tops = 12, [0, 96 + 4 + 12, 96 + 4 + 12 + 48 + 4 + 12]
    assert sheet.shape == (tops[2] + 96 + 4 + label, 2 * cell, 3) and sheet.dtype == np.uint8
    # Pictures sit at the bottom of their rows, above the label strip.
    middle = [tops[0] + 50, tops[1] + 26, tops[2] + 50]  # the middle of each row's pictures
    centre = lambda row, col: sheet[middle[row], col * cell + cell // 2]  # noqa: E731
    np.testing.assert_array_equal(centre(0, 1), (0, 255, 0))   # the style, top row
    np.testing.assert_array_equal(centre(1, 0)[[0, 2]], (255, 0))  # first content, left column
    np.testing.assert_array_equal(centre(1, 1), (255, 255, 255))  # pair (0, 0) not painted: blank
    np.testing.assert_array_equal(centre(2, 1), (0, 255, 0))   # pair (1, 0)
    with pytest.raises(ValueError, match="at least one content and one style"):
        contact_sheet([], [("green", green)], {})


def test_decompression_bomb_is_refused_with_its_pixel_count_and_the_limit(tmp_path):
    from bombs import write_bomb

    bomb = write_bomb(tmp_path / "bomb.png")  # 20000 x 20000, about 50 KB
    assert bomb.stat().st_size < 500_000
    limit = f"{Image.MAX_IMAGE_PIXELS:,}"
    with pytest.raises(ValueError, match=rf"bomb\.png is 400,000,000 pixels, more than the limit of {limit}"):
        nst.load_img(bomb, max_dim=64)
    with pytest.raises(ValueError, match="decompression bomb"):
        nst.read_image(bomb)


def test_image_between_pillows_warning_and_error_limits_is_refused_without_a_warning(tmp_path):
    import warnings

    from bombs import write_bomb

    big = write_bomb(tmp_path / "big.png", 10000, 10000)  # Pillow itself would only warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning, DecompressionBombWarning included, fails the test
        with pytest.raises(ValueError, match=r"big\.png is 10000x10000 = 100,000,000 pixels, more than the limit"):
            nst.load_img(big, max_dim=64)
        with pytest.raises(ValueError, match="decompression bomb"):
            image_size(big, 64)


def test_image_size_reads_the_header_and_matches_read_image():
    for max_dim in (None, 64, 1000):
        width, height = image_size(MEDIA / "crab.jpg", max_dim)
        assert nst.read_image(MEDIA / "crab.jpg", max_dim).shape == (1, height, width, 3)
