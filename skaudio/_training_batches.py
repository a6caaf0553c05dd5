"""Training batches with class balancing, augmentation and mixup, made while a network trains.

Training-only: :class:`skaudio.estimators.NetworkClassifier` trains every
network on :class:`TrainingBatches` (shuffled from the estimator's own
``random_state``, so no global generator is read; Keras's array path shuffles
with NumPy's), and predicts on the plain input.
"""

import keras
import numpy as np


class TrainingBatches(keras.utils.PyDataset):
    """Training batches, shuffled every epoch, with optional mini-batch class
    balancing, augmentation and mixup, all drawn from ``rng``.

    Balancing (Xu, 5.1.2): the batches are filled from a stream that takes one
    example of every class in turn (in a random class order drawn per epoch,
    each class cycling through its own shuffled examples), so every batch
    holds the classes in equal numbers, to within one, the remainder carried
    over to the next batch.
    Under multi-label targets the pool of a label is every example carrying it.
    An epoch has as many examples as the training set: minority classes are
    repeated, majority classes wait for later epochs.

    Mixup (Zhang et al., Xu eq. 27): each example ``i`` of a batch is mixed
    with example ``perm[i]`` of the same batch, ``x = lam x_i + (1 - lam)
    x_perm[i]``, likewise the one-hot or indicator target and the sample
    weight, with one ``lam ~ Beta(alpha, alpha)`` per example.

    ``augment(batch, rng)``, when given, transforms every batch before mixup
    (see :mod:`skaudio.augment`).
    """

    def __init__(self, X, y, sample_weight, *, batch_size, pools, mixup_alpha, rng,
                 augment=None):
        super().__init__()
        self.augment = augment  # None, or a function (batch, rng) -> augmented batch
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.batch_size = batch_size
        self.pools = pools  # None, or one index array per class
        self.mixup_alpha = mixup_alpha
        self.rng = rng
        self.n_batches = -(-X.shape[0] // batch_size)
        if pools is not None:
            self._cursor = [len(p) for p in pools]  # reshuffle on first use
            self._orders = [None] * len(pools)
        self._plan_epoch()

    def _next_of(self, k):
        if self._cursor[k] == len(self.pools[k]):
            self._orders[k] = self.rng.permutation(self.pools[k])
            self._cursor[k] = 0
        self._cursor[k] += 1
        return self._orders[k][self._cursor[k] - 1]

    def _plan_epoch(self):
        n = self.X.shape[0]
        if self.pools is None:
            self.order = self.rng.permutation(n)
            return
        # One class order per epoch, cycled: every window of the stream (a batch)
        # then holds each class equally often, to within one.
        classes = self.rng.permutation(len(self.pools))
        self.order = np.asarray([self._next_of(classes[i % classes.size]) for i in range(n)])

    def on_epoch_end(self):
        self._plan_epoch()

    @property
    def num_batches(self):
        return self.n_batches

    def __len__(self):
        return self.n_batches

    def __getitem__(self, index):
        idx = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        x, y = self.X[idx], self.y[idx]
        sw = None if self.sample_weight is None else self.sample_weight[idx]
        if self.augment is not None:
            x = self.augment(x, self.rng)
        if self.mixup_alpha > 0 and len(idx) > 1:
            lam = self.rng.beta(self.mixup_alpha, self.mixup_alpha, size=len(idx))
            perm = self.rng.permutation(len(idx))
            lx = lam.reshape((-1,) + (1,) * (x.ndim - 1)).astype(x.dtype)
            x = lx * x + (1 - lx) * x[perm]
            ly = lam.reshape(-1, 1).astype(y.dtype)
            y = ly * y + (1 - ly) * y[perm]
            if sw is not None:
                sw = lam * sw + (1 - lam) * sw[perm]
        return (x, y) if sw is None else (x, y, sw)
