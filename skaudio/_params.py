"""Declarative parameter validation, as scikit-learn does it, with a fast path.

Every skaudio estimator and transformer declares ``_parameter_constraints``
with scikit-learn's constraint objects (``Interval``, ``StrOptions``, ...);
``fit`` methods run under ``sklearn.base._fit_context``, which validates them
and raises ``sklearn.utils._param_validation.InvalidParameterError`` (both a
``ValueError`` and a ``TypeError``) with scikit-learn's message.

The stateless transformers and the front-end functions validate on every
``transform`` call, which is budgeted in microseconds (a single clip's
PERSA+ takes about 0.2 ms): :func:`check_params` validates the same
constraints, and remembers the parameter sets it has accepted, so that a
repeated call costs one dictionary look-up.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)

__all__ = ["InvalidParameterError", "check_params", "check_positive_ints",
           "N_JOBS_CONSTRAINT", "BOOL", "POSITIVE_INT", "POSITIVE_REAL",
           "NON_NEGATIVE_REAL", "FRACTION", "Interval", "StrOptions", "Integral", "Real"]

# Constraints that recur across skaudio's estimators.
# n_jobs as joblib counts it: a non-zero int (-1: every core) or None.
N_JOBS_CONSTRAINT = [Interval(Integral, None, -1, closed="right"),
                     Interval(Integral, 1, None, closed="left"), None]
BOOL = ["boolean"]
POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
POSITIVE_REAL = [Interval(Real, 0, None, closed="neither")]
NON_NEGATIVE_REAL = [Interval(Real, 0, None, closed="left")]
FRACTION = [Interval(Real, 0, 1, closed="left")]  # [0, 1)

# Parameter sets already accepted: (id of the constraints, caller, params) keys.
# The constraint dicts are class attributes or module constants, alive as
# long as the process; the memo is bounded and only ever holds valid sets.
_ACCEPTED = {}
_MAX_ACCEPTED = 4096


def _memo_key(constraints, params, caller):
    try:
        key = (id(constraints), caller,
               tuple((name, type(value), value) for name, value in params.items()))
        hash(key)
    except TypeError:  # an array, a list or another unhashable value
        return None
    return key


def check_params(constraints, params, caller):
    """Validate ``params`` against ``constraints``, as scikit-learn's ``_validate_params``.

    Parameters
    ----------
    constraints : dict
        ``{name: [constraint, ...]}`` or ``"no_validation"``, scikit-learn's
        ``_parameter_constraints`` format.
    params : dict
        The values to check, by name.
    caller : str
        The estimator's or function's name, for the message.

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and ``TypeError``, with scikit-learn's message
        ("The 'q' parameter of PersaPlus must be ... Got ... instead.").
    """
    key = _memo_key(constraints, params, caller)
    if key is not None and key in _ACCEPTED:
        return
    validate_parameter_constraints(constraints, params, caller_name=caller)
    if key is not None:
        if len(_ACCEPTED) >= _MAX_ACCEPTED:
            _ACCEPTED.clear()
        _ACCEPTED[key] = True


def check_positive_ints(value, name, caller, *, length=None):
    """Check a sequence parameter (declared ``[tuple, list]``) holds positive ints.

    Returns it as a tuple of ints. The message follows scikit-learn's.
    """
    ok = (len(value) > 0 if length is None else len(value) == length) and all(
        isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in value)
    if not ok:
        size = "a non-empty" if length is None else f"a {length}-element"
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {size} tuple or list of "
            f"positive ints. Got {value!r} instead."
        )
    return tuple(int(v) for v in value)


def invalid_parameter(caller, message):
    """An ``InvalidParameterError`` for a rule no single constraint expresses."""
    return InvalidParameterError(f"{caller}: {message}")
