"""AudioSet's post-processing of VGGish embeddings: PCA, clipping, 8-bit quantisation."""

import numpy as np

QUANTIZE_MIN, QUANTIZE_MAX = -2.0, 2.0
STEPS = ("pca", "clip", "quantize")
QUANTIZATIONS = ("truncate", "round")


def vggish_postprocess(embeddings, pca=None, *, steps=STEPS, quantization="truncate"):
    """Post-process embeddings as the AudioSet release does.

    In order, each step only if listed in ``steps``:

    1. ``"pca"``: ``(e - pca_means) @ pca_eigen_vectors.T`` (the published
       PCA whitens and rotates the 128 dimensions);
    2. ``"clip"``: clip to ``[-2, 2]``;
    3. ``"quantize"``: map ``[-2, 2]`` to ``[0, 255]`` by ``(x + 2) * 255 / 4``
       (values outside saturate) and make integers: ``"truncate"`` drops the
       fraction (the TF release's ``astype(uint8)``), ``"round"`` rounds half
       to even (torchvggish's ``torch.round``).

    Parameters
    ----------
    embeddings : ndarray of shape (..., 128)
        Embeddings, 128 per segment (the network's ``fc2`` output).
    pca : tuple of (eigen_vectors, means) or None, default=None
        ``eigen_vectors`` of shape (128, 128) and ``means`` of shape (128,),
        as :func:`skaudio.embedding.load_vggish_weights` returns them; needed
        when ``"pca"`` is a step.
    steps : sequence of {"pca", "clip", "quantize"}, default=("pca", "clip", "quantize")
        The steps to apply; they always run in the order above.
    quantization : {"truncate", "round"}, default="truncate"
        How ``"quantize"`` makes integers: the TF release truncates,
        torchvggish rounds.

    Returns
    -------
    ndarray of float32, the shape of ``embeddings``
        Quantised values are the integers 0-255, as float32.

    Raises
    ------
    ValueError
        ``"pca"`` in ``steps`` without ``pca``.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, section 5.1.1 (the 128-D embeddings "further processed
       using principal component analysis (PCA) and 8-bit quantization").
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.array([[-3.0, -2.0, 0.0, 0.01, 1.99, 2.0]])
    >>> vggish_postprocess(e, steps=("clip", "quantize"))
    array([[  0.,   0., 127., 128., 254., 255.]], dtype=float32)
    >>> vggish_postprocess(e, steps=("clip", "quantize"), quantization="round")
    array([[  0.,   0., 128., 128., 254., 255.]], dtype=float32)
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if "pca" in steps:
        if pca is None:
            raise ValueError("PCA post-processing needs the PCA parameters; none were given.")
        eigen_vectors, means = pca
        x = (x - means) @ np.asarray(eigen_vectors).T
    if "clip" in steps:
        x = np.clip(x, QUANTIZE_MIN, QUANTIZE_MAX)
    if "quantize" in steps:
        x = np.clip((x - QUANTIZE_MIN) * (255.0 / (QUANTIZE_MAX - QUANTIZE_MIN)), 0.0, 255.0)
        x = np.floor(x) if quantization == "truncate" else np.round(x)
    return x.astype(np.float32)
