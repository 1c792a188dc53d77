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


def load_local_checkpoint(filename: str, map_location=None):
    """mmengine's local-file checkpoint loader with ``weights_only=False``.

    mmengine 0.10.7 was written for torch < 2.6, whose ``torch.load`` unpickled everything; from 2.6 on the default
    is ``weights_only=True``, which rejects the message-hub state (``HistoryBuffer``, numpy scalars) that every
    mmengine checkpoint carries, so ``--resume`` fails. Checkpoints are files the user trained or chose to load,
    so they are trusted exactly as mmengine intended; only local paths go through here.
    """
    import os.path as osp
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def register_trusted_checkpoint_loader() -> None:
    """Make mmengine's ``CheckpointLoader`` use :func:`load_local_checkpoint` for local paths."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_local_checkpoint)


register_trusted_checkpoint_loader()
