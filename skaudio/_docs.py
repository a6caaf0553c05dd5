"""Parameter documentation shared by several functions and classes.

A docstring line ``{n_jobs}`` (indented as its section) becomes the shared
text, so that a parameter documented in many places is written once, as
imbalanced-learn shares its ``n_jobs`` and ``random_state`` entries.
"""

import re

SHARED = {
    "n_jobs": """\
n_jobs : int or None, default=None
    Threads working on chunks of samples; the output does not depend on it.
    ``None``: every core when called on its own, but inside the workers of
    a parallel scikit-learn or joblib call (``GridSearchCV(n_jobs=...)``)
    only the share the outer parallelism leaves (the OpenMP thread limit
    joblib sets there, as scikit-learn's OpenMP-based estimators count; see
    ``skaudio._chunks``). An int is obeyed: ``-1`` every core, ``1`` one
    thread.""",
}

_PLACEHOLDER = re.compile(r"^( *)\{(" + "|".join(SHARED) + r")\}$", re.MULTILINE)


def fill_doc(obj):
    """Replace the ``{name}`` lines of ``obj``'s docstring by the shared entries.

    A no-op when docstrings are stripped (``python -OO``).
    """
    if obj.__doc__:
        obj.__doc__ = _PLACEHOLDER.sub(
            lambda m: "\n".join(m.group(1) + line if line else ""
                                for line in SHARED[m.group(2)].split("\n")), obj.__doc__)
    return obj
