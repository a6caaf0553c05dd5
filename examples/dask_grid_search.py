"""Grid search of a CNN pipeline on a Dask cluster: one machine or many
====================================================================

    pip install "skaudio[dask]"
    python examples/dask_grid_search.py                      # a local cluster
    python examples/dask_grid_search.py tcp://scheduler:8786  # a real one

scikit-learn hands a grid search's fits to joblib, and joblib's ``"dask"``
backend hands them to a ``dask.distributed`` cluster: the search code does
not change, only the ``with`` block around ``fit``. skaudio's estimators
pickle their trained Keras models, so fitted pipelines travel between the
workers and this process.

On a real cluster (start it with ``dask scheduler`` on one machine and
``dask worker tcp://scheduler:8786 --nthreads 1`` on each of the others, or
with dask-jobqueue, dask-kubernetes, ...), every worker needs the same
versions of skaudio, scikit-learn, Keras and JAX as this process. The arrays
are sent to the workers by joblib; for datasets that do not fit in memory,
give every worker the same file paths (shared storage) and put an
``AudioLoader`` first in the pipeline. One thread per worker is best: Keras
and the front-ends already use the cores they are given.

The same code runs on Ray: ``from ray.util.joblib import register_ray;
register_ray()`` and ``joblib.parallel_backend("ray")``.

.. note::

   Not run when this documentation is built: it starts a Dask cluster and trains a CNN
   per candidate and fold (needs ``skaudio[dask]``).
"""

import sys

import joblib
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from skaudio import make_frontend_pipeline
from skaudio.datasets import make_audio_classification


def main(address=None):
    data = make_audio_classification(n_samples=96, n_classes=3, duration=0.5, sr=16000,
                                     gain_db=(-20, 0), random_state=0)
    pipe = make_frontend_pipeline(
        "persa+", sr=16000, n_fft=512, hop_length=256, n_mels=32, random_state=0,
        filters=(8, 16), dense_units=16, epochs=5, batch_size=16, run_eagerly=True)
    search = GridSearchCV(
        pipe, {"persaplus__q": [3, 9, 15], "vgglikeclassifier__dropout": [0.1, 0.3]},
        cv=StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0), n_jobs=-1)

    # A scheduler's address connects to a running cluster; without one, start
    # two local worker processes (one thread each) on the loopback interface.
    cluster = None if address else LocalCluster(n_workers=2, threads_per_worker=1,
                                                host="127.0.0.1", dashboard_address=None)
    with Client(address or cluster) as client:
        print(f"cluster: {len(client.scheduler_info()['workers'])} workers")
        with joblib.parallel_backend("dask"):
            search.fit(data.data, data.target, groups=data.groups)
    if cluster is not None:
        cluster.close()
    print(f"best parameters {search.best_params_}, CV accuracy {search.best_score_:.3f}")
    return search


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
