"""skaudio's front-ends as ONNX nodes, so that an exported file starts from audio.

Every converter takes the fitted step, the :class:`GraphBuilder`, the input
tensor's name and one sample's shape, and returns the output's name. The
computations are those of the Python front-ends, in float32: the mel
spectrogram frames, windows and transforms with ONNX's ``STFT``, PCEN's
smoothing filter over a fixed number of frames is a matrix product.
PERSA+ cannot be exported: its noise is drawn from a hash of each sample's
own values (:mod:`skaudio.frontends`), which ONNX cannot express, so it and
everything before it stay in Python.
"""

import librosa
import numpy as np
import scipy.signal

from ..features import Deltas, MelSpectrogram, MinMaxScale
from ..frontends import PCEN, LogCompression, LogThreshold, PerSampleNorm

LN10 = np.log(10.0)


def _all_but_batch(shape):
    return list(range(1, len(shape) + 1))


def _log10(g, x):
    return g.op("Div", g.op("Log", x), g.const(LN10))


def _mel_spectrogram(step, g, x, shape):
    if len(shape) != 1:
        raise ValueError(f"MelSpectrogram reads waveforms (n, samples); got samples of "
                         f"shape {shape}.")
    n_fft, hop = step.n_fft, step.hop_length
    win_length = n_fft if step.win_length is None else step.win_length
    window = librosa.util.pad_center(
        librosa.filters.get_window(step.window, win_length, fftbins=True), size=n_fft)
    if step.center:
        modes = {"constant": "constant", "reflect": "reflect", "edge": "edge"}
        if step.pad_mode not in modes:
            raise ValueError(f"MelSpectrogram(pad_mode={step.pad_mode!r}) cannot be "
                             f"exported; supported: {sorted(modes)}.")
        pad = n_fft // 2
        x = g.op("Pad", x, g.const([0, pad, 0, pad], dtype=np.int64),
                 mode=modes[step.pad_mode])
    signal = g.op("Unsqueeze", x, g.const([2], dtype=np.int64))  # (n, samples, 1)
    spectrum = g.op("STFT", signal, g.const(hop, dtype=np.int64), g.const(window),
                    g.const(n_fft, dtype=np.int64), onesided=1)  # (n, frames, bins, 2)
    power = g.op("ReduceSum", g.op("Mul", spectrum, spectrum),
                 g.const([3], dtype=np.int64), keepdims=0)
    if step.power != 2.0:
        power = g.op("Pow", power, g.const(step.power / 2.0))
    basis = librosa.filters.mel(sr=step.sr, n_fft=n_fft, n_mels=step.n_mels,
                                fmin=step.fmin, fmax=step.fmax, htk=step.htk,
                                norm=step.norm)
    return g.op("MatMul", power, g.table(basis.T, "mel_basis"), hint="mel")


def _log_compression(step, g, x, shape):
    return _log10(g, g.op("Max", x, g.const(step.amin)))


def _per_sample_norm(step, g, x, shape):
    L = _log_compression(step, g, x, shape)
    if step.method == "subtract":
        ref = g.op("ReduceMean", L, axes=_all_but_batch(shape), keepdims=1)
    else:
        mean = g.op("ReduceMean", x, axes=_all_but_batch(shape), keepdims=1)
        ref = _log10(g, g.op("Max", mean, g.const(step.amin)))
    return g.op("Sub", L, ref, hint="persa")


def _log_threshold(step, g, x, shape):
    peak = g.op("ReduceMax", x, axes=_all_but_batch(shape), keepdims=1)
    # A silent sample (peak 0) is scaled by 1, as in Python.
    peak = g.op("Where", g.op("Greater", peak, g.const(0.0)), peak, g.const(1.0))
    scaled = g.op("Add", g.op("Div", x, peak), g.const(10 ** (-step.c / 10)))
    return _log10(g, scaled)


def _min_max_scale(step, g, x, shape):
    axes = _all_but_batch(shape)
    if step.per_channel and len(shape) == 3:
        axes = axes[:-1]
    low = g.op("ReduceMin", x, axes=axes, keepdims=1)
    span = g.op("Sub", g.op("ReduceMax", x, axes=axes, keepdims=1), low)
    # A constant sample becomes zeros: (x - min) is 0 there, so divide by 1.
    span = g.op("Where", g.op("Greater", span, g.const(0.0)), span, g.const(1.0))
    return g.op("Div", g.op("Sub", x, low), span, hint="min_max")


