"""The DCASE 2020 networks of Hu et al., their training augmentations and schedule."""

import math
import warnings

import keras
import numpy as np
import pytest

from skaudio import FCNNClassifier, FsFCNNClassifier, MobileNetV2Classifier, ResNetClassifier
from skaudio._keras import cosine_restarts, cycle_ends
from skaudio._training_batches import TrainingBatches
from skaudio.augment import random_time_crop, spec_augment, swap_channels
from skaudio.networks import (
    build_fcnn,
    build_fsfcnn,
    build_mobilenet_v2,
    build_two_path_resnet,
)

NETWORKS = [FCNNClassifier, FsFCNNClassifier, ResNetClassifier, MobileNetV2Classifier]


def tiny(cls, **params):
    """The network's cheap test configuration in batches of 16, with ``params`` on top."""
    return cls(**{**cls._get_test_params()[0], "batch_size": 16, **params})


def trained(cls, **params):
    """A tiny network trained for 32 steps, at a learning rate at which that is enough.

    At Adam's default 1e-3, 32 steps move a weight by about 0.03: whether the
    network learns then depends on its initialisation (one of 8 seeds of the
    one-convolution FCNN started on the wrong side and stayed there); at 1e-2
    every seed tried (6 per network) learns the task.
    """
    return tiny(cls, epochs=8, learning_rate=1e-2, run_eagerly=False, **params)


