"""What the five front-ends share: the checked path from parameters to output.

Each front-end is a private computation ``_name(S, **params) -> (out, ok)``
built from a kernel that transforms a chunk of samples, a public function that
validates and calls it (:func:`apply_frontend`), and a transformer that does
the same with its parameters (:class:`FrontEnd`).
"""

from abc import abstractmethod

import numpy as np

from .._chunks import map_chunks
from .._params import check_params
from .._stateless import StatelessTransformer
from .._validation import check_time_frequency
from ..base import ArrayOutputMixin


def apply_frontend(owner, S, constraints, compute, params):
    """Check ``params`` and ``S``, then ``compute(S, **params)``, with clear errors.

    The shared path of every front-end function and transformer: the
    parameters against ``constraints`` (memoised), the shape and dtype of
    ``S``, then its values (non-negative, not NaN) while they are transformed;
    on a failure the full check says what was wrong, and an output that
    overflowed the dtype says so.
    """
    check_params(constraints, params, owner)
    S = check_time_frequency(S, name=owner, check_values=False)
    out, ok = compute(S, **params)
    if not ok:
        check_time_frequency(S, name=owner)
        raise ValueError(
            f"{owner} overflowed {S.dtype} on input values up to {S.max():.3g}; "
            "pass float64 input or rescale it."
        )
    return out


def run_kernel(kernel, S, n_jobs, per_sample=()):
    """Apply ``kernel(S_chunk, out_chunk, lowest, *per_sample_chunks)`` to chunks.

    Chunks of whole samples go through the engine (:mod:`skaudio._chunks`);
    ``lowest`` is the chunk's smallest value and ``per_sample`` arrays (one row
    per sample) are sliced like the chunk. Returns the output and whether
    every kernel call returned True (its output is finite) and every chunk is
    non-negative and not NaN (checked while the chunk is in the cache,
    instead of in passes of their own); overflow is left to
    :func:`apply_frontend`.
    """
    S = np.ascontiguousarray(S)
    out = np.empty_like(S)

    def work(rows):
        chunk = S[rows]
        lowest = chunk.min()
        if not lowest >= 0:  # False for NaN too
            return False
        return bool(kernel(chunk, out[rows], lowest, *[a[rows] for a in per_sample]))

    with np.errstate(over="ignore", invalid="ignore"):
        # The chunk's input and output.
        ok = map_chunks(work, S.shape[0], 2 * S[0].nbytes, n_jobs)
    return out, ok


def flat(A):
    """``(n, ...)`` as ``(n, bins)`` without a copy (A is C-contiguous)."""
    return A.reshape(A.shape[0], -1)


def row_means(X2):
    """Mean of every row of a C-contiguous 2-D array, in its own dtype.

    ``einsum`` sums each row the same way whatever the number of rows (so a
    sample's mean does not depend on its batch) and several times faster than
    ``mean``'s pairwise summation.
    """
    return np.einsum("ij->i", X2) / X2.dtype.type(X2.shape[1])


def floored_log10(S2, L, amin, lowest):
    """``L = log10(max(S2, amin))`` for 2-D arrays; the floor only where needed.

    The floor is a pass of its own, skipped when the chunk's ``lowest`` value
    is above it; numpy's ``maximum`` is several times faster with a row of
    ``amin`` than with a scalar.
    """
    if lowest >= amin:
        return np.log10(S2, out=L)
    np.maximum(S2, np.full(S2.shape[1], amin, dtype=S2.dtype), out=L)
    return np.log10(L, out=L)


class FrontEnd(ArrayOutputMixin, StatelessTransformer):
    """Shared shell of the stateless per-sample front-ends.

    A subclass declares ``_parameter_constraints`` (the dict its public
    function validates with) and ``_compute``, the private computation behind
    that function (same parameters, ``(out, ok)`` result).
    """

    _feature_names_out = StatelessTransformer._frame_feature_names  # bands kept

    _positive_only = True

    @staticmethod
    @abstractmethod
    def _compute(S, **params):
        """The front-end's computation: ``(out, ok)``."""

    def _check_input(self, X):
        return check_time_frequency(X, name=type(self).__name__)

    def transform(self, X):
        """Apply the front-end to every sample independently.

        Parameters
        ----------
        X : array-like of shape (n, n_frames, n_bands[, n_channels]) or \
(n, n_features)
            Non-negative time-frequency power.

        Returns
        -------
        ndarray of the same shape and float dtype
        """
        return apply_frontend(type(self).__name__, X, self._parameter_constraints,
                              self._compute, self._params())
