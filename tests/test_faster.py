"""Beyond the article: L-BFGS, total variation, coarse-to-fine and bfloat16 (notebook 07), in the extended run."""

import numpy as np
import pytest

import nst_extended as extended
import nst_helpers as nst
from hardware import ON_GPU
from nst_plumbing import device
from nst_plumbing.config import BFLOAT16_MIN_SIDE, MEDIA_DIR, MIN_IMAGE_SIDE, OPTIMIZERS, PROFILES
from nst_plumbing.weights import keras_dtype_policy

CONTENT, STYLE = MEDIA_DIR / "crab.jpg", MEDIA_DIR / "great_wave.jpg"


def neighbour_difference(rgb: np.ndarray) -> float:
    """High-frequency energy: mean absolute difference between neighbouring pixel values."""
    rgb = rgb.astype(np.float64)
    return float(np.mean(np.abs(np.diff(rgb, axis=0))) + np.mean(np.abs(np.diff(rgb, axis=1))))


def run(model, iterations, callback=None, target_model=None, content=CONTENT, style=STYLE, **settings):
    """The extended run at 64 px (unless ``settings`` says otherwise) with the given model."""
    settings.setdefault("max_dim", None if "scales" in settings else 64)
    return extended.run_style_transfer(content, style, extended.Settings(iterations=iterations, **settings),
                                       model=model, target_model=target_model, callback=callback)


@pytest.fixture(scope="module")
def bf16_model():
    return nst.get_model(verbose=False, precision="bfloat16")


def test_lbfgs_lowers_the_loss_and_never_leaves_the_pixel_range(model):
    seen = []
    result = run(model, 25, optimizer="lbfgs", callback=lambda step: seen.append(np.array(step.processed_image)))
    history = result.history
    assert history.optimizer == "lbfgs" and len(history.iterations) == len(seen) == 25
    assert result.best_loss < 0.2 * history.total_loss[0], (history.total_loss[0], result.best_loss)
    assert result.best_loss == min(history.total_loss)
    lowest, highest = -nst.VGG_MEAN_BGR, 255 - nst.VGG_MEAN_BGR
    for image in seen:  # every image L-BFGS evaluated is a real picture
        assert np.all(image >= lowest - 1e-3) and np.all(image <= highest + 1e-3)


def test_lbfgs_beats_adam_for_the_same_number_of_evaluations(model):
    adam = run(model, 25, optimizer="adam")
    lbfgs = run(model, 25, optimizer="lbfgs")
    assert lbfgs.best_loss < adam.best_loss, (lbfgs.best_loss, adam.best_loss)


def test_total_variation_lowers_high_frequency_energy(model):
    plain = run(model, 25, optimizer="lbfgs")
    smooth = run(model, 25, optimizer="lbfgs", tv_weight=1e6)
    assert plain.history.tv_loss == [0.0] * 25 and min(smooth.history.tv_loss) > 0
    np.testing.assert_allclose(np.add.reduce([smooth.history.style_loss, smooth.history.content_loss,
                                              smooth.history.tv_loss]), smooth.history.total_loss, rtol=1e-5)
    assert neighbour_difference(smooth.best_img) < 0.8 * neighbour_difference(plain.best_img)


def test_total_variation_loss_is_a_mean_per_pixel():
    flat = np.zeros((1, 8, 10, 3), dtype=np.float32)
    assert float(nst.total_variation_loss(flat)) == 0
    stripes = flat.copy()
    stripes[:, :, ::2] = 1.0  # every horizontal neighbour differs by 1 in each of 3 channels
    # 9 horizontal differences per row, 8 rows, 3 channels, divided by the 80 pixels.
    assert float(nst.total_variation_loss(stripes)) == pytest.approx(8 * 9 * 3 / 80)


def test_coarse_to_fine_returns_the_final_size(model):
    steps = []
    result = run(model, [6, 4], scales=(32, 64), optimizer="lbfgs", callback=steps.append)
    assert result.best_img.shape == nst.load_img(CONTENT, 64).shape[1:]
    history = result.history
    assert history.scales == [32] * 6 + [64] * 4 and [step.scale for step in steps] == history.scales
    assert history.best_iteration >= 6  # the best image is one of the final scale's
    assert history.seconds_to_reach(result.best_loss) == history.seconds[history.best_iteration]


def test_coarse_to_fine_resizes_arrays_too(model):
    content, style = nst.read_image(CONTENT, 80), nst.read_image(STYLE, 80)
    result = run(model, 2, content=content, style=style, scales=(40, 56))
    assert max(result.best_img.shape[:2]) == 56


