"""The exact VGGish input: 16 kHz audio -> 96 x 64 log-mel patches of 0.96 s.

The AudioSet release's front-end (``mel_features.py`` and ``vggish_input.py``
of the TF release; Xu's thesis, Table 4), reimplemented from its description:

* mono audio resampled to 16 kHz;
* frames of 25 ms (400 samples) every 10 ms (160 samples), no centre padding,
  a *periodic* Hann window, a 512-point real FFT, **magnitude** (not power);
* 64 mel bands from 125 to 7,500 Hz on the HTK mel scale
  ``1127 ln(1 + f / 700)``, triangles linear *in mel* between equally spaced
  mel edges, unnormalised, DC bin weighted 0;
* ``log(mel + 0.01)`` (natural log);
* non-overlapping patches of 96 frames (0.96 s); a trailing partial patch is
  dropped.

librosa's mel filter bank (triangles linear in Hz) differs from this one, so
the filter bank is built here; everything is computed in float64, as the
reference does.
"""

import numpy as np
import scipy.fft
import soxr
from numpy.lib.stride_tricks import sliding_window_view

from .._chunks import map_chunks
from ..io import fit_length

VGGISH_SR = 16000
WINDOW_LENGTH = 400          # 25 ms at 16 kHz
HOP_LENGTH = 160             # 10 ms at 16 kHz
N_FFT = 512                  # next power of two of the window length
N_MELS = 64
FMIN, FMAX = 125.0, 7500.0
LOG_OFFSET = 0.01
PATCH_FRAMES = 96            # 0.96 s of 10 ms frames


def _hz_to_mel(hz):
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


def vggish_mel_matrix(*, sr=VGGISH_SR, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX):
    """VGGish's mel filter bank, shape ``(n_fft // 2 + 1, n_mels)``.

    Band ``i`` is a triangle, linear on the HTK mel scale, from mel edge ``i``
    up to edge ``i + 1`` and down to edge ``i + 2`` of ``n_mels + 2`` edges
    equally spaced in mel between ``fmin`` and ``fmax``; peak 1, no area
    normalisation; the DC bin gets weight 0. The HTK mel scale is
    ``1127 ln(1 + f / 700)``. Unlike librosa's filter bank (triangles linear
    in Hz), this is the AudioSet release's (``mel_features.py``).

    Parameters
    ----------
    sr : float, default=16000
        Sample rate in Hz.
    n_fft : int, default=512
        FFT length; the bank has ``n_fft // 2 + 1`` rows, one per bin from 0
        to ``sr / 2``.
    n_mels : int, default=64
        Mel bands.
    fmin : float, default=125.0
        Lower edge of the first band in Hz.
    fmax : float, default=7500.0
        Upper edge of the last band in Hz.

    Returns
    -------
    ndarray of shape (n_fft // 2 + 1, n_mels)
        float64 weights in [0, 1]; ``magnitude @ W`` gives the mel bands.

    See Also
    --------
    skaudio.embedding.vggish_log_mel : the log-mel spectrogram it weights.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 4 (64 mel bands from 125 to 7500 Hz at 16 kHz).
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> W = vggish_mel_matrix()
    >>> W.shape, float(W.max()) <= 1.0, float(W[0].sum())
    ((257, 64), True, 0.0)
    """
    bins_mel = _hz_to_mel(np.linspace(0.0, sr / 2, n_fft // 2 + 1))
    edges = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel[:, None] - lower) / (center - lower)
    falling = (upper - bins_mel[:, None]) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights[0] = 0.0
    return weights


def _n_frames(n_samples):
    return 0 if n_samples < WINDOW_LENGTH else 1 + (n_samples - WINDOW_LENGTH) // HOP_LENGTH


def vggish_log_mel(waveforms):
    """VGGish log-mel spectrogram of 16 kHz waveforms, ``(n, frames, 64)`` float64.

    Frames of 400 samples (25 ms) every 160 (10 ms), no centre padding, a
    periodic Hann window, a 512-point FFT's **magnitude**, the 64 bands of
    :func:`skaudio.embedding.vggish_mel_matrix`, then ``ln(mel + 0.01)``: a
    natural log of magnitudes, not skaudio's bels of power. ``frames = 1 +
    (n_samples - 400) // 160`` (0 for clips under 400 samples).

    Parameters
    ----------
    waveforms : array-like of shape (n_clips, n_samples)
        Waveforms at 16 kHz, float in [-1, 1]; computed in float64. Other
        rates must be resampled first
        (:func:`skaudio.embedding.waveforms_to_patches` does).

    Returns
    -------
    ndarray of shape (n_clips, n_frames, 64)
        float64 log-mel frames, time first.

    See Also
    --------
    skaudio.embedding.waveforms_to_patches : the same, cut into 0.96 s patches.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 4 (16 kHz, 25 ms Hann window, 10 ms hop, 64 mel
       bands from 125 to 7500 Hz) and section 3.3.
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> vggish_log_mel(np.zeros((2, 16000))).shape
    (2, 98, 64)
    """
    y = np.asarray(waveforms, dtype=np.float64)
    n_frames = _n_frames(y.shape[1])
    out = np.empty((y.shape[0], n_frames, N_MELS))
    if n_frames == 0:
        return out
    t = np.arange(WINDOW_LENGTH)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * t / WINDOW_LENGTH)  # periodic Hann
    mel = vggish_mel_matrix()

    def work(rows):
        frames = sliding_window_view(y[rows], WINDOW_LENGTH, axis=-1)[:, ::HOP_LENGTH][:, :n_frames]
        magnitude = np.abs(scipy.fft.rfft(frames * window, n=N_FFT, axis=-1))
        out[rows] = np.log(magnitude @ mel + LOG_OFFSET)
        return True

    # The windowed frames and their spectrum, float64 and complex128.
    map_chunks(work, y.shape[0], n_frames * N_FFT * 8 * 3, n_jobs=None,
               single_threaded_blas=True)
    return out


