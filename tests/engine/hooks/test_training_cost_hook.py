"""TrainingCostHook on real mmengine Runner runs of a toy model: the cumulative cost equals a hand count (7 samples,
batches of 3 → 3 iterations per epoch, the last batch holding 1 sample), is carried from the checkpoint a run starts
from, from a pretrained trunk's folder and across --resume, and is stamped on every validation; validation time is
not training cost."""
import json
import os.path as osp
import time

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel

from mmdet3d.registry import METRICS, MODELS
from projects.TurboTrain.turbotrain.engine.hooks import TrainingCostHook, read_cost_record
from projects.TurboTrain.turbotrain.models.pretrain.trunk_checkpoint import export_trunk_checkpoint

NUM_SAMPLES = 7
VAL_SLEEP = 0.3  # seconds each validation takes (ToyMetric): must not count as training cost


@MODELS.register_module()
class CostToyModel(BaseModel):
    """y = trunk(x) + head(x), squared error."""

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.trunk = torch.nn.Linear(1, 1)
        self.head = torch.nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs)
        out = self.trunk(x) + self.head(x)
        if mode == 'loss':
            return dict(loss=((out - torch.stack(data_samples)) ** 2).mean())
        return list(out.detach())


@METRICS.register_module()
class CostToyMetric(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results += [float(v) for v in data_samples]

    def compute_metrics(self, results):
        time.sleep(VAL_SLEEP)
        return dict(mean_out=sum(results) / len(results))


def dataset():
    return [dict(inputs=torch.tensor([float(i)]), data_samples=torch.tensor([2.0 * i])) for i in range(NUM_SAMPLES)]


def make_runner(work_dir, max_epochs, batch_size=3, name='run', **kwargs):
    from mmengine.runner import Runner
    loader = dict(dataset=dataset(), batch_size=batch_size, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    return Runner(
        model=kwargs.pop('model', dict(type='CostToyModel')),
        work_dir=str(work_dir),
        experiment_name=f'{name}_{osp.basename(str(work_dir))}_{time.time_ns()}',
        train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_dataloader=dict(loader, batch_size=4),
        val_cfg=dict(),
        val_evaluator=dict(type='CostToyMetric', prefix='toy'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.001)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1),
                           training_cost=dict(type='TrainingCostHook')),
        default_scope='mmdet3d', log_level='WARNING', **kwargs)


def cost_of(work_dir):
    return read_cost_record(str(work_dir))


def counts(cost):
    return (cost['iters'], cost['epochs'], cost['samples'])


def test_cost_equals_a_hand_count_and_is_stamped_on_each_validation(tmp_path):
    start = time.perf_counter()
    runner = make_runner(tmp_path / 'stage1', max_epochs=2)
    runner.train()
    elapsed = time.perf_counter() - start
    cost = cost_of(tmp_path / 'stage1')
    assert cost['complete'] and cost['previous'] == dict(source=None, unknown=False, total=dict(
        iters=0, epochs=0.0, samples=0, wall_seconds=0.0))
    # 2 epochs × ceil(7 / 3) = 6 iterations; 2 × 7 samples (the last batch of each epoch holds 1)
    assert counts(cost['run']) == counts(cost['total']) == (6, 2.0, 14)
    # two validations (val_interval 1) took ≥ 2 × VAL_SLEEP of the elapsed time, and are not counted
    assert 0 < cost['run']['wall_seconds'] < elapsed - 2 * VAL_SLEEP
    assert [counts(v['total']) for v in cost['validations']] == [(3, 1.0, 7), (6, 2.0, 14)]
    assert [v['epoch'] for v in cost['validations']] == [1, 2] and 'toy/mean_out' in cost['validations'][0]['metrics']
    # the checkpoint carries the record too (for the next stage and for --resume)
    meta = torch.load(str(tmp_path / 'stage1' / 'epoch_2.pth'), map_location='cpu', weights_only=False)['meta']
    assert counts(meta['training_cost']['total']) == (6, 2.0, 14)
    # cumulative cost on the validation line of the log (message hub → scalars.json)
    assert runner.message_hub.get_scalar('val/cost/samples').current() == 14


