"""Audio decoding with load_audio and AudioLoader."""

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.utils._param_validation import InvalidParameterError

from skaudio import AudioLoader, load_audio

from .conftest import write_tone


@pytest.mark.parametrize("ext, fmt", [("wav", None), ("flac", None), ("ogg", "OGG")])
def test_decodes_common_formats(tmp_path, ext, fmt):
    path = tmp_path / f"tone.{ext}"
    written = write_tone(path, fmt=fmt)
    y, sr = load_audio(path, sr=None)
    assert sr == 8000 and y.dtype == np.float32 and y.shape == written.shape
    atol = 0.05 if ext == "ogg" else 1e-4  # Vorbis is lossy
    np.testing.assert_allclose(y, written, atol=atol)


@pytest.mark.skipif("MP3" not in sf.available_formats(),
                    reason="this libsndfile cannot encode MP3")
def test_decodes_mp3(tmp_path):
    path = tmp_path / "tone.mp3"
    write_tone(path, fmt="MP3")
    y, sr = load_audio(path, sr=8000)
    assert sr == 8000 and abs(y.shape[0] - 4000) < 2000 and np.abs(y).max() > 0.2


def test_resampling_matches_librosa_load(tmp_path):
    path = tmp_path / "tone.wav"
    write_tone(path, sr=8000, seconds=1.0)
    y, sr = load_audio(path, sr=22050)
    expected, _ = librosa.load(path, sr=22050)
    assert sr == 22050
    np.testing.assert_allclose(y, expected, atol=1e-6)


def test_offset_and_duration_read_only_the_requested_frames(tmp_path):
    path = tmp_path / "ramp.wav"
    sf.write(path, np.arange(8000, dtype=np.float32) / 8000, 8000, subtype="FLOAT")
    y, _ = load_audio(path, sr=None, offset=0.25, duration=0.5)
    np.testing.assert_allclose(y, np.arange(2000, 6000) / 8000)
    y, _ = load_audio(path, sr=None, offset=2.0)
    assert y.shape == (0,)


def test_stereo_is_averaged_or_kept(tmp_path):
    path = tmp_path / "stereo.wav"
    data = np.stack([np.full(100, 0.5), np.full(100, -0.25)], axis=1)
    sf.write(path, data, 8000, subtype="FLOAT")
    mono, _ = load_audio(path, sr=None)
    np.testing.assert_allclose(mono, 0.125)
    both, _ = load_audio(path, sr=None, mono=False)
    assert both.shape == (2, 100)


