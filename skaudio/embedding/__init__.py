"""VGGish embeddings: the exact AudioSet front-end, the network, its published weights.

* :class:`VGGishEmbedder` -- waveforms to VGGish embeddings as a scikit-learn
  transformer, with the published weights read from disk or a network trained
  (or fine-tuned) on your labels;
* :func:`waveforms_to_patches`, :func:`vggish_log_mel`, :func:`vggish_mel_matrix`
  -- the exact VGGish input (Xu's thesis, Table 4);
* :func:`load_vggish_weights`, :func:`convert_vggish_arrays` -- the published
  weights (TF release or torchvggish) in Keras layout, never unpickling;
* :func:`vggish_postprocess` -- AudioSet's PCA, clipping and 8-bit quantisation.
"""

from ._embedder import VGGishEmbedder
from ._frontend import (
    samples_for_segments,
    vggish_log_mel,
    vggish_mel_matrix,
    waveforms_to_patches,
)
from ._postprocess import vggish_postprocess
from ._weights import convert_vggish_arrays, load_vggish_weights, published_keys

__all__ = [
    "VGGishEmbedder",
    "convert_vggish_arrays",
    "load_vggish_weights",
    "published_keys",
    "samples_for_segments",
    "vggish_log_mel",
    "vggish_mel_matrix",
    "vggish_postprocess",
    "waveforms_to_patches",
]