def test_bfloat16_loss_is_within_one_percent_of_float32(model, bf16_model):
    assert extended.model_precision(model) == "float32" and extended.model_precision(bf16_model) == "bfloat16"
    processed = nst.load_and_process_img(CONTENT, 256)
    targets = extended.compute_targets(model, processed, nst.load_and_process_img(STYLE, 256))
    noisy = processed + np.random.default_rng(0).normal(0, 20, processed.shape).astype(np.float32)
    for image in (processed, noisy):
        exact = nst.compute_loss(model, (nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), image,
                                 targets.gram_style_features, targets.content_features)
        fast = nst.compute_loss(bf16_model, (nst.STYLE_WEIGHT, nst.CONTENT_WEIGHT), image,
                                targets.gram_style_features, targets.content_features)
        assert all(output.dtype == "float32" for output in bf16_model(image))
        assert abs(float(fast[0]) - float(exact[0])) < 0.01 * float(exact[0]), (float(fast[0]), float(exact[0]))


def test_bfloat16_weights_are_stored_in_bfloat16_and_give_the_mixed_policys_numbers(model, bf16_model):
    """Stored weights are rounded once; Keras's mixed_bfloat16 rounds float32 weights the same way
    on every call, so both give the same activations."""
    import keras

    assert {weight.dtype for weight in bf16_model.weights} == {"bfloat16"}
    with keras_dtype_policy("mixed_bfloat16"):
        mixed_vgg = keras.applications.VGG19(include_top=False, weights=None)
    mixed_vgg.load_weights(str(nst.find_vgg19_weights("auto").path))
    assert {weight.dtype for weight in mixed_vgg.weights} == {"float32"}
    assert mixed_vgg.get_layer(nst.CONTENT_LAYERS[0]).compute_dtype == "bfloat16"
    image = nst.load_and_process_img(CONTENT, 64)
    stored = bf16_model(image)[-1]
    mixed = keras.ops.cast(keras.Model(mixed_vgg.input, mixed_vgg.get_layer(nst.CONTENT_LAYERS[0]).output)(image),
                           "float32")
    stored, mixed = np.asarray(stored, np.float64), np.asarray(mixed, np.float64)
    if not ON_GPU:
        np.testing.assert_array_equal(stored, mixed)
    else:  # two graphs may get different cuDNN algorithms: the same numbers up to bfloat16's rounding
        assert np.linalg.norm(stored - mixed) < 1e-2 * np.linalg.norm(mixed)


def test_lbfgs_runs_scipy_with_one_blas_thread_and_restores_it_after(model):
    import scipy.optimize  # noqa: F401  (loads SciPy's BLAS before the count is taken)
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    with threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        before, during = blas_threads(), []
        assert before and max(before) == 2, before
        run(model, 3, max_dim=32, optimizer="lbfgs", callback=lambda step: during.append(blas_threads()))
        assert during and all(threads == [1] * len(before) for threads in during), during
        assert blas_threads() == before


def test_a_bfloat16_run_records_its_precision_and_lowers_the_loss(model, bf16_model):
    result = run(bf16_model, 10, target_model=model, optimizer="lbfgs")
    assert result.history.precision == "bfloat16"
    assert result.best_loss < 0.5 * result.history.total_loss[0]


# ---------------------------------------------------------------------------
# precision="auto": the machine's facts, pretended, so that these tests mean the same on every machine
# ---------------------------------------------------------------------------

CPU = None  # gpu_details() where TensorFlow sees no GPU
T4 = {"device_name": "Tesla T4", "compute_capability": (7, 5)}  # Turing: bfloat16 emulated
A100 = {"device_name": "NVIDIA A100-SXM4-40GB", "compute_capability": (8, 0)}  # Ampere: native bfloat16
H100 = {"device_name": "NVIDIA H100", "compute_capability": (9, 0)}


@pytest.fixture
def pretend(monkeypatch):
    """Sets what the machine reports: the GPU TensorFlow sees (or ``None``) and the CPU's flags."""
    def machine(gpu, cpu_flags=("avx2",)):
        monkeypatch.setattr(device, "gpu_details", lambda: gpu)
        monkeypatch.setattr(device, "cpu_flags", lambda: frozenset(cpu_flags))
    return machine


