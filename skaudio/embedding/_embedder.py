"""VGGishEmbedder: waveforms -> VGGish embeddings, as a scikit-learn transformer."""

import os

import keras
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._keras import TrainingParameters
from .._params import (
    BOOL,
    POSITIVE_INT,
    POSITIVE_REAL,
    Integral,
    Interval,
    InvalidParameterError,
    StrOptions,
    check_positive_ints,
)
from .._validation import check_waveforms, seed_of
from ..base import VersionedStateMixin
from ..networks.vggish import (
    VGGISH_CONV_BLOCKS,
    VGGISH_EMBEDDING_SIZE,
    VGGISH_FC_UNITS,
    VGGISH_PATCH_SHAPE,
    build_vggish,
)
from ._frontend import waveforms_to_patches
from ._postprocess import QUANTIZATIONS, STEPS, vggish_postprocess
from ._training import _VGGishTrainer
from ._weights import load_vggish_weights

# clips featurised and embedded per chunk in transform (bounded memory)
_CLIPS_PER_CHUNK = 256


class VGGishEmbedder(VersionedStateMixin, TrainingParameters, TransformerMixin,
                     BaseEstimator):
    """VGGish embeddings of waveforms: ``(n_clips, n_samples)`` -> ``(n_clips, n_segments, 128)``.

    Each clip is resampled to 16 kHz and cut into non-overlapping 0.96 s
    patches of 96 x 64 log-mel frames (the exact VGGish input, Xu's thesis
    Table 4; see :func:`skaudio.embedding.waveforms_to_patches`); the VGGish
    network (thesis Table 1, :func:`skaudio.networks.build_vggish`) maps every
    patch to a 128-D embedding. ``pooling="mean"`` averages the segments to
    ``(n_clips, 128)``.

    The network comes from one of two places:

    * **published weights** (``weights=path``): the AudioSet release, read
      from a file on disk without running pickled code (see
      :func:`skaudio.embedding.load_vggish_weights` and the README for the
      conversion of the TF checkpoint and torchvggish's ``.pth``). ``fit``
      then only loads them and ``y`` is ignored, unless ``fine_tune=True``.
    * **training** (``weights=None``, or ``fine_tune=True``): ``fit(X, y)``
      trains VGGish with the thesis's head (the 128-D embedding, a 100-unit
      ReLU layer, softmax; section 5.2.2) on every 0.96 s patch labelled with
      its clip's label, from scratch or from the loaded weights; the head is
      then dropped and ``transform`` returns the embeddings.

    Differences between the published variants (the TF release is the
    reference; the torchvggish behaviour is selectable):

    ==================  ========================  ================================
    aspect              TF release (default)      torchvggish
    ==================  ========================  ================================
    embedding           pre-activation (linear)   ReLU (``final_relu=True``)
    8-bit quantisation  truncates (``astype``)    rounds (``quantization="round"``)
    resampling          resampy (kaiser_best)     resampy
    ==================  ========================  ================================

    skaudio resamples with soxr (as :class:`skaudio.AudioLoader` and
    librosa), so input that is not at 16 kHz differs from the reference by
    the resamplers' difference; at 16 kHz the log-mel patches are the
    reference's to float64 rounding.

    Parameters
    ----------
    weights : str, os.PathLike or None, default=None
        Published weights: ``.npz`` with the TF release's variables
        (``vggish/conv1/weights`` ...) or torchvggish's keys
        (``features.0.weight`` ...), torchvggish's ``.pth`` (needs PyTorch),
        or a Keras ``.weights.h5`` of :func:`~skaudio.networks.build_vggish`.
        ``None`` trains the network in ``fit(X, y)``.
    pca_params : str, os.PathLike or None, default=None
        File with ``pca_eigen_vectors`` (128, 128) and ``pca_means`` (128,),
        such as the TF release's ``vggish_pca_params.npz``, when ``weights``
        does not hold them.
    sr : float, default=16000
        Sample rate of the input waveforms in Hz; resampled to 16 kHz.
    n_segments : int or None, default=None
        ``None``: every whole 0.96 s patch of the clip (clips of one batch
        have one length, so one count; shorter than one patch is an error).
        An int fixes the number of segments (thesis 5.2.3): longer clips are
        truncated, shorter ones repeated or padded (``pad_mode``).
    pad_mode : {"repeat", "constant"}, default="repeat"
        How ``n_segments`` lengthens short clips: tile them (the thesis) or
        append silence.
    pooling : {None, "mean"}, default=None
        ``"mean"`` averages the segments: output ``(n_clips, 128)``.
    postprocess : "auto", None or sequence of {"pca", "clip", "quantize"}, default="auto"
        AudioSet's post-processing steps (see
        :func:`skaudio.embedding.vggish_postprocess`): PCA with the published
        parameters, clipping to [-2, 2], 8-bit quantisation (integers 0-255
        as float32). ``"auto"`` applies all three when PCA parameters were
        loaded (the released AudioSet features) and none otherwise.
        ``postprocess``, ``quantization`` and ``pooling`` are read at
        ``transform``: ``set_params`` changes them without refitting.
    quantization : {"truncate", "round"}, default="truncate"
        The TF release truncates, torchvggish rounds.
    final_relu : bool, default=False
        Apply ReLU to the embedding layer, as torchvggish does (the TF
        release's embedding is pre-activation).
    fine_tune : bool, default=False
        With ``weights``, train them further in ``fit(X, y)`` with the
        thesis's head.
    conv_blocks : tuple of tuples of int, default=((64,), (128,), (256, 256), (512, 512))
        Convolution widths per pooling block, for training (published
        weights need the default).
    fc_units : tuple of int, default=(4096, 4096)
        Fully connected widths before the embedding (published: the default).
    embedding_size : int, default=128
        Embedding width (published: 128).
    hidden_units : int, default=100
        Hidden ReLU layer of the training head (thesis 5.2.2: 100).
    {training_parameters}

    Attributes
    ----------
    model_ : keras.Model
        The embedding network: patches ``(96, 64, 1)`` -> embeddings.
    pca_eigen_vectors_, pca_means_ : ndarray or None
        The loaded PCA parameters.
    classes_ : ndarray
        Labels the network was trained on (only after training).
    history_ : dict
        Keras's training history (only after training).
    n_features_in_ : int
        Samples per clip seen in ``fit``.

    See Also
    --------
    skaudio.embedding.load_vggish_weights : read the published weights.
    skaudio.networks.build_vggish : the network alone.

    Notes
    -----
    The training parameters apply when the network trains; the validation
    split holds out whole clips (all their patches), so that no clip has
    patches on both sides, and ``batch_size`` is also the inference batch.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 1 (VGGish), Table 4 (its input), section 5.1.1
       (PCA and 8-bit quantisation), sections 5.2.2-5.2.3 (fine-tuning with a
       100-unit head, fixed segment counts).
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((8, 16000)).astype("float32") * 0.1
    >>> y = np.array([0, 1] * 4)
    >>> emb = VGGishEmbedder(conv_blocks=((4,),), fc_units=(8,), embedding_size=8,
    ...                      hidden_units=4, epochs=1, random_state=0)
    >>> emb.fit(X, y).transform(X).shape
    (8, 1, 8)
    """

    _parameter_constraints = {
        "weights": [str, os.PathLike, None],
        "pca_params": [str, os.PathLike, None],
        "sr": POSITIVE_REAL,
        "n_segments": [Interval(Integral, 1, None, closed="left"), None],
        "pad_mode": [StrOptions({"repeat", "constant"})],
        "pooling": [StrOptions({"mean"}), None],
        "postprocess": [StrOptions({"auto"}), list, tuple, None],
        "quantization": [StrOptions(set(QUANTIZATIONS))],
        "final_relu": BOOL,
        "fine_tune": BOOL,
        "conv_blocks": [tuple, list],
        "fc_units": [tuple, list],
        "embedding_size": POSITIVE_INT,
        "hidden_units": POSITIVE_INT,
    }
    # Waveform input: the gain and normalisation layers of networks on
    # log-power input do not apply; VGGish trains for fewer epochs.
    _training_excluded = ("gain_augment_db", "input_normalization")
    _training_defaults = {"epochs": 10}

    def __init__(self, weights=None, *, pca_params=None, sr=16000, n_segments=None,
                 pad_mode="repeat", pooling=None, postprocess="auto",
                 quantization="truncate", final_relu=False, fine_tune=False,
                 conv_blocks=VGGISH_CONV_BLOCKS, fc_units=VGGISH_FC_UNITS,
                 embedding_size=VGGISH_EMBEDDING_SIZE, hidden_units=100,
                 **training_params):
        super().__init__(**training_params)
        self.weights = weights
        self.pca_params = pca_params
        self.sr = sr
        self.n_segments = n_segments
        self.pad_mode = pad_mode
        self.pooling = pooling
        self.postprocess = postprocess
        self.quantization = quantization
        self.final_relu = final_relu
        self.fine_tune = fine_tune
        self.conv_blocks = conv_blocks
        self.fc_units = fc_units
        self.embedding_size = embedding_size
        self.hidden_units = hidden_units

    @classmethod
    def _get_test_params(cls):
        # Trained from scratch, tiny; every sample is repeated to one 0.96 s
        # patch. XLA-compiled: a new batch shape costs one compilation, not
        # one per operation.
        return [dict(n_segments=1, pooling="mean", conv_blocks=((2,),), fc_units=(4,),
                     embedding_size=4, hidden_units=4, epochs=1, batch_size=256,
                     random_state=0)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        training = self._trains()
        tags.target_tags.required = training
        tags.non_deterministic = training and self.random_state is None
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ------------------------------------------------------------ validation
    def _trains(self):
        return self.weights is None or bool(self.fine_tune)

    def _check_param_rules(self):
        """The rules between parameters that no single constraint states."""
        name = type(self).__name__
        if isinstance(self.postprocess, (list, tuple)) and not all(
                isinstance(step, str) and step in STEPS for step in self.postprocess):
            raise InvalidParameterError(
                f"The 'postprocess' parameter of {name} must be 'auto', None or a list "
                f"or tuple of steps from {STEPS}. Got {self.postprocess!r} instead."
            )
        if not self.conv_blocks or not all(
                isinstance(block, (tuple, list)) for block in self.conv_blocks):
            raise InvalidParameterError(
                f"The 'conv_blocks' parameter of {name} must be a non-empty tuple of "
                f"tuples of positive ints. Got {self.conv_blocks!r} instead."
            )
        for block in self.conv_blocks:
            check_positive_ints(block, "conv_blocks", name)
        check_positive_ints(self.fc_units, "fc_units", name)
        if self.fine_tune and self.weights is None:
            raise ValueError(
                f"{name}: fine_tune=True fine-tunes loaded weights; give weights=path, or "
                "keep fine_tune=False to train from scratch (weights=None)."
            )
        if self.weights is not None:
            published = (tuple(map(tuple, self.conv_blocks)) == VGGISH_CONV_BLOCKS
                         and tuple(self.fc_units) == VGGISH_FC_UNITS
                         and self.embedding_size == VGGISH_EMBEDDING_SIZE)
            if not published:
                raise ValueError(
                    f"{name}: published weights fix the network's sizes; leave "
                    "conv_blocks, fc_units and embedding_size at their defaults "
                    "when weights is given."
                )
        elif self.pca_params is not None:
            raise ValueError(
                f"{name}: pca_params are the published PCA of the published network's "
                "embeddings; they do not apply to a network trained here (weights=None)."
            )

    def _check_y(self, X, y):
        name = type(self).__name__
        if y is None:
            what = "fine-tunes the loaded weights" if self.weights is not None else \
                "trains VGGish from scratch (weights=None)"
            raise ValueError(
                f"{name} requires y to be passed, but the target y is None: it {what}, "
                "which needs labels: call fit(X, y). To embed with the published "
                "network instead, pass weights=path to its weight file."
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"{name}: y must hold one label per clip: {X.shape[0]} clips, y of shape "
                f"{y.shape}."
            )
        check_classification_targets(y)
        if np.unique(y).size < 2:
            raise ValueError(f"{name} needs at least two classes to train; y has only one "
                             f"class ({np.unique(y)[0]!r}).")
        return y

    def _steps(self, pca):
        """The post-processing steps ``postprocess`` asks for, in AudioSet's order."""
        if self.postprocess == "auto":
            return STEPS if pca is not None else ()
        steps = tuple(s for s in STEPS if s in (self.postprocess or ()))
        if "pca" in steps and pca is None:
            raise ValueError(
                f"{type(self).__name__}: postprocess includes 'pca', but no PCA "
                "parameters were loaded; give pca_params=path (the TF release's "
                "vggish_pca_params.npz) or leave 'pca' out."
            )
        return steps

    def _patches(self, X):
        return waveforms_to_patches(X, self.sr, n_segments=self.n_segments,
                                    pad_mode=self.pad_mode).astype(np.float32)

    # ------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Load the published weights, or train VGGish on labelled clips.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)
            Waveforms at ``sr``.
        y : array-like of shape (n_clips,), default=None
            One label per clip; required when the network trains
            (``weights=None`` or ``fine_tune=True``), ignored otherwise.

        Returns
        -------
        self
        """
        self._check_param_rules()
        X = check_waveforms(X, name=type(self).__name__)
        training = self._trains()
        if training:
            y = self._check_y(X, y)
        pca = None
        loaded = None
        if self.weights is not None:
            loaded, pca = load_vggish_weights(self.weights, pca_params=self.pca_params)
        self._steps(pca)
        seed = seed_of(self.random_state)
        model = build_vggish(
            VGGISH_PATCH_SHAPE, conv_blocks=tuple(map(tuple, self.conv_blocks)),
            fc_units=tuple(self.fc_units), embedding_size=self.embedding_size,
            embedding_activation="relu" if self.final_relu else None,
            kernel_initializer="glorot_uniform" if loaded is None else "zeros", seed=seed,
        )
        if loaded is not None:
            for layer, values in loaded.items():
                model.get_layer(layer).set_weights(values)
        if training:
            self._train(model, X, y, seed)
        self.model_ = model
        self.pca_eigen_vectors_, self.pca_means_ = pca if pca is not None else (None, None)
        self.n_features_in_ = X.shape[1]
        return self

    def _train(self, model, X, y, seed):
        """Train ``model`` in place with the thesis's head on every labelled patch."""
        patches = self._patches(X)
        n_segments = patches.shape[1]
        params = {name: getattr(self, name) for name in self._training_parameter_defaults()}
        trainer = _VGGishTrainer(network=model, hidden_units=self.hidden_units,
                                 segments_per_clip=n_segments, **{**params, "random_state": seed})
        trainer.fit(patches.reshape(-1, *VGGISH_PATCH_SHAPE[:2]), np.repeat(y, n_segments))
        self.classes_ = trainer.classes_
        self.history_ = {k: list(map(float, v)) for k, v in trainer.history_.items()}

    # ------------------------------------------------------------ transform
    def _embed(self, patches):
        # The network is called batch by batch (Keras's predict() costs seconds of
        # overhead per call for VGGish's 72 million weights on the JAX backend). A
        # short batch is padded to the next power of two (at most batch_size), so
        # that each operation compiles for a few batch shapes only.
        flat = patches.reshape(-1, *VGGISH_PATCH_SHAPE)
        n, size = len(flat), self.batch_size
        out = []
        for i in range(0, n, size):
            batch = flat[i:i + size]
            padded = min(size, 1 << (len(batch) - 1).bit_length())
            if len(batch) < padded:
                batch = np.concatenate([batch, np.zeros((padded - len(batch),
                                                         *batch.shape[1:]), batch.dtype)])
            out.append(keras.ops.convert_to_numpy(self.model_(batch, training=False))[:n - i])
        return np.concatenate(out).astype(np.float32).reshape(*patches.shape[:2], -1)

    def transform(self, X):
        """Embed every 0.96 s segment of every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_samples)
            Waveforms at ``sr``.

        Returns
        -------
        ndarray of float32, shape (n_clips, n_segments, embedding_size)
            Or ``(n_clips, embedding_size)`` with ``pooling="mean"``.
        """
        check_is_fitted(self, "model_")
        X = check_waveforms(X, name=type(self).__name__)
        # postprocess, quantization and pooling are read here: set_params may
        # have changed them since fit.
        self._validate_params()
        self._check_param_rules()
        pca = None if self.pca_eigen_vectors_ is None else \
            (self.pca_eigen_vectors_, self.pca_means_)
        steps = self._steps(pca)
        chunks = []
        for start in range(0, X.shape[0], _CLIPS_PER_CHUNK):
            emb = self._embed(self._patches(X[start:start + _CLIPS_PER_CHUNK]))
            if not np.all(np.isfinite(emb)):
                raise ValueError(
                    f"{type(self).__name__} produced non-finite embeddings: the input "
                    f"overflows the network (peak amplitude {np.abs(X).max():.3g}). "
                    "Scale the audio to [-1, 1]."
                )
            chunks.append(vggish_postprocess(emb, pca, steps=steps,
                                             quantization=self.quantization))
        emb = np.concatenate(chunks)
        return emb.mean(axis=1) if self.pooling == "mean" else emb
