"""CPU compatibility patches, applied once when ``turbotrain`` is imported.

spconv's CPU build asks ``torch.cuda.current_stream()`` for a stream handle in its forward and backward kernels
(``spconv.pytorch.cppcore.get_current_stream``, imported by name into ``ops`` and ``hash``), which raises
"Torch not compiled with CUDA enabled" on a CPU-only torch. On such machines the handle is irrelevant (CPU kernels
ignore it), so we make the getter return 0. Nothing is patched when CUDA is available or spconv is absent.

spconv's CPU convolution (gather → ``torch.mm`` → scatter-add per kernel offset, ``spconv.pytorch.ops``) gives
wrong, run-to-run different features when torch runs more than one intra-op thread (seen with spconv 2.3.8 and 2
threads: errors of O(1) against the same gather-mm-scatter written in torch ops), and its many small matmuls are
also much slower multi-threaded on a busy machine. :func:`patch_spconv_cpu_threads` runs those CPU kernels with one
torch thread (CUDA tensors are untouched), which makes them exact and deterministic.
"""
import functools
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

# spconv.pytorch.ops functions whose CPU path is gather / mm / scatter over the features (first argument).
_SPCONV_CPU_KERNELS = ('indice_conv', 'indice_conv_backward', 'indice_maxpool', 'indice_maxpool_backward')


def _single_threaded_on_cpu(kernel: Callable) -> Callable:
    """``kernel(features, ...)`` run with one torch intra-op thread when ``features`` is a CPU tensor."""

    @functools.wraps(kernel)
    def wrapper(features, *args, **kwargs):
        if features.is_cuda:
            return kernel(features, *args, **kwargs)
        threads = torch.get_num_threads()
        if threads == 1:
            return kernel(features, *args, **kwargs)
        torch.set_num_threads(1)
        try:
            return kernel(features, *args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    wrapper.__turbotrain_single_threaded__ = True
    return wrapper


def patch_spconv_cpu_threads() -> List[str]:
    """Wrap spconv's CPU conv / pool kernels (``spconv.pytorch.ops``) by :func:`_single_threaded_on_cpu`.

    Idempotent; the functional layer looks them up as ``ops.<name>`` at call time, so every sparse conv module
    (mmdet3d's ``SparseEncoder`` included) is covered.

    Returns:
        The names of the functions wrapped by this call (empty when spconv is absent or already patched).
    """
    if importlib.util.find_spec('spconv') is None:
        return []
    try:
        ops = importlib.import_module('spconv.pytorch.ops')
    except ImportError:
        return []
    patched = []
    for name in _SPCONV_CPU_KERNELS:
        kernel = getattr(ops, name, None)
        if kernel is not None and not getattr(kernel, '__turbotrain_single_threaded__', False):
            setattr(ops, name, _single_threaded_on_cpu(kernel))
            patched.append(name)
    return patched


SINGLE_THREADED_SPCONV_KERNELS = patch_spconv_cpu_threads()


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
