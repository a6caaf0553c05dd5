"""Compiled steps shared by the networks of one architecture (skaudio._compiled_steps)."""

import keras
import numpy as np
import pytest

from skaudio import VGGLikeClassifier, _compiled_steps
from skaudio.networks import _conv

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax",
                                reason="steps are shared on the JAX backend only")

COMPILED = dict(filters=(4, 8), dense_units=8, epochs=2, batch_size=8, patience=None,
                validation_split=0.0)


@pytest.fixture(autouse=True)
def fresh_cache():
    _compiled_steps.clear()
    yield
    _compiled_steps.clear()


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 16, 16)).astype(np.float32)
    y = np.arange(40) % 2
    X[y == 1, :, :4] += 1.5
    return X, y


def test_same_architecture_shares_steps_and_trains_the_same(data):
    X, y = data
    validated = {**COMPILED, "validation_split": 0.25}
    first = VGGLikeClassifier(random_state=0, **validated).fit(X, y)
    # another seed and learning rate: the steps' arguments, not their trace
    shared = VGGLikeClassifier(random_state=1, learning_rate=3e-3, **validated).fit(X, y)
    for step in ("train_function", "test_function", "predict_function"):
        assert getattr(shared.model_, step) is getattr(first.model_, step)
    _compiled_steps.clear()
    own = VGGLikeClassifier(random_state=1, learning_rate=3e-3, **validated).fit(X, y)
    assert own.model_.train_function is not first.model_.train_function
    for a, b in zip(shared.model_.get_weights(), own.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # batch-norm statistics included
    assert shared.history_["val_loss"] == own.history_["val_loss"]
    np.testing.assert_array_equal(shared.predict_proba(X), own.predict_proba(X))


def test_another_architecture_or_loss_compiles_its_own(data):
    X, y = data
    first = VGGLikeClassifier(random_state=0, **COMPILED).fit(X, y)
    wider = VGGLikeClassifier(random_state=0, **{**COMPILED, "dense_units": 16}).fit(X, y)
    mixed = VGGLikeClassifier(random_state=0, mixup_alpha=0.2, **COMPILED).fit(X, y)
    functions = {id(c.model_.train_function) for c in (first, wider, mixed)}
    assert len(functions) == 3


def test_trace_key_covers_what_the_trace_reads(data, monkeypatch):
    X, y = data
    model = VGGLikeClassifier(random_state=0, **COMPILED).fit(X, y).model_
    key = _compiled_steps.trace_key(model)
    assert key is not None
    monkeypatch.setattr(_conv, "PATCH_BYTES", 0)
    assert _compiled_steps.trace_key(model) not in (None, key)
    monkeypatch.undo()
    model.compile(optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5), loss=model.loss)
    assert _compiled_steps.trace_key(model) not in (None, key)


def test_eager_models_share_nothing(data):
    X, y = data
    clf = VGGLikeClassifier(random_state=0, run_eagerly=True, **COMPILED).fit(X, y)
    assert _compiled_steps.trace_key(clf.model_) is None
    assert not _compiled_steps._SHARED


def test_keeps_the_most_recent_architectures(data, monkeypatch):
    X, y = data
    monkeypatch.setattr(_compiled_steps, "MAX_ARCHITECTURES", 1)
    first = VGGLikeClassifier(random_state=0, **COMPILED).fit(X, y)
    VGGLikeClassifier(random_state=0, **{**COMPILED, "dense_units": 16}).fit(X, y)
    assert len(_compiled_steps._SHARED) == 1
    again = VGGLikeClassifier(random_state=0, **COMPILED).fit(X, y)
    assert again.model_.train_function is not first.model_.train_function


def test_compiler_options_dropped_where_xla_does_not_know_them(monkeypatch):
    monkeypatch.setattr(_compiled_steps, "CPU_COMPILER_OPTIONS",
                        {"xla_cpu_no_such_option": True})
    _compiled_steps.compiler_options.cache_clear()
    try:
        assert _compiled_steps.compiler_options() is None
        step = _compiled_steps.jit(lambda x: x * 2)  # compiles without them
        np.testing.assert_array_equal(step(np.ones(3, np.float32)), 2.0)
    finally:
        monkeypatch.undo()
        _compiled_steps.compiler_options.cache_clear()


def test_compiler_options_follow_the_thread_budget(monkeypatch):
    def options(threads, cores=2):
        monkeypatch.setattr(_conv, "cpu_parts", lambda: cores)
        if threads is None:
            monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        else:
            monkeypatch.setenv("OMP_NUM_THREADS", threads)
        _compiled_steps.compiler_options.cache_clear()
        return _compiled_steps.compiler_options()

    try:
        unlimited = options(None)
        if unlimited is None:
            pytest.skip(reason="this JAX does not take the CPU compiler options")
        assert options("1") is None  # joblib's workers when n_jobs fills the cores
        assert options(None, cores=1) is None
        assert options("2") == options("0") == options("many") == unlimited
    finally:
        monkeypatch.undo()
        _compiled_steps.compiler_options.cache_clear()


def test_compiled_steps_convolve_outside_ynnpack(monkeypatch):
    import jax

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(_conv, "cpu_parts", lambda: 2)
    _compiled_steps.compiler_options.cache_clear()
    if _compiled_steps.compiler_options() is None:
        _compiled_steps.compiler_options.cache_clear()
        pytest.skip(reason="this JAX does not take the CPU compiler options")

    def convolve(x, kernel):
        return jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))

    x = np.random.default_rng(0).normal(size=(4, 16, 16, 32)).astype(np.float32)
    kernel = np.random.default_rng(1).normal(size=(3, 3, 32, 64)).astype(np.float32)
    compiled = _compiled_steps.jit(convolve).lower(x, kernel).compile()
    _compiled_steps.compiler_options.cache_clear()
    assert "__ynn_fusion" not in compiled.as_text()
    np.testing.assert_allclose(compiled(x, kernel), jax.jit(convolve)(x, kernel),
                               rtol=1e-4, atol=1e-4)


def test_a_model_that_shares_nothing_still_compiles_with_the_options(data, monkeypatch):
    X, y = data
    compiled, jit = [], _compiled_steps.jit

    def counting_jit(function, **kwargs):
        compiled.append(function)
        return jit(function, **kwargs)

    monkeypatch.setattr(_compiled_steps, "trace_key", lambda model: None)
    monkeypatch.setattr(_compiled_steps, "jit", counting_jit)
    clf = VGGLikeClassifier(random_state=0, **COMPILED).fit(X, y)
    assert clf.predict(X).shape == y.shape
    assert not _compiled_steps._SHARED
    expected = 2 if _compiled_steps.compiler_options() is not None else 0
    assert len(compiled) == expected  # the train and test steps
