"""CPU compatibility patches, applied once when ``turbotrain`` is imported.

spconv's CPU build asks ``torch.cuda.current_stream()`` for a stream handle in its forward and backward kernels
(``spconv.pytorch.cppcore.get_current_stream``, imported by name into ``ops`` and ``hash``), which raises
"Torch not compiled with CUDA enabled" on a CPU-only torch. On such machines the handle is irrelevant (CPU kernels
ignore it), so we make the getter return 0. Nothing is patched when CUDA is available or spconv is absent.
"""
import importlib
import importlib.util
from typing import Callable, List

import torch

_SPCONV_MODULES_WITH_STREAM_GETTER = ('spconv.pytorch.cppcore', 'spconv.pytorch.ops', 'spconv.pytorch.hash')


def _null_stream() -> int:
    """The stream handle spconv passes to its kernels; 0 (the default stream) where CUDA is absent."""
    return 0


def patch_spconv_for_cpu(force: bool = False) -> List[str]:
    """Replace spconv's CUDA stream getter by :func:`_null_stream` when CUDA is unavailable.

    Args:
        force: patch even if CUDA is available (tests only).

    Returns:
        The names of the modules patched (empty when nothing was needed or spconv is not installed).
    """
    if torch.cuda.is_available() and not force:
        return []
    if importlib.util.find_spec('spconv') is None:
        return []
    patched = []
    for name in _SPCONV_MODULES_WITH_STREAM_GETTER:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        getter: Callable = getattr(module, 'get_current_stream', None)
        if getter is not None and getter is not _null_stream:
            module.get_current_stream = _null_stream
            patched.append(name)
    return patched


PATCHED_SPCONV_MODULES = patch_spconv_for_cpu()
