"""Front-ends: per-sample compression and normalisation of time-frequency input.

The front-ends compared by Vrysis et al. in *PERSA+: A Deep Learning Front-End
for Context-Agnostic Audio Classification* (LOG, PERSA, PERSA+, LOG-T, PCEN),
each a plain function and a stateless scikit-learn transformer.

Conventions, the same for every front-end
-----------------------------------------
* **Input is power**: a non-negative time-frequency array ``P = |X|**2`` such as
  :class:`skaudio.MelSpectrogram` gives with ``power=2``. A gain of ``g`` dB
  multiplies it by ``10**(g / 10)``; every parameter in dB (PERSA+'s ``q``,
  LOG-T's ``c``, training gains) follows this rule.
* **Log outputs are in bels**: ``log10`` of power, so one unit is 10 dB and a
  gain of ``g`` dB adds ``g / 10``. (The papers' ``log10 S`` of a magnitude
  ``S`` is exactly half of it.)
* **Per sample**: every statistic (mean, maximum, power) is taken over one
  sample's own bins, never over the batch, so a clip's output does not depend on
  its neighbours and ``fit`` learns nothing (no statistic of a test fold can
  leak into training).
* Shapes: ``(n, n_frames, n_bands)``, ``(n, n_frames, n_bands, n_channels)``
  or ``(n, n_features)`` (each row one flattened sample, so that scikit-learn's
  estimator checks apply). The output has the input's shape and float dtype.
* Silent (all-zero) samples give finite output: the log floor ``amin`` bounds
  every logarithm.
* **Speed**: every front-end works on chunks of whole samples small enough to
  stay in the processor's cache, in ``n_jobs`` threads (default: every core
  on its own, its share inside the workers of a parallel scikit-learn or
  joblib call; see :mod:`skaudio._chunks`), checking the input's values as
  it goes; the result does not depend on ``n_jobs`` or on the batch. See
  ``benchmarks/frontends.py``.
* **Parameters** are checked as scikit-learn checks them (each transformer's
  ``_parameter_constraints``, which its function shares), on every call but
  at the cost of a dictionary look-up for a parameter set seen before.
* **Caching**: the transformers hold nothing but their parameters and their
  output is a function of parameters and input (PERSA+'s noise included, with
  an int ``random_state``), so ``Pipeline(memory=...)`` caches them safely.

Modules: ``_base`` (the checked path every front-end takes), ``_log`` (LOG,
PERSA, LOG-T), ``_persa_plus``, ``_pcen`` and ``_noise`` (PERSA+'s noise);
the chunk-and-thread engine they share with the mel spectrogram is
:mod:`skaudio._chunks`.
"""

from ._log import (
    LogCompression,
    LogThreshold,
    PerSampleNorm,
    log_compression,
    log_threshold,
    per_sample_norm,
)
from ._noise import NOISE_COLORS, colored_noise, sample_generators
from ._pcen import PCEN, pcen
from ._persa_plus import PersaPlus, persa_plus

__all__ = [
    "NOISE_COLORS",
    "PCEN",
    "LogCompression",
    "LogThreshold",
    "PerSampleNorm",
    "PersaPlus",
    "colored_noise",
    "log_compression",
    "log_threshold",
    "pcen",
    "per_sample_norm",
    "persa_plus",
    "sample_generators",
]
