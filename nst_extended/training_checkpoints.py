"""A training's checkpoint on disk: the network's weights, Adam's state and the progress so far, so that an interrupted training resumes.

A checkpoint folder holds ``net-STEP.weights.h5`` (arrays only), ``optimizer-STEP.npz`` (arrays
only, read without pickle) and ``state.json``, which names the step. Each file is written beside
its place and moved in; ``state.json`` is moved in last, so an interruption at any moment leaves
the previous checkpoint whole. Files of older steps are removed only after that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from nst_plumbing.files import write_atomic

__all__ = ["STATE_NAME", "save_checkpoint", "read_state", "restore_checkpoint"]

STATE_NAME = "state.json"
KIND = "fast-style-training-checkpoint"


def _names(step: int) -> tuple[str, str]:
    return f"net-{step:07d}.weights.h5", f"optimizer-{step:07d}.npz"


def save_checkpoint(folder: str | Path, net: Any, optimizer: Any, state: dict) -> None:
    """Writes the network, the optimizer's variables and ``state`` (which must hold ``"step"``).

    Args:
        folder: The checkpoint folder; made if missing.
        net: The network being trained.
        optimizer: Its Keras optimizer, already built.
        state: JSON-serialisable progress: the step reached, the settings, the losses so far.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    net_name, optimizer_name = _names(int(state["step"]))
    arrays = {f"v{index:04d}": np.asarray(variable) for index, variable in enumerate(optimizer.variables)}
    write_atomic(folder / net_name, lambda partial: net.save_weights(str(partial)), suffix=".weights.h5")
    write_atomic(folder / optimizer_name, lambda partial: np.savez(partial, **arrays), suffix=".npz")
    text = json.dumps({"kind": KIND, **state}, indent=1) + "\n"
    write_atomic(folder / STATE_NAME, lambda partial: partial.write_text(text, encoding="utf-8"))
    for old in [*folder.glob("net-*.weights.h5"), *folder.glob("optimizer-*.npz")]:
        if old.name not in (net_name, optimizer_name):
            old.unlink()


def read_state(folder: str | Path) -> dict | None:
    """The checkpoint's ``state.json`` as a dictionary, or ``None`` where there is no checkpoint yet.

    Raises:
        ValueError: ``state.json`` exists but is not a checkpoint's.
    """
    path = Path(folder) / STATE_NAME
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        state = None
    if not isinstance(state, dict) or state.get("kind") != KIND or not isinstance(state.get("step"), int):
        raise ValueError(f"{path}: not a training checkpoint's state; choose another checkpoint folder")
    return state


def restore_checkpoint(folder: str | Path, net: Any, optimizer: Any, step: int) -> None:
    """Loads step ``step``'s weights into ``net`` and its Adam state into ``optimizer`` (built here).

    Raises:
        ValueError: The files are missing or do not fit this network and optimizer.
    """
    folder = Path(folder)
    net_name, optimizer_name = _names(step)
    optimizer.build(net.trainable_variables)
    try:
        net.load_weights(str(folder / net_name))
        with np.load(folder / optimizer_name, allow_pickle=False) as stored:
            arrays = [stored[f"v{index:04d}"] for index in range(len(stored.files))]
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{folder}: the checkpoint of step {step} cannot be restored: {str(exc).splitlines()[0]}") from None
    if [array.shape for array in arrays] != [tuple(variable.shape) for variable in optimizer.variables]:
        raise ValueError(f"{folder}: the checkpoint's optimizer state does not fit this network")
    for variable, array in zip(optimizer.variables, arrays):
        variable.assign(array)
