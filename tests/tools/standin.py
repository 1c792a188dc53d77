"""Test-only components: a rank-recording hook (and a stand-in model used until the real tiny config landed).

Imported by configs through ``custom_imports=dict(imports=['tests.tools.standin'])``.
"""
import json
import os
import os.path as osp

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook

from mmdet3d.registry import HOOKS


@HOOKS.register_module()
class RankRecordHook(Hook):
    """Writes ``rank<r>.jsonl`` in the work dir: one line per train iteration with the rank, world size, iteration
    and the sample indices of the batch (so a test can check that every rank trained on its own shard)."""

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        samples = data_batch.get('data_samples', []) if isinstance(data_batch, dict) else []
        indices = [int(s.metainfo.get('sample_idx', -1)) for s in samples if hasattr(s, 'metainfo')]
        record = dict(rank=get_rank(), world_size=get_world_size(), iter=runner.iter, indices=indices,
                      loss=float(outputs['loss']) if outputs and 'loss' in outputs else None)
        with open(osp.join(runner.work_dir, f'rank{get_rank()}.jsonl'), 'a') as f:
            f.write(json.dumps(record) + '\n')


def read_rank_records(work_dir: str) -> dict:
    """``{rank: [record, ...]}`` from the files :class:`RankRecordHook` wrote."""
    records = {}
    for name in sorted(os.listdir(work_dir)):
        if name.startswith('rank') and name.endswith('.jsonl'):
            with open(osp.join(work_dir, name)) as f:
                rows = [json.loads(line) for line in f if line.strip()]
            records[rows[0]['rank']] = rows
    return records


__all__ = ['RankRecordHook', 'read_rank_records', 'torch']
