"""
Tuning PERSA+'s q with a grid search
====================================

A whole audio classifier is a scikit-learn ``Pipeline``, so PERSA+'s noise
level ``q`` is tuned like any hyper-parameter: ``GridSearchCV`` over
``persaplus__q``, with the sounds' sources as groups so that no source is on
both sides of a fold. A linear model on temporal statistics keeps it fast
(seconds); with a network as the last step the code is the same.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skaudio import MelSpectrogram, PersaPlus, TemporalStatistics
from skaudio.datasets import make_audio_classification

# %%
# 240 synthetic clips of 6 kinds of sound, at random levels from 0 to -30 dB
# and with background noise at 10 dB SNR.
data = make_audio_classification(n_samples=240, n_classes=6, sr=8000, snr_db=10.0,
                                 gain_db=(-30.0, 0.0), random_state=0)
pipe = make_pipeline(MelSpectrogram(sr=8000, n_fft=512, hop_length=128, n_mels=40),
                     PersaPlus(random_state=0), TemporalStatistics(), StandardScaler(),
                     LogisticRegression(max_iter=2000))

# %%
# The search: one line per q value.
search = GridSearchCV(pipe, {"persaplus__q": [3, 6, 9, 12, 15, 30]}, cv=GroupKFold(3))
search.fit(data.data, data.target, groups=data.groups)
q = np.array(search.cv_results_["param_persaplus__q"], dtype=float)
mean, std = search.cv_results_["mean_test_score"], search.cv_results_["std_test_score"]
for value, m, s in zip(q, mean, std):
    print(f"q = {value:4.0f} dB: accuracy {m:.3f} ± {s:.3f}")
print("best:", search.best_params_)

fig, ax = plt.subplots(figsize=(5, 3))
ax.errorbar(q, mean, yerr=std, marker="o", capsize=3)
ax.set_xlabel("PERSA+ q (dB below the sample's power)")
ax.set_ylabel("cross-validated accuracy")
fig.tight_layout()
plt.show()
