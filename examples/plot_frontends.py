"""
The front-ends under a change of level
======================================

The PERSA+ paper's front-ends side by side on one synthetic sound played at
0 dB and at -30 dB. LOG's output moves with the level (3 bels for 30 dB);
PERSA, PERSA+ and LOG-T give the same picture at both levels; PCEN moves less
than LOG (its gain control is approximate). Level invariance is what the
paper's v3 experiment (random gain per fold and class) tests. Runs in seconds.
"""

import matplotlib.pyplot as plt
import numpy as np

from skaudio import PCEN, LogCompression, LogThreshold, MelSpectrogram, PerSampleNorm, PersaPlus
from skaudio.datasets import make_audio_classification

# %%
# One chirp from the built-in generator, and a copy 30 dB quieter.
data = make_audio_classification(n_samples=8, n_classes=4, sr=8000, random_state=0)
clip = data.data[np.flatnonzero(data.target == 1)[0]]
waveforms = np.stack([clip, clip * 10 ** (-30 / 20)])
S = MelSpectrogram(sr=8000, n_fft=512, hop_length=128, n_mels=40).fit_transform(waveforms)

# %%
# Every front-end on both versions; the last column is the largest
# difference between them over all bins.
frontends = {"LOG": LogCompression(), "PERSA": PerSampleNorm(),
             "PERSA+ (q=9)": PersaPlus(q=9, random_state=0),
             "LOG-T (c=30)": LogThreshold(c=30), "PCEN": PCEN(sr=8000, hop_length=128)}
fig, axes = plt.subplots(len(frontends), 2, figsize=(7, 9), sharex=True, sharey=True)
for row, (name, frontend) in zip(axes, frontends.items()):
    out = frontend.fit_transform(S)
    change = np.max(np.abs(out[0] - out[1]))
    print(f"{name:13s} largest change for -30 dB: {change:.3f}")
    for ax, image, level in zip(row, out, ("0 dB", "-30 dB")):
        ax.imshow(image.T, origin="lower", aspect="auto", vmin=out.min(), vmax=out.max())
        ax.set_title(f"{name}, {level}", fontsize=9)
for ax in axes[-1]:
    ax.set_xlabel("frame")
for ax in axes[:, 0]:
    ax.set_ylabel("mel band")
fig.tight_layout()
plt.show()