@pytest.mark.parametrize("gpu,cpu_flags,side,expected", [
    (CPU, ("avx2", "amx_bf16", "amx_tile"), None, "bfloat16"),  # AMX tiles multiply bfloat16 natively
    (CPU, ("avx2", "amx_bf16", "amx_tile"), 384, "bfloat16"),
    (CPU, ("avx2", "amx_bf16", "amx_tile"), BFLOAT16_MIN_SIDE, "bfloat16"),
    (CPU, ("avx2", "amx_bf16", "amx_tile"), BFLOAT16_MIN_SIDE - 1, "float32"),  # too small to pay reliably
    (CPU, ("avx2", "amx_bf16", "amx_tile"), 64, "float32"),
    (CPU, ("avx2", "avx512f", "avx512_bf16"), 384, "float32"),  # dot products alone: not AMX
    (CPU, ("avx2",), 384, "float32"),
    (CPU, (), None, "float32"),  # no flags listed (not Linux): never assume
    (T4, ("avx2", "amx_bf16"), 384, "float32"),  # the GPU computes, and it emulates bfloat16: the CPU's AMX is idle
    (T4, ("avx2",), None, "float32"),
    (A100, ("avx2",), 384, "bfloat16"),  # the GPU computes natively, whatever the CPU
    (A100, ("avx2",), None, "bfloat16"),
    (A100, ("avx2",), 64, "float32"),
    (H100, (), 1024, "bfloat16"),
])
def test_precision_auto_follows_the_hardware(pretend, gpu, cpu_flags, side, expected):
    pretend(gpu, cpu_flags)
    assert extended.preferred_precision(side) == expected
    assert extended.resolve_precision("auto", side) == expected
    for chosen in ("float32", "bfloat16"):  # an explicit choice is kept, whatever the hardware
        assert extended.resolve_precision(chosen, side) == chosen


def test_a_gpu_without_compute_capability_is_not_taken_for_a_native_one(pretend):
    pretend({"device_name": "some GPU"}, ("amx_bf16",))
    assert extended.preferred_precision(1024) == "float32"


def test_an_unknown_precision_is_refused(pretend):
    pretend(A100)
    with pytest.raises(ValueError, match="precision must be one of 'auto', 'float32', 'bfloat16'; got 'float16'"):
        extended.resolve_precision("float16", 512)


@pytest.mark.parametrize("gpu,cpu_flags,max_dim,expected", [
    (CPU, ("amx_bf16",), 256, "bfloat16"),
    (CPU, ("amx_bf16",), 64, "float32"),
    (CPU, ("avx2",), 256, "float32"),
    (T4, ("amx_bf16",), 256, "float32"),
    (A100, (), 256, "bfloat16"),
])
def test_a_plans_precision_follows_the_hardware_and_the_result_size(pretend, gpu, cpu_flags, max_dim, expected):
    pretend(gpu, cpu_flags)
    plan = extended.plan_run(CONTENT, STYLE, extended.Settings(iterations=1, max_dim=max_dim, check_memory=False))
    assert plan.precision == expected and max(plan.result_size) == max_dim


def test_a_given_models_precision_wins_over_the_hardware(pretend, model, bf16_model):
    pretend(A100)
    settings = extended.Settings(iterations=1, max_dim=256, check_memory=False)
    assert extended.plan_run(CONTENT, STYLE, settings, model=model).precision == "float32"
    pretend(CPU)
    assert extended.plan_run(CONTENT, STYLE, settings, model=bf16_model).precision == "bfloat16"


def test_cpu_fast_bfloat16_means_amx_tiles(monkeypatch):
    for flags, expected in ((("avx2", "amx_bf16", "amx_tile"), True), (("avx512_bf16", "avx512f"), False),
                            (("avx2",), False), ((), False)):
        monkeypatch.setattr(device, "cpu_flags", lambda flags=flags: frozenset(flags))
        assert device.cpu_has_fast_bfloat16() is expected, flags


def test_native_bfloat16_asks_the_device_tensorflow_computes_on(pretend):
    for gpu, flags, expected in ((CPU, ("amx_bf16",), True), (CPU, ("avx2",), False), (T4, ("amx_bf16",), False),
                                 (A100, ("avx2",), True), (H100, (), True)):
        pretend(gpu, flags)
        assert device.native_bfloat16() is expected, (gpu, flags)


def test_device_name_names_the_gpu_or_the_cpu(pretend):
    pretend(CPU)
    name = device.device_name()
    assert name.startswith("CPU: ") and device.cpu_model() in name and f"{device.core_count()} cores" in name
    pretend(A100)
    assert device.device_name() == "GPU: NVIDIA A100-SXM4-40GB"


