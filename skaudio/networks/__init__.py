"""Plain Keras model builders: uncompiled ``keras.Model`` from plain arguments.

Each builder uses ``keras`` and ``keras.ops`` only, so it runs on the
TensorFlow, PyTorch and JAX backends. The estimators in
:mod:`skaudio.estimators` wrap them for scikit-learn.
"""

from .embedding_backends import (
    build_embedding_dnn,
    build_embedding_lstm,
    build_multi_level_attention,
)
from .fcnn import build_fcnn, build_fsfcnn
from .mobilenet import build_mobilenet_v2
from .resnet import build_two_path_resnet
from .vgg_like import build_vgg_like
from .vggish import build_vggish

__all__ = ["build_embedding_dnn", "build_embedding_lstm", "build_fcnn", "build_fsfcnn",
           "build_mobilenet_v2", "build_multi_level_attention", "build_two_path_resnet",
           "build_vgg_like", "build_vggish"]
