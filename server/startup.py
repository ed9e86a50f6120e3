"""How the Rasa server starts: cold start and memory (issue 19). Every start-up setting of the
project is here, applied by `python -m server` (what `make run`, the tests, the bench and the
scale-out start) before Rasa is imported; measured before and after in docs/benchmarks.md
("Cold start and memory").

- skops first. Rasa loads the LogisticRegressionClassifier with skops, and `import skops.io` builds
  its list of trusted types by looking for the module of every numpy and scipy ufunc through every
  module loaded so far (skops.io._utils.whichmodule). After Rasa has loaded TensorFlow that is
  about 6200 modules and took 13 s (python -X importtime) of a 20 to 31 s cold start on the busy
  bench machine; imported before Rasa, about 1500 modules and 2.4 to 2.8 s. The same modules end
  up loaded either way.
- No JAX. TensorFlow 2.12 imports JAX when it is installed (a dependency of the pinned
  tensorflow), only for TFLite's converter of JAX functions (tensorflow/lite/python/util.py, which
  goes on without it). Our pipeline has no TensorFlow component, let alone TFLite: JAX and its XLA
  library were 65 MB of the server's memory and 1 s of its start. Marked as absent in sys.modules,
  `import jax` raises ImportError, which TensorFlow expects.

The action server (`run actions`) gets none of this: it loads no model and imports no Rasa core.
"""

import sys
from typing import Sequence

# Importable but never imported by the Rasa server (see above).
NOT_IMPORTED = ("jax",)


def rasa_server(arguments: Sequence[str]) -> bool:
    """True when these `rasa` arguments start a process that loads a model (not `run actions`)."""
    return list(arguments[:2]) != ["run", "actions"]


def prepare(arguments: Sequence[str]) -> None:
    """The start-up settings, before Rasa is imported."""
    if not rasa_server(arguments):
        return
    import skops.io  # noqa: F401  (before TensorFlow: see above)

    for unused in NOT_IMPORTED:
        sys.modules.setdefault(unused, None)  # type: ignore[assignment]
