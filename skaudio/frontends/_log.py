"""The log front-ends: LOG, PERSA and LOG-T (PERSA+ paper, sections III and V-C, eq. 4)."""

import numpy as np

from .._docs import fill_doc
from .._params import N_JOBS_CONSTRAINT, POSITIVE_REAL, StrOptions
from ._base import FrontEnd, apply_frontend, flat, floored_log10, row_means, run_kernel

_LOG_PARAMS = {"amin": POSITIVE_REAL, "n_jobs": N_JOBS_CONSTRAINT}
_PERSA_PARAMS = {"method": [StrOptions({"subtract", "divide"})], **_LOG_PARAMS}
_LOG_T_PARAMS = {"c": POSITIVE_REAL, "n_jobs": N_JOBS_CONSTRAINT}


def _log_kernel(amin):
    def kernel(S, out, lowest):
        floored_log10(flat(S), flat(out), amin, lowest)
        return np.isfinite(out).all()
    return kernel


def _persa_kernel(method, amin):
    def kernel(S, out, lowest):
        S2, L = flat(S), flat(out)
        floored_log10(S2, L, amin, lowest)
        if method == "subtract":
            ref = row_means(L)
        else:  # log10 of the mean power, floored like the bins
            mean = row_means(S2)
            ref = np.log10(np.maximum(mean, mean.dtype.type(amin)))
        L -= ref[:, np.newaxis]
        # Every bin's log is finite when its sample's mean is (input >= 0).
        return np.isfinite(ref).all()
    return kernel


def _log_threshold_kernel(c):
    def kernel(S, out, lowest):
        S2, L = flat(S), flat(out)
        peak = S2.max(axis=1)
        # A silent sample (peak 0) is all zeros: scaling it by 1 keeps it so.
        # Multiplying by the reciprocal (within one rounding of dividing) is
        # several times faster than dividing.
        inverse = 1 / np.where(peak > 0, peak, 1)
        np.multiply(S2, inverse.astype(S2.dtype, copy=False)[:, np.newaxis], out=L)
        L += S2.dtype.type(10 ** (-c / 10))
        np.log10(L, out=L)
        return np.isfinite(peak).all()
    return kernel


def _log_compression(S, *, amin, n_jobs):
    return run_kernel(_log_kernel(amin), S, n_jobs)


def _per_sample_norm(S, *, method, amin, n_jobs):
    return run_kernel(_persa_kernel(method, amin), S, n_jobs)


def _log_threshold(S, *, c, n_jobs):
    return run_kernel(_log_threshold_kernel(c), S, n_jobs)


@fill_doc
def log_compression(S, *, amin=1e-10, n_jobs=None):
    """LOG: ``log10(max(S, amin))`` of a power spectrogram.

    The PERSA+ paper's static log compression (LOG, section V-C), which the
    other front-ends are compared with; not invariant to the input gain. The
    function behind :class:`skaudio.frontends.LogCompression`, with the same
    parameters.

    Parameters
    ----------
    S : array-like of shape (n, n_frames, n_bands[, n_channels]) or (n, n_features)
        Non-negative time-frequency power.
    amin : float, default=1e-10
        Floor of the power before the log.
    {n_jobs}

    Returns
    -------
    L : ndarray of the same shape and float dtype as ``S``
        ``log10`` of the floored power, in bels.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-C
       (the LOG front-end).

    Examples
    --------
    >>> import numpy as np
    >>> log_compression(np.array([[1.0, 100.0, 0.0]]))
    array([[  0.,   2., -10.]])
    """
    return apply_frontend("log_compression", S, _LOG_PARAMS, _log_compression,
                          dict(amin=amin, n_jobs=n_jobs))


@fill_doc
def per_sample_norm(S, *, method="subtract", amin=1e-10, n_jobs=None):
    """PERSA: per-sample energy normalisation (PERSA+ paper, sections III, IV-C).

    ``method="subtract"``: ``log10 S - mean(log10 S)`` over the sample's bins
    (the paper's choice). ``method="divide"``: ``log10(S / mean(S))``, the
    "mean division then log" variant. Both are exactly invariant to a gain:
    ``per_sample_norm(g * S) == per_sample_norm(S)`` for ``g > 0`` (while no
    bin sits at the ``amin`` floor). Computed in one pass over each chunk of
    samples. The function behind :class:`skaudio.frontends.PerSampleNorm`.

    Parameters
    ----------
    S : array-like of shape (n, n_frames, n_bands[, n_channels]) or (n, n_features)
        Non-negative time-frequency power.
    method : {"subtract", "divide"}, default="subtract"
        Subtract the mean log, or divide by the mean power before the log.
    amin : float, default=1e-10
        Floor of the power before the log.
    {n_jobs}

    Returns
    -------
    Z : ndarray of the same shape and float dtype as ``S``
        In bels relative to the sample's reference: zero mean over each
        sample's bins for ``method="subtract"``.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section III
       (PERSA) and section IV-C (the "mean division - log" variant).

    Examples
    --------
    >>> import numpy as np
    >>> per_sample_norm(np.array([[1.0, 100.0]]))
    array([[-1.,  1.]])
    """
    return apply_frontend("per_sample_norm", S, _PERSA_PARAMS, _per_sample_norm,
                          dict(method=method, amin=amin, n_jobs=n_jobs))


