"""Abrol and Sharma's raw-waveform network: its blocks, the builder, PreEmphasis, the metrics.

Every layer is checked against a plain NumPy reference on tiny tensors; the
builder on its output shapes for each ablation switch, its seeding, a short
training run and a save/load round trip.
"""

import keras
import numpy as np
import pytest
from keras import ops
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer, top_k_accuracy_score
from sklearn.model_selection import cross_validate
from sklearn.utils._param_validation import InvalidParameterError

import skaudio
from skaudio import PreEmphasis
from skaudio.metrics import inter_cluster_centroid_distance, intra_cluster_distance, top_k_scorer
from skaudio.networks import build_raw_waveform_network
from skaudio.networks.raw_waveform import (
    LONG_PIPELINE,
    SHORT_PIPELINE,
    FrameAttentionPooling,
    FrameSignal,
    L2SoftmaxDense,
    PrototypeDistances,
    PrototypeMarginLoss,
    SoftOrthogonalRegularizer,
    StatisticsPooling,
    UnfoldFrames,
    l2_softmax_alpha_lower_bound,
    min_frame_length,
    prototype_margin_loss,
)
from skaudio.preprocessing import pre_emphasis

# A tiny network: 2 frames of 12500 samples (the least the long-kernel
# pipeline takes) per clip of 16000 samples, a few filters per layer.
N_SAMPLES, FRAME, HOP = 16000, 12500, 3500
TINY = dict(frame_length=FRAME, frame_hop=HOP, filters=(2, 3, 3, 4, 4, 5), hidden_units=8,
            embedding_dim=6, attention_units=4, recurrent_units=3)


def tiny_network(n_fine=4, n_coarse=2, **kwargs):
    return build_raw_waveform_network(N_SAMPLES, n_fine, n_coarse, **{**TINY, **kwargs})


def waveforms(n=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, N_SAMPLES)).astype(np.float32)


