"""VGGishEmbedder: waveforms -> VGGish embeddings, as a scikit-learn transformer."""

import numbers

import keras
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._validation import (
    check_positive_int,
    check_scalar_real,
    check_waveforms,
    seed_of,
)
from ..base import VersionedStateMixin
from ..estimators._base import (
    _seeded,
    check_training_params,
    enable_compilation_cache,
    make_optimizer,
)
from ..networks.vggish import (
    VGGISH_CONV_BLOCKS,
    VGGISH_EMBEDDING_SIZE,
    VGGISH_FC_UNITS,
    VGGISH_PATCH_SHAPE,
    build_vggish,
)
from ._frontend import waveforms_to_patches
from ._postprocess import QUANTIZATIONS, STEPS, vggish_postprocess
from ._weights import load_vggish_weights

# clips featurised and embedded per chunk in transform (bounded memory)
_CLIPS_PER_CHUNK = 256


class VGGishEmbedder(VersionedStateMixin, TransformerMixin, BaseEstimator):
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

    =================  ========================  ========================
    aspect             TF release (default)      torchvggish
    =================  ========================  ========================
    embedding          pre-activation (linear)   ReLU (``final_relu=True``)
    8-bit quantisation truncates (``astype``)    rounds (``quantization="round"``)
    resampling         resampy (kaiser_best)     resampy
    =================  ========================  ========================

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
    optimizer : str, default="adam"
    learning_rate : float, default=1e-3
    epochs : int, default=10
    batch_size : int, default=32
        Patches per training batch; also the inference batch.
    validation_split : float, default=0.0
        Fraction of the *clips* (all their patches) held out to monitor
        ``val_loss``, so that no clip has patches on both sides.
    patience : int or None, default=None
        Early stopping on ``val_loss`` (needs ``validation_split``),
        restoring the best weights.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation and shuffling: with an int, training on
        the CPU is reproducible.
    verbose : int, default=0
        Keras's training progress output.
    run_eagerly : bool, default=False
        Train op by op instead of compiling the training step with XLA
        (faster for tiny networks, where compilation dominates). ``transform``
        always calls the network batch by batch.

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

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((8, 16000)).astype("float32") * 0.1
    >>> y = np.array([0, 1] * 4)
    >>> emb = VGGishEmbedder(conv_blocks=((4,),), fc_units=(8,), embedding_size=8,
    ...                      hidden_units=4, epochs=1, run_eagerly=True, random_state=0)
    >>> emb.fit(X, y).transform(X).shape
    (8, 1, 8)
    """

    def __init__(self, weights=None, *, pca_params=None, sr=16000, n_segments=None,
                 pad_mode="repeat", pooling=None, postprocess="auto",
                 quantization="truncate", final_relu=False, fine_tune=False,
                 conv_blocks=VGGISH_CONV_BLOCKS, fc_units=VGGISH_FC_UNITS,
                 embedding_size=VGGISH_EMBEDDING_SIZE, hidden_units=100, optimizer="adam",
                 learning_rate=1e-3, epochs=10, batch_size=32, validation_split=0.0,
                 patience=None, random_state=None, verbose=0, run_eagerly=False):
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
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.patience = patience
        self.random_state = random_state
        self.verbose = verbose
        self.run_eagerly = run_eagerly

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

    def _check_params(self):
        name = type(self).__name__
        check_scalar_real(self.sr, "sr", owner=name, min_val=0, include_min=False)
        if self.n_segments is not None:
            check_positive_int(self.n_segments, "n_segments", owner=name)
        choices = {"pad_mode": ("repeat", "constant"), "pooling": (None, "mean"),
                   "quantization": QUANTIZATIONS}
        for param, allowed in choices.items():
            if getattr(self, param) not in allowed:
                raise ValueError(
                    f"{name}: {param} must be one of {allowed}; got {getattr(self, param)!r}."
                )
        postprocess = self.postprocess
        if not (postprocess is None or postprocess == "auto") and (
                not isinstance(postprocess, (list, tuple))
                or not all(isinstance(s, str) and s in STEPS for s in postprocess)):
            raise ValueError(
                f"{name}: postprocess must be 'auto', None or a list or tuple of steps "
                f"from {STEPS}; got {postprocess!r}."
            )
        for param in ("final_relu", "fine_tune", "run_eagerly"):
            if not isinstance(getattr(self, param), (bool, np.bool_)):
                raise TypeError(f"{name}: {param} must be True or False; "
                                f"got {getattr(self, param)!r}.")
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
        if not self.conv_blocks or not all(
                len(block) > 0 and all(isinstance(w, numbers.Integral) and w > 0
                                       for w in block) for block in self.conv_blocks):
            raise ValueError(f"{name}: conv_blocks must be non-empty tuples of positive "
                             f"ints; got {self.conv_blocks!r}.")
        if not all(isinstance(w, numbers.Integral) and w > 0 for w in self.fc_units):
            raise ValueError(f"{name}: fc_units must be positive ints; got {self.fc_units!r}.")
        for param in ("embedding_size", "hidden_units"):
            check_positive_int(getattr(self, param), param, owner=name)
        check_training_params(self)

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
        self._check_params()
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
        with _seeded(seed):
            model = build_vggish(
                VGGISH_PATCH_SHAPE, conv_blocks=tuple(map(tuple, self.conv_blocks)),
                fc_units=tuple(self.fc_units), embedding_size=self.embedding_size,
                embedding_activation="relu" if self.final_relu else None,
                kernel_initializer="glorot_uniform" if loaded is None else "zeros",
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
        enable_compilation_cache()
        patches = self._patches(X)
        n_clips, n_segments = patches.shape[:2]
        self.classes_, codes = np.unique(y, return_inverse=True)
        clips = check_random_state(seed).permutation(n_clips)
        n_val = round(n_clips * self.validation_split) if self.validation_split else 0
        if self.validation_split and not 0 < n_val < n_clips:
            raise ValueError(
                f"{type(self).__name__}: validation_split={self.validation_split} of "
                f"{n_clips} clips leaves no clip on one side; use more clips."
            )
        train, val = clips[:n_clips - n_val], clips[n_clips - n_val:]

        def flat(idx):
            return (patches[idx].reshape(-1, *VGGISH_PATCH_SHAPE),
                    np.repeat(codes[idx], n_segments))

        inputs = keras.Input(VGGISH_PATCH_SHAPE, name="log_mel")
        hidden = keras.layers.Dense(self.hidden_units, activation="relu",
                                    name="hidden")(model(inputs))
        outputs = keras.layers.Dense(len(self.classes_), activation="softmax",
                                     name="classes")(hidden)
        classifier = keras.Model(inputs, outputs, name="vggish_classifier")
        classifier.compile(optimizer=make_optimizer(self.optimizer, self.learning_rate),
                           loss="sparse_categorical_crossentropy",
                           metrics=["accuracy"], run_eagerly=self.run_eagerly)
        callbacks = [] if self.patience is None else [keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=self.patience, restore_best_weights=True)]
        history = classifier.fit(
            *flat(train), validation_data=flat(val) if n_val else None,
            epochs=self.epochs, batch_size=self.batch_size, shuffle=True,
            verbose=self.verbose, callbacks=callbacks,
        )
        self.history_ = {k: list(map(float, v)) for k, v in history.history.items()}
        if not np.isfinite(self.history_["loss"][-1]):
            raise ValueError(
                f"{type(self).__name__}'s training diverged (loss {self.history_['loss'][-1]});"
                " lower the learning rate."
            )

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
        self._check_params()
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
