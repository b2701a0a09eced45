"""The transformation network of Johnson et al. (2016): a photo in, the photo in one style out, in one pass.

Johnson, Alahi and Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution"
(2016), with Ulyanov et al.'s instance normalisation and, as Odena et al. ("Deconvolution and
Checkerboard Artifacts", 2016) advise, upsampling followed by a convolution instead of transposed
convolutions:

    9x9 conv (w) -> 3x3 conv stride 2 (2w) -> 3x3 conv stride 2 (4w)
    -> residual blocks (4w) -> upsample, 3x3 conv (2w) -> upsample, 3x3 conv (w) -> 9x9 conv (3)

every convolution but the last followed by instance normalisation and a ReLU. ``w`` is
``NetSpec.width`` (Johnson et al. use 32). Written with ``keras.ops`` only, so that the same
network trains under TensorFlow or JAX and its ``.weights.h5`` file loads under either.

The network takes RGB values 0 to 255 of any size, as ``nst_helpers.load_img`` gives them, and
returns RGB values 0 to 255 of the same size.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

KIND = "johnson2016-instance-norm-upsample"  # what the JSON beside a weights file must say
VERSION = 1
MULTIPLE = 4  # two stride-2 convolutions: sides are padded to a multiple of 4, then cropped back


@dataclass(frozen=True)
class NetSpec:
    """The architecture: everything needed to rebuild the network before loading its weights.

    Attributes:
        width: Channels of the first convolution; the two downsamplings double it each time.
        residual_blocks: Residual blocks at the lowest resolution (Johnson et al.: 5).
    """

    width: int = 32
    residual_blocks: int = 5

    def __post_init__(self) -> None:
        for name, low, high in (("width", 4, 128), ("residual_blocks", 1, 10)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"NetSpec.{name} must be a whole number from {low} to {high}, got {value!r}")

    def to_json(self) -> str:
        """The JSON stored beside the weights: kind, version and the fields."""
        return json.dumps({"kind": KIND, "version": VERSION, **asdict(self)}, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, source: str = "<text>") -> NetSpec:
        """Reads ``to_json``'s text; anything else is refused.

        Raises:
            ValueError: ``text`` is not JSON, not this kind or version, or has missing, unknown
                or invalid fields; the message names ``source``.
        """
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}: not JSON ({exc})") from None
        return cls.from_record(record, source)

    @classmethod
    def from_record(cls, record: object, source: str = "<record>") -> NetSpec:
        """``from_json`` for text already parsed: ``record`` must be ``to_json``'s dictionary.

        Raises:
            ValueError: As ``from_json``, naming ``source``.
        """
        if not isinstance(record, dict) or record.get("kind") != KIND or record.get("version") != VERSION:
            raise ValueError(f"{source}: not a description of this network: expected kind {KIND!r}, "
                             f"version {VERSION}")
        names = {field.name for field in fields(cls)}
        given = set(record) - {"kind", "version"}
        if given != names:
            raise ValueError(f"{source}: expected the fields {sorted(names)}, got {sorted(given)}")
        try:
            return cls(**{name: record[name] for name in names})
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None


def layer_table(spec: NetSpec) -> list[tuple[str, int, int, int]]:
    """The network's convolutions in order, as ``(part, kernel side, channels out, image side divided by)``."""
    w = spec.width
    residual = [("residual", 3, 4 * w, 4)] * (2 * spec.residual_blocks)  # two convolutions per block
    return [("in", 9, w, 1), ("down", 3, 2 * w, 2), ("down", 3, 4 * w, 4), *residual,
            ("up", 3, 2 * w, 2), ("up", 3, w, 1), ("out", 9, 3, 1)]


def _layers():
    """The network's layer classes, made on first use so that importing this module loads no Keras."""
    import keras
    from keras import ops

    class InstanceNormalization(keras.layers.Layer):
        """Each image's channels normalised over its own positions, then scaled and shifted."""

        def __init__(self, epsilon: float = 1e-5, **kwargs):
            super().__init__(**kwargs)
            self.epsilon = epsilon

        def build(self, input_shape):
            channels = input_shape[-1]
            self.scale = self.add_weight(name="scale", shape=(channels,), initializer="ones")
            self.offset = self.add_weight(name="offset", shape=(channels,), initializer="zeros")

        def call(self, x):
            mean = ops.mean(x, axis=(1, 2), keepdims=True)
            variance = ops.var(x, axis=(1, 2), keepdims=True)
            return (x - mean) * ops.rsqrt(variance + self.epsilon) * self.scale + self.offset

    class ConvLayer(keras.layers.Layer):
        """Reflection padding, a convolution, and (unless last) instance normalisation and a ReLU."""

        def __init__(self, filters: int, kernel: int, strides: int = 1, last: bool = False, **kwargs):
            super().__init__(**kwargs)
            self.kernel, self.last = kernel, last
            self.conv = keras.layers.Conv2D(filters, kernel, strides=strides, padding="valid")
            self.norm = None if last else InstanceNormalization()

        def call(self, x):
            pad = self.kernel // 2  # reflection, not zeros: no dark frame around the picture
            x = self.conv(ops.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect"))
            return x if self.last else ops.relu(self.norm(x))

    class ResidualBlock(keras.layers.Layer):
        """Two 3x3 convolutions whose result is added to the input (the second without a ReLU)."""

        def __init__(self, filters: int, **kwargs):
            super().__init__(**kwargs)
            self.first = ConvLayer(filters, 3)
            self.second = ConvLayer(filters, 3, last=True)
            self.norm = InstanceNormalization()

        def call(self, x):
            return x + self.norm(self.second(self.first(x)))

    class TransformNet(keras.Model):
        """The whole network: pads to a multiple of 4, paints, crops back to the input's size."""

        def __init__(self, spec: NetSpec, **kwargs):
            super().__init__(**kwargs)
            self.spec, w = spec, spec.width
            self.down = [ConvLayer(w, 9), ConvLayer(2 * w, 3, strides=2), ConvLayer(4 * w, 3, strides=2)]
            self.blocks = [ResidualBlock(4 * w) for _ in range(spec.residual_blocks)]
            self.up = [ConvLayer(2 * w, 3), ConvLayer(w, 3)]
            self.out = ConvLayer(3, 9, last=True)

        def call(self, images):
            height, width = ops.shape(images)[1], ops.shape(images)[2]
            pad_h, pad_w = (-height) % MULTIPLE, (-width) % MULTIPLE
            x = ops.pad(images / 127.5 - 1.0, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="reflect")
            for layer in self.down + self.blocks:
                x = layer(x)
            for layer in self.up:
                x = layer(ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2))  # nearest-neighbour upsampling
            x = 255.0 * ops.sigmoid(self.out(x))
            return x[:, :height, :width, :]

    return TransformNet


def build_transform_net(spec: NetSpec | None = None):
    """A new network with random weights, built (its weights exist) for RGB images of any size.

    Args:
        spec: The architecture; default ``NetSpec()``, Johnson et al.'s widths.

    Returns:
        A ``keras.Model``: ``(batch, height, width, 3)`` RGB 0..255 in, the same shape out.
    """
    from keras import ops

    net = _layers()(spec or NetSpec())
    net(ops.zeros((1, 2 * MULTIPLE, 2 * MULTIPLE, 3)))  # builds every layer, so weights can load
    return net