# ------------------------------------------------------------ NumPy references
def softmax_reference(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def l2_softmax_reference(x, kernel, bias, alpha):
    """Ranjan et al.: softmax(W^T (alpha x / ||x||) + b)."""
    scaled = alpha * x / np.linalg.norm(x, axis=-1, keepdims=True)
    return softmax_reference(scaled @ kernel + bias)


def prototype_loss_reference(r, z, y, margin=1.0):
    """Eq. 4, one (sample, prototype) pair at a time, summed over prototypes, mean over samples."""
    total = 0.0
    for i in range(r.shape[0]):
        for j in range(z.shape[0]):
            squared = float(np.sum((r[i] - z[j]) ** 2))
            total += squared if y[i] == j else max(0.0, margin - squared)
    return total / r.shape[0]


def attention_reference(h, kernel, bias, v):
    """Eq. 2-3: a_i = softmax_i(v^T tanh(W h_i + b)); returns (sum_i a_i h_i, a)."""
    scores = np.tanh(h @ kernel + bias) @ v[:, 0]
    a = softmax_reference(scores, axis=1)
    return np.einsum("bf,bfd->bd", a, h), a


# ----------------------------------------------------------- statistics pooling
@pytest.mark.parametrize("shape, axis", [((2, 7, 3), 1), ((2, 3, 5, 4), 2), ((2, 3, 5, 4), -2)])
def test_statistics_pooling_equals_numpy_mean_then_std(rng, shape, axis):
    x = rng.normal(size=shape).astype(np.float32)
    out = np.asarray(StatisticsPooling(axis=axis)(x))
    expected = np.concatenate([x.mean(axis=axis), x.std(axis=axis)], axis=-1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert StatisticsPooling(axis=axis).compute_output_shape(shape) == expected.shape


def test_statistics_pooling_of_constant_frames_has_zero_std_and_finite_gradient():
    import jax

    x = np.ones((1, 4, 2), dtype=np.float32)
    layer = StatisticsPooling()
    np.testing.assert_array_equal(np.asarray(layer(x)), [[1.0, 1.0, 0.0, 0.0]])
    grad = jax.grad(lambda t: ops.sum(layer(t)))(x)
    assert np.isfinite(np.asarray(grad)).all()


@pytest.mark.parametrize("axis", [0, 2, -1, 5])
def test_statistics_pooling_refuses_the_batch_and_feature_axes(axis):
    with pytest.raises(ValueError, match="between the batch axis and the feature"):
        StatisticsPooling(axis=axis)(np.ones((1, 4, 2), dtype=np.float32))


# ------------------------------------------------------------ attention pooling
def test_attention_pooling_equals_eq_2_3_and_its_weights_sum_to_one(rng):
    h = rng.normal(size=(3, 5, 4)).astype(np.float32)
    layer = FrameAttentionPooling(6, return_attention=True, kernel_initializer="orthogonal")
    pooled, weights = (np.asarray(t) for t in layer(h))
    kernel, bias, v = (np.asarray(w) for w in layer.get_weights())
    assert kernel.shape == (4, 6) and bias.shape == (6,) and v.shape == (6, 1)
    bias = rng.normal(size=6).astype(np.float32)  # a non-zero b is used too
    layer.set_weights([kernel, bias, v])
    pooled, weights = (np.asarray(t) for t in layer(h))
    expected_pooled, expected_weights = attention_reference(h, kernel, bias, v)
    np.testing.assert_allclose(weights, expected_weights, rtol=1e-5)
    np.testing.assert_allclose(pooled, expected_pooled, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    assert (weights > 0).all()
    # Without return_attention: the pooled frames only.
    plain = FrameAttentionPooling(6)
    plain(h)
    plain.set_weights([kernel, bias, v])
    np.testing.assert_allclose(np.asarray(plain(h)), pooled, rtol=1e-6)


def test_attention_pooling_of_identical_frames_is_that_frame(rng):
    frame = rng.normal(size=(1, 1, 3)).astype(np.float32)
    out = FrameAttentionPooling(2)(np.repeat(frame, 4, axis=1))
    np.testing.assert_allclose(np.asarray(out), frame[:, 0], rtol=1e-6)


# --------------------------------------------------------------- l2-softmax
def test_l2_softmax_equals_the_numpy_reference_and_ignores_the_feature_norm(rng):
    x = rng.normal(size=(4, 3)).astype(np.float32)
    layer = L2SoftmaxDense(5, alpha=3.0)
    out = np.asarray(layer(x))
    kernel = np.asarray(layer.kernel)
    bias = rng.normal(size=5).astype(np.float32)
    layer.bias.assign(bias)
    np.testing.assert_allclose(np.asarray(layer(x)), l2_softmax_reference(x, kernel, bias, 3.0),
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.asarray(layer(10 * x)), np.asarray(layer(x)), rtol=1e-5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    zeros = np.asarray(layer(np.zeros((1, 3), dtype=np.float32)))  # a dead ReLU embedding
    np.testing.assert_allclose(zeros, softmax_reference(bias[np.newaxis]), rtol=1e-5)


def test_l2_softmax_refuses_a_scale_that_is_not_positive():
    with pytest.raises(ValueError, match="alpha must be positive"):
        L2SoftmaxDense(3, alpha=0.0)


@pytest.mark.parametrize("n_classes, p", [(3, 0.9), (8, 0.9), (70, 0.9), (1000, 0.99)])
def test_alpha_lower_bound_is_ranjan_et_al_s(n_classes, p):
    alpha = l2_softmax_alpha_lower_bound(n_classes, p)
    assert alpha == pytest.approx(np.log(p * (n_classes - 2) / (1 - p)))
    # At the best arrangement (feature on its class's weight, one class opposite,
    # the rest orthogonal) alpha_low reaches p only without the e^-alpha term.
    assert np.exp(alpha) / (np.exp(alpha) + n_classes - 2) == pytest.approx(p)
    exact = np.exp(alpha) / (np.exp(alpha) + n_classes - 2 + np.exp(-alpha))
    assert exact < p


def test_alpha_lower_bound_of_two_classes_is_the_exact_scale():
    alpha = l2_softmax_alpha_lower_bound(2, 0.9)
    assert np.exp(alpha) / (np.exp(alpha) + np.exp(-alpha)) == pytest.approx(0.9)


@pytest.mark.parametrize("n_classes, p, match", [
    (1, 0.9, "at least 2"), (3.0, 0.9, "at least 2"), (True, 0.9, "at least 2"),
    (3, 1.0, "p must be in"), (3, 0.5, "p must be in"), (10, 0.05, "p must be in"),
    (2, 0.4, "p must be in"),
])
def test_alpha_lower_bound_explains_bad_arguments(n_classes, p, match):
    with pytest.raises(ValueError, match=match):
        l2_softmax_alpha_lower_bound(n_classes, p)


# ------------------------------------------------------------- prototype loss
def test_prototype_loss_equals_eq_4_on_tiny_tensors(rng):
    r = rng.normal(scale=0.6, size=(5, 3)).astype(np.float32)
    z = rng.normal(scale=0.6, size=(3, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])
    layer = PrototypeDistances(3)
    layer(r)
    layer.set_weights([z])
    distances = np.asarray(layer(r))
    np.testing.assert_allclose(distances, ((r[:, None] - z[None]) ** 2).sum(-1), rtol=1e-5)
    for margin in (1.0, 0.3):
        expected = prototype_loss_reference(r, z, y, margin)
        # Both the hinge and the attraction are active on this draw.
        assert ((distances < margin) & (np.eye(3)[y] == 0)).any()
        loss = PrototypeMarginLoss(margin=margin)
        assert float(loss(y, distances)) == pytest.approx(expected, rel=1e-5)
        assert float(loss(y[:, None], distances)) == pytest.approx(expected, rel=1e-5)
        assert float(loss(np.eye(3)[y], distances)) == pytest.approx(expected, rel=1e-5)
    per_sample = np.asarray(prototype_margin_loss(y, distances))
    assert per_sample.shape == (5,)
    assert per_sample.mean() == pytest.approx(prototype_loss_reference(r, z, y), rel=1e-5)


def test_prototype_loss_is_zero_once_classes_sit_on_their_prototypes():
    z = np.array([[0.0, 0.0], [2.0, 0.0]], dtype=np.float32)  # 4 apart, beyond m = 1
    distances = ((z[:, None] - z[None]) ** 2).sum(-1)
    assert float(PrototypeMarginLoss()(np.array([0, 1]), distances)) == 0.0


def test_prototype_distances_can_normalise_first(rng):
    r = rng.normal(size=(2, 3)).astype(np.float32)
    layer = PrototypeDistances(2, normalize=True)
    out = np.asarray(layer(5 * r))
    np.testing.assert_allclose(out, np.asarray(layer(r)), rtol=1e-5)
    assert (out <= 4 + 1e-5).all()  # two unit vectors are at most 2 apart


# -------------------------------------------------------------- regulariser
def test_soft_orthogonal_penalty_is_the_frobenius_norm_of_the_gram_deviation(rng):
    tall = rng.normal(size=(3, 4, 5)).astype(np.float32)  # Conv1D (kW, C_in, C_out)
    w = tall.reshape(12, 5)
    expected = 0.1 * ((w.T @ w - np.eye(5)) ** 2).sum()
    assert float(SoftOrthogonalRegularizer(0.1)(tall)) == pytest.approx(expected, rel=1e-5)
    wide = rng.normal(size=(2, 1, 6)).astype(np.float32)  # more filters than inputs
    w = wide.reshape(2, 6)
    expected = ((w @ w.T - np.eye(2)) ** 2).sum()
    assert float(SoftOrthogonalRegularizer(1.0)(wide)) == pytest.approx(expected, rel=1e-5)
    orthogonal = keras.initializers.Orthogonal(seed=0)((3, 4, 5))
    assert float(SoftOrthogonalRegularizer(1.0)(orthogonal)) < 1e-9


# ------------------------------------------------------------------- framing
def test_frames_are_the_clip_s_windows_and_unfold_gathers_them_back():
    x = np.arange(2 * 11, dtype=np.float32).reshape(2, 11)
    frames = np.asarray(FrameSignal(5, 3)(x))  # 3 frames, sample 10 left out
    assert frames.shape == (6, 5, 1)
    expected = np.stack([x[b, s:s + 5] for b in range(2) for s in (0, 3, 6)])
    np.testing.assert_array_equal(frames[..., 0], expected)
    back = np.asarray(UnfoldFrames(3)(frames[..., 0]))
    np.testing.assert_array_equal(back, expected.reshape(2, 3, 5))


def test_minimum_frame_lengths_follow_table_i():
    assert min_frame_length(SHORT_PIPELINE) == 1995
    assert min_frame_length(LONG_PIPELINE) == 12500
    assert sum(kind == "conv" for kind, *_ in SHORT_PIPELINE) == 6  # sub-segmental
    assert sum(kind == "conv" for kind, *_ in LONG_PIPELINE) == 5   # segmental


# ------------------------------------------------------------------- builder
@pytest.mark.parametrize("kwargs, n_coarse, layers, absent", [
    ({}, 2, ["short_conv1", "long_conv1", "attention", "frame_embedding"], ["gru1"]),
    ({"segmental": False}, 2, ["short_conv5", "attention"], ["long_conv1"]),
    ({"sub_segmental": False}, 2, ["long_conv1"], ["short_conv1", "long_conv5"]),
    ({"attention": False}, 2, ["embedding"], ["attention"]),
    ({"attention": False, "recurrent": "gru"}, 2, ["gru1", "gru2"], ["attention"]),
    ({"attention": False, "recurrent": "lstm"}, None, ["lstm2"], ["coarse"]),
    ({}, None, ["fine"], ["coarse", "prototype"]),
    ({"prototypes": False}, 2, ["coarse"], ["prototype"]),
], ids=["both", "sub_segmental_only", "segmental_only", "no_attention", "gru", "lstm",
        "fine_only", "no_prototypes"])
def test_builder_outputs_for_each_ablation(kwargs, n_coarse, layers, absent):
    model = tiny_network(5, n_coarse, kernel_initializer="zeros", **kwargs)
    dim = 3 if "recurrent" in kwargs else 6
    expected = {"fine": (None, 5), "embedding": (None, dim)}
    if n_coarse:
        expected["coarse"] = (None, n_coarse)
        if kwargs.get("prototypes", True):
            expected["prototype"] = (None, n_coarse)
    assert {key: tuple(t.shape) for key, t in model.output.items()} == expected
    names = {layer.name for layer in model.layers}
    assert set(layers) <= names and not set(absent) & names


def test_builder_layers_follow_table_i():
    model = tiny_network(5, 3, kernel_initializer="zeros")
    # Unpadded: Conv1 outputs 1 + (W_seq - kW) / dW steps per frame.
    assert model.get_layer("short_conv1").output.shape[1] == 1 + (FRAME - 20) // 5
    assert model.get_layer("long_conv1").output.shape[1] == 1 + (FRAME - 300) // 100
    assert model.get_layer("short_conv1").kernel.shape == (20, 1, 2)
    assert model.get_layer("long_conv1").kernel.shape == (300, 1, 2)
    assert model.get_layer("short_conv1").strides == (5,)
    assert model.get_layer("long_conv1").strides == (100,)
    assert model.get_layer("short_conv6").kernel.shape == (1, 4, 5)
    # Statistics of 5 filters per pipeline: 10-D each, 20-D concatenated, per frame.
    assert tuple(model.get_layer("unfold_frames").output.shape) == (None, 2, 20)
    assert isinstance(model.get_layer("short_conv2").kernel_regularizer,
                      SoftOrthogonalRegularizer)
    assert model.get_layer("fine").alpha == pytest.approx(l2_softmax_alpha_lower_bound(5))
    assert model.get_layer("coarse").alpha == pytest.approx(l2_softmax_alpha_lower_bound(3))
    fixed = tiny_network(5, 3, alpha=12.0, kernel_initializer="zeros")
    assert fixed.get_layer("fine").alpha == fixed.get_layer("coarse").alpha == 12.0


def test_same_seed_builds_the_same_network():
    a, b, c = (tiny_network(seed=seed) for seed in (0, 0, 1))
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert any(not np.array_equal(u, w) for u, w in zip(a.get_weights(), c.get_weights()))
    # Orthogonal initialisation: Conv2's flattened kernel has orthonormal columns.
    w = a.get_layer("short_conv2").kernel.numpy().reshape(-1, 3)
    np.testing.assert_allclose(w.T @ w, np.eye(3), atol=1e-5)


def test_forward_pass_gives_probabilities_distances_and_attention_weights():
    model = tiny_network(seed=0)
    x = waveforms(3)
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out["fine"].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(out["coarse"].sum(axis=1), 1.0, rtol=1e-5)
    assert (out["prototype"] >= 0).all() and out["embedding"].shape == (3, 6)
    weights = keras.Model(model.input, model.get_layer("attention").output[1]).predict(
        x, verbose=0)
    assert weights.shape == (3, 2)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)


def test_multi_task_training_steps_then_save_and_load(tmp_path):
    model = tiny_network(seed=0)
    # The trained outputs only (a view sharing the layers): the embedding has no
    # target, and Keras 3.3 (the oldest supported) pairs a dict of targets that
    # lacks one with the outputs by position.
    trained = keras.Model(model.input, {key: model.output[key]
                                        for key in ("fine", "coarse", "prototype")})
    trained.compile(optimizer="adam", loss={"fine": "sparse_categorical_crossentropy",
                                            "coarse": "sparse_categorical_crossentropy",
                                            "prototype": PrototypeMarginLoss(margin=1.0)})
    x, fine = waveforms(4), np.array([0, 1, 2, 3])
    coarse = fine // 2
    before = model.get_layer("prototype").get_weights()[0]
    history = trained.fit(x, {"fine": fine, "coarse": coarse, "prototype": coarse},
                          batch_size=2, epochs=1, verbose=0, shuffle=False)
    assert not np.array_equal(model.get_layer("prototype").get_weights()[0], before)
    # (Keras 3.3 reports only the total loss; later versions each output's too.)
    assert "loss" in history.history
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    expected = model.predict(x, verbose=0)
    path = tmp_path / "raw_waveform.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    got = loaded.predict(x, verbose=0)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6)
    assert isinstance(loaded.get_layer("prototype"), PrototypeDistances)
    assert loaded.get_layer("fine").alpha == model.get_layer("fine").alpha
    assert loaded.get_layer("attention").return_attention


@pytest.mark.parametrize("kwargs, match", [
    ({"sub_segmental": False, "segmental": False}, "leaves no CNN pipeline"),
    ({"recurrent": "gru"}, "pass attention=False"),
    ({"recurrent": "rnn", "attention": False}, "recurrent must be None"),
    ({"frame_length": 12000, "frame_hop": 4000}, "needs at least 12500 samples"),
    ({"segmental": False, "frame_length": 1994}, "needs at least 1995 samples"),
    ({"frame_length": N_SAMPLES + 1}, "exceeds n_samples"),
    ({"filters": (2, 3, 3, 4, 5)}, "filters needs 6 sizes"),
    ({"filters": (2, 3, 3, 4, 0, 5)}, "every entry of filters"),
    ({"dropout": 1.0}, "dropout must be in"),
    ({"alpha": -1.0}, "alpha must be positive"),
    ({"embedding_dim": 0}, "embedding_dim must be"),
])
def test_builder_explains_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny_network(**kwargs)


@pytest.mark.parametrize("n_fine, n_coarse, match", [(1, None, "n_fine"), (4, 1, "n_coarse"),
                                                      (4.0, None, "n_fine")])
def test_builder_needs_two_classes_per_head(n_fine, n_coarse, match):
    with pytest.raises(ValueError, match=match):
        tiny_network(n_fine, n_coarse)


# --------------------------------------------------------------- PreEmphasis
def test_pre_emphasis_matches_a_hand_computation():
    X = np.array([[1.0, 3.0, 2.0, 0.0]])
    # Pre-emphasis with 0.5: [1, 3 - 0.5, 2 - 1.5, 0 - 1] = [1, 2.5, 0.5, -1], mean 0.75.
    np.testing.assert_allclose(PreEmphasis(coef=0.5).fit_transform(X),
                               [[0.25, 1.75, -0.25, -1.75]])
    np.testing.assert_allclose(PreEmphasis(coef=0.5, center=False).fit_transform(X),
                               [[1.0, 2.5, 0.5, -1.0]])
    np.testing.assert_allclose(PreEmphasis(coef=0.0).fit_transform(X), X - 1.5)


def test_pre_emphasis_subtracts_the_mean_without_scaling(rng):
    X = 3.0 + 5.0 * rng.normal(size=(3, 64))
    out = PreEmphasis().fit_transform(X)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    emphasised = pre_emphasis(X, 0.97, center=False)
    np.testing.assert_allclose(out.std(axis=1), emphasised.std(axis=1))  # not unit
    assert not np.allclose(out.std(axis=1), 1.0)


def test_pre_emphasis_keeps_the_dtype_and_leaves_the_input_alone(rng):
    X = rng.normal(size=(2, 16)).astype(np.float32)
    before = X.copy()
    out = PreEmphasis().fit_transform(X)
    assert out.dtype == np.float32 and out.shape == X.shape
    np.testing.assert_array_equal(X, before)
    pcm = (X * 1000).astype(np.int16)
    assert PreEmphasis().fit_transform(pcm).dtype == np.float32  # PCM -> float32
    assert PreEmphasis().fit(X).get_feature_names_out().tolist()[:2] == ["sample0", "sample1"]


def test_pre_emphasis_is_exported_and_explains_bad_input():
    assert "PreEmphasis" in skaudio.__all__
    with pytest.raises(ValueError, match="waveforms of shape"):
        PreEmphasis().fit_transform(np.ones((2, 3, 4)))
    with pytest.raises(InvalidParameterError, match="coef"):
        PreEmphasis(coef=1.5).fit_transform(np.ones((2, 3)))


# ------------------------------------------------------------------- metrics
def test_icd_and_iccd_on_hand_computed_clusters():
    X = np.array([[0, 0], [0, 2], [0, 4],      # cluster a: pairs 2, 4, 2
                  [10, 0], [13, 4],            # cluster b: one pair, 5 apart
                  [50, 50]])                   # cluster c: one point, no pair
    labels = np.array(["a", "a", "a", "b", "b", "c"])
    assert intra_cluster_distance(X, labels) == pytest.approx((8 / 3 + 5) / 2)
    centroids = np.array([[0, 2], [11.5, 2], [50, 50]])
    pairs = [np.linalg.norm(centroids[i] - centroids[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
    assert inter_cluster_centroid_distance(X, labels) == pytest.approx(np.mean(pairs))
    # Another distance: cosine (points on one ray are 0 apart).
    assert intra_cluster_distance([[1, 0], [2, 0], [0, 1], [0, 3]], [0, 0, 1, 1],
                                  metric="cosine") == pytest.approx(0.0, abs=1e-12)


def test_icd_and_iccd_explain_undefined_cases():
    with pytest.raises(ValueError, match="no label has two or more"):
        intra_cluster_distance([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="at least two distinct labels"):
        inter_cluster_centroid_distance([[0.0], [1.0]], [0, 0])
    with pytest.raises(ValueError, match="labels must be 1-D"):
        intra_cluster_distance([[0.0], [1.0]], [[0], [0]])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        intra_cluster_distance([[0.0], [1.0]], [0, 0, 1])


class FixedScores(ClassifierMixin, BaseEstimator):
    """A 'fitted' classifier whose scores are given."""

    def __init__(self, proba, classes):
        self.proba = proba
        self.classes = classes

    def fit(self, X, y):
        self.classes_ = np.asarray(self.classes)
        return self

    def predict_proba(self, X):
        return np.asarray(self.proba)[np.asarray(X, dtype=int).ravel()]


def test_top_k_scorer_on_a_hand_computed_example():
    proba = [[0.5, 0.3, 0.2],   # ranks: a, b, c
             [0.1, 0.6, 0.3],   # b, c, a
             [0.2, 0.3, 0.5]]   # c, b, a
    est = FixedScores(proba, ["a", "b", "c"]).fit(None, None)
    X, y = [[0], [1], [2]], ["b", "a", "c"]
    assert top_k_scorer(k=1)(est, X, y) == pytest.approx(1 / 3)  # only the third
    assert top_k_scorer(k=2)(est, X, y) == pytest.approx(2 / 3)  # and the first
    assert repr(top_k_scorer(k=2)) == "top_k_scorer(k=2)"
    # A test fold without class "c": the columns still follow classes_.
    assert top_k_scorer(k=1)(est, X[:2], y[:2]) == 0.0
    with pytest.raises(ValueError, match="`labels` must be provided"):
        make_scorer(top_k_accuracy_score, response_method="predict_proba", k=1)(
            est, X[:2], y[:2])


def test_top_k_scorer_in_cross_validate_and_binary():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = np.arange(60) % 3
    X[:, 0] += y
    scores = cross_validate(LogisticRegression(), X, y, cv=3,
                            scoring={"top1": top_k_scorer(k=1), "top2": top_k_scorer(k=2),
                                     "accuracy": "accuracy"})
    np.testing.assert_allclose(scores["test_top1"], scores["test_accuracy"])
    assert (scores["test_top2"] >= scores["test_top1"]).all()
    est = FixedScores([[0.8, 0.2], [0.3, 0.7]], [0, 1]).fit(None, None)
    assert top_k_scorer(k=1)(est, [[0], [1]], [1, 1]) == 0.5


def test_top_k_scorer_explains_bad_arguments():
    with pytest.raises(ValueError, match="k must be a positive integer"):
        top_k_scorer(k=0)
    est = FixedScores([[1.0]], [0]).fit(None, None)
    with pytest.raises(AttributeError, match="none of the methods"):
        top_k_scorer(response_method="decision_function")(est, [[0]], [0])
