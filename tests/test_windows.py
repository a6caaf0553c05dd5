"""skaudio.windows: windows cut from clips and averaged back per clip."""

import numpy as np
import pytest

from skaudio.windows import average_per_clip, cut_windows, window_starts


@pytest.mark.parametrize("n_samples, window, hop, expected", [
    (16000, 8000, 4000, [0, 4000, 8000]),     # 50 % overlap, exact fit
    (17000, 8000, 8000, [0, 8000, 9000]),     # no overlap: one more window at the end
    (8000, 8000, 1000, [0]),                  # exactly one window
    (5000, 8000, 4000, [0]),                  # shorter than a window
])
def test_window_starts_cover_every_sample(n_samples, window, hop, expected):
    starts = window_starts(n_samples, window, hop)
    assert starts.tolist() == expected
    covered = np.zeros(max(n_samples, window), bool)
    for s in starts:
        covered[s:s + window] = True
    assert covered[:n_samples].all()


def test_cut_windows_by_hand_including_a_clip_shorter_than_a_window():
    X = np.arange(12.0).reshape(2, 6)
    windows, clips = cut_windows(X, window=4, hop=2)
    np.testing.assert_array_equal(windows, [[0, 1, 2, 3], [2, 3, 4, 5],
                                            [6, 7, 8, 9], [8, 9, 10, 11]])
    np.testing.assert_array_equal(clips, [0, 0, 1, 1])
    short, clips = cut_windows(np.array([[1.0, 2.0]]), window=4, hop=2)
    np.testing.assert_array_equal(short, [[1, 2, 0, 0]])  # zero-padded, as AudioLoader
    np.testing.assert_array_equal(clips, [0])


def test_average_per_clip_by_hand():
    proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.0, 1.0], [0.4, 0.6]])
    clips = np.array([0, 0, 1, 1, 1])
    np.testing.assert_allclose(average_per_clip(proba, clips, 2),
                               [[0.7, 0.3], [0.2, 0.8]])
    with pytest.raises(ValueError, match="clip 2 has no window"):
        average_per_clip(proba, clips, 3)


def test_bad_windows_are_refused():
    with pytest.raises(ValueError, match="at least one sample"):
        window_starts(100, 0, 10)
    with pytest.raises(ValueError, match=r"\(n_clips, n_samples\)"):
        cut_windows(np.zeros(10), 4, 2)
