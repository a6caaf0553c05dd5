"""RawWaveformClassifier: Abrol and Sharma's hierarchy-aware raw-waveform network."""

import warnings
from numbers import Real

import keras
import numpy as np
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from .. import _compiled_steps
from .._keras import make_optimizer
from .._params import (
    BOOL,
    FRACTION,
    NON_NEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    Interval,
    StrOptions,
)
from .._validation import check_waveforms
from ..hierarchy import check_hierarchy
from ..networks.raw_waveform import build_raw_waveform_network, prototype_margin_loss
from ..windows import average_per_clip, cut_windows
from ._base import NetworkClassifier


def _as_float32(X):
    return np.asarray(X, dtype=np.float32)


@keras.saving.register_keras_serializable(package="skaudio")
class HierarchicalLoss(keras.losses.Loss):
    """Joint loss of the fine head, the coarse head and the prototypes (eq. 4).

    The network's training output is ``[fine probabilities | coarse
    probabilities | squared distances to the coarse prototypes]``; the targets
    are the fine class indices, whose coarse classes ``fine_to_coarse`` gives.
    The loss is ``CE(fine) + coarse_weight CE(coarse) + prototype_weight L_D``.

    Parameters
    ----------
    fine_to_coarse : sequence of int
        The coarse class index of each fine class index.
    coarse_weight, prototype_weight, margin : float
    """

    def __init__(self, fine_to_coarse, coarse_weight=1.0, prototype_weight=1.0, margin=1.0,
                 name="hierarchical_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.fine_to_coarse = [int(c) for c in fine_to_coarse]
        self.coarse_weight = float(coarse_weight)
        self.prototype_weight = float(prototype_weight)
        self.margin = float(margin)

    def call(self, y_true, y_pred):
        n_fine, n_coarse = len(self.fine_to_coarse), max(self.fine_to_coarse) + 1
        fine = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        coarse = keras.ops.take(keras.ops.convert_to_tensor(self.fine_to_coarse, "int32"),
                                fine)
        loss = keras.losses.sparse_categorical_crossentropy(fine, y_pred[:, :n_fine])
        if self.coarse_weight:
            loss = loss + self.coarse_weight * keras.losses.sparse_categorical_crossentropy(
                coarse, y_pred[:, n_fine:n_fine + n_coarse])
        if self.prototype_weight:
            loss = loss + self.prototype_weight * prototype_margin_loss(
                coarse, y_pred[:, n_fine + n_coarse:], margin=self.margin)
        return loss

    def get_config(self):
        return {**super().get_config(), "fine_to_coarse": self.fine_to_coarse,
                "coarse_weight": self.coarse_weight,
                "prototype_weight": self.prototype_weight, "margin": self.margin}


class RawWaveformClassifier(NetworkClassifier):
    """Abrol and Sharma's hierarchy-aware network on raw waveforms (Table I).

    ``X`` is waveforms ``(n_clips, n_samples)`` at ``sr`` (pre-emphasised and
    mean-normalised: put :class:`~skaudio.PreEmphasis` first). Clips are cut
    into windows of ``window_s`` seconds overlapping by ``window_overlap_s``
    (:mod:`skaudio.windows`; the paper's 2-s inputs with 0.5 s of overlap,
    section IV-C); every window is a training example with its clip's label,
    and a clip's probabilities are the mean of its windows'. A clip shorter
    than a window is zero-padded, as :class:`~skaudio.AudioLoader` pads.
    Inside a window the network
    (:func:`skaudio.networks.build_raw_waveform_network`) cuts frames of
    ``frame_s`` seconds, ``frame_overlap_s`` overlapping (by default three
    frames of 1 s per window; the segmental pipeline needs 12,500 samples
    per frame, 0.78 s at 16 kHz), runs the sub-segmental (kernel 20, shift 5) and
    segmental (kernel 300, shift 100) CNN pipelines on each, pools each
    frame's statistics, weighs the frames by attention (or averages them, or
    runs two recurrent layers over them) into the audio embedding, and
    classifies it with l2-constrained softmax heads.

    With a ``hierarchy`` (fine class -> coarse class, validated as
    :class:`~skaudio.TwoStageClassifier` validates it) the network is trained
    jointly on the fine labels, their coarse classes (a second head,
    ``coarse_weight``) and the prototype loss of eq. 4 (``prototype_weight``,
    ``margin``); :meth:`predict_coarse` gives the coarse head's answer.
    ``hierarchy=None`` trains the fine head alone (the paper's flat
    baseline). Orthogonal initialisation and orthogonality penalty of the
    convolutions, dropout 0.2 and Adam at 1e-3 are the defaults.

    Spectrogram augmentations and mixup do not apply and are refused.

    Parameters
    ----------
    hierarchy : dict, callable or None, default=None
    sr : int, default=16000
        Sample rate of ``X``: converts the durations below to samples.
    window_s, window_overlap_s : float, default=2.0, 0.5
    frame_s, frame_overlap_s : float, default=1.0, 0.5
    sub_segmental, segmental, attention : bool, default=True
    recurrent : {None, "gru", "lstm"}, default=None
        Two recurrent layers over the frames instead of the pooling (needs
        ``attention=False``).
    filters : tuple of 6 int or None, default=None
        Conv1-Conv6 filters; None: Table I's.
    hidden_units, attention_units, embedding_dim : int, default=512, 128, 128
    dropout : float, default=0.2
    alpha : float or None, default=None
        Scale of the l2-softmax heads; None: Ranjan et al.'s lower bound.
    coarse_weight, prototype_weight : float, default=1.0
    margin : float, default=1.0
    orthogonal_penalty : float, default=1e-4
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray
        The fine classes.
    coarse_classes_ : ndarray
        The coarse classes (with a hierarchy).

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning Hierarchy Aware Embedding From Raw
       Audio for Acoustic Scene Classification", IEEE/ACM TASLP 2020, sections
       III-V, Table I, eq. 2-4.

    Examples
    --------
    >>> from skaudio import RawWaveformClassifier
    >>> clf = RawWaveformClassifier(hierarchy={"dog": "animal", "cat": "animal",
    ...                                        "rain": "nature"})
    >>> clf.window_s, clf.window_overlap_s, clf.frame_s
    (2.0, 0.5, 1.0)
    """

    _parameter_constraints = {
        "hierarchy": [dict, callable, None],
        "sr": POSITIVE_INT,
        "window_s": POSITIVE_REAL,
        "window_overlap_s": NON_NEGATIVE_REAL,
        "frame_s": POSITIVE_REAL,
        "frame_overlap_s": NON_NEGATIVE_REAL,
        "sub_segmental": BOOL,
        "segmental": BOOL,
        "attention": BOOL,
        "recurrent": [StrOptions({"gru", "lstm"}), None],
        "filters": [tuple, list, None],
        "hidden_units": POSITIVE_INT,
        "attention_units": POSITIVE_INT,
        "embedding_dim": POSITIVE_INT,
        "dropout": FRACTION,
        "alpha": [Interval(Real, 0, None, closed="neither"), None],
        "coarse_weight": NON_NEGATIVE_REAL,
        "prototype_weight": NON_NEGATIVE_REAL,
        "margin": POSITIVE_REAL,
        "orthogonal_penalty": NON_NEGATIVE_REAL,
    }
    _input_transform = staticmethod(_as_float32)
    _unsupported_training_parameters = {
        "gain_augment_db": "a log-spectrogram gain",
        "input_normalization": "normalisation of every input channel",
        "random_crop_frames": "a crop of spectrogram frames",
        "time_mask": "SpecAugment, a time-frequency augmentation",
        "frequency_mask": "SpecAugment, a time-frequency augmentation",
        "channel_confusion": "a swap of spectrogram channels",
        "mixup_alpha": "mixup, which mixes the fine targets the coarse loss reads",
    }

    def __init__(self, hierarchy=None, sr=16000, window_s=2.0, window_overlap_s=0.5,
                 frame_s=1.0, frame_overlap_s=0.5, sub_segmental=True, segmental=True,
                 attention=True, recurrent=None, filters=None, hidden_units=512,
                 attention_units=128, embedding_dim=128, dropout=0.2, alpha=None,
                 coarse_weight=1.0, prototype_weight=1.0, margin=1.0,
                 orthogonal_penalty=1e-4, **training_params):
        super().__init__(**training_params)
        self.hierarchy = hierarchy
        self.sr = sr
        self.window_s = window_s
        self.window_overlap_s = window_overlap_s
        self.frame_s = frame_s
        self.frame_overlap_s = frame_overlap_s
        self.sub_segmental = sub_segmental
        self.segmental = segmental
        self.attention = attention
        self.recurrent = recurrent
        self.filters = filters
        self.hidden_units = hidden_units
        self.attention_units = attention_units
        self.embedding_dim = embedding_dim
        self.dropout = dropout
        self.alpha = alpha
        self.coarse_weight = coarse_weight
        self.prototype_weight = prototype_weight
        self.margin = margin
        self.orthogonal_penalty = orthogonal_penalty

    @classmethod
    def _get_test_params(cls):
        # Fast enough for scikit-learn's checks: the short-kernel pipeline
        # only, a few filters, one 2,000-sample frame per window.
        return [{"sr": 1000, "window_s": 2.0, "frame_s": 2.0, "segmental": False,
                 "filters": (2, 2, 2, 2, 2, 2), "hidden_units": 4, "attention_units": 2,
                 "embedding_dim": 4, "epochs": 2, "random_state": 0}]

    # ------------------------------------------------------------ geometry
    def _samples(self, seconds):
        return int(round(seconds * self.sr))

    def _window_geometry(self):
        window = self._samples(self.window_s)
        hop = window - self._samples(self.window_overlap_s)
        frame = self._samples(self.frame_s)
        frame_hop = frame - self._samples(self.frame_overlap_s)
        if hop < 1 or frame_hop < 1:
            raise ValueError(f"{self._name}: an overlap must be shorter than its window "
                             f"or frame; got window_s={self.window_s}, window_overlap_s="
                             f"{self.window_overlap_s}, frame_s={self.frame_s}, "
                             f"frame_overlap_s={self.frame_overlap_s}.")
        if frame > window:
            raise ValueError(f"{self._name}: frame_s={self.frame_s} is longer than "
                             f"window_s={self.window_s}; a window holds whole frames.")
        return window, hop, frame, frame_hop

    def _validate_architecture(self):
        self._window_geometry()
        if not (self.sub_segmental or self.segmental):
            raise ValueError(f"{self._name}: switch on at least one of sub_segmental and "
                             "segmental.")
        if self.recurrent is not None and self.attention:
            raise ValueError(f"{self._name}: recurrent={self.recurrent!r} replaces the "
                             "pooling; set attention=False.")

    def _sample_groups(self, n_samples):
        clips = getattr(self, "_window_clips", None)
        return clips if clips is not None and len(clips) == n_samples else None

    # ------------------------------------------------------------ network
    def _build_network(self, input_shape, n_classes):
        _, _, frame, frame_hop = self._window_geometry()
        n_coarse = None if self.hierarchy is None else len(self.coarse_classes_)
        network = build_raw_waveform_network(
            input_shape[0], n_classes, n_coarse, sub_segmental=self.sub_segmental,
            segmental=self.segmental, attention=self.attention, recurrent=self.recurrent,
            embedding_dim=self.embedding_dim, dropout=self.dropout, alpha=self.alpha,
            frame_length=frame, frame_hop=frame_hop,
            filters=None if self.filters is None else tuple(self.filters),
            hidden_units=self.hidden_units, attention_units=self.attention_units,
            orthogonal_penalty=self.orthogonal_penalty)
        donor = getattr(self, "_donor_weights", None)
        if donor is not None:  # fine-tuning: every layer that fits starts trained
            for layer in network.layers:
                weights = donor.get(layer.name)
                if weights is not None and [w.shape for w in weights] == [
                        tuple(v.shape) for v in layer.weights]:
                    layer.set_weights(weights)
        outputs = network.output
        heads = [outputs["fine"]] if n_coarse is None else [
            outputs["fine"], outputs["coarse"], outputs["prototype"]]
        trained = heads[0] if len(heads) == 1 else keras.layers.Concatenate(
            name="heads")(heads)
        return keras.Model(network.input, trained, name="raw_waveform_heads")

    def _compile_loss(self):
        if self.hierarchy is None:
            return super()._compile_loss()
        return HierarchicalLoss(self._fine_to_coarse, coarse_weight=self.coarse_weight,
                                prototype_weight=self.prototype_weight, margin=self.margin)

    def _compile(self, model, learning_rate):
        if self.hierarchy is None:
            return super()._compile(model, learning_rate)
        # No accuracy metric: the output concatenates the heads.
        model.compile(optimizer=make_optimizer(self.optimizer, learning_rate),
                      loss=self._compile_loss(), run_eagerly=self.run_eagerly)

    # ------------------------------------------------------------ fit / predict
    def _check_clips(self, X):
        X = check_waveforms(X, name=self._name)
        return X.astype(np.float32, copy=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train on the windows of the clips ``X`` with their clips' labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)
            Waveforms at ``sr``.
        y : array-like of shape (n_clips,)
            Fine labels.
        sample_weight : array-like of shape (n_clips,), default=None

        Returns
        -------
        self
        """
        self._validate_architecture()
        X = self._check_clips(X)
        if y is None:
            raise ValueError(f"{self._name} requires y to be passed, but the target y is "
                             "None.")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected; "
                          "it is flattened.", DataConversionWarning, stacklevel=2)
            y = y.ravel()
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"{self._name}: y must hold one label per clip; got shape "
                             f"{y.shape} for {X.shape[0]} clips.")
        if self.hierarchy is not None:
            fine = np.unique(y)
            coarse_of = check_hierarchy(self.hierarchy, fine, name=self._name)
            self.coarse_classes_, self._fine_to_coarse = np.unique(coarse_of,
                                                                   return_inverse=True)
            if self.coarse_classes_.size < 2:
                raise ValueError(f"{self._name}: the hierarchy maps every class to one "
                                 f"coarse class ({self.coarse_classes_[0]!r}); give two or "
                                 "more, or hierarchy=None.")
        window, hop, _, _ = self._window_geometry()
        windows, clips = cut_windows(X, window, hop)
        self._window_clips = clips
        try:
            super().fit(windows, y[clips],
                        None if sample_weight is None else sample_weight[clips])
        finally:
            self._window_clips = None
        self.n_features_in_ = X.shape[1]
        return self

    def _window_outputs(self, X):
        check_is_fitted(self, "model_")
        X = self._check_clips(X)
        window, hop, _, _ = self._window_geometry()
        windows, clips = cut_windows(X, window, hop)
        return super().predict_proba(windows), clips, X.shape[0]

    def _heads_model(self):
        return next(layer for layer in self.model_.layers
                    if layer.name == "raw_waveform_heads")

    def embed(self, X):
        """The audio embedding of every clip: the mean of its windows' embeddings.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)

        Returns
        -------
        ndarray of shape (n_clips, embedding_dim)
            (``recurrent``: the recurrent layers' units.)
        """
        check_is_fitted(self, "model_")
        X = self._check_clips(X)
        window, hop, _, _ = self._window_geometry()
        windows, clips = cut_windows(X, window, hop)
        heads = self._heads_model()
        # named, so that every call (and estimator) shares one compiled step
        embedder = keras.Model(heads.input, heads.get_layer("embedding").output,
                               name="raw_waveform_embedding")
        _compiled_steps.share_compiled_steps(embedder)
        out = embedder.predict(windows, batch_size=self.batch_size, verbose=0)
        return average_per_clip(np.asarray(out), clips, X.shape[0])

    def predict_proba(self, X):
        """Fine class probabilities, the mean of each clip's windows'."""
        outputs, clips, n_clips = self._window_outputs(X)
        return average_per_clip(outputs[:, :len(self.classes_)], clips, n_clips)

    def predict_coarse(self, X):
        """The coarse head's class of every clip (with a ``hierarchy``)."""
        if self.hierarchy is None:
            raise AttributeError(f"{self._name} was trained without a hierarchy: it has no "
                                 "coarse head.")
        outputs, clips, n_clips = self._window_outputs(X)
        n_fine, n_coarse = len(self.classes_), len(self.coarse_classes_)
        proba = average_per_clip(outputs[:, n_fine:n_fine + n_coarse], clips, n_clips)
        return self.coarse_classes_[np.argmax(proba, axis=1)]


class RawWaveformEmbedding(TransformerMixin, MetaEstimatorMixin, BaseEstimator):
    """The raw-waveform network's 128-D audio embedding as a transformer.

    ``fit(X, y)`` trains a clone of ``classifier`` (a
    :class:`RawWaveformClassifier`, hierarchy included); ``transform(X)``
    returns each clip's embedding, the mean over its windows. Followed by a
    polynomial SVM it is the paper's transfer recipe (section V-D)::

        make_pipeline(PreEmphasis(), RawWaveformEmbedding(clf), StandardScaler(),
                      SVC(kernel="poly", degree=3))

    :meth:`fine_tune` trains on a new label set starting from the fitted
    network (every layer but the heads; the paper's transfer experiment).

    Parameters
    ----------
    classifier : RawWaveformClassifier or None, default=None
        None: ``RawWaveformClassifier()``.

    Attributes
    ----------
    classifier_ : RawWaveformClassifier
        The fitted clone.

    References
    ----------
    .. [1] V. Abrol and P. Sharma, "Learning Hierarchy Aware Embedding From Raw
       Audio for Acoustic Scene Classification", IEEE/ACM TASLP 2020, section V-D.

    Examples
    --------
    >>> from skaudio import RawWaveformClassifier
    >>> from skaudio.estimators import RawWaveformEmbedding
    >>> RawWaveformEmbedding(RawWaveformClassifier(embedding_dim=64))
    RawWaveformEmbedding(classifier=RawWaveformClassifier(embedding_dim=64))
    """

    _parameter_constraints = {"classifier": [RawWaveformClassifier, None]}

    def __init__(self, classifier=None):
        self.classifier = classifier

    @classmethod
    def _get_test_params(cls):
        return [{"classifier": RawWaveformClassifier(
            **RawWaveformClassifier._get_test_params()[0])}]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = (self.classifier is None
                                  or self.classifier.random_state is None)
        return tags

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Train the network on clips ``X`` with labels ``y``; returns self."""
        base = RawWaveformClassifier() if self.classifier is None else self.classifier
        self.classifier_ = clone(base).fit(X, y, sample_weight=sample_weight)
        self.n_features_in_ = self.classifier_.n_features_in_
        return self

    def transform(self, X):
        """Embeddings ``(n_clips, embedding_dim)``."""
        check_is_fitted(self, "classifier_")
        return self.classifier_.embed(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "classifier_")
        n = self.classifier_._heads_model().get_layer("embedding").output.shape[-1]
        return np.asarray([f"embedding{i}" for i in range(n)], dtype=object)

    def fine_tune(self, X, y, **classifier_params):
        """A new embedding trained on ``(X, y)`` from this one's network.

        The new labels (and hierarchy, in ``classifier_params``) may differ:
        the heads start afresh, every other layer from this embedding's
        weights. ``classifier_params`` (``epochs``, ``learning_rate``, ...)
        override the fitted classifier's parameters.

        Returns
        -------
        RawWaveformEmbedding
            Fitted.
        """
        check_is_fitted(self, "classifier_")
        heads = self.classifier_._heads_model()
        donor = {layer.name: layer.get_weights() for layer in heads.layers
                 if layer.name not in ("fine", "coarse", "prototype")}
        tuned = clone(self.classifier_).set_params(**classifier_params)
        tuned._donor_weights = donor
        try:
            tuned.fit(X, y)
        finally:
            tuned._donor_weights = None
        result = RawWaveformEmbedding(clone(tuned))
        result.classifier_, result.n_features_in_ = tuned, tuned.n_features_in_
        return result