def samples_for_segments(n_segments):
    """16 kHz samples that give exactly ``n_segments`` patches: ``15360 n + 240``.

    ``96 n`` frames of 400 samples every 160 need ``400 + (96 n - 1) 160``
    samples; :func:`skaudio.embedding.waveforms_to_patches` fits clips to
    this length when ``n_segments`` is given.

    Parameters
    ----------
    n_segments : int
        Number of 0.96 s patches (96 frames of 10 ms each).

    Returns
    -------
    int
        Samples at 16 kHz.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 5.2.3 (clips repeated or truncated to a fixed
       number of segments) and Table 4 (25 ms windows, 10 ms hop).

    Examples
    --------
    >>> samples_for_segments(1), samples_for_segments(10)
    (15600, 153840)
    """
    return WINDOW_LENGTH + (PATCH_FRAMES * n_segments - 1) * HOP_LENGTH


def resample_to_vggish(waveforms, sr):
    """Resample ``(n, samples)`` waveforms from ``sr`` to 16 kHz (soxr, as librosa)."""
    waveforms = np.asarray(waveforms, dtype=np.float64)
    if sr == VGGISH_SR:
        return waveforms
    # soxr resamples the columns of a (samples, channels) array independently
    blocks = [soxr.resample(np.ascontiguousarray(waveforms[i:i + 256].T), sr, VGGISH_SR,
                            quality="HQ").reshape(-1, len(waveforms[i:i + 256])).T
              for i in range(0, len(waveforms), 256)]
    return np.ascontiguousarray(np.concatenate(blocks))


def waveforms_to_patches(waveforms, sr=VGGISH_SR, *, n_segments=None, pad_mode="repeat"):
    """Waveforms at ``sr`` -> VGGish log-mel patches ``(n, n_segments, 96, 64)``.

    Mono clips of one length are resampled to 16 kHz (soxr, "HQ", as
    librosa resamples), optionally fitted to ``n_segments`` patches, turned
    into :func:`skaudio.embedding.vggish_log_mel` frames and cut into
    non-overlapping 96-frame patches; a trailing partial patch is dropped.

    Parameters
    ----------
    waveforms : ndarray of shape (n_clips, n_samples)
        Waveforms at ``sr``, float in [-1, 1].
    sr : float, default=16000
        Sample rate of ``waveforms`` in Hz; other rates are resampled to
        16 kHz.
    n_segments : int or None, default=None
        ``None`` keeps every whole 0.96 s patch (the reference's behaviour; a
        clip shorter than one patch, 15,600 samples at 16 kHz, is an error).
        An int fixes the count (Xu's thesis, 5.2.3): longer clips are
        truncated, shorter ones repeated (``pad_mode="repeat"``) or padded
        with silence (``"constant"``) to ``15360 n + 240`` samples at 16 kHz.
    pad_mode : {"repeat", "constant"}, default="repeat"
        How ``n_segments`` lengthens a short clip: tile it (the thesis) or
        append zeros.

    Returns
    -------
    ndarray of shape (n_clips, n_segments, 96, 64)
        float64 log-mel patches (natural log of magnitude plus 0.01), frames
        first, one per 0.96 s.

    Raises
    ------
    ValueError
        Clips shorter than one patch (15,600 samples at 16 kHz) with
        ``n_segments=None``.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 4 (the log-mel parameters), section 5.1.1
       (non-overlapping 960 ms frames of 96 x 64) and section 5.2.3 (repeating
       and truncating clips to a fixed number of segments).
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(0).standard_normal((2, 8000 * 3))
    >>> waveforms_to_patches(y, sr=8000).shape
    (2, 3, 96, 64)
    >>> waveforms_to_patches(y, sr=8000, n_segments=5).shape
    (2, 5, 96, 64)
    """
    y = resample_to_vggish(waveforms, sr)
    if n_segments is not None:
        n_samples = samples_for_segments(n_segments)
        y = np.stack([fit_length(clip, n_samples, pad_mode) for clip in y]) \
            if y.shape[1] != n_samples else y
    log_mel = vggish_log_mel(y)
    n_patches = log_mel.shape[1] // PATCH_FRAMES
    if n_patches == 0:
        raise ValueError(
            f"Clips of {y.shape[1]} samples at 16 kHz ({y.shape[1] / VGGISH_SR:.3f} s) "
            "are shorter than one 0.96 s VGGish patch (15,600 samples at 16 kHz). "
            "Set n_segments to repeat or pad them to a fixed number of patches."
        )
    patches = log_mel[:, :n_patches * PATCH_FRAMES]
    return patches.reshape(y.shape[0], n_patches, PATCH_FRAMES, N_MELS)
