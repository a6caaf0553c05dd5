"""Reading the published VGGish weights and PCA parameters from files on disk.

Nothing is downloaded. Three forms are read, none of which runs pickled code:

* ``.npz`` (``numpy.load(allow_pickle=False)``) holding either the TF
  release's checkpoint variables (``vggish/conv1/weights``, ...,
  ``vggish/fc2/biases``) or torchvggish's state dict keys
  (``features.0.weight``, ..., ``embeddings.4.bias``), optionally with the PCA
  parameters ``pca_eigen_vectors`` and ``pca_means``. The TF release's
  ``vggish_pca_params.npz`` is read as it is.
* ``.pth`` / ``.pt`` (torchvggish's files) with ``torch.load(weights_only=True)``
  when PyTorch is installed; otherwise convert them to ``.npz`` (README).
* ``.weights.h5``: Keras weights of :func:`skaudio.networks.build_vggish` with
  the published sizes (``model.save_weights``), read with h5py.

Layouts: TF and Keras kernels are ``(kh, kw, in, out)`` and ``(in, out)``;
torchvggish's are ``(out, in, kh, kw)`` and ``(out, in)`` and are transposed.
torchvggish flattens its 512 x 6 x 4 feature map after moving channels last,
so its ``embeddings.0.weight`` transposed is exactly the TF ``fc1_1`` kernel.
"""

import os
import zipfile
import zlib

import numpy as np

from ..networks.vggish import TF_LAYER_NAMES, vggish_layer_names

#: Keras layer name -> (kernel shape, bias shape) of the published network (Keras layout).
PUBLISHED_SHAPES = {
    "conv1": ((3, 3, 1, 64), (64,)),
    "conv2": ((3, 3, 64, 128), (128,)),
    "conv3_1": ((3, 3, 128, 256), (256,)),
    "conv3_2": ((3, 3, 256, 256), (256,)),
    "conv4_1": ((3, 3, 256, 512), (512,)),
    "conv4_2": ((3, 3, 512, 512), (512,)),
    "fc1_1": ((12288, 4096), (4096,)),
    "fc1_2": ((4096, 4096), (4096,)),
    "fc2": ((4096, 128), (128,)),
}
#: Keras layer name -> torchvggish module prefix.
TORCH_LAYER_NAMES = {
    "conv1": "features.0", "conv2": "features.3", "conv3_1": "features.6",
    "conv3_2": "features.8", "conv4_1": "features.11", "conv4_2": "features.13",
    "fc1_1": "embeddings.0", "fc1_2": "embeddings.2", "fc2": "embeddings.4",
}
PCA_KEYS = ("pca_eigen_vectors", "pca_means")


def published_keys(form):
    """File key -> expected shape (in the file's layout) of a published form.

    Parameters
    ----------
    form : {"tf", "torch"}
        ``"tf"``: the TF release's checkpoint variables
        (``vggish/conv1/weights``, kernels ``(kh, kw, in, out)``); any other
        value: torchvggish's state dict keys (``features.0.weight``, kernels
        ``(out, in, kh, kw)``).

    Returns
    -------
    dict of str to tuple of int
        The 18 weight and bias keys of the published network (Table 1's 6
        convolutions and 3 dense layers) and their shapes; the PCA parameters
        are not included.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 1 (the VGGish layers).
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> keys = published_keys("torch")
    >>> keys["features.0.weight"], keys["embeddings.0.weight"]
    ((64, 1, 3, 3), (4096, 12288))
    >>> published_keys("tf")["vggish/conv3/conv3_1/weights"]
    (3, 3, 128, 256)
    """
    keys = {}
    for layer, (kernel, bias) in PUBLISHED_SHAPES.items():
        if form == "tf":
            keys[f"{TF_LAYER_NAMES[layer]}/weights"] = kernel
            keys[f"{TF_LAYER_NAMES[layer]}/biases"] = bias
        else:
            torch_kernel = (kernel[3], kernel[2], 3, 3) if len(kernel) == 4 else kernel[::-1]
            keys[f"{TORCH_LAYER_NAMES[layer]}.weight"] = torch_kernel
            keys[f"{TORCH_LAYER_NAMES[layer]}.bias"] = bias
    return keys


