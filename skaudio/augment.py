"""Training-time augmentation: Keras layers and batch functions, active only in training.

Transformers must give the same output at training and prediction time, so
random augmentation lives here, inside the network, where Keras switches it on
for ``training=True`` only.
"""

import keras
import numpy as np

__all__ = [
    "RandomGain",
    "random_time_crop",
    "spec_augment",
    "swap_channels",
]



@keras.saving.register_keras_serializable(package="skaudio")
class RandomGain(keras.layers.Layer):
    """Add a random gain, uniform in ``±max_db`` dB, to each training sample.

    The input is a log-power representation in bels (skaudio's log front-ends:
    ``log10`` of power), where a gain of ``g`` dB is the additive offset
    ``g / 10``. One gain is drawn per sample and applied to all of its bins.
    At inference (``training=False``) the layer is the identity. LOG-AU trains
    with ``max_db=30``, PERSA+ with ``max_db=3`` (Vrysis et al., IV-C and V-C).

    Parameters
    ----------
    max_db : float
        Half-width of the uniform gain distribution in dB; 0 makes the layer
        the identity in training too.
    seed : int or None, default=None
        Seed of the layer's random generator.
    **kwargs : dict
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).

    References
    ----------
    .. [1] L. Vrysis, I. Thoidis, C. Dimoulas and G. Papanikolaou, "PERSA+: A Deep
       Learning Front-End for Context-Agnostic Audio Classification", section IV-C
       (PERSA+'s random gain of ±3 dB in training) and section V-C (LOG-AU's
       uniform gain between -30 and 30 dB).

    Examples
    --------
    >>> import numpy as np
    >>> layer = RandomGain(max_db=3.0, seed=0)
    >>> x = np.zeros((2, 4, 4, 1), dtype="float32")
    >>> bool(np.all(np.asarray(layer(x, training=False)) == 0))
    True
    """

    def __init__(self, max_db, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.max_db = float(max_db)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.max_db == 0:
            return inputs
        batch = keras.ops.shape(inputs)[0]
        shape = (batch,) + (1,) * (len(inputs.shape) - 1)
        gain_db = keras.random.uniform(shape, minval=-self.max_db, maxval=self.max_db,
                                       seed=self.seed_generator, dtype=inputs.dtype)
        return inputs + gain_db / 10.0

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_db": self.max_db, "seed": self.seed}


# Batch functions: applied by the estimators' training-batch generator to each
# training batch ``x`` of shape (batch, frames, bands[, channels]), drawing
# from the generator's ``rng``; prediction never sees them.

def random_time_crop(x, n_frames, rng):
    """``n_frames`` consecutive frames of every sample, at a random start each.

    Random cropping (Hu et al., 3; McDonnell and Gao): the DCASE networks
    train on 400 of 423 frames. A fully convolutional network with global
    pooling then predicts on the full input, which averages over every
    position a crop could take.

    Parameters
    ----------
    x : ndarray of shape (batch, frames, bands[, channels])
        A training batch.
    n_frames : int
        Frames kept, at most ``frames``.
    rng : numpy.random.Generator
        Draws each sample's start, uniform in ``0 .. frames - n_frames``.

    Returns
    -------
    ndarray of shape (batch, n_frames, bands[, channels])
        A new array, in the dtype of ``x``.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3
       ("Random cropping": 423 frames cropped to 400).
    .. [2] M. D. McDonnell and W. Gao, "Acoustic scene classification using deep
       residual networks with late fusion of separated high and low frequency
       paths," Proc. ICASSP, 2020, pp. 141-145 (where random cropping comes from,
       as Hu et al. cite it).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0).reshape(1, 10, 1)
    >>> random_time_crop(x, 4, np.random.default_rng(0)).shape
    (1, 4, 1)
    """
    starts = rng.integers(0, x.shape[1] - n_frames + 1, size=x.shape[0])
    frames = starts[:, None] + np.arange(n_frames)
    return np.take_along_axis(x, frames.reshape(frames.shape + (1,) * (x.ndim - 2)), axis=1)


def spec_augment(x, time_fraction, frequency_fraction, rng):
    """One time and one frequency mask per sample (SpecAugment, Park et al. 2019).

    Each mask covers ``w`` consecutive frames (bands), ``w`` uniform in
    ``0 .. floor(fraction * n_frames)`` (``n_bands``), at a uniform start, as
    in SpecAugment, whose mask parameter is the largest width; Hu et al. set
    it to 10 % of each axis. Masked bins take the sample's mean (0 on the
    normalised input of Park et al.). Returns a new array.

    Parameters
    ----------
    x : ndarray of shape (batch, frames, bands[, channels])
        A training batch.
    time_fraction : float
        Largest time mask, as a fraction of ``frames`` (Hu et al.: 0.1); 0
        for none.
    frequency_fraction : float
        Largest frequency mask, as a fraction of ``bands`` (Hu et al.: 0.1);
        0 for none.
    rng : numpy.random.Generator
        Draws the masks' widths and starts.

    Returns
    -------
    ndarray of the shape and dtype of ``x``
        The masked copy; a mask covers every channel of its bins.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3
       ("Spectrum augmentation": masks of up to 10 % of each axis).
    .. [2] D. S. Park et al., "SpecAugment: A simple data augmentation method for
       automatic speech recognition," Proc. Interspeech, 2019 (time and
       frequency masks of uniform width up to a mask parameter).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((2, 20, 10))
    >>> masked = spec_augment(x, 0.5, 0.0, np.random.default_rng(0))
    >>> masked.shape, bool(np.all(masked == 1.0))
    ((2, 20, 10), True)
    """
    x = x.copy()
    means = x.reshape(x.shape[0], -1).mean(axis=1)
    for axis, fraction in ((1, time_fraction), (2, frequency_fraction)):
        max_width = int(fraction * x.shape[axis])
        if max_width == 0:
            continue
        widths = rng.integers(0, max_width + 1, size=x.shape[0])
        starts = rng.integers(0, x.shape[axis] - widths + 1)
        positions = np.arange(x.shape[axis])
        masked = (positions >= starts[:, None]) & (positions < (starts + widths)[:, None])
        shape = [x.shape[0]] + [1] * (x.ndim - 1)
        shape[axis] = x.shape[axis]
        mask = masked.reshape(shape)
        x = np.where(mask, means.reshape((-1,) + (1,) * (x.ndim - 1)).astype(x.dtype), x)
    return x


def swap_channels(x, probability, rng):
    """Channel confusion (Hu et al., 3): swap two random channels of a sample.

    Each sample of ``x`` (channels last, at least 2) has, with
    ``probability``, two distinct channels drawn at random exchanged. Returns
    a new array.

    Parameters
    ----------
    x : ndarray of shape (batch, ..., channels)
        A training batch, channels last, at least 2 of them.
    probability : float
        Chance, in [0, 1], that a sample has two of its channels swapped.
    rng : numpy.random.Generator
        Draws which samples and which channels.

    Returns
    -------
    ndarray of the shape and dtype of ``x``
        The copy with the swaps.

    References
    ----------
    .. [1] H. Hu, C.-H. H. Yang, X. Xia et al., "Device-robust acoustic scene
       classification based on two-stage categorization and data
       augmentation," DCASE 2020 Challenge technical report, 2020, section 3
       ("Channel confusion": two channels of the input randomly swapped).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.stack([np.zeros((3, 2)), np.ones((3, 2))], axis=-1)[None]
    >>> swap_channels(x, 1.0, np.random.default_rng(0))[0, 0, 0].tolist()
    [1.0, 0.0]
    """
    x = x.copy()
    chosen = np.flatnonzero(rng.random(x.shape[0]) < probability)
    for i in chosen:
        a, b = rng.choice(x.shape[-1], size=2, replace=False)
        x[i, ..., [a, b]] = x[i, ..., [b, a]]
    return x
