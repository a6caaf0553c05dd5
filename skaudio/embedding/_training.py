"""VGGish with the thesis's training head, trained as every skaudio network is."""

import keras
import numpy as np

from .._params import POSITIVE_INT
from ..estimators import NetworkClassifier
from ..networks._seeds import initializer


class _VGGishTrainer(NetworkClassifier):
    """Trains a VGGish network with Xu's head on labelled 0.96 s patches.

    The head is the 128-D embedding, a ``hidden_units`` ReLU layer and
    softmax (Xu, thesis 5.2.2). ``fit`` takes the patches of whole clips,
    ``segments_per_clip`` consecutive patches per clip, each labelled with
    its clip's label; the validation split holds out whole clips, so that no
    clip has patches on both sides. ``network`` (a ``keras.Model`` from
    :func:`skaudio.networks.build_vggish`, possibly holding published
    weights) is trained in place: :class:`VGGishEmbedder` keeps it and drops
    the head.
    """

    _parameter_constraints = {
        "network": [keras.Model],
        "hidden_units": POSITIVE_INT,
        "segments_per_clip": POSITIVE_INT,
    }
    _training_excluded = ("gain_augment_db", "input_normalization")

    # The error messages of training speak to the user of the embedder.
    _name = "VGGishEmbedder"
    # Not parameters of the embedder's network, whose input is log-mel patches.
    gain_augment_db = 0.0
    input_normalization = False

    def __init__(self, network=None, hidden_units=100, segments_per_clip=1,
                 **training_params):
        super().__init__(**training_params)
        self.network = network
        self.hidden_units = hidden_units
        self.segments_per_clip = segments_per_clip

    def _sample_groups(self, n_samples):
        return np.arange(n_samples) // self.segments_per_clip

    def _build_network(self, input_shape, n_classes):
        inputs = keras.Input(input_shape, name="log_mel")
        hidden = keras.layers.Dense(self.hidden_units, activation="relu",
                                    kernel_initializer=initializer(),
                                    name="hidden")(self.network(inputs))
        outputs = keras.layers.Dense(n_classes, activation="softmax",
                                     kernel_initializer=initializer(), name="classes")(hidden)
        return keras.Model(inputs, outputs, name="vggish_classifier")