@fill_doc
def log_threshold(S, *, c=30.0, n_jobs=None):
    """LOG-T: per-sample maximum normalisation and thresholded log (eq. 4).

    ``log10(S / max(S) + 10**(-c / 10))``. The floor sits ``c`` dB below the
    sample's maximum (the plain-text eq. 4 prints ``10**(c/20)``: with a positive
    exponent the floor would lie above the maximum and ``c`` could not be a
    dynamic range; ``c/10`` rather than ``c/20`` because the input is power).
    The output lies in ``[-c/10, log10(1 + 10**(-c/10))]`` bels: a dynamic range
    of at most ``10 * log10(10**(c/10) + 1)`` dB, which exceeds ``c`` by less
    than 0.005 dB for ``c >= 30``. An all-zero sample gives ``-c/10`` everywhere.
    The function behind :class:`skaudio.frontends.LogThreshold`.

    Parameters
    ----------
    S : array-like of shape (n, n_frames, n_bands[, n_channels]) or (n, n_features)
        Non-negative time-frequency power.
    c : float, default=30.0
        Dynamic range kept below each sample's maximum, in dB.
    {n_jobs}

    Returns
    -------
    L : ndarray of the same shape and float dtype as ``S``
        In bels relative to each sample's maximum.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-C,
       eq. 4 (LOG-T), and Fig. 1 (the sweep of ``c``).

    Examples
    --------
    >>> import numpy as np
    >>> out = log_threshold(np.array([[1.0, 1e-6]]), c=30)
    >>> [round(float(v), 4) for v in out[0]]
    [0.0004, -2.9996]
    """
    return apply_frontend("log_threshold", S, _LOG_T_PARAMS, _log_threshold,
                          dict(c=c, n_jobs=n_jobs))


@fill_doc
class LogCompression(FrontEnd):
    """LOG: ``log10`` of the power, floored at ``amin``.

    The PERSA+ paper's baseline: not invariant to the input gain (a gain of
    ``g`` dB shifts the output by ``g / 10``). See :mod:`skaudio.frontends` for
    the conventions shared by every front-end.

    Parameters
    ----------
    amin : float, default=1e-10
        Floor of the power before the log (-100 dB); silent samples give
        ``log10(amin)``.
    {n_jobs}

    See Also
    --------
    skaudio.frontends.log_compression : the function this transformer applies.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-C
       (the LOG front-end) and Tables II-III.

    Examples
    --------
    >>> import numpy as np
    >>> LogCompression().fit_transform(np.array([[1.0, 10.0]]))
    array([[0., 1.]])
    """

    _parameter_constraints = _LOG_PARAMS
    _compute = staticmethod(_log_compression)

    def __init__(self, amin=1e-10, n_jobs=None):
        self.amin = amin
        self.n_jobs = n_jobs

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{}]


@fill_doc
class PerSampleNorm(FrontEnd):
    """PERSA: log compression and per-sample mean subtraction.

    Each sample's output is ``log10 S`` minus the mean of ``log10 S`` over all
    of its time-frequency bins (PERSA+ paper, section III): exactly invariant to
    a gain on the input. Silent samples give zeros.

    Parameters
    ----------
    method : {"subtract", "divide"}, default="subtract"
        ``"subtract"``: log, then subtract the mean log (the paper's choice).
        ``"divide"``: divide by the mean power, then log (section IV-C's
        variant; the same shape with a slightly different offset).
    amin : float, default=1e-10
        Floor of the power before the log.
    {n_jobs}

    See Also
    --------
    skaudio.frontends.PersaPlus : PERSA with noise injection.
    skaudio.frontends.per_sample_norm : the function this transformer applies.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section III
       (PERSA) and section IV-C (the "mean division - log" variant).

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> bool(np.allclose(PerSampleNorm().fit_transform(S),
    ...                  PerSampleNorm().fit_transform(1000 * S)))
    True
    """

    _parameter_constraints = _PERSA_PARAMS
    _compute = staticmethod(_per_sample_norm)

    def __init__(self, method="subtract", amin=1e-10, n_jobs=None):
        self.method = method
        self.amin = amin
        self.n_jobs = n_jobs

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{}, {"method": "divide"}]


@fill_doc
class LogThreshold(FrontEnd):
    """LOG-T: per-sample maximum normalisation and log with a floor ``c`` dB down.

    ``log10(S / max(S) + 10**(-c/10))`` per sample (PERSA+ paper, eq. 4; see
    :func:`skaudio.frontends.log_threshold` for the sign of the exponent). Each sample's output
    spans at most about ``c`` dB (``c / 10`` bels) and is invariant to the
    input gain. A silent sample gives ``-c / 10`` everywhere.

    Parameters
    ----------
    c : float, default=30.0
        Dynamic range kept below each sample's maximum, in dB (the paper's
        choice is 30).
    {n_jobs}

    See Also
    --------
    skaudio.frontends.log_threshold : the function this transformer applies.

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section V-C,
       eq. 4 (LOG-T); ``c = 30`` dB from Fig. 1 and section VI.

    Examples
    --------
    >>> import numpy as np
    >>> S = np.random.default_rng(0).random((2, 10, 8))
    >>> Z = LogThreshold(c=30).fit_transform(S)
    >>> bool(Z.max() <= 0.001 and Z.min() >= -3.0)
    True
    """

    _parameter_constraints = _LOG_T_PARAMS
    _compute = staticmethod(_log_threshold)

    def __init__(self, c=30.0, n_jobs=None):
        self.c = c
        self.n_jobs = n_jobs

    @classmethod
    def _get_test_params(cls):
        """Cheap configurations for the common tests (see :mod:`skaudio.discovery`)."""
        return [{"c": 30.0}]
