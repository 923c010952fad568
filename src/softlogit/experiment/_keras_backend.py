"""What both Keras engines share: a quiet import and the floating type of a run.

Keras 3 runs on TensorFlow, PyTorch or JAX; the backend is fixed for a process when
``keras`` is first imported (``KERAS_BACKEND``). The engines work on all three and
record which one ran.

TensorFlow writes log lines from C++ on standard error when it is imported (the
oneDNN notice, absl's "All log messages before absl::InitializeLog()" warning), and
``TF_CPP_MIN_LOG_LEVEL`` does not reach the ones written before absl is initialized.
:func:`import_keras_backend` therefore sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless it is
set) and captures the process's standard error while Keras and its backend are
imported, then writes back every captured line that is not one of those
informational lines, so errors still show.

Float64 runs need three settings, all restored afterwards by :func:`keras_dtype`:
``keras.config.set_floatx`` (optimizers and new tensors), ``set_dtype_policy``
(Keras caches the default policy of new layers once a layer was built, so floatx
alone does not change it) and, on JAX, ``jax_enable_x64`` (without it JAX silently
makes every float64 array float32).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from softlogit.errors import MissingExtraError

__all__ = [
    "BACKENDS",
    "import_keras_backend",
    "keras_dtype",
    "keras_versions",
    "no_grad",
    "one_step_per_network",
    "quiet_native_logs",
]

BACKENDS: tuple[str, ...] = ("tensorflow", "torch", "jax")

# absl/glog-style informational lines (I or W, then the date) and absl's notice
# about logging before its initialization; everything else is written back
_NOISE = re.compile(
    r"^(?:[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] .*|"
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are "
    r"written to STDERR)$"
)


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Capture file descriptor 2 (native libraries write there directly) and write
    back what is not TensorFlow's informational import noise."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no real fd
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
            kept = [ln for ln in text.splitlines() if ln and not _NOISE.match(ln)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
                sys.stderr.flush()


def import_keras_backend() -> tuple[Any, str]:
    """``(keras, backend name)``, importing Keras and its backend quietly.

    Raises
    ------
    MissingExtraError
        If Keras is not installed.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "keras" not in sys.modules:
        with quiet_native_logs():
            try:
                import keras
            except ImportError:  # pragma: no cover - keras is installed in CI
                raise MissingExtraError("Keras 3", "keras") from None
            backend = keras.backend.backend()
            if backend == "tensorflow":
                import tensorflow  # noqa: F401 - its import logs, captured here
    import keras

    return keras, str(keras.backend.backend())


def keras_versions(keras: Any) -> dict[str, str]:
    """The versions an engine records: Keras, its backend and the backend's version."""
    backend = str(keras.backend.backend())
    module = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}[backend]
    version = getattr(sys.modules.get(module), "__version__", "unknown")
    return {"keras": str(keras.__version__), "keras_backend": backend, module: version}


@contextlib.contextmanager
def keras_dtype(keras: Any, dtype: str) -> Iterator[None]:
    """Keras' floatx and default dtype policy (and JAX's x64 flag) set to ``dtype``.

    All three are restored on exit. JAX's x64 flag is switched on for float64 only
    and left as it was otherwise. On the torch backend, torch also runs on one
    thread meanwhile (the experiment's matrices are small: more threads only
    synchronize), as in the PyTorch engine.
    """
    floatx = keras.config.floatx()
    policy = keras.config.dtype_policy()
    jax_config: Any = None
    x64 = False
    if keras.backend.backend() == "jax" and dtype == "float64":
        import jax

        jax_config = jax.config
        x64 = bool(jax_config.jax_enable_x64)
        jax_config.update("jax_enable_x64", True)
    threads = None
    if keras.backend.backend() == "torch":
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)
        if threads is not None:
            import torch

            torch.set_num_threads(threads)
        if jax_config is not None:
            jax_config.update("jax_enable_x64", x64)


@contextlib.contextmanager
def one_step_per_network(backend: str) -> Iterator[None]:
    """Silence TensorFlow's retracing warning while the networks train; restore it.

    The exact engine compiles one ``tf.function`` step per network, by design (each
    network has its own variables). TensorFlow's frequent-retracing detector keys
    on the step's code, not on the compiled function, so from the fifth network on
    it warns about "retracing" that is not; its logger's level is raised to ERROR
    meanwhile (other backends: nothing to do).
    """
    if backend != "tensorflow":
        yield
        return
    import logging

    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def no_grad(backend: str) -> contextlib.AbstractContextManager[object]:
    """``torch.no_grad()`` on the torch backend (values read for a record need no
    graph); nothing elsewhere."""
    if backend == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()