@pytest.fixture(scope="module")
def easy_task():
    """Two classes that differ in the level of their low bands, 3 channels."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(96, 24, 16, 3)).astype("float32")
    y = np.array(["low", "high"] * 48)
    X[y == "low", :, :6] += 1.0
    return X[:64], y[:64], X[64:], y[64:]


# ------------------------------------------------------------------ networks
@pytest.mark.parametrize("cls", NETWORKS, ids=lambda c: c.__name__)
def test_tiny_networks_learn_an_easy_task(cls, easy_task):
    X, y, X_test, y_test = easy_task
    clf = trained(cls).fit(X, y)
    assert clf.score(X_test, y_test) >= 0.9
    assert clf.predict_proba(X_test).shape == (32, 2)


def conv_params(k, c_in, c_out):
    return k * k * c_in * c_out


def bn_params(c, affine=True):
    return (4 if affine else 2) * c  # gamma, beta (affine) + moving mean, variance


def attention_params(c, ratio=2):
    hidden = c // ratio
    return c * hidden + hidden + hidden * c + c


def fcnn_params(c_in, n_classes, filters, convs, first_kernel=5):
    total, width = bn_params(c_in), c_in
    for n_filters, n_convs in zip(filters, convs):
        for _ in range(n_convs):
            k = first_kernel if width == c_in and total == bn_params(c_in) else 3
            total += conv_params(k, width, n_filters) + bn_params(n_filters)
            width = n_filters
    return total + conv_params(1, width, n_classes) + bn_params(n_classes, affine=False) \
        + attention_params(n_classes)


def test_fcnn_parameter_counts_follow_the_architecture():
    # Input BN; 5x5 then 3x3 bias-free convolutions, each with BN (4 numbers a
    # channel); 1x1 class maps with a scale-free BN (2) and CBAM's attention
    # MLP (10 -> 5 -> 10 with biases). Task 1a FCNN, 3 channels: 2,954,091.
    expected = fcnn_params(3, 10, (72, 144, 288), (2, 2, 4))
    assert build_fcnn((None, 128, 3), 10).count_params() == expected == 2954091
    small = fcnn_params(3, 3, (48, 84, 120), (2, 2, 2))
    assert build_fcnn((None, 128, 3), 3, filters=(48, 84, 120),
                      convs_per_block=(2, 2, 2)).count_params() == small
    expected = fcnn_params(3, 10, (14, 24, 48, 48, 96), (2,) * 5)
    assert build_fsfcnn((None, 128, 3), 10).count_params() == expected
    # fsFCNN-s: two streams plus the joining 3x3 convolution (96 -> 96) and its BN.
    stream = fcnn_params(3, 10, (14, 24, 48, 48, 96), (2,) * 5) - bn_params(3) \
        - conv_params(1, 96, 10) - bn_params(10, affine=False) - attention_params(10)
    expected = bn_params(3) + 2 * stream + conv_params(3, 96, 96) + bn_params(96) \
        + conv_params(1, 96, 10) + bn_params(10, affine=False) + attention_params(10)
    assert build_fsfcnn((None, 128, 3), 10, split_bands=True).count_params() == expected


def resnet_params(c_in, n_classes, filters, n_stacks=4, blocks=2):
    path = bn_params(c_in) + conv_params(3, c_in, filters)
    width = filters
    for stack in range(n_stacks):
        for block in range(blocks):
            c_prev = width // 2 if stack > 0 and block == 0 else width
            path += bn_params(c_prev, affine=False) + conv_params(3, c_prev, width)
            path += bn_params(width, affine=False) + conv_params(3, width, width)
        width *= 2
    # width is now twice the last stack's (the authors' counter after its loop):
    # the head's 1x1 convolution widens the last stack's width // 2 to 2 * width.
    head = bn_params(width // 2, affine=False) + conv_params(1, width // 2, 2 * width) \
        + bn_params(2 * width, affine=False) + conv_params(1, 2 * width, n_classes) \
        + bn_params(n_classes, affine=False)
    return 2 * path + head


def test_resnet_parameter_counts_follow_the_architecture():
    # Two paths of 17 convolutions each (1 + 4 stacks x 2 blocks x 2), widths
    # 24, 48, 96, 192; scale-free BN in the blocks; joined, a 1x1 convolution
    # to 768 and one to the classes: 3,253,148 for 10 classes on 3 channels.
    assert build_two_path_resnet((None, 128, 3), 10).count_params() == \
        resnet_params(3, 10, 24)
    assert build_two_path_resnet((None, 128, 3), 10, width_multiplier=2).count_params() \
        == resnet_params(3, 10, 48)


def mobilenet_params(c_in, n_classes, blocks, first=32, last=56, head=48):
    stream = conv_params(3, c_in, first) + bn_params(first)
    width = first
    for filters, expansion, _, repeats in blocks:
        for _ in range(repeats):
            hidden = width * expansion
            stream += conv_params(1, width, hidden) + bn_params(hidden)
            stream += 9 * hidden + bn_params(hidden)  # depth-wise 3x3
            stream += conv_params(1, hidden, filters) + bn_params(filters)
            width = filters
    stream += conv_params(1, width, last) + bn_params(last)
    return 2 * stream + conv_params(1, last, head) + bn_params(head) \
        + conv_params(1, head, n_classes) + bn_params(n_classes, affine=False)


def test_mobilenet_parameter_count_and_size_suit_the_low_complexity_task():
    model = build_mobilenet_v2((None, 128, 6), 3)
    expected = mobilenet_params(6, 3, ((32, 2, 2, 3), (40, 2, 2, 3), (48, 2, 2, 3)))
    assert model.count_params() == expected
    assert 4 * expected < 1_000_000  # float32 under 1 MB; int8 a few hundred KB


def test_networks_accept_any_number_of_frames():
    for model in (build_fcnn((None, 16, 3), 2, filters=(4, 4), convs_per_block=(1, 1),
                             pool_sizes=((2, 2), None)),
                  build_two_path_resnet((None, 16, 3), 2, filters=2, n_stacks=2),
                  build_mobilenet_v2((None, 16, 3), 2, first_filters=4,
                                     blocks=((4, 2, 2, 1),))):
        for n_frames in (7, 40):
            assert model(np.zeros((1, n_frames, 16, 3), "float32")).shape == (1, 2)


def test_split_networks_need_two_bands(easy_task):
    X, y, *_ = easy_task
    with pytest.raises(ValueError, match="at least 2 bands"):
        tiny(ResNetClassifier).fit(X[:, :, :1], y)
    with pytest.raises(ValueError, match="at least 2 bands"):
        tiny(FsFCNNClassifier, split_bands=True).fit(X[:, :, :1], y)


# ------------------------------------------------------------------ augmentation
def test_spec_augment_masks_up_to_the_stated_fraction():
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 2, size=(2000, 50, 20)).astype("float32")
    masked = spec_augment(x, 0.1, 0.2, rng)
    means = x.reshape(len(x), -1).mean(axis=1)
    is_mask = masked == means[:, None, None].astype("float32")
    time_widths = is_mask.all(axis=2).sum(axis=1)  # whole frames masked
    freq_widths = is_mask.all(axis=1).sum(axis=1)  # whole bands masked
    assert time_widths.max() == 5 and freq_widths.max() == 4  # 10 % of 50, 20 % of 20
    assert abs(time_widths.mean() - 2.5) < 0.15 and abs(freq_widths.mean() - 2.0) < 0.15
    assert np.all((masked == x) | is_mask)  # nothing else changed
    assert not np.shares_memory(masked, x)


def test_random_time_crop_takes_consecutive_frames_anywhere():
    x = np.tile(np.arange(10.0)[None, :, None], (500, 1, 2))
    crops = random_time_crop(x, 4, np.random.default_rng(0))
    assert crops.shape == (500, 4, 2)
    assert np.all(np.diff(crops[:, :, 0], axis=1) == 1)
    assert set(crops[:, 0, 0]) == set(range(7))


def test_channel_confusion_swaps_two_channels():
    x = np.broadcast_to(np.arange(3.0), (400, 5, 4, 3)).copy()
    swapped = swap_channels(x, 0.5, np.random.default_rng(0))
    changed = np.any(swapped != x, axis=(1, 2, 3))
    assert 0.4 < changed.mean() < 0.6
    for sample in swapped[changed]:
        assert sorted(sample[0, 0]) == [0.0, 1.0, 2.0]
        assert np.sum(sample[0, 0] != np.arange(3.0)) == 2


AUGMENTATIONS = [dict(random_crop_frames=16), dict(time_mask=0.3, frequency_mask=0.3),
                 dict(channel_confusion=1.0)]


@pytest.mark.parametrize("params", AUGMENTATIONS, ids=lambda p: ",".join(p))
def test_augmentation_changes_training_batches_only(params, easy_task):
    X, y, X_test, _ = easy_task
    clf = tiny(FCNNClassifier, **params)
    plain = TrainingBatches(X, y, None, batch_size=16, pools=None, mixup_alpha=0.0,
                            rng=np.random.default_rng(0))
    augmented = TrainingBatches(X, y, None, batch_size=16, pools=None, mixup_alpha=0.0,
                                rng=np.random.default_rng(0), augment=clf._augment)
    assert not np.array_equal(plain[0][0], augmented[0][0])
    clf.fit(X, y)
    proba = clf.predict_proba(X_test)
    clf.set_params(random_crop_frames=None, time_mask=0.0, frequency_mask=0.0,
                   channel_confusion=0.0)
    np.testing.assert_array_equal(clf.predict_proba(X_test), proba)


def test_random_crop_trains_on_crops_and_predicts_on_the_full_input(easy_task):
    X, y, X_test, y_test = easy_task
    clf = trained(FCNNClassifier, random_crop_frames=16).fit(X, y)
    assert clf.model_.input_shape[1] is None  # any length: crops in training
    assert clf.score(X_test, y_test) >= 0.9  # full 24 frames at prediction


def test_augmentations_that_cannot_apply_are_explained(easy_task):
    X, y, *_ = easy_task
    with pytest.raises(ValueError, match="random_crop_frames=30 is longer"):
        tiny(FCNNClassifier, random_crop_frames=30).fit(X, y)
    with pytest.raises(ValueError, match="channel_confusion swaps two channels"):
        tiny(FCNNClassifier, channel_confusion=0.5).fit(X[..., 0], y)


# ------------------------------------------------------------------ schedule
def test_cosine_restarts_follow_their_formula():
    high, low, period = 0.1, 1e-5, 10
    schedule = cosine_restarts(high, low, period, 2.0)

    def formula(step):
        start, length = 0, period
        while step >= start + length:
            start, length = start + length, 2 * length
        return low + (high - low) * (1 + math.cos(math.pi * (step - start) / length)) / 2

    for step in (0, 1, 5, 9, 10, 11, 20, 29, 30, 45, 69, 70):
        assert float(schedule(step)) == pytest.approx(formula(step), rel=1e-4, abs=1e-9)  # float32
    assert float(schedule(0)) == pytest.approx(high)
    assert float(schedule(30)) == pytest.approx(high)  # a restart after 10 + 20 steps


def test_cycle_ends():
    assert cycle_ends(4, 2.0, 30) == [4, 12, 28]
    assert cycle_ends(3, 1.0, 10) == [3, 6, 9]
    assert cycle_ends(2, 1.5, 10) == [2, 5, 9]  # 2, 5, 9.5 -> the epoch before


SCHEDULE = dict(lr_schedule="cosine_restarts", optimizer="sgd_momentum", learning_rate=0.1,
                restart_period=2, restart_growth=1.0)


def test_the_schedule_sets_the_learning_rate_of_every_step(easy_task):
    X, y, *_ = easy_task
    clf = tiny(FCNNClassifier, epochs=4, **SCHEDULE).fit(X, y)
    optimizer = clf.model_.optimizer
    steps = int(keras.ops.convert_to_numpy(optimizer.iterations))
    assert steps == 4 * 4  # 64 samples in batches of 16
    learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    assert learning_rate == pytest.approx(0.1)  # restarted at step 16


def test_snapshot_ensemble_averages_the_cycle_ends(easy_task):
    X, y, X_test, y_test = easy_task
    clf = tiny(FCNNClassifier, epochs=6, snapshot_ensemble=True, **SCHEDULE).fit(X, y)
    members = [layer for layer in clf.model_.layers if layer.name.startswith("snapshot")
               and layer.name != "snapshot_average"]
    assert len(members) == 3  # cycles end after epochs 2, 4 and 6
    Z = X_test.astype("float32")
    mean = np.mean([np.asarray(member.predict(Z, verbose=0)) for member in members], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X_test), mean, rtol=1e-5, atol=1e-6)
    assert not np.allclose(members[0].get_weights()[1], members[2].get_weights()[1])


def test_schedule_conflicts_and_stops_inside_a_cycle_are_explained(easy_task):
    X, y, *_ = easy_task
    with pytest.raises(ValueError, match="snapshot_ensemble"):
        tiny(FCNNClassifier, snapshot_ensemble=True).fit(X, y)
    with pytest.raises(ValueError, match="reduce_lr_patience"):
        tiny(FCNNClassifier, reduce_lr_patience=2, **SCHEDULE).fit(X, y)
    with pytest.raises(ValueError, match="must be lower"):
        tiny(FCNNClassifier, **{**SCHEDULE, "learning_rate": 1e-6}).fit(X, y)
    with pytest.warns(UserWarning, match=r"epochs=3 stops inside a cosine cycle.*epochs=2 "
                                         r"or epochs=4"):
        tiny(FCNNClassifier, epochs=3, **SCHEDULE).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny(FCNNClassifier, epochs=4, **SCHEDULE).fit(X, y)
