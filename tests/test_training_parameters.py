"""The training parameters, declared once in skaudio._keras, reach every network."""

import inspect

import pytest
from sklearn.base import clone

from skaudio import VGGishEmbedder, VGGLikeClassifier
from skaudio._keras import TRAINING_PARAMETERS
from skaudio.discovery import all_estimators
from skaudio.estimators import NetworkClassifier

NETWORKS = [cls for _, cls in all_estimators() if issubclass(cls, NetworkClassifier)]


def test_networks_are_discovered():
    assert {cls.__name__ for cls in NETWORKS} >= {
        "VGGLikeClassifier", "EmbeddingDNNClassifier", "EmbeddingLSTMClassifier",
        "MultiLevelAttentionClassifier"}


@pytest.mark.parametrize("cls", NETWORKS, ids=lambda cls: cls.__name__)
def test_every_network_takes_every_training_parameter(cls):
    signature = inspect.signature(cls)
    for name, param in TRAINING_PARAMETERS.items():
        assert signature.parameters[name].default == param.default, name
        assert signature.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert cls._parameter_constraints[name] is param.constraints
        if cls.__doc__:  # None under python -OO
            assert f"    {name} : {param.type}, default={param.default!r}\n" in cls.__doc__
    estimator = cls(epochs=3, mixup_alpha=0.2, balanced_batches=True)
    assert (estimator.epochs, estimator.mixup_alpha, estimator.balanced_batches) == (3, 0.2, True)
    assert set(estimator.get_params()) == set(signature.parameters)
    assert clone(estimator).get_params() == estimator.get_params()


def test_unknown_parameters_are_type_errors_as_in_python():
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        VGGLikeClassifier(epoch=3)


def test_a_class_excludes_parameters_and_changes_defaults():
    params = inspect.signature(VGGishEmbedder).parameters
    assert "gain_augment_db" not in params and "input_normalization" not in params
    assert params["epochs"].default == 10 and params["mixup_alpha"].default == 0.0
    with pytest.raises(TypeError, match="unexpected keyword argument 'gain_augment_db'"):
        VGGishEmbedder(gain_augment_db=3.0)


def test_a_subclass_without_init_gets_its_own_defaults():
    class ShortVGG(VGGLikeClassifier):
        _training_defaults = {"epochs": 5}

    short = ShortVGG(filters=(4,))
    assert short.epochs == 5 and VGGLikeClassifier().epochs == 30
    assert inspect.signature(ShortVGG).parameters["filters"].default == (16, 32, 64, 128)
    assert repr(clone(short.set_params(epochs=7))) == "ShortVGG(epochs=7, filters=(4,))"
    # the parent's architecture constraints are inherited with its parameters
    assert ShortVGG._parameter_constraints == VGGLikeClassifier._parameter_constraints
