"""The shared base of skaudio's stateless transformers.

The mel spectrogram, the front-ends, :class:`~skaudio.Deltas`,
:class:`~skaudio.MinMaxScale` and :class:`~skaudio.TemporalStatistics` learn
nothing in ``fit``: each sample's output depends on that sample and the
parameters only, so ``transform`` needs no ``fit`` and no statistic of a test
fold can leak into training. This base gives them their scikit-learn tags and
their ``fit``; a subclass declares ``_parameter_constraints`` (and checks the
rules between parameters they cannot express in ``_check_params``), its input
(``_check_input``) and which inputs its tags announce.
"""

from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context

from ._params import check_params
from .base import VersionedStateMixin


class StatelessTransformer(VersionedStateMixin, TransformerMixin, BaseEstimator,
                           metaclass=ABCMeta):
    """A transformer whose ``fit`` checks parameters and input and learns nothing.

    Class attributes a subclass sets: ``_two_d_input`` and
    ``_three_d_input`` (whether it takes 2-D and 3-D arrays), and
    ``_positive_only`` (non-negative input only). Abstract, so that estimator
    discovery (:mod:`skaudio.discovery`) leaves it out.
    """

    _two_d_input = True
    _three_d_input = True
    _positive_only = False

    @abstractmethod
    def _check_input(self, X):
        """The validated input array (a subclass's own checks)."""

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the input; nothing is learned.

        Parameters
        ----------
        X : array-like
            The input ``transform`` takes.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._check_params()
        X = self._check_input(X)
        self.n_features_in_ = X.shape[1]
        # A frame's shape: (bands[, channels]) of a time-frequency input, or
        # (n_features,) of a 2-D one (one frame per row); it names the features.
        self._frame_shape = tuple(X.shape[2:] if X.ndim > 2 else X.shape[1:])
        return self

    def _frame_feature_names(self, input_features=None):
        """Names of the features of one input frame, C order over (bands, channels).

        ``input_features`` when given (checked against the frame's size), else
        ``band0``, ``band1``, ... (``band0_ch0``, ... with channels).
        """
        size = int(np.prod(self._frame_shape))
        if input_features is not None:
            names = [str(name) for name in input_features]
            if len(names) != size:
                raise ValueError(
                    f"{type(self).__name__}: input_features should have {size} names "
                    f"(one per feature of a frame of shape {self._frame_shape}); got "
                    f"{len(names)}."
                )
            return names
        bands = [f"band{b}" for b in range(self._frame_shape[0])]
        if len(self._frame_shape) == 1:
            return bands
        return [f"{band}_ch{c}" for band in bands for c in range(self._frame_shape[1])]

    def _params(self):
        """The parameters by name, as ``_parameter_constraints`` lists them.

        Cheaper than ``get_params``, which inspects ``__init__`` on every call
        (about 20 us, a tenth of a single clip's PERSA+).
        """
        return {name: getattr(self, name) for name in self._parameter_constraints}

    def _check_params(self):
        """Validate the parameters; ``transform`` runs without ``fit``, so it does too.

        Returns them by name. Memoised (:func:`skaudio._params.check_params`):
        a repeated parameter set costs a dictionary look-up. A subclass adds
        the rules between parameters here.
        """
        params = self._params()
        check_params(self._parameter_constraints, params, type(self).__name__)
        return params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = self._two_d_input
        tags.input_tags.three_d_array = self._three_d_input
        tags.input_tags.positive_only = self._positive_only
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
