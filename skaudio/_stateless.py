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
        self._record_input_shape(X)
        return self

    def _record_input_shape(self, X):
        """Keep what a subclass needs of the validated input's shape (nothing here)."""

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