def _describe(path):
    return f"VGGish weight file {os.fspath(path)!r}"


def _read_npz(path):
    def unreadable(exc):
        return ValueError(
            f"{_describe(path)} is not a readable .npz archive ({type(exc).__name__}: "
            f"{exc}); it may be truncated or of another format."
        )

    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:  # not a zip or .npy: numpy would need to unpickle it
        raise ValueError(
            f"{_describe(path)} is not an .npz archive, and skaudio does not unpickle "
            f"files (unpickling runs code): {exc}"
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise unreadable(exc) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{_describe(path)} holds one array (.npy), not named arrays (.npz).")
    arrays = {}
    with data:
        for key in data.files:
            try:
                arrays[key] = data[key]
            except ValueError as exc:
                if "allow_pickle" in str(exc):  # object arrays need pickle: refused
                    raise ValueError(
                        f"{_describe(path)}: entry {key!r} is a pickled object array, "
                        "which skaudio does not load (unpickling runs code). Save plain "
                        "numeric arrays with numpy.savez."
                    ) from None
                raise unreadable(exc) from None
            except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
                raise unreadable(exc) from None
    return arrays


def _read_torch(path):
    try:
        import torch
    except ImportError:
        raise ValueError(
            f"{_describe(path)} is a PyTorch file, and PyTorch is not installed. "
            "skaudio never unpickles it itself: convert it to .npz where PyTorch "
            "is installed (see the README, 'Embeddings: VGGish'): "
            "np.savez(out, **{k: v.numpy() for k, v in torch.load(path, "
            "weights_only=True).items()})."
        ) from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001  torch raises many types
        raise ValueError(
            f"{_describe(path)} could not be loaded safely with "
            f"torch.load(weights_only=True) ({type(exc).__name__}: {exc}). A file "
            "of NumPy arrays (torchvggish's PCA file) needs pickle: use the TF "
            "release's vggish_pca_params.npz, which holds the same numbers."
        ) from None
    if not isinstance(state, dict):
        raise ValueError(f"{_describe(path)} holds a {type(state).__name__}, not a state dict.")
    return {k: (v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v))
            for k, v in state.items()}


def _read_keras_h5(path):
    import h5py

    from ..networks.vggish import build_vggish

    try:  # a quick check before building the 72-million-parameter network
        with h5py.File(path, "r") as f:
            if "layers" not in f:
                raise ValueError("no 'layers' group (not a Keras 3 .weights.h5 file)")
    except Exception as exc:  # noqa: BLE001  h5py raises OSError, KeyError, ...
        raise ValueError(
            f"{_describe(path)} is not a readable Keras .weights.h5 file "
            f"({type(exc).__name__}: {exc}); it may be truncated or of another format."
        ) from None
    model = build_vggish(kernel_initializer="zeros")
    try:
        model.load_weights(os.fspath(path))
    except Exception as exc:  # noqa: BLE001  h5py and Keras raise many types
        raise ValueError(
            f"{_describe(path)} is not a Keras weights file of the published VGGish "
            f"(build_vggish() with its default sizes): {type(exc).__name__}: {exc}"
        ) from None
    arrays = {}
    for layer in vggish_layer_names():
        kernel, bias = (np.asarray(w) for w in model.get_layer(layer).get_weights())
        arrays[f"{TF_LAYER_NAMES[layer]}/weights"] = kernel
        arrays[f"{TF_LAYER_NAMES[layer]}/biases"] = bias
    return arrays


