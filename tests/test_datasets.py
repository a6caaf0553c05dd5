"""The synthetic generator and the on-disk dataset loaders."""

import csv

import numpy as np
import pytest

from skaudio.datasets import (
    load_audio_folder,
    load_esc50,
    load_fsdd,
    load_urbansound8k,
    make_audio_classification,
)

from .conftest import write_tone


def test_generator_shapes_labels_and_groups():
    d = make_audio_classification(n_samples=50, n_classes=5, duration=0.5, sr=8000,
                                  clips_per_group=4, random_state=0)
    assert d.data.shape == (50, 4000) and d.data.dtype == np.float32
    assert np.all(np.isfinite(d.data))
    assert sorted(np.unique(d.target)) == list(range(5))
    assert len(d.target_names) == 5
    # every group holds clips of a single class, at most clips_per_group of them
    for g in np.unique(d.groups):
        assert len(np.unique(d.target[d.groups == g])) == 1
        assert np.sum(d.groups == g) <= 4
    assert [d.coarse_names[c] for c in d.coarse_target[:1]][0] in ("tonal", "sweep", "noisy")


def test_generator_is_seeded():
    a = make_audio_classification(n_samples=12, n_classes=3, duration=0.2, random_state=1)
    b = make_audio_classification(n_samples=12, n_classes=3, duration=0.2, random_state=1)
    c = make_audio_classification(n_samples=12, n_classes=3, duration=0.2, random_state=2)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, c.data)


def test_generator_gain_range_spreads_levels():
    d = make_audio_classification(n_samples=80, n_classes=4, duration=0.2, sr=8000,
                                  gain_db=(-30, 0), clips_per_group=1, random_state=0)
    peak_db = 20 * np.log10(np.abs(d.data).max(axis=1) / 0.5)
    assert peak_db.min() < -20 and peak_db.max() > -10


def test_generator_snr_sets_the_noise_level():
    clean = make_audio_classification(n_samples=8, n_classes=1, duration=0.5, sr=8000,
                                      snr_db=np.inf, random_state=0)
    noisy = make_audio_classification(n_samples=8, n_classes=1, duration=0.5, sr=8000,
                                      snr_db=0.0, random_state=0)
    # At 0 dB SNR the noise has the signal's power: the total power roughly doubles.
    ratio = np.mean(noisy.data**2) / np.mean(clean.data**2)
    assert 1.5 < ratio < 2.5


def test_generator_classes_are_learnable():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skaudio import LogCompression, MelSpectrogram, TemporalStatistics

    d = make_audio_classification(n_samples=160, n_classes=8, duration=0.5, sr=8000,
                                  random_state=0)
    pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=512, hop_length=128, n_mels=32),
                         LogCompression(), TemporalStatistics(), StandardScaler(),
                         LogisticRegression(max_iter=1000))
    cv = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, d.data, d.target, groups=d.groups, cv=cv)
    assert scores.mean() > 0.6  # chance is 0.125


@pytest.mark.parametrize("kwargs, message", [
    ({"n_classes": 9}, "n_classes must be between 1 and 8"),
    ({"n_samples": 2, "n_classes": 3}, "n_samples >= n_classes"),
    ({"duration": 0}, "duration must be > 0"),
    ({"clips_per_group": 0}, "clips_per_group must be >= 1"),
])
def test_generator_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_audio_classification(**kwargs)


def test_fsdd_official_split(fsdd_path):
    full = load_fsdd(fsdd_path)
    assert len(full.filenames) == 3000
    assert sorted(set(full.target)) == list(range(10))
    assert len(set(full.speaker)) == 6
    assert full.is_test.sum() == 300
    assert np.all(full.index[full.is_test] < 5)
    train = load_fsdd(fsdd_path, split="train")
    assert len(train.filenames) == 2700 and not train.is_test.any()


def test_fsdd_waveforms(fsdd_path):
    test = load_fsdd(fsdd_path, split="test", return_waveforms=True, duration=0.5)
    assert test.data.shape == (300, 4000) and test.sr == 8000
    assert np.abs(test.data).max(axis=1).min() > 0  # no silent clip


def test_fsdd_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="FSDD not found"):
        load_fsdd(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="no recordings named"):
        load_fsdd(tmp_path)


def test_audio_folder(tmp_path):
    for label in ("dog", "cat"):
        (tmp_path / label / "sub").mkdir(parents=True)
        write_tone(tmp_path / label / "a.wav")
        write_tone(tmp_path / label / "sub" / "b.flac")
    (tmp_path / "cat" / "notes.txt").write_text("ignored")
    bunch = load_audio_folder(tmp_path, return_waveforms=True, sr=8000)
    assert bunch.target_names == ["cat", "dog"]
    assert bunch.target.tolist() == [0, 0, 1, 1]
    assert bunch.data.shape == (4, 4000)


def _write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def test_esc50_layout(tmp_path):
    rows = [
        ["1-100-A-0.wav", 1, 0, "dog", "True", 100, "A"],
        ["1-100-B-0.wav", 1, 0, "dog", "True", 100, "B"],
        ["2-200-A-1.wav", 2, 1, "rooster", "False", 200, "A"],
    ]
    _write_csv(tmp_path / "meta" / "esc50.csv",
               ["filename", "fold", "target", "category", "esc10", "src_file", "take"], rows)
    (tmp_path / "audio").mkdir()
    for r in rows:
        write_tone(tmp_path / "audio" / r[0], seconds=0.1)
    bunch = load_esc50(tmp_path, return_waveforms=True, sr=8000, duration=0.2)
    assert bunch.target.tolist() == [0, 0, 1]
    assert bunch.target_names == ["dog", "rooster"]
    assert bunch.fold.tolist() == [1, 1, 2]
    assert bunch.groups[0] == bunch.groups[1] != bunch.groups[2]
    assert bunch.data.shape == (3, 1600)
    assert len(load_esc50(tmp_path, esc10=True).filenames) == 2


def test_urbansound8k_layout(tmp_path):
    header = ["slice_file_name", "fsID", "start", "end", "salience", "fold", "classID",
              "class"]
    rows = [["7-1-0.wav", 7, 0, 1, 1, 1, 3, "dog_bark"],
            ["7-1-1.wav", 7, 1, 2, 1, 1, 3, "dog_bark"],
            ["9-0-0.wav", 9, 0, 1, 2, 2, 0, "air_conditioner"]]
    _write_csv(tmp_path / "metadata" / "UrbanSound8K.csv", header, rows)
    for r in rows:
        (tmp_path / "audio" / f"fold{r[5]}").mkdir(parents=True, exist_ok=True)
        write_tone(tmp_path / "audio" / f"fold{r[5]}" / r[0], seconds=0.1)
    bunch = load_urbansound8k(tmp_path)
    assert bunch.target.tolist() == [3, 3, 0]
    assert bunch.target_names[3] == "dog_bark" and bunch.target_names[0] == "air_conditioner"
    assert bunch.groups.tolist() == [7, 7, 9] and bunch.fold.tolist() == [1, 1, 2]
    assert all(f.endswith(f"fold{r[5]}/{r[0]}") for f, r in zip(bunch.filenames, rows))


def test_loaders_report_missing_metadata(tmp_path):
    with pytest.raises(ValueError, match="metadata file .* is missing"):
        load_esc50(tmp_path)
    _write_csv(tmp_path / "metadata" / "UrbanSound8K.csv", ["slice_file_name"], [["a.wav"]])
    with pytest.raises(ValueError, match="lacks the columns"):
        load_urbansound8k(tmp_path)
