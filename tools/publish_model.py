#!/usr/bin/env python
"""Publish a training checkpoint: weights and plain metadata only, loadable with ``torch.load(weights_only=True)``.

    tools/publish_model.py IN_FILE OUT_FILE

Writes ``OUT_FILE`` with its name suffixed by the first 8 hex digits of its SHA-256 (``model.pth`` →
``model-1a2b3c4d.pth``, the OpenMMLab convention) and prints that path. Kept: ``state_dict`` and ``meta`` (epoch,
iteration, versions, dataset metainfo, the config text), converted to plain Python types; dropped: optimizer,
schedulers and message hub (training state, only needed by ``--resume``).

Why our own: a training checkpoint pickles mmengine objects (``ConfigDict``, ``HistoryBuffer``, numpy scalars), which
torch >= 2.6's default ``weights_only=True`` loading refuses, so mmdet3d's ``publish_model.py`` fails on it. IN_FILE is
therefore loaded with ``weights_only=False``: publish only checkpoints you trust (your own training runs).
"""
import argparse
import hashlib
import os
import os.path as osp
import sys

import _cli  # first: puts the repo root on sys.path

#: ``meta`` entries kept in the published file (plain values only)
META_KEYS = ('epoch', 'iter', 'seed', 'experiment_name', 'time', 'mmengine_version', 'mmengine', 'torch',
             'dataset_meta', 'cfg')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Strip a training checkpoint to weights + plain metadata')
    parser.add_argument('in_file', help='training checkpoint (e.g. work_dirs/demo_turbotrain/epoch_6.pth)')
    parser.add_argument('out_file', help='output path; the SHA-256 prefix is added to its name')
    return parser.parse_args(argv)


def plain(value):
    """``value`` as plain Python (dict, list, str, int, float, bool, None) or tensors: mappings (``ConfigDict``) to
    dicts, sequences to lists, numpy scalars/arrays to Python numbers/lists, anything else to its ``str``."""
    import numpy as np
    import torch
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return str(value)


def publish(in_file: str, out_file: str) -> str:
    """Write the published checkpoint for ``in_file`` next to ``out_file`` (name + SHA-256 prefix); return its path."""
    import torch
    _cli.check_checkpoint(in_file, 'checkpoint')
    checkpoint = torch.load(in_file, map_location='cpu', weights_only=False)
    if not isinstance(checkpoint, dict):
        _cli.fail(f'{in_file} is not a checkpoint dict (got {type(checkpoint).__name__})')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not state_dict or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        _cli.fail(f'{in_file} has no state_dict of tensors')
    meta = checkpoint.get('meta') or {}
    published = dict(state_dict={k: v.detach().clone().contiguous() for k, v in state_dict.items()},
                     meta={k: plain(meta[k]) for k in META_KEYS if k in meta})
    stem, ext = osp.splitext(out_file)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    tmp = f'{stem}.tmp{os.getpid()}{ext or ".pth"}'
    torch.save(published, tmp)
    with open(tmp, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    final = f'{stem}-{sha[:8]}{ext or ".pth"}'
    os.replace(tmp, final)
    torch.load(final, map_location='cpu', weights_only=True)  # the point of publishing: check it
    return final


def main(argv=None) -> int:
    args = parse_args(argv)
    print(publish(args.in_file, args.out_file))
    return 0


if __name__ == '__main__':
    sys.exit(main())
