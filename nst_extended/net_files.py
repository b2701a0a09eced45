"""A trained transformation network on disk: weights only (``NAME.weights.h5``) beside its description (``NAME.json``).

Nothing else is accepted: no whole-model ``.keras`` or pickled files, which can carry code. The
JSON says which architecture to build (``NetSpec``) and what the network was trained for; the
HDF5 file holds only arrays, loaded into that architecture by Keras, which refuses arrays of the
wrong shape. Every refusal names the file and says what was expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nst_extended.transform_net import NetSpec, build_transform_net
from nst_plumbing.files import write_atomic

WEIGHTS_SUFFIX = ".weights.h5"


def description_path(weights_path: str | Path) -> Path:
    """``NAME.json`` for ``NAME.weights.h5``.

    Raises:
        ValueError: The path does not end in ``.weights.h5``.
    """
    path = Path(weights_path)
    if not path.name.endswith(WEIGHTS_SUFFIX) or path.name == WEIGHTS_SUFFIX:
        raise ValueError(f"{path}: a network file must be NAME{WEIGHTS_SUFFIX} (weights only, beside NAME.json); "
                         "other formats can run code and are refused")
    return path.with_name(path.name[:-len(WEIGHTS_SUFFIX)] + ".json")


def save_transform_net(net: Any, weights_path: str | Path, about: dict | None = None) -> Path:
    """Writes the network's weights and its description, each file in one step.

    Args:
        net: A network from ``build_transform_net`` (or ``load_transform_net``).
        weights_path: ``NAME.weights.h5``; ``NAME.json`` is written beside it.
        about: What the network was trained for (style image, losses, training record), stored in
            the JSON under ``"about"``; must be JSON-serialisable.

    Returns:
        The description's path.
    """
    weights_path = Path(weights_path)
    described = description_path(weights_path)
    record = json.loads(net.spec.to_json())
    record["about"] = about or {}
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    write_atomic(weights_path, lambda partial: net.save_weights(str(partial)), suffix=WEIGHTS_SUFFIX)
    write_atomic(described, lambda partial: Path(partial).write_text(text, encoding="utf-8"), suffix=".json")
    return described


def read_description(weights_path: str | Path) -> tuple[NetSpec, dict]:
    """The architecture and the ``"about"`` record stored beside ``weights_path``.

    Raises:
        ValueError: The name is not ``NAME.weights.h5``, or the JSON is missing or not a description.
    """
    described = description_path(weights_path)
    if not described.is_file():
        raise ValueError(f"{weights_path}: its description {described.name} is missing (a network is "
                         f"NAME{WEIGHTS_SUFFIX} beside NAME.json)")
    try:
        record = json.loads(described.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        record = None
    if not isinstance(record, dict):
        raise ValueError(f"{described}: not JSON describing a network")
    about = record.pop("about", {})
    return NetSpec.from_record(record, str(described)), about if isinstance(about, dict) else {}


def load_transform_net(weights_path: str | Path) -> tuple[Any, dict]:
    """The network stored at ``weights_path``, and what it was trained for.

    Raises:
        FileNotFoundError: ``weights_path`` does not exist.
        ValueError: Not ``NAME.weights.h5`` beside a valid ``NAME.json``, or the weights do not
            fit the architecture the JSON describes, or the file is not readable HDF5.
    """
    weights_path = Path(weights_path)
    spec, about = read_description(weights_path)
    if not weights_path.is_file():
        raise FileNotFoundError(f"network weights not found: {weights_path}")
    net = build_transform_net(spec)
    try:
        net.load_weights(str(weights_path))
    except Exception as exc:  # Keras raises ValueError for shapes, OSError-like errors for corrupt files
        raise ValueError(f"{weights_path}: could not load it as the network {description_path(weights_path).name} "
                         f"describes (width {spec.width}, {spec.residual_blocks} residual blocks): "
                         f"{str(exc).splitlines()[0]}") from None
    return net, about
