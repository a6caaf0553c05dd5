"""Plain Keras model builders: uncompiled ``keras.Model`` from plain arguments.

Each builder uses ``keras`` and ``keras.ops`` only, so it runs on the
TensorFlow, PyTorch and JAX backends. The estimators in
:mod:`skaudio.estimators` wrap them for scikit-learn.

Every builder takes ``seed``: each weight initialiser and dropout layer gets
its own seed, drawn in order from ``numpy.random.default_rng(seed)``. The same
seed builds the same weights in any thread, and building reads and writes no
global random generator (Keras would draw an unseeded layer's seed from
Python's ``random``). ``seed=None`` draws fresh entropy from the operating
system.

>>> import numpy as np
>>> a, b = (build_vgg_like((8, 8, 1), 2, filters=(4,), seed=0) for _ in range(2))
>>> all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
True
"""

from .cab_cnn import build_cab_cnn
from .embedding_backends import (
    build_embedding_dnn,
    build_embedding_lstm,
    build_multi_level_attention,
)
from .fcnn import build_fcnn, build_fsfcnn
from .mobilenet import build_mobilenet_v2
from .raw_waveform import build_raw_waveform_network
from .resnet import build_two_path_resnet
from .vgg_like import build_vgg_like
from .vggish import build_vggish

__all__ = ["build_cab_cnn", "build_embedding_dnn", "build_embedding_lstm", "build_fcnn",
           "build_fsfcnn", "build_mobilenet_v2", "build_multi_level_attention",
           "build_raw_waveform_network", "build_two_path_resnet", "build_vgg_like",
           "build_vggish"]