def _pcen(step, g, x, shape):
    if step.max_size != 1:
        raise ValueError("PCEN(max_size > 1) cannot be exported (its band-wise maximum "
                         "filter); keep max_size=1 or the front-end in Python.")
    if len(shape) < 2:
        raise ValueError(f"PCEN of flat samples (shape {shape}) cannot be exported.")
    b = step.b
    if b is None:
        t_frames = step.time_constant * step.sr / float(step.hop_length)
        b = (np.sqrt(1 + 4 * t_frames**2) - 1) / (2 * t_frames**2)
    zi = scipy.signal.lfilter_zi([b], [1, b - 1])[0]
    n_frames = shape[0]
    # M[t] = b X[t] + (1 - b) M[t-1] from M[-1] = zi / (1 - b):
    # M = A X + zi (1 - b)**t, with A[t, k] = b (1 - b)**(t - k) for k <= t.
    t = np.arange(n_frames)
    lags = t[:, None] - t[None, :]
    A = np.where(lags >= 0, b * (1 - b) ** np.maximum(lags, 0), 0.0)
    start = zi * (1 - b) ** t
    X = g.op("Mul", x, g.const(step.input_scale))
    # frames last: (n, bands[, channels], frames) @ A.T
    perm = [0, *range(2, len(shape) + 1), 1]
    back = [0, len(shape), *range(1, len(shape))]
    M = g.op("Add", g.op("MatMul", g.op("Transpose", X, perm=perm), g.table(A.T, "pcen")),
             g.const(start))
    M = g.op("Transpose", M, perm=back)
    eps, gain, bias, power = step.eps, step.gain, step.bias, step.power
    # exp(-gain (log eps + log1p(M / eps)))
    log_m = g.op("Add", g.op("Log", g.op("Add", g.op("Div", M, g.const(eps)),
                                         g.const(1.0))), g.const(np.log(eps)))
    smooth = g.op("Exp", g.op("Mul", log_m, g.const(-gain)))
    out = g.op("Mul", X, smooth)
    if power == 0:
        return g.op("Log", g.op("Add", out, g.const(1.0)), hint="pcen")
    if bias == 0:
        return g.op("Pow", out, g.const(power), hint="pcen")
    # bias**power * expm1(power * log1p(out / bias))
    grown = g.op("Pow", g.op("Add", g.op("Div", out, g.const(bias)), g.const(1.0)),
                 g.const(power))
    return g.op("Mul", g.op("Sub", grown, g.const(1.0)), g.const(bias**power), hint="pcen")


def _deltas(step, g, x, shape):
    if len(shape) != 2:
        raise ValueError(f"Deltas reads (n, frames, bands); got samples of shape {shape}.")
    n_frames, _ = shape
    if step.padding:
        # Savitzky-Golay filters with edges: linear along time, so one matrix
        # per channel, read off the step itself on impulses (frames x frames).
        impulses = np.eye(n_frames)[:, :, np.newaxis]
        out = step.transform(impulses)[:, :, 0, :]  # (frames in, frames out, 3)
        T = np.concatenate([out[:, :, c] for c in range(3)], axis=1)
        frames_last = g.op("Transpose", x, perm=[0, 2, 1])  # (n, bands, frames)
        y = g.op("MatMul", frames_last, g.table(T, "deltas"))
        y = g.op("Reshape", y, g.const([0, 0, 3, n_frames], dtype=np.int64))
        return g.op("Transpose", y, perm=[0, 3, 1, 2], hint="deltas")
    # The regression delta over valid frames is a convolution along time.
    h = step.width // 2
    kernel = np.arange(-h, h + 1) / (2 * np.sum(np.arange(1, h + 1) ** 2))
    kernel = g.const(kernel.reshape(1, 1, -1, 1))
    image = g.op("Unsqueeze", x, g.const([1], dtype=np.int64))  # (n, 1, frames, bands)
    delta = g.op("Conv", image, kernel)
    delta_delta = g.op("Conv", delta, kernel)

    def frames(t, cut):
        return g.op("Slice", t, g.const([cut], dtype=np.int64),
                    g.const([-cut], dtype=np.int64), g.const([2], dtype=np.int64))

    channels = [frames(image, 2 * h), frames(delta, h), delta_delta]  # (n, 1, out, bands)
    y = g.op("Concat", *channels, axis=1)
    return g.op("Transpose", y, perm=[0, 2, 3, 1], hint="deltas")


#: Exactly these classes (a subclass may compute something else).
CONVERTERS = {
    MelSpectrogram: _mel_spectrogram,
    LogCompression: _log_compression,
    PerSampleNorm: _per_sample_norm,
    LogThreshold: _log_threshold,
    MinMaxScale: _min_max_scale,
    PCEN: _pcen,
    Deltas: _deltas,
}


def exportable(step):
    """Whether the fitted pipeline step ``step`` has an ONNX form."""
    return step in (None, "passthrough") or type(step) in CONVERTERS


def convert_frontend(step, g, x, shape):
    """The output name of the front-end ``step`` applied to ``x`` (sample ``shape``)."""
    if step in (None, "passthrough"):
        return x
    return CONVERTERS[type(step)](step, g, x, tuple(shape))