def _truncated_wav(tmp_path):
    path = tmp_path / "truncated.wav"
    write_tone(path)
    raw = path.read_bytes()
    path.write_bytes(raw[:30])  # header cut in the middle
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.wav", "no such file"),
    (lambda d: d, "is a directory"),
    (lambda d: (d / "text.wav").write_text("not audio") and d / "text.wav",
     "could not decode"),
    (_truncated_wav, "could not decode"),
])
def test_unreadable_files_raise_value_error_naming_the_file(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(ValueError, match=message) as info:
        load_audio(path)
    assert str(path) in str(info.value)
    with pytest.raises(ValueError, match=message):
        AudioLoader(duration=0.1).fit_transform([str(path)])


def test_audio_loader_pads_to_duration(wav_files):
    X = AudioLoader(sr=8000, duration=0.5).fit_transform(wav_files)
    assert X.shape == (3, 4000) and X.dtype == np.float32
    first, _ = load_audio(wav_files[0], sr=8000)
    np.testing.assert_array_equal(X[0, :2000], first)
    np.testing.assert_array_equal(X[0, 2000:], 0.0)
    longest, _ = load_audio(wav_files[2], sr=8000)
    np.testing.assert_array_equal(X[2], longest[:4000])


def test_audio_loader_repeat_pad_tiles_the_clip(wav_files):
    X = AudioLoader(sr=8000, duration=0.6, pad_mode="repeat").fit_transform(wav_files)
    first, _ = load_audio(wav_files[0], sr=8000)
    np.testing.assert_array_equal(X[0], np.resize(first, 4800))


def test_audio_loader_without_duration_uses_longest_fit_clip(wav_files):
    loader = AudioLoader(sr=16000).fit(wav_files)
    assert loader.n_samples_ == 12000
    assert loader.transform(wav_files[:1]).shape == (1, 12000)


def test_audio_loader_threads_give_the_same_array(wav_files):
    serial = AudioLoader(sr=11025, duration=0.5).fit_transform(wav_files * 3)
    threaded = AudioLoader(sr=11025, duration=0.5, n_jobs=2).fit_transform(wav_files * 3)
    np.testing.assert_array_equal(serial, threaded)


def test_audio_loader_accepts_arrays_and_columns_of_paths(wav_files):
    loader = AudioLoader(duration=0.1)
    a = loader.fit_transform(np.array(wav_files))
    b = loader.fit_transform(np.array(wav_files, dtype=object)[:, None])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("X, exc, message", [
    ("one.wav", TypeError, "single path"),
    ([], ValueError, "empty list"),
    ([1.0, 2.0], TypeError, "expects file paths"),
    (np.zeros((2, 2)), ValueError, "1-D list of file paths"),
])
def test_audio_loader_bad_input(X, exc, message):
    with pytest.raises(exc, match=message):
        AudioLoader(duration=1.0).fit(X)


@pytest.mark.parametrize("params, message", [
    ({"pad_mode": "reflect"}, "'pad_mode' parameter of AudioLoader must be a str among"),
    ({"sr": 0}, r"'sr' parameter of AudioLoader must be a float in the range \(0.0, inf\)"),
    ({"sr": "16k"}, "'sr' parameter of AudioLoader must be a float"),
    ({"duration": -1.0}, "'duration' parameter of AudioLoader must be a float"),
    ({"offset": np.inf}, "'offset' parameter of AudioLoader must be a float"),
    ({"n_jobs": 1.5}, "'n_jobs' parameter of AudioLoader must be an int in the range"),
    ({"n_jobs": 0}, "'n_jobs' parameter of AudioLoader must be an int in the range"),
    ({"mono": False}, "mono=True"),
])
def test_audio_loader_bad_parameters(wav_files, params, message):
    with pytest.raises(InvalidParameterError, match=message):
        AudioLoader(**params).fit(wav_files)
    # With a duration nothing is learned and transform needs no fit: it checks too.
    with pytest.raises(InvalidParameterError, match=message):
        AudioLoader(**{"duration": 0.1, **params}).transform(wav_files)


@pytest.mark.parametrize("params, message", [
    ({"sr": 0}, "'sr' parameter of load_audio must be a float"),
    ({"duration": 0.0}, "'duration' parameter of load_audio must be a float"),
    ({"offset": -1.0}, "'offset' parameter of load_audio must be a float"),
    ({"mono": "yes"}, "'mono' parameter of load_audio must be an instance of 'bool'"),
])
def test_load_audio_bad_parameters(wav_files, params, message):
    with pytest.raises(InvalidParameterError, match=message):
        load_audio(wav_files[0], **params)


@pytest.mark.parametrize("pad_mode", ["constant", "repeat"])
@pytest.mark.parametrize("n_in", [0, 1, 3, 7, 10, 25])
def test_rows_are_filled_like_fit_length(pad_mode, n_in):
    from skaudio.io import _fit_into, fit_length

    y = np.arange(1, n_in + 1, dtype=np.float32)
    row = np.full(10, np.nan, dtype=np.float32)
    _fit_into(row, y, pad_mode)
    np.testing.assert_array_equal(row, fit_length(y, 10, pad_mode))


def test_many_files_in_threads_equal_load_audio_per_file(wav_files, monkeypatch):
    from skaudio import io

    monkeypatch.setattr(io, "_FILES_PER_TASK", 2)  # several tasks per thread
    files = wav_files * 5
    X = AudioLoader(sr=11025, duration=0.4, pad_mode="repeat", n_jobs=2).fit_transform(files)
    for row, path in zip(X, files):
        y, _ = load_audio(path, sr=11025, duration=0.4)  # decodes 0.4 s at most
        np.testing.assert_array_equal(row, np.resize(y, row.size))


def test_fsdd_waveforms_equal_librosa_load(fsdd_path):
    """The benchmarks' 'same arrays': decoding and resampling as librosa.load does."""
    from skaudio.datasets import load_fsdd

    files = list(load_fsdd(fsdd_path, split="test").filenames[:20])
    X = AudioLoader(sr=16000, duration=1.0, n_jobs=2).fit_transform(files)
    expected = np.stack([librosa.util.fix_length(librosa.load(f, sr=16000)[0], size=16000)
                         for f in files])
    np.testing.assert_array_equal(X, expected)


def test_audio_loader_with_a_duration_learns_nothing(wav_files):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils import get_tags

    fixed = AudioLoader(sr=8000, duration=0.5)
    assert not get_tags(fixed).requires_fit
    np.testing.assert_array_equal(fixed.transform(wav_files),
                                  AudioLoader(sr=8000, duration=0.5).fit_transform(wav_files))
    learned = AudioLoader(sr=8000)  # the length comes from the files seen in fit
    assert get_tags(learned).requires_fit
    with pytest.raises(NotFittedError):
        learned.transform(wav_files)


@pytest.mark.parametrize("y, n_samples, pad_mode, message", [
    (np.ones(3), 5, "reflect", "pad_mode"),
    (np.ones(3), -1, "constant", "non-negative int"),
    (np.ones(3), 2.5, "constant", "non-negative int"),
    (np.ones((2, 3)), 5, "constant", r"1-D waveform; got shape \(2, 3\)"),
])
def test_fit_length_says_what_is_wrong(y, n_samples, pad_mode, message):
    from skaudio.io import fit_length

    with pytest.raises(ValueError, match=message):
        fit_length(y, n_samples, pad_mode)


def test_load_files_skips_and_reports_what_it_cannot_decode(wav_files, tmp_path):
    from skaudio.io import load_files

    broken = tmp_path / "broken.wav"
    broken.write_text("not audio")
    done = []
    out = load_files([wav_files[0], broken, wav_files[2]], sr=8000, duration=0.5,
                     on_error="skip", callback=done.append)
    assert out.data.shape == (2, 4000) and out.data.dtype == np.float32
    assert out.decoded.tolist() == [True, False, True]
    assert [name for name, _ in out.errors] == [str(broken)]
    assert done == [1, 2, 3]
    with pytest.raises(ValueError, match="broken.wav"):
        load_files([wav_files[0], broken], sr=8000)


@pytest.mark.parametrize("params", [{"sr": 0}, {"sr": -8000}, {"duration": 0},
                                    {"pad_mode": "reflect"}, {"on_error": "ignore"},
                                    {"n_jobs": 1.5}, {"callback": "print"}])
def test_load_files_refuses_bad_parameters_before_reading(wav_files, params):
    from skaudio.io import load_files

    with pytest.raises(InvalidParameterError, match="load_files"):
        load_files(wav_files, **{"on_error": "skip", **params})
