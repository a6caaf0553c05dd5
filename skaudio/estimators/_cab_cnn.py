"""CABCNNClassifier: CAB-CNN (Lu et al.) over clips of their own lengths."""

import keras
import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _compiled_steps
from .._params import POSITIVE_INT, check_positive_ints
from ..networks import build_cab_cnn
from ..ragged import check_clips
from ._base import NetworkClassifier


def clips_to_network_input(X, lengths):
    """NaN-padded clips -> float32 ``(n, longest, 2)``: values (0 after the end), validity."""
    out = np.zeros((*X.shape, 2), dtype=np.float32)
    out[..., 0] = np.nan_to_num(X, nan=0.0)
    out[..., 1] = np.arange(X.shape[1]) < lengths[:, np.newaxis]
    return out


def _as_float32(X):
    return np.asarray(X, dtype=np.float32)


class CABCNNClassifier(NetworkClassifier):
    """CAB-CNN: a 1-D CNN with an attention-based classifier block (Lu et al.).

    Classifies clips of different lengths, each at its own length: ``X`` is a
    2-D array of max-pooled waveforms (the output of
    :class:`~skaudio.WaveformMaxPool`), NaN after the end of a shorter clip
    (:mod:`skaudio.ragged`), or a list of 1-D arrays. The network
    (:func:`skaudio.networks.build_cab_cnn`) is the Conv1D / max-pooling stack
    of Table 2 with batch normalisation, then at every time step
    ``n_classifiers`` small classifiers weighted by an attention MLP; the
    clip's class probabilities are the unweighted mean over its time steps.

    **Variable lengths by masking, not truncation.** The paper truncates each
    training batch to its shortest clip (Keras needs one length per batch).
    That discards the end of every longer clip, and at prediction would make a
    clip's probabilities depend on the other clips of its batch. Here a batch
    is padded to its longest clip and every layer masks the padding
    (:mod:`skaudio.networks._masked`): a clip's prediction is the same alone
    or in any batch, and training sees every sample of every clip.

    Early stopping (the paper's patience of 15) is the common training
    parameter ``patience`` with a ``validation_split``. Augmentations that act
    on spectrograms or blend clips (``gain_augment_db``,
    ``input_normalization``, ``random_crop_frames``, ``time_mask``,
    ``frequency_mask``, ``channel_confusion``, ``mixup_alpha``) are refused.

    Parameters
    ----------
    filters : tuple of int, default=(16, 32, 32, 128)
        Filters of each Conv1D block (Table 2).
    kernel_sizes : tuple of int, default=(4, 4, 10, 10)
    pool_sizes : tuple of int, default=(4, 4, 10, 10)
    pool_strides : tuple of int, default=(2, 2, 5, 5)
    dropout : tuple of float, default=(0.15, 0.15, 0.1, 0.0)
        Dropout after each block's pooling.
    n_classifiers : int, default=40
        Classifiers of the ACB.
    classifier_units : tuple of int, default=(8, 4)
        Hidden layers of every classifier.
    attention_units : tuple of int, default=(160, 80)
        Hidden layers of the attention MLP.
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    model_ : keras.Model
        The trained network.
    history_ : dict
        Keras's training history.

    See Also
    --------
    skaudio.WaveformMaxPool : the front-end that feeds it.
    skaudio.evaluation.repeated_runs : best and mean of repeated fits (Tables 3, 7).

    References
    ----------
    .. [1] H. Lu, H. Zhang and A. Nayak, "A deep neural network for audio
       classification with a classifier attention mechanism" (preprint), section 3 and
       Table 2 (the network), section 4 (training).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> clips = [rng.normal(size=n) * (1 + 3 * (k % 2)) for k, n in
    ...          enumerate(rng.integers(40, 80, size=40))]
    >>> y = np.array(["soft", "loud"] * 20)
    >>> clf = CABCNNClassifier(filters=(4,), kernel_sizes=(3,), pool_sizes=(2,),
    ...                        pool_strides=(2,), dropout=(0.0,), n_classifiers=4,
    ...                        epochs=2, random_state=0).fit(clips, y)
    >>> proba = clf.predict_proba(clips[:3])
    >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1))
    ((3, 2), True)
    """

    _parameter_constraints = {
        "filters": [tuple, list],
        "kernel_sizes": [tuple, list],
        "pool_sizes": [tuple, list],
        "pool_strides": [tuple, list],
        "dropout": [tuple, list],
        "n_classifiers": POSITIVE_INT,
        "classifier_units": [tuple, list],
        "attention_units": [tuple, list],
    }
    _input_transform = staticmethod(_as_float32)
    _variable_length = True
    # They act on spectrogram-shaped samples or blend samples' values, and would
    # corrupt the validity channel of padded clips.
    _unsupported_training_parameters = {
        "gain_augment_db": "a log-spectrogram gain",
        "input_normalization": "normalisation of every input channel",
        "random_crop_frames": "crops that can fall after a short clip's end",
        "time_mask": "SpecAugment, a time-frequency augmentation",
        "frequency_mask": "SpecAugment, a time-frequency augmentation",
        "channel_confusion": "a swap of spectrogram channels",
        "mixup_alpha": "mixup, which would blend clips of different lengths",
    }

    def __init__(self, filters=(16, 32, 32, 128), kernel_sizes=(4, 4, 10, 10),
                 pool_sizes=(4, 4, 10, 10), pool_strides=(2, 2, 5, 5),
                 dropout=(0.15, 0.15, 0.1, 0.0), n_classifiers=40, classifier_units=(8, 4),
                 attention_units=(160, 80), **training_params):
        super().__init__(**training_params)
        self.filters = filters
        self.kernel_sizes = kernel_sizes
        self.pool_sizes = pool_sizes
        self.pool_strides = pool_strides
        self.dropout = dropout
        self.n_classifiers = n_classifiers
        self.classifier_units = classifier_units
        self.attention_units = attention_units

    @classmethod
    def _get_test_params(cls):
        # Compiled: clips of new lengths each compile anew, and still the common
        # checks' fits run 4-5x faster than eagerly.
        return [dict(filters=(4,), kernel_sizes=(3,), pool_sizes=(2,), pool_strides=(2,),
                     dropout=(0.0,), n_classifiers=3, classifier_units=(4,),
                     attention_units=(8,), epochs=2, batch_size=16, random_state=0)]

    def _validate_architecture(self):
        name = self._name
        for param in ("filters", "kernel_sizes", "pool_sizes", "pool_strides",
                      "classifier_units", "attention_units"):
            check_positive_ints(getattr(self, param), param, name)
        blocks = ("filters", "kernel_sizes", "pool_sizes", "pool_strides", "dropout")
        lengths = {param: len(getattr(self, param)) for param in blocks}
        if len(set(lengths.values())) != 1:
            raise ValueError(f"{name}: filters, kernel_sizes, pool_sizes, pool_strides and "
                             f"dropout give one entry per block; got lengths {lengths}.")
        if not all(isinstance(rate, (int, float)) and 0 <= rate < 1
                   for rate in self.dropout):
            raise ValueError(f"{name}: every dropout rate must be in [0, 1); got "
                             f"{tuple(self.dropout)}.")

    def _check_X(self, X, reset=False):
        """Clips of any lengths -> ``(n, longest, 2)`` values and validity."""
        return clips_to_network_input(*check_clips(X, name=self._name))

    def _check_network_input(self, shape):
        """Every block's pooling accepts any length: nothing to check."""

    def _augments(self):
        return True  # every training batch is cut after its longest clip

    def _augment(self, x, rng):
        """Cut a training batch after its longest clip, rounded up to a power of two.

        The network masks the padding, so every clip's outputs stay the same;
        a batch of short clips no longer pays for the longest clip of the
        training set (on FSDD, a median clip has a fifth of the longest's
        points), and XLA compiles one training step per power of two.
        """
        longest = int(x[..., 1].sum(axis=1).max())
        return x[:, :min(x.shape[1], 1 << max(longest - 1, 1).bit_length())]

    def _build_network(self, input_shape, n_classes):
        return build_cab_cnn(
            input_shape, n_classes, filters=tuple(self.filters),
            kernel_sizes=tuple(self.kernel_sizes), pool_sizes=tuple(self.pool_sizes),
            pool_strides=tuple(self.pool_strides), dropout=tuple(self.dropout),
            n_classifiers=self.n_classifiers, classifier_units=tuple(self.classifier_units),
            attention_units=tuple(self.attention_units))

    def attention_weights(self, X):
        """The ACB's attention over its classifiers at every time step of every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_points), or list of 1-D arrays
            Clips, as ``predict`` takes them.

        Returns
        -------
        list of ndarray of shape (n_steps_i, n_classifiers)
            One array per clip, its own time steps only; every row sums to 1.
        """
        check_is_fitted(self, "model_")
        network = next((layer for layer in self.model_.layers
                        if isinstance(layer, keras.Model)), None)
        if network is None:
            raise ValueError(f"{self._name}.attention_weights reads one network; this "
                             "one averages snapshots (snapshot_ensemble=True).")
        last_pool = f"pool{len(self.filters)}"
        # named, so that every call (and estimator) shares one compiled step
        probe = keras.Model(network.inputs, [network.get_layer("attention").output,
                                             network.get_layer(last_pool).output[1]],
                            name="cab_cnn_attention_probe")
        _compiled_steps.share_compiled_steps(probe)
        Z = self._check_X(X)
        outputs = [probe.predict_on_batch(Z[i:i + self.batch_size])
                   for i in range(0, Z.shape[0], self.batch_size)]
        alpha = [row for a, _ in outputs for row in np.asarray(a)]
        valid = [row for _, m in outputs for row in np.asarray(m)]
        return [a[m > 0] for a, m in zip(alpha, valid)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = False
        return tags