def read_weight_file(path):
    """The arrays of a weight file, keyed as in the file, without code execution."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"VGGish weights must be a path to a file (str or os.PathLike); got "
            f"{type(path).__name__}."
        )
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ValueError(f"{_describe(path)} is a directory; give the file itself.")
    if not os.path.exists(name):
        raise ValueError(f"{_describe(path)}: no such file.")
    lower = name.lower()
    if lower.endswith(".npz"):
        return _read_npz(name)
    if lower.endswith((".pth", ".pt")):
        return _read_torch(name)
    if lower.endswith(".h5"):
        return _read_keras_h5(name)
    raise ValueError(
        f"{_describe(path)}: unknown extension. skaudio reads .npz (TF checkpoint "
        "variables or torchvggish keys), .pth/.pt (torchvggish, needs PyTorch) and "
        "Keras .weights.h5; a TF checkpoint (.ckpt) must be converted to .npz first "
        "(see the README)."
    )


def _check_array(arrays, key, shape, path):
    value = np.asarray(arrays[key])
    if value.dtype.kind not in "fiu":
        raise ValueError(f"{_describe(path)}: {key!r} has dtype {value.dtype}, not numbers.")
    if value.shape != tuple(shape):
        raise ValueError(
            f"{_describe(path)}: {key!r} has shape {value.shape}; the published VGGish "
            f"needs {tuple(shape)}. Is it a VGGish file with the published sizes?"
        )
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{_describe(path)}: {key!r} contains NaN or infinite values.")
    return value.astype(np.float32)


def _check_pca(arrays, path, keys):
    eigen, means = keys
    if (eigen in arrays) != (means in arrays):
        raise ValueError(
            f"{_describe(path)} holds only one of the PCA parameters {PCA_KEYS}; "
            "give both or neither."
        )
    if eigen not in arrays:
        return None
    means_value = np.asarray(arrays[means])
    if means_value.shape == (128, 1):  # torchvggish stores a column
        arrays = {**arrays, means: means_value.ravel()}
    return (_check_array(arrays, eigen, (128, 128), path).astype(np.float64),
            _check_array(arrays, means, (128,), path).astype(np.float64))


def convert_vggish_arrays(arrays, *, path="<arrays>"):
    """Published VGGish arrays (TF or torchvggish keys) -> Keras layout.

    Parameters
    ----------
    arrays : mapping of str to ndarray
        A TF checkpoint's variables (``vggish/conv1/weights`` ...) or a
        torchvggish state dict (``features.0.weight`` ...), each with the
        published shapes; optionally ``pca_eigen_vectors`` (128, 128) and
        ``pca_means`` (128,) or (128, 1) (also with a ``pproc.`` prefix).
        Keys outside the ``vggish/``, ``features.``, ``embeddings.`` and PCA
        names (``global_step``, say) are ignored.
    path : str, default="<arrays>"
        Named in error messages.

    Returns
    -------
    weights : dict
        Keras layer name -> ``[kernel, bias]`` (float32, Keras layout), for
        :func:`skaudio.networks.build_vggish`.
    pca : tuple of (eigen_vectors, means) or None
        float64 arrays of shape (128, 128) and (128,), when ``arrays`` holds
        them.

    Raises
    ------
    ValueError
        Keys of both forms or of neither, missing or unexpected keys, arrays
        of the wrong shape, non-numeric or non-finite arrays, or only one of
        the two PCA arrays.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 1 (the VGGish layers) and section 5.1.1 (PCA
       and 8-bit quantisation of the embeddings).
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> arrays = {k: np.zeros(s, np.float32) for k, s in published_keys("torch").items()}
    >>> weights, pca = convert_vggish_arrays(arrays)
    >>> weights["conv2"][0].shape, weights["fc1_1"][0].shape, pca
    ((3, 3, 64, 128), (12288, 4096), None)
    """
    arrays = dict(arrays)
    keys = set(arrays)
    tf_keys, torch_keys = published_keys("tf"), published_keys("torch")
    is_tf = any(k.startswith("vggish/") for k in keys)
    is_torch = any(k.startswith(("features.", "embeddings.")) for k in keys)
    if is_tf == is_torch:
        raise ValueError(
            f"{_describe(path)} holds {'both' if is_tf else 'neither'} the TF release's "
            "variables (vggish/conv1/weights ...) "
            f"{'and' if is_tf else 'nor'} torchvggish's keys (features.0.weight ...); "
            f"found {sorted(keys)[:12]}{' ...' if len(keys) > 12 else ''}."
        )
    expected = tf_keys if is_tf else torch_keys
    prefix = ("vggish/",) if is_tf else ("features.", "embeddings.")
    missing = sorted(set(expected) - keys)
    unexpected = sorted(k for k in keys if k.startswith(prefix) and k not in expected)
    if missing or unexpected:
        form = "TF release" if is_tf else "torchvggish"
        raise ValueError(
            f"{_describe(path)} does not match the {form}'s published VGGish keys: "
            f"missing {missing}, unexpected {unexpected}."
        )
    weights = {}
    for layer, (kernel_shape, bias_shape) in PUBLISHED_SHAPES.items():
        if is_tf:
            kernel = _check_array(arrays, f"{TF_LAYER_NAMES[layer]}/weights", kernel_shape, path)
            bias = _check_array(arrays, f"{TF_LAYER_NAMES[layer]}/biases", bias_shape, path)
        else:
            key = TORCH_LAYER_NAMES[layer]
            kernel = _check_array(arrays, f"{key}.weight", torch_keys[f"{key}.weight"], path)
            kernel = kernel.transpose(2, 3, 1, 0) if kernel.ndim == 4 else kernel.T
            bias = _check_array(arrays, f"{key}.bias", bias_shape, path)
        weights[layer] = [np.ascontiguousarray(kernel), bias]
    pca_names = PCA_KEYS if PCA_KEYS[0] in keys or PCA_KEYS[1] in keys else \
        tuple(f"pproc.{k}" for k in PCA_KEYS)
    return weights, _check_pca(arrays, path, pca_names)


def load_vggish_weights(path, *, pca_params=None):
    """Read the published VGGish weights (and PCA parameters) from disk.

    Loading never executes pickled code: ``.npz`` files are read with
    ``allow_pickle=False``, PyTorch files with ``torch.load(weights_only=True)``
    and Keras ``.weights.h5`` files with h5py. A file with missing, unexpected,
    misshapen or non-finite arrays raises a ``ValueError`` naming them.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz`` with the TF release's checkpoint variables or torchvggish's
        state dict keys; torchvggish's ``.pth`` (needs PyTorch); or a Keras
        ``.weights.h5`` of :func:`skaudio.networks.build_vggish`.
    pca_params : str, os.PathLike or None, default=None
        A file with ``pca_eigen_vectors`` and ``pca_means`` (the TF release's
        ``vggish_pca_params.npz`` or torchvggish's PCA file) when ``path``
        does not hold them.

    Returns
    -------
    weights : dict
        Keras layer name -> ``[kernel, bias]`` for
        :func:`skaudio.networks.build_vggish` (``model.get_layer(name).set_weights``).
    pca : tuple of (eigen_vectors (128, 128), means (128,)) or None
        float64; from ``pca_params`` when given, else from ``path``, else
        None.

    Raises
    ------
    ValueError
        A missing, unreadable or unsafe file (one that would need pickle), or
        arrays that do not match the published network.
    TypeError
        ``path`` that is not a str or os.PathLike.

    See Also
    --------
    skaudio.embedding.convert_vggish_arrays : the same from arrays in memory.
    skaudio.VGGishEmbedder : loads them with ``weights=path``.

    References
    ----------
    .. [1] Z. Xu, "Audio event classification using deep learning methods," MSc
       thesis, Aalto University, School of Electrical Engineering, Espoo,
       2018, Table 1 (the VGGish layers) and section 5.1.1 (PCA
       and 8-bit quantisation of the embeddings).
    .. [2] S. Hershey et al., "CNN architectures for large-scale audio
       classification," Proc. ICASSP, 2017.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "vggish_tf.npz")
    >>> np.savez(path, **{"vggish/conv1/weights": np.zeros((3, 3, 1, 64))})
    >>> load_vggish_weights(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: VGGish weight file '...vggish_tf.npz' does not match the TF release's ...
    """
    pca = None
    if pca_params is not None:  # checked first: a bad small file fails before the big one
        arrays = read_weight_file(pca_params)
        if not any(k in arrays for k in (*PCA_KEYS, *(f"pproc.{k}" for k in PCA_KEYS))):
            raise ValueError(
                f"PCA file {os.fspath(pca_params)!r} holds neither {PCA_KEYS[0]!r} nor "
                f"{PCA_KEYS[1]!r}; found {sorted(arrays)[:12]}."
            )
        names = PCA_KEYS if PCA_KEYS[0] in arrays or PCA_KEYS[1] in arrays else \
            tuple(f"pproc.{k}" for k in PCA_KEYS)
        pca = _check_pca(arrays, os.fspath(pca_params), names)
    weights, file_pca = convert_vggish_arrays(read_weight_file(path), path=os.fspath(path))
    return weights, file_pca if pca is None else pca
