"""Export fitted networks to ONNX, in float32 or int8, and predict with them.

:func:`export_network` writes a fitted skaudio network, with the front-end
steps before it that ONNX can express, to one ``.onnx`` file that
onnxruntime (or any ONNX runtime, in any language) runs without Keras;
``quantize="int8"`` stores the weights of every convolution and dense layer
as 8-bit integers (post-training dynamic-range quantisation, the DCASE
paper's section 4). :class:`ONNXClassifier` predicts with the file as the
last step of a scikit-learn pipeline, and :func:`export_report` measures
what the export costs: size, accuracy, agreement with the Keras model and
latency.

Needs the optional extra: ``pip install "skaudio[export]"`` (onnx and
onnxruntime, about 60 MB; no deep-learning framework).
"""

from ._export import QUANTIZE_OPTIONS, export_network, export_report
from ._predictor import ONNXClassifier

__all__ = ["ONNXClassifier", "QUANTIZE_OPTIONS", "export_network", "export_report"]
