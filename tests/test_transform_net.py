"""The fast-style-transfer network (notebook 09's): shapes at any size, and its files, weights only."""

import json

import numpy as np
import pytest

from nst_extended.net_files import description_path, load_transform_net, read_description, save_transform_net
from nst_extended.transform_net import NetSpec, build_transform_net

SMALL = NetSpec(width=4, residual_blocks=1)


@pytest.fixture(scope="module")
def net():
    return build_transform_net(SMALL)


@pytest.mark.parametrize("height, width", [(8, 8), (37, 53), (64, 48), (30, 101)])
def test_any_size_in_gives_the_same_size_out_in_the_pixel_range(net, height, width):
    images = np.random.default_rng(0).uniform(0, 255, (2, height, width, 3)).astype("float32")
    painted = np.asarray(net(images))
    assert painted.shape == images.shape
    assert painted.min() >= 0 and painted.max() <= 255


def test_each_image_of_a_batch_is_painted_on_its_own(net):
    images = np.random.default_rng(1).uniform(0, 255, (2, 24, 32, 3)).astype("float32")
    together = np.asarray(net(images))
    alone = np.asarray(net(images[1:]))
    np.testing.assert_allclose(together[1:], alone, atol=1e-3)  # instance, not batch, normalisation


def test_the_widths_are_johnsons_by_default():
    default = build_transform_net()
    shapes = [tuple(w.shape) for w in default.weights if len(w.shape) == 4]
    assert shapes[0] == (9, 9, 3, 32) and shapes[1] == (3, 3, 32, 64) and shapes[2] == (3, 3, 64, 128)
    assert shapes[-1] == (9, 9, 32, 3) and len(shapes) == 3 + 2 * 5 + 2 + 1


def test_a_saved_network_loads_and_paints_the_same(net, tmp_path):
    path = tmp_path / "wave.weights.h5"
    described = save_transform_net(net, path, about={"style": "great_wave.jpg"})
    assert described == tmp_path / "wave.json"
    loaded, about = load_transform_net(path)
    assert about == {"style": "great_wave.jpg"} and loaded.spec == SMALL
    images = np.random.default_rng(2).uniform(0, 255, (1, 20, 28, 3)).astype("float32")
    np.testing.assert_array_equal(np.asarray(loaded(images)), np.asarray(net(images)))


@pytest.mark.parametrize("name", ["wave.keras", "wave.h5", "wave.pkl", ".weights.h5"])
def test_only_weights_files_are_accepted(name):
    with pytest.raises(ValueError, match="weights only"):
        description_path(name)


def test_a_missing_description_or_weights_file_is_named(net, tmp_path):
    path = tmp_path / "wave.weights.h5"
    save_transform_net(net, path)
    (tmp_path / "wave.json").unlink()
    with pytest.raises(ValueError, match="wave.json is missing"):
        load_transform_net(path)
    save_transform_net(net, path)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="wave.weights.h5"):
        load_transform_net(path)


@pytest.mark.parametrize("change, expected", [
    (lambda r: r.update(kind="something else"), "not a description of this network"),
    (lambda r: r.update(width=0), "width must be a whole number from 4 to 128"),
    (lambda r: r.update(width="32"), "width must be a whole number"),
    (lambda r: r.update(layers="evil"), "expected the fields"),
    (lambda r: r.pop("residual_blocks"), "expected the fields"),
])
def test_a_wrong_description_is_refused(net, tmp_path, change, expected):
    path = tmp_path / "wave.weights.h5"
    save_transform_net(net, path)
    record = json.loads((tmp_path / "wave.json").read_text())
    change(record)
    (tmp_path / "wave.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=expected):
        read_description(path)


def test_weights_that_do_not_fit_the_description_are_refused(net, tmp_path):
    path = tmp_path / "wave.weights.h5"
    save_transform_net(net, path)
    record = json.loads((tmp_path / "wave.json").read_text())
    record["width"] = 8  # the file holds width-4 arrays
    (tmp_path / "wave.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="could not load it as the network wave.json describes .width 8"):
        load_transform_net(path)


def test_a_corrupt_weights_file_is_refused(net, tmp_path):
    path = tmp_path / "wave.weights.h5"
    save_transform_net(net, path)
    path.write_bytes(b"not an HDF5 file at all")
    with pytest.raises(ValueError, match="wave.weights.h5: could not load it"):
        load_transform_net(path)
    (tmp_path / "wave.json").write_text("{not json")
    with pytest.raises(ValueError, match="not JSON describing a network"):
        load_transform_net(path)


def test_the_drawn_layer_table_is_the_network_s_convolutions():
    from nst_extended.transform_net import layer_table

    spec = NetSpec(width=8, residual_blocks=2)
    kernels = [tuple(w.shape) for w in build_transform_net(spec).weights if len(w.shape) == 4]
    assert [(kernel, kernel, channels) for _, kernel, channels, _ in layer_table(spec)] == [
        (shape[0], shape[1], shape[3]) for shape in kernels]
