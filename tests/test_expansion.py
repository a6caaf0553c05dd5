"""Training-set expansion (skaudio.expansion): alignment, determinism, and each
transform against what it claims (measured SNR, frequencies, levels, spectra)."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold

import skaudio
from skaudio import expansion
from skaudio.expansion import (
    _change_speed_clip,
    _pitch_shift_clips,
    add_noise,
    change_speed,
    compress_dynamic_range,
    correct_spectrum,
    device_spectrum,
    mix_same_class,
    pitch_shift,
    reverb_drc,
    reverberate,
    simulate_device,
    synthetic_impulse_response,
)

SR = 8000
N = 4000  # samples per clip: 0.5 s


def tone(freq, n=N, amp=0.5):
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / SR)).astype(np.float32)


def dominant_hz(clip, n_fft=1 << 16):
    spectrum = np.abs(np.fft.rfft(clip * np.hanning(clip.size), n_fft))
    return np.fft.rfftfreq(n_fft, 1 / SR)[spectrum.argmax()]


def db(x):
    return 10 * np.log10(x)


def power(a):
    return np.mean(np.square(a, dtype=np.float64), axis=-1)


def read_only(a):
    a = np.array(a)
    a.setflags(write=False)
    return a


# Octave-spaced tones, one per clip: a copy's dominant frequency names its source.
FREQS = np.array([250.0, 500.0, 1000.0, 2000.0])
X_TONES = read_only(np.stack([tone(f) for f in FREQS]))
Y = read_only(np.array(["a", "b", "a", "b"]))
GROUPS = read_only(np.array([10, 11, 12, 13]))
FLAT = np.ones(129)

# Every expansion, called on (X, y, groups, random_state); correct_spectrum is
# deterministic and ignores random_state.
EXPANSIONS = {
    "pitch_shift": lambda X, y, groups=None, random_state=None: pitch_shift(
        X, y, sr=SR, groups=groups, random_state=random_state),
    "change_speed": lambda X, y, groups=None, random_state=None: change_speed(
        X, y, groups=groups, random_state=random_state),
    "add_noise": lambda X, y, groups=None, random_state=None: add_noise(
        X, y, groups=groups, random_state=random_state),
    "reverb_drc": lambda X, y, groups=None, random_state=None: reverb_drc(
        X, y, sr=SR, groups=groups, random_state=random_state),
    "correct_spectrum": lambda X, y, groups=None, random_state=None: correct_spectrum(
        X, y, source_spectrum=FLAT, reference_spectrum=np.linspace(0.5, 1.5, 129),
        groups=groups, n_fft=256),
    "mix_same_class": lambda X, y, groups=None, random_state=None: mix_same_class(
        X, y, groups=groups, random_state=random_state),
}
PER_CLIP = [name for name in EXPANSIONS if name != "mix_same_class"]
RANDOM = [name for name in EXPANSIONS if name != "correct_spectrum"]


# ------------------------------------------------------------ the contract
@pytest.mark.parametrize("name", PER_CLIP)
def test_one_copy_per_clip_aligned_with_its_labels_and_group(name):
    before = X_TONES.copy()
    X_new, y_new, g_new = EXPANSIONS[name](X_TONES, Y, GROUPS, random_state=0)
    np.testing.assert_array_equal(X_TONES, before)
    assert X_new.shape == X_TONES.shape and X_new.dtype == np.float32
    assert np.isfinite(X_new).all()
    np.testing.assert_array_equal(y_new, Y)
    np.testing.assert_array_equal(g_new, GROUPS)
    # Row i is made from clip i: its dominant frequency is nearest to clip i's.
    for i, clip in enumerate(X_new):
        assert np.abs(np.log2(dominant_hz(clip) / FREQS)).argmin() == i
    without = EXPANSIONS[name](X_TONES, Y, random_state=0)
    assert len(without) == 2
    np.testing.assert_array_equal(without[0], X_new)


@pytest.mark.parametrize("name", RANDOM)
def test_an_int_seed_repeats_other_seeds_differ(name):
    X = np.random.default_rng(1).standard_normal((4, N)).astype(np.float32) * 0.3
    first = EXPANSIONS[name](X, Y, random_state=3)[0]
    np.testing.assert_array_equal(EXPANSIONS[name](X, Y, random_state=3)[0], first)
    assert not np.allclose(EXPANSIONS[name](X, Y, random_state=4)[0], first)
    rng = np.random.RandomState(3)  # an instance advances: new copies on each call
    np.testing.assert_array_equal(EXPANSIONS[name](X, Y, random_state=rng)[0], first)
    assert not np.allclose(EXPANSIONS[name](X, Y, random_state=rng)[0], first)


def test_global_random_state_is_left_alone():
    # (random_state=None draws from numpy's global RandomState, as in scikit-learn.)
    np.random.seed(5)
    expected = np.random.random_sample()
    np.random.seed(5)
    for name in RANDOM:
        EXPANSIONS[name](X_TONES, Y, random_state=0)
    synthetic_impulse_response(sr=SR, rt60=0.1, random_state=0)
    simulate_device(X_TONES, sr=SR, device=1)
    assert np.random.random_sample() == expected


def test_expanded_training_folds_with_groups():
    X = np.random.default_rng(0).standard_normal((6, N)).astype(np.float32)
    y = np.array([0, 1, 0, 1, 0, 1])
    groups = np.array([0, 0, 1, 1, 2, 2])
    for train, test in GroupKFold(3).split(X, y, groups):
        X_new, y_new, g_new = add_noise(X[train], y[train], groups=groups[train],
                                        random_state=0)
        assert set(g_new) == set(groups[train]) and not set(g_new) & set(groups[test])


# --------------------------------------------------------------- each one
def test_pitch_shift_moves_a_sine_by_the_semitones():
    X = tone(500)[np.newaxis]
    for steps in (-2.0, 1.5):
        shifted = _pitch_shift_clips(X, [0], [steps], sr=SR)[0]
        assert 12 * np.log2(dominant_hz(shifted) / 500) == pytest.approx(steps, abs=0.05)
    X_new, _ = pitch_shift(np.stack([tone(500)] * 4), Y, sr=SR, max_semitones=2,
                           random_state=0)
    semitones = 12 * np.log2([dominant_hz(clip) / 500 for clip in X_new])
    assert np.all(np.abs(semitones) <= 2.05)
    assert np.ptp(semitones) > 0.5       # one draw per clip, not rounded


def test_change_speed_scales_frequency_and_duration_by_one_factor():
    clip = tone(1000, n=4000)
    faster = _change_speed_clip(clip, 1.25, 4000)
    assert faster.shape == (4000,)
    assert dominant_hz(faster[:3000]) == pytest.approx(1250, rel=2e-3)
    assert np.abs(faster[3300:]).max() < 1e-3           # zero-padded at the end
    slower = _change_speed_clip(clip, 0.8, 4000)
    assert dominant_hz(slower) == pytest.approx(800, rel=2e-3)
    assert np.abs(slower[-200:]).max() > 0.4             # truncated at the end, not padded
    # The public function: a tone then silence; the tone's frequency and its
    # duration (energy, at an unchanged power) change by the same drawn factor.
    half = np.concatenate([tone(1000, n=2000), np.zeros(2000, np.float32)])
    X = np.stack([half] * 4)
    X_new, _ = change_speed(X, Y, max_change=0.1, random_state=0)
    assert X_new.shape == X.shape
    by_frequency = np.array([dominant_hz(c[:1800]) / 1000 for c in X_new])
    by_duration = power(X) / power(X_new)
    np.testing.assert_allclose(by_frequency, by_duration, rtol=5e-3)
    assert np.all(np.abs(by_frequency - 1) <= 0.1 + 1e-3) and np.ptp(by_frequency) > 0.02


def test_add_noise_has_the_requested_snr():
    X = np.random.default_rng(0).standard_normal((4, N)).astype(np.float32) * [[1], [0.1],
                                                                                [3], [0.01]]
    X_new, _ = add_noise(X, Y, snr_db=15, random_state=0)
    np.testing.assert_allclose(db(power(X) / power(X_new - X)), 15, atol=1e-3)
    X_new, _ = add_noise(X, Y, snr_db=(0, 40), random_state=0)
    snr = db(power(X) / power(X_new - X))
    assert np.all((snr > -1e-3) & (snr < 40 + 1e-3)) and np.ptp(snr) > 1
    noise = X_new - X                                    # white and Gaussian
    assert abs(np.corrcoef(noise[0, :-1], noise[0, 1:])[0, 1]) < 0.1


def test_add_noise_leaves_a_silent_clip_silent():
    X = np.stack([np.zeros(N, np.float32), tone(300)])
    X_new, _ = add_noise(X, [0, 1], snr_db=10, random_state=0)
    assert np.isfinite(X_new).all()
    np.testing.assert_array_equal(X_new[0], 0)
    assert power(X_new[1] - X[1]) > 0


def test_mix_same_class_never_mixes_classes():
    # Clip k is the constant 2**k: a mix (2**i + 2**j) / 2 names its two clips.
    y = np.array([0, 1, 2, 0, 1, 0, 1, 0, 3])
    groups = np.arange(100, 109)
    X = read_only(np.repeat(2.0 ** np.arange(9)[:, None], 8, axis=1).astype(np.float32))
    X_new, y_new, g_new = mix_same_class(X, y, groups=groups, n_mixes=20, random_state=0)
    assert X_new.shape == (20, 8) and X_new.dtype == np.float32
    for mix, label, group in zip(X_new, y_new, g_new):
        bits = np.flatnonzero([int(2 * mix[0]) >> k & 1 for k in range(9)])
        assert len(bits) == 2                      # two different clips
        assert set(y[bits]) == {label}             # of the mix's class
        assert group in groups[bits]               # the group of one of them
    assert not {2, 3} & set(y_new)                 # single-clip classes take no part
    # Default: every clip of a class with two or more clips is a first clip once.
    X_new, y_new, g_new = mix_same_class(X, y, groups=groups, random_state=0)
    assert sorted(g_new) == [100, 101, 103, 104, 105, 106, 107]


def test_mix_same_class_is_the_average():
    X = np.stack([tone(300), tone(700)])
    X_new, y_new = mix_same_class(X, ["x", "x"], random_state=0)
    np.testing.assert_allclose(X_new, np.stack([(X[0] + X[1]) / 2] * 2), atol=1e-7)
    assert y_new.tolist() == ["x", "x"]


def test_synthetic_impulse_response_decays_by_60_db_in_rt60():
    h = synthetic_impulse_response(sr=SR, rt60=0.4, random_state=0).astype(np.float64)
    assert h.shape == (3200,) and np.sum(h ** 2) == pytest.approx(1, rel=1e-5)
    # Energy over 10 ms windows falls linearly in dB, 60 dB per rt60.
    energy = db(np.square(h).reshape(-1, 80).mean(axis=1))
    slope = np.polyfit(np.arange(energy.size) * 0.01, energy, 1)[0]
    assert slope == pytest.approx(-60 / 0.4, rel=0.1)
    direct = synthetic_impulse_response(sr=SR, rt60=0.4, length=100, drr_db=6,
                                        random_state=0).astype(np.float64)
    assert direct.shape == (100,)
    assert db(direct[0] ** 2 / np.sum(direct[1:] ** 2)) == pytest.approx(6, abs=1e-3)


def delayed(X, k):
    """``X`` delayed by ``k`` samples, cut to length, scaled back to its level."""
    out = np.pad(X.astype(np.float64), ((0, 0), (k, 0)))[:, :X.shape[1]]
    return out * np.sqrt(power(X) / power(out))[:, None]


def test_reverberate_identity_delay_and_level():
    X = read_only(np.random.default_rng(0).standard_normal((3, 500)).astype(np.float32))
    np.testing.assert_allclose(reverberate(X, [1.0]), X, atol=1e-6)
    np.testing.assert_allclose(reverberate(X, [0, 0, 1.0]), delayed(X, 2), atol=1e-6)
    wet = reverberate(X, synthetic_impulse_response(sr=SR, rt60=0.1, random_state=0))
    np.testing.assert_allclose(power(wet), power(X), rtol=1e-5)
    per_clip = reverberate(X, np.stack([[1.0, 0], [0, 1.0], [1.0, 0]]))
    np.testing.assert_allclose(per_clip[1], delayed(X, 1)[1], atol=1e-6)
    np.testing.assert_allclose(per_clip[[0, 2]], X[[0, 2]], atol=1e-6)
    silent = reverberate(np.zeros((1, 50)), [1.0, 0.3])
    np.testing.assert_array_equal(silent, 0)


def square(n, amp):
    """A square wave: its magnitude is amp at every sample, a constant level."""
    return amp * np.where(np.sin(2 * np.pi * 50 * (np.arange(n) + 0.5) / SR) >= 0, 1.0, -1.0)


def test_compressor_steady_state_follows_the_ratio():
    loud_db, threshold, ratio = -6.0, -20.0, 4.0
    X = square(4000, 10 ** (loud_db / 20))[np.newaxis]
    out = compress_dynamic_range(X, sr=SR, threshold_db=threshold, ratio=ratio,
                                 attack=0.005, release=0.05)
    level = 20 * np.log10(np.abs(out[0, -800:]))
    np.testing.assert_allclose(level, threshold + (loud_db - threshold) / ratio, atol=1e-3)
    # The gain reduction grows with the attack time constant: 1 - 1/e of it
    # after 5 ms (40 samples, the 40th at index 39).
    reduction = loud_db - 20 * np.log10(np.abs(out[0, 39]))
    assert reduction == pytest.approx((1 - np.exp(-1)) * (loud_db - threshold) * 0.75,
                                      rel=0.01)
    with_makeup = compress_dynamic_range(X, sr=SR, threshold_db=threshold, ratio=ratio,
                                         makeup_db=6.0)
    np.testing.assert_allclose(with_makeup, out * 10 ** (6 / 20), rtol=1e-5)


def test_compressor_leaves_quiet_parts_alone():
    quiet = np.stack([square(3000, 0.01), tone(300, n=3000, amp=0.05)])
    np.testing.assert_array_equal(compress_dynamic_range(quiet, sr=SR, threshold_db=-20),
                                  quiet.astype(np.float32))
    np.testing.assert_allclose(compress_dynamic_range(X_TONES, sr=SR, threshold_db=-20,
                                                      ratio=1.0), X_TONES, rtol=1e-6)
    # Loud, then quiet: the quiet part recovers its level after the release.
    X = np.concatenate([square(2000, 0.5), square(2000, 0.01)])[np.newaxis]
    out = compress_dynamic_range(X, sr=SR, threshold_db=-20, ratio=4, release=0.02)
    assert np.abs(out[0, 1500:2000]).max() < 0.2        # compressed
    np.testing.assert_allclose(out[0, 3500:], X[0, 3500:], rtol=1e-3)
    # Soft knee: the hard knee's output wherever the level is beyond the knee.
    soft = compress_dynamic_range(X, sr=SR, threshold_db=-20, ratio=4, release=0.02,
                                  knee_db=6)
    np.testing.assert_allclose(soft[0, 1500:2000], out[0, 1500:2000], rtol=1e-4)


def test_reverb_drc_is_the_identity_without_reverberation_or_compression():
    X, y_new = reverb_drc(X_TONES, Y, sr=SR, impulse_responses=[[1.0]], ratio=1.0,
                          random_state=0)
    np.testing.assert_allclose(X, X_TONES, atol=1e-6)
    assert y_new.tolist() == Y.tolist()
    X_new, _ = reverb_drc(X_TONES, Y, sr=SR, impulse_responses=[[1.0, 0.5], np.ones(30)],
                          random_state=0)
    np.testing.assert_allclose(power(X_new), power(X_TONES), rtol=1e-4)   # levels kept
    assert not np.allclose(X_new, X_TONES, atol=1e-2)


def test_correct_spectrum_identity_and_toward_the_reference():
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((8, 4000))
    source_X = np.cumsum(noise[:4], axis=1) * 0.05       # brown: falls 6 dB/octave
    source_X -= source_X.mean(axis=1, keepdims=True)
    reference_X = noise[4:]                             # white: flat
    source = device_spectrum(source_X, n_fft=256)
    reference = device_spectrum(reference_X, n_fft=256)
    same, _ = correct_spectrum(source_X, Y, source_spectrum=source, reference_spectrum=source,
                               n_fft=256)
    np.testing.assert_allclose(same, source_X, atol=1e-4)
    corrected, _ = correct_spectrum(source_X, Y, source_spectrum=source,
                                    reference_spectrum=reference, n_fft=256)

    def distance(spectrum):  # log-spectral distance to the reference, in dB
        return np.sqrt(np.mean((20 * np.log10(spectrum[1:] / reference[1:])) ** 2))

    before, after = distance(source), distance(device_spectrum(corrected, n_fft=256))
    assert before > 10 and after < 1


def test_simulate_device_is_a_fixed_transform_per_device():
    X = np.random.default_rng(0).standard_normal((3, N)).astype(np.float32) * 0.2
    s1 = simulate_device(X, sr=SR, device=1)
    assert s1.shape == X.shape and s1.dtype == np.float32 and np.isfinite(s1).all()
    np.testing.assert_array_equal(simulate_device(X, sr=SR, device=1), s1)
    # A clip's output does not depend on the batch it came in.
    np.testing.assert_allclose(simulate_device(X[1:2], sr=SR, device=1), s1[1:2], atol=1e-6)
    np.testing.assert_allclose(power(s1), power(X), rtol=1e-4)           # levels kept
    spectra = [device_spectrum(simulate_device(X, sr=SR, device=d), n_fft=256)
               for d in range(1, 4)]
    for a in range(3):
        for b in range(a + 1, 3):     # devices differ in their spectra by whole dB
            assert np.sqrt(np.mean(db(spectra[a][4:] / spectra[b][4:]) ** 2)) > 1


# ----------------------------------------------------------- bad input
BAD_X = {
    "NaN": (np.where(np.arange(N) == 5, np.nan, X_TONES), "NaN"),
    "1-D": (X_TONES[0], "got a 1-D array"),
    "3-D": (X_TONES[:, None], "got a 3-D array"),
    "no clips": (np.zeros((0, N)), "0 sample"),
}


@pytest.mark.parametrize("case", BAD_X)
@pytest.mark.parametrize("name", EXPANSIONS)
def test_bad_waveforms_name_the_function(name, case):
    X, match = BAD_X[case]
    with pytest.raises(ValueError, match=match) as info:
        EXPANSIONS[name](X, Y, random_state=0)
    assert name in str(info.value)


@pytest.mark.parametrize("name", EXPANSIONS)
def test_misaligned_labels_and_groups(name):
    with pytest.raises(ValueError, match=f"{name}: y must hold one label per clip"):
        EXPANSIONS[name](X_TONES, Y[:3], random_state=0)
    with pytest.raises(ValueError, match=f"{name}: groups must hold one group per clip"):
        EXPANSIONS[name](X_TONES, Y, GROUPS[:2], random_state=0)


BAD_CALLS = {
    "pitch_shift max": (lambda: pitch_shift(X_TONES, Y, sr=SR, max_semitones=0),
                        "'max_semitones' parameter of pitch_shift"),
    "pitch_shift sr": (lambda: pitch_shift(X_TONES, Y, sr=-1), "'sr' parameter of pitch_shift"),
    "pitch_shift seed": (lambda: pitch_shift(X_TONES, Y, sr=SR, random_state="x"),
                         "'random_state' parameter of pitch_shift"),
    "change_speed max": (lambda: change_speed(X_TONES, Y, max_change=1.0),
                         "'max_change' parameter of change_speed"),
    "add_noise inf": (lambda: add_noise(X_TONES, Y, snr_db=np.inf), "add_noise: snr_db"),
    "add_noise order": (lambda: add_noise(X_TONES, Y, snr_db=(30, 10)), "low <= high"),
    "add_noise text": (lambda: add_noise(X_TONES, Y, snr_db="loud"), "add_noise: snr_db"),
    "mix n_mixes": (lambda: mix_same_class(X_TONES, Y, n_mixes=0),
                    "'n_mixes' parameter of mix_same_class"),
    "mix singletons": (lambda: mix_same_class(X_TONES, [0, 1, 2, 3]), "no class has two clips"),
    "mix multilabel": (lambda: mix_same_class(X_TONES, np.eye(4)), "one label per clip"),
    "ir rt60": (lambda: synthetic_impulse_response(sr=SR, rt60=0),
                "'rt60' parameter of synthetic_impulse_response"),
    "reverberate zeros": (lambda: reverberate(X_TONES, [0.0, 0.0]), "all zeros"),
    "reverberate NaN": (lambda: reverberate(X_TONES, [1.0, np.nan]), "NaN"),
    "reverberate shape": (lambda: reverberate(X_TONES, np.ones((2, 3))), "one per clip"),
    "reverberate empty": (lambda: reverberate(X_TONES, []), "empty"),
    "compressor ratio": (lambda: compress_dynamic_range(X_TONES, sr=SR, ratio=0.5),
                         "'ratio' parameter of compress_dynamic_range"),
    "compressor attack": (lambda: compress_dynamic_range(X_TONES, sr=SR, attack=-1),
                          "'attack' parameter of compress_dynamic_range"),
    "reverb_drc threshold": (lambda: reverb_drc(X_TONES, Y, sr=SR, threshold_db=3),
                             "reverb_drc: threshold_db"),
    "reverb_drc responses": (lambda: reverb_drc(X_TONES, Y, sr=SR, impulse_responses=[]),
                             "reverb_drc: impulse_responses"),
    "reverb_drc 2-D response": (lambda: reverb_drc(X_TONES, Y, sr=SR,
                                                   impulse_responses=[np.ones((2, 2))]),
                                r"impulse_responses\[0\] must be 1-D"),
    "spectrum bins": (lambda: correct_spectrum(X_TONES, Y, source_spectrum=np.ones(10),
                                               reference_spectrum=FLAT, n_fft=256),
                      r"correct_spectrum: source_spectrum must have shape \(129,\)"),
    "spectrum negative": (lambda: correct_spectrum(X_TONES, Y, source_spectrum=FLAT,
                                                   reference_spectrum=-FLAT, n_fft=256),
                          "non-negative"),
    "spectrum hop": (lambda: device_spectrum(X_TONES, n_fft=256, hop_length=512),
                     "device_spectrum: hop_length must be at most n_fft"),
    "spectrum floor": (lambda: correct_spectrum(X_TONES, Y, source_spectrum=FLAT,
                                                reference_spectrum=FLAT, n_fft=256, floor=0),
                       "'floor' parameter of correct_spectrum"),
    "device negative": (lambda: simulate_device(X_TONES, sr=SR, device=-1),
                        "'device' parameter of simulate_device"),
    "device float": (lambda: simulate_device(X_TONES, sr=SR, device=1.5),
                     "'device' parameter of simulate_device"),
    "device ratio": (lambda: simulate_device(X_TONES, sr=SR, device=1, ratio=(4, 2)),
                     "simulate_device: ratio"),
}


@pytest.mark.parametrize("case", BAD_CALLS)
def test_bad_parameters_raise_value_errors_that_say_what(case):
    call, match = BAD_CALLS[case]
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------ packaging
def test_public_functions_are_exported_and_documented():
    assert skaudio.expansion is expansion and "expansion" in skaudio.__all__
    for name in expansion.__all__:
        doc = getattr(expansion, name).__doc__
        assert "Examples\n    --------" in doc and "References\n    ----------" in doc, name
    for name in EXPANSIONS:
        assert "not a transformer" in getattr(expansion, name).__doc__, name


def test_importing_the_module_does_not_import_keras():
    code = "import sys, skaudio.expansion; print('keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
