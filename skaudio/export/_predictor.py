"""ONNXClassifier: an exported network as the last step of a scikit-learn pipeline."""

import json

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ._graph import require_onnx


def read_metadata(model_bytes):
    """The ``skaudio.*`` metadata an exported file carries, as a dict."""
    onnx, _ = require_onnx()
    model = onnx.load_model_from_string(model_bytes)
    props = {p.key: p.value for p in model.metadata_props}
    if "skaudio.classes" not in props:
        raise ValueError("This ONNX file was not written by skaudio.export.export_network: "
                         "it records no classes.")
    return {key.removeprefix("skaudio."): json.loads(value) for key, value in props.items()
            if key.startswith("skaudio.")}


def _after_python_steps(metadata):
    steps = metadata.get("python_steps")
    return f", after the steps that stay in Python ({', '.join(steps)})." if steps else "."


class ONNXClassifier(ClassifierMixin, BaseEstimator):
    """Predict with a network exported by :func:`export_network` (onnxruntime).

    Inference-only: it stands where the exported steps stood, as the last step
    of the same pipeline, and predicts what they predicted (to the export's
    quantisation). ``fit`` raises: fit the original pipeline and export it
    again. The file is read once, at the first prediction or ``classes_``,
    and travels inside the estimator when it is pickled (``joblib.dump``), so
    a saved pipeline does not depend on the file afterwards.

    Parameters
    ----------
    path : str or path-like
        The ``.onnx`` file :func:`export_network` wrote.
    n_threads : int, default=None
        onnxruntime's threads per prediction; None lets it use every core.

    Attributes
    ----------
    classes_ : ndarray
        The labels of the exported network, in its order.
    metadata_ : dict
        What the file records: classes, input shape, quantisation, the
        front-end steps inside the graph.

    See Also
    --------
    export_network : Writes the file and returns the ready estimator.

    References
    ----------
    .. [1] Z. Hu et al., "Device-robust acoustic scene classification based on
       two-stage categorization and data augmentation", DCASE 2020, section 4.

    Examples
    --------
    >>> from skaudio.export import ONNXClassifier
    >>> ONNXClassifier("model.onnx").fit([[0.0]], [0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: ONNXClassifier is inference-only: ...export it again with ...
    """

    def __init__(self, path, n_threads=None):
        self.path = path
        self.n_threads = n_threads

    @classmethod
    def _get_test_params(cls):
        # None for scikit-learn's common checks: they fit, and fit raises here.
        # tests/test_export.py checks the exported predictor instead.
        return []

    def __sklearn_is_fitted__(self):
        return True  # inference-only: fitted when exported

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags

    def fit(self, X, y=None, **fit_params):
        """Not offered: the exported network is fixed."""
        raise TypeError(
            f"ONNXClassifier is inference-only: it predicts with the network exported to "
            f"{self.path!r}. Fit the original estimator or pipeline and export it again "
            "with skaudio.export.export_network.")

    # ------------------------------------------------------------ the file
    def _model_bytes(self):
        if getattr(self, "_bytes", None) is None:
            with open(self.path, "rb") as file:
                self._bytes = file.read()
        return self._bytes

    @property
    def metadata_(self):
        if getattr(self, "_metadata", None) is None:
            self._metadata = read_metadata(self._model_bytes())
        return self._metadata

    @property
    def classes_(self):
        meta = self.metadata_
        return np.asarray(meta["classes"], dtype=meta["classes_dtype"])

    def _session(self):
        if getattr(self, "_inference", None) is None:
            _, ort = require_onnx()
            options = ort.SessionOptions()
            # Lets onnxruntime fold an int8 export's DequantizeLinear of constant
            # weights into float weights once, at load: int8 files then predict
            # as fast as float32 ones (measured: 1.3x slower without).
            options.add_session_config_entry("session.disable_quant_qdq", "1")
            if self.n_threads is not None:
                options.intra_op_num_threads = self.n_threads
            self._inference = ort.InferenceSession(
                self._model_bytes(), options, providers=["CPUExecutionProvider"])
        return self._inference

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_bytes"] = self._model_bytes()  # the pickle holds the network itself
        state.pop("_inference", None)
        return state

    # ------------------------------------------------------------ prediction
    def _check_X(self, X):
        meta = self.metadata_
        shape = tuple(meta["input_shape"])
        X = np.asarray(X, dtype=np.float32)
        fits = X.ndim == 1 + len(shape) and all(
            d is None or d == n for d, n in zip(shape, X.shape[1:]))
        samples = meta.get("input_samples")
        if samples is not None and fits and not samples[0] <= X.shape[1] <= samples[1]:
            raise ValueError(
                f"The exported network reads clips of {samples[0]} to {samples[1]} samples "
                f"(the number of frames it was trained on); got {X.shape[1]}. Cut or pad "
                "the clips to the training duration (AudioLoader(duration=...)).")
        if not fits:
            expected = "(n_clips, n_samples)" if samples is not None else f"(n, *{shape})"
            raise ValueError(
                f"The exported network reads X of shape {expected}; got {X.shape}. Give "
                f"it what the exported steps were fitted on{_after_python_steps(meta)}")
        if not np.isfinite(X).all():
            raise ValueError("X contains NaN or infinity; the exported network needs "
                             "finite input.")
        return X

    def predict_proba(self, X):
        """Class probabilities, shape ``(n_samples, n_classes)``, float32."""
        X = self._check_X(X)
        session = self._session()
        return session.run(None, {session.get_inputs()[0].name: X})[0]

    def predict(self, X):
        """Predicted labels, of the type of the training labels."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