def test_next_stage_and_resume_carry_the_cost(tmp_path):
    make_runner(tmp_path / 'stage1', max_epochs=2).train()  # 6 iterations, 14 samples
    first = cost_of(tmp_path / 'stage1')

    # stage 2 loads stage 1's checkpoint: batches of 2 → 4 iterations per epoch (2+2+2+1 samples)
    make_runner(tmp_path / 'stage2', max_epochs=1, batch_size=2,
                load_from=str(tmp_path / 'stage1' / 'epoch_2.pth')).train()
    second = cost_of(tmp_path / 'stage2')
    assert counts(second['run']) == (4, 1.0, 7)
    assert counts(second['total']) == (10, 3.0, 21)
    assert second['previous']['source'].endswith('epoch_2.pth (checkpoint meta)')
    # the seconds are those that produced the checkpoint (its meta), which the first stage's final record repeats
    meta = torch.load(str(tmp_path / 'stage1' / 'epoch_2.pth'), map_location='cpu', weights_only=False)['meta']
    carried = meta['training_cost']['total']['wall_seconds']
    assert 0 < carried <= first['total']['wall_seconds']
    assert second['total']['wall_seconds'] == pytest.approx(carried + second['run']['wall_seconds'])
    assert [osp.basename(s['work_dir']) for s in second['stages']] == ['stage1', 'stage2']
    assert [counts(v['total']) for v in second['validations']] == [(3, 1.0, 7), (6, 2.0, 14), (10, 3.0, 21)]

    # stage 3: 1 of 2 epochs, then --resume to 2: its own 8 iterations are counted once
    make_runner(tmp_path / 'stage3', max_epochs=1, batch_size=2,
                load_from=str(tmp_path / 'stage2' / 'epoch_1.pth')).train()
    make_runner(tmp_path / 'stage3', max_epochs=2, batch_size=2, resume=True).train()
    third = cost_of(tmp_path / 'stage3')
    assert counts(third['run']) == (8, 2.0, 14)
    assert counts(third['total']) == (18, 5.0, 35)
    assert [osp.basename(s['work_dir']) for s in third['stages']] == ['stage1', 'stage2', 'stage3']
    # every validation once, the one after the resumed checkpoint included
    assert [counts(v['total']) for v in third['validations']] == [
        (3, 1.0, 7), (6, 2.0, 14), (10, 3.0, 21), (14, 4.0, 28), (18, 5.0, 35)]


def test_cost_of_a_pretrained_trunk_is_read_from_its_folder(tmp_path):
    from projects.TurboTrain.turbotrain.models.pretrain import trunk_checkpoint  # noqa: F401 (PretrainedTrunk)
    make_runner(tmp_path / 'pretrain', max_epochs=1).train()  # 3 iterations, 7 samples
    trunk = str(tmp_path / 'pretrain' / 'trunk_pretrained.pth')
    export_trunk_checkpoint(CostToyModel(), trunk)
    model = dict(type='CostToyModel', init_cfg=dict(type='PretrainedTrunk', checkpoint=trunk))
    make_runner(tmp_path / 'finetune', max_epochs=1, model=model).train()
    cost = cost_of(tmp_path / 'finetune')
    assert cost['previous']['source'] == osp.join(str(tmp_path / 'pretrain'), 'cost.json')
    assert counts(cost['total']) == (6, 2.0, 14)

    # a start checkpoint without any cost record is flagged, not silently counted as free
    lone = str(tmp_path / 'elsewhere' / 'trunk.pth')
    export_trunk_checkpoint(CostToyModel(), lone)
    model = dict(type='CostToyModel', init_cfg=dict(type='PretrainedTrunk', checkpoint=lone))
    make_runner(tmp_path / 'lone', max_epochs=1, model=model).train()
    cost = cost_of(tmp_path / 'lone')
    assert cost['previous']['unknown'] and counts(cost['total']) == (3, 1.0, 7)
    # and so is every stage after it
    make_runner(tmp_path / 'after_lone', max_epochs=1, load_from=str(tmp_path / 'lone' / 'epoch_1.pth')).train()
    cost = cost_of(tmp_path / 'after_lone')
    assert cost['previous']['unknown'] and counts(cost['total']) == (6, 2.0, 14)


def test_explicit_previous_record_and_bad_records(tmp_path):
    (tmp_path / 'prev').mkdir()
    (tmp_path / 'prev' / 'cost.json').write_text(json.dumps(dict(
        total=dict(iters=100, epochs=4.0, samples=800, wall_seconds=50.0), stages=[], validations=[])))
    explicit = make_runner(tmp_path / 'explicit', max_epochs=1)
    explicit.register_hook(TrainingCostHook(previous=str(tmp_path / 'prev'), filename='cost_explicit.json'))
    explicit.train()
    with open(tmp_path / 'explicit' / 'cost_explicit.json') as f:
        cost = json.load(f)
    assert counts(cost['total']) == (103, 5.0, 807) and cost['total']['wall_seconds'] > 50.0
    (tmp_path / 'bad.json').write_text('{"x": 1}')
    with pytest.raises(ValueError, match='bad.json: not a training-cost record'):
        read_cost_record(str(tmp_path / 'bad.json'))
