"""The plumbing every layer shares: argument checks, files written in one step, and VGG19's shape."""

import os
import re

import pytest

from nst_plumbing import vgg19 as shape
from nst_plumbing.checks import non_negative_float, one_of, positive_float, positive_int
from nst_plumbing.files import PARTIAL_SUFFIX, write_atomic


@pytest.mark.parametrize("check,good,bad,message", [
    (positive_int, [(1, 1), (7, 7)], [0, -3, 2.0, True, "3", None], "must be a positive integer"),
    (non_negative_float, [(0, 0.0), (2, 2.0), (1e-3, 1e-3)], [-1, float("nan"), float("inf"), False, "1"],
     "must be a finite number >= 0"),
    (positive_float, [(1, 1.0), (0.25, 0.25)], [0, -0.5, float("nan"), float("inf"), True, "1"],
     "must be a finite number greater than 0"),
])
def test_number_checks_return_the_value_or_name_it(check, good, bad, message):
    for value, expected in good:
        checked = check("n", value)
        assert checked == expected and type(checked) is type(expected)
    for value in bad:
        with pytest.raises(ValueError, match=rf"^n {message}; got {re.escape(repr(value))}$"):
            check("n", value)


def test_one_of_lists_what_is_allowed():
    assert one_of("mode", None, (None, "a")) is None and one_of("mode", "a", (None, "a")) == "a"
    with pytest.raises(ValueError, match=r"^mode must be one of None, 'a'; got 'b'$"):
        one_of("mode", "b", (None, "a"))


def test_write_atomic_writes_through_a_hidden_partial_file_beside_the_target(tmp_path):
    target = tmp_path / "result.png"
    seen = []

    def write(partial):
        seen.append(partial)
        assert not target.exists()  # nothing appears under the final name until the file is whole
        partial.write_bytes(b"whole")

    write_atomic(target, write, suffix=".weights.h5")
    assert target.read_bytes() == b"whole"
    (partial,) = seen
    assert partial.parent == tmp_path
    assert re.fullmatch(rf"\.result\.png\.{os.getpid()}\.[0-9a-f]{{12}}{re.escape(PARTIAL_SUFFIX)}\.weights\.h5",
                        partial.name), partial.name
    assert sorted(tmp_path.iterdir()) == [target]


def test_write_atomic_overwrites_only_when_asked_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "batch.json"
    target.write_text("old")
    with pytest.raises(FileExistsError):
        write_atomic(target, lambda partial: partial.write_text("new"), overwrite=False)
    assert target.read_text() == "old"
    write_atomic(target, lambda partial: partial.write_text("new"))
    assert target.read_text() == "new"

    def broken(partial):
        partial.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, broken)
    assert target.read_text() == "new" and sorted(tmp_path.iterdir()) == [target]


def test_two_partial_files_for_one_target_never_share_a_name(tmp_path):
    names = []
    for _ in range(20):
        write_atomic(tmp_path / "a.txt", lambda partial: (names.append(partial.name), partial.write_text("x")))
    assert len(set(names)) == 20


def test_vgg19s_shape():
    assert len(shape.CONV_LAYERS) == sum(shape.BLOCK_CONVS) == 16
    assert shape.CONV_LAYERS[0] == "block1_conv1" and shape.CONV_LAYERS[-1] == "block5_conv4"
    assert shape.layer_position("block5_conv2") == (5, 2) and shape.layer_channels("block5_conv2") == 512
    assert [shape.layer_channels(f"block{b}_conv1") for b in range(1, 6)] == list(shape.BLOCK_CHANNELS)
    assert shape.pools_before("block1_conv2") == 0 and shape.pools_before("block4_conv1") == 3
    with pytest.raises(ValueError, match="unknown VGG19 layer 'block6_conv1'"):
        shape.layer_position("block6_conv1")


def test_vgg19s_shape_is_kerass(vgg19):
    """The names, channels and pools described in nst_plumbing.vgg19 are those of Keras's VGG19."""
    convs = [layer for layer in vgg19.layers if layer.name.split("_")[-1].startswith("conv")]
    assert tuple(layer.name for layer in convs) == shape.CONV_LAYERS
    assert all(layer.filters == shape.layer_channels(layer.name) for layer in convs)
    pools = [layer.name for layer in vgg19.layers if layer.name.endswith("_pool")]
    for name in shape.CONV_LAYERS:
        before = vgg19.layers.index(vgg19.get_layer(name))
        assert sum(vgg19.get_layer(pool) in vgg19.layers[:before] for pool in pools) == shape.pools_before(name)


def test_side_by_side_lays_wide_pictures_in_a_row_without_a_white_band():
    import numpy as np

    from nst_plumbing.display import side_by_side

    red, blue = np.zeros((72, 128, 3), np.uint8), np.zeros((144, 256, 3), np.uint8)
    red[..., 0], blue[..., 2] = 255, 255
    row = side_by_side([("small", red), ("large", blue)], cell=100)
    assert row.shape[1] == 200 and row.shape[0] < 100  # two tiles wide, less than a square tall
    assert (row[2:50, 10:90, 0] > 200).all() and (row[2:50, 110:190, 2] > 200).all()  # the pictures start at the top
    import pytest

    with pytest.raises(ValueError, match="at least one"):
        side_by_side([])


def test_contact_sheet_rows_fit_wide_pictures_without_white_bands():
    import numpy as np

    from nst_plumbing.display import contact_sheet

    wide = np.zeros((90, 160, 3), np.uint8)  # 16:9, like the crab
    wide[..., 2] = 255
    sheet = contact_sheet([("photo", wide)], [("style", wide)], {(0, 0): wide}, cell=164)
    # Two rows, each 90 px of picture, 4 px of margin and a 16-px label strip: no square cells.
    assert sheet.shape == (2 * (90 + 4 + 16), 2 * 164, 3)
    picture_rows = (sheet[:, 164 + 2:2 * 164 - 2, 2] > 200).all(axis=1)
    assert picture_rows.sum() >= 2 * 88  # almost every row of the sheet's pixels outside the labels is picture
    import pytest

    with pytest.raises(ValueError, match="cell must be at least 16"):
        contact_sheet([("photo", wide)], [("style", wide)], {}, cell=8)
