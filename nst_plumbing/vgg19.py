"""VGG19's shape, described once: its blocks, their convolutions, channels and layer names.

The model (``nst_helpers.get_model``), the weights (``nst_plumbing.weights``), the memory
estimate (``nst_plumbing.memory``) and the exercise checks (``nst_plumbing.exercises``) all read
VGG19 from here. Keras names a convolution ``block<b>_conv<c>``.
"""

from __future__ import annotations

__all__ = ["BLOCK_CHANNELS", "BLOCK_CONVS", "CONV_LAYERS", "layer_position", "layer_channels", "pools_before"]

# VGG19's five blocks: the channels of their 3x3 convolutions and how many convolutions each
# has; a 2x2 max-pool halves the image between blocks.
BLOCK_CHANNELS = (64, 128, 256, 512, 512)
BLOCK_CONVS = (2, 2, 4, 4, 4)

# The 16 convolution layers, named as Keras names them, in the order an image meets them.
CONV_LAYERS = tuple(f"block{block}_conv{conv}" for block, convs in enumerate(BLOCK_CONVS, start=1)
                    for conv in range(1, convs + 1))


def layer_position(name: str) -> tuple[int, int]:
    """``(block, convolution)`` of a VGG19 convolution layer, both from 1: ``(5, 2)`` for ``block5_conv2``.

    Raises:
        ValueError: ``name`` is not one of ``CONV_LAYERS``.
    """
    if name not in CONV_LAYERS:
        raise ValueError(f"unknown VGG19 layer {name!r}; expected a name like 'block5_conv2' "
                         f"(one of {', '.join(CONV_LAYERS)})")
    block, conv = name.removeprefix("block").split("_conv")
    return int(block), int(conv)


def layer_channels(name: str) -> int:
    """How many channels (filters) the layer ``name`` has: 512 for ``block5_conv2``."""
    return BLOCK_CHANNELS[layer_position(name)[0] - 1]


def pools_before(name: str) -> int:
    """How many max-pools (each halving height and width) an image passes before the layer ``name``."""
    return layer_position(name)[0] - 1