def test_cpu_description_gives_family_model_and_bfloat16_support(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 23\nmodel\t\t: 1\n"
                       "model name\t: AMD EPYC 7571\nflags\t\t: fpu avx2\n", encoding="utf-8")
    monkeypatch.setattr(device, "CPUINFO", str(cpuinfo))
    device.cpuinfo_field.cache_clear()
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    try:
        assert device.cpu_family_model() == (23, 1)
        assert device.cpu_description() == f"AMD EPYC 7571 (family 23, model 1; {device.core_count()} cores; no AMX-BF16)"
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
        assert device.cpu_description().endswith("no AMX-BF16; oneDNN limited to AVX2)")
        cpuinfo.write_text("model name\t: Some CPU\n", encoding="utf-8")
        device.cpuinfo_field.cache_clear()
        assert device.cpu_family_model() is None and "family" not in device.cpu_description()
    finally:
        device.cpuinfo_field.cache_clear()


def test_cpu_features_are_read_from_the_machine():
    assert device.cpu_model().strip()
    flags = device.cpu_flags()
    assert isinstance(flags, frozenset) and all(isinstance(flag, str) and flag and " " not in flag for flag in flags)
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:  # Linux: the flags it lists are the ones read
        listed = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    assert flags == frozenset(listed)


def test_the_machines_own_gpu_is_reported_consistently():
    """Whatever this machine has: a GPU TensorFlow sees is named, with a compute capability."""
    gpu = device.gpu_details()
    if gpu is None:
        assert device.device_name().startswith("CPU: ")
        return
    assert device.device_name() == f"GPU: {gpu['device_name']}"
    capability = tuple(gpu.get("compute_capability", ()))
    assert len(capability) == 2 and all(isinstance(part, int) for part in capability), gpu


# ---------------------------------------------------------------------------
# Bad options are refused before any work
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,setting,message", [
    ({"optimizer": "sgd"}, "optimizer", "optimizer must be one of 'adam', 'lbfgs'; got 'sgd'"),
    ({"tv_weight": -1.0}, "tv_weight", "tv_weight must be a finite number >= 0; got -1.0"),
    ({"scales": (64, 32)}, "scales",
     "scales must increase from coarse to fine (the last is the result's size); got 64 32"),
    ({"scales": (32, 64), "max_dim": 48}, "max_dim", "max_dim 48 contradicts scales 32 64"),
    ({"scales": ()}, "scales", "scales must be a non-empty sequence"),
    ({"scales": (8, 64)}, "scales", "scales: each size must be an integer of at least 16 pixels; got 8"),
    ({"scales": (32, 64), "iterations": [1, 2, 3]}, "iterations",
     "iterations takes one number, or one per scale (2); got 3"),
    ({"iterations": [1, 2]}, "iterations", "several iterations need as many scales"),
    ({"precision": "float16"}, "precision", "precision must be one of 'auto', 'float32', 'bfloat16'; got 'float16'"),
])
def test_bad_options_get_clear_errors_before_any_work(kwargs, setting, message, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("a model was built before the arguments were checked")

    monkeypatch.setattr(nst, "get_model", no_model)
    with pytest.raises(extended.SettingError) as info:
        extended.run_style_transfer(CONTENT, STYLE, extended.Settings(**{"iterations": 2, **kwargs}))
    assert message in str(info.value) and info.value.setting == setting


def test_precision_contradicting_the_model_is_refused(model):
    with pytest.raises(ValueError, match="contradicts the given model, which computes in float32"):
        extended.run_style_transfer(CONTENT, STYLE, extended.Settings(iterations=1, max_dim=32, precision="bfloat16"),
                                    model=model)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_recipe_is_valid(name):
    recipe = PROFILES[name].command_line
    assert recipe.optimizer in OPTIMIZERS and recipe.tv_weight >= 0
    assert list(recipe.scales) == sorted(set(recipe.scales)) and min(recipe.scales) >= MIN_IMAGE_SIDE
    assert len(recipe.iterations) == len(recipe.gallery_iterations) == len(recipe.scales)
    assert min(recipe.iterations + recipe.gallery_iterations) >= 1
    extended.Settings(iterations=recipe.iterations, scales=recipe.scales if len(recipe.scales) > 1 else None,
                      max_dim=recipe.scales[-1], optimizer=recipe.optimizer, tv_weight=recipe.tv_weight)
