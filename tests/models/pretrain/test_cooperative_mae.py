"""CoopMAE with the stand-in trunk: losses, encoder never sees masked points, labels never read."""
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from projects.TurboTrain.turbotrain.models.pretrain import CoopMAE, ReconstructionMetric
from .standin import mae_config, synthetic_inputs


def build(**kwargs) -> CoopMAE:
    torch.manual_seed(0)
    model = MODELS.build(mae_config(**kwargs))
    model.init_weights()
    return model


def point_set(clouds):
    return {tuple(p) for c in clouds for p in c.tolist()}


def test_loss_keys_backward_and_masked_points_never_reach_the_trunk():
    model = build(ratio=0.7)
    inputs = synthetic_inputs()
    losses = model.loss(inputs)
    assert set(losses) == {'recon.loss_chamfer', 'recon.loss_occupancy'}
    assert all(torch.isfinite(v) and v.item() > 0 for v in losses.values())
    sum(losses.values()).backward()
    assert model.trunk.encoder.weight.grad is not None and model.trunk.encoder.weight.grad.abs().sum() > 0
    assert model.recon_head.out.weight.grad.abs().sum() > 0

    # the spy inside the trunk saw exactly the kept clouds: no masked point, every kept point
    seen = model.trunk.seen_points
    assert len(seen) == len(inputs['points'])
    valid = (inputs['agent_frame_valid'] & inputs['agent_valid'][..., None]).flatten()
    total_masked = 0
    for i, (cloud, got) in enumerate(zip(inputs['points'], seen)):
        column_ids = model.masking.column_ids(cloud)
        occupied = int(torch.unique(column_ids[column_ids >= 0]).numel())
        masked_now = cloud.shape[0] - got.shape[0]
        if valid[i] and occupied:
            got_columns = set(model.masking.column_ids(got).tolist()) - {-1}
            # round(0.7 · occupied) columns are gone from what the trunk saw, every point of them
            assert len(got_columns) == occupied - int(0.7 * occupied + 0.5)
            assert masked_now > 0
        assert point_set([got]) <= point_set([cloud])
        total_masked += masked_now
    assert total_masked > 0


def test_zero_ratio_masks_nothing_and_chamfer_is_zero():
    model = build(ratio=0.0)
    inputs = synthetic_inputs()
    losses = model.loss(inputs)
    assert losses['recon.loss_chamfer'].item() == 0.0
    assert all(torch.equal(a, b) for a, b in zip(model.trunk.seen_points, inputs['points']))


def test_train_masks_change_between_iterations_predict_masks_fixed():
    model = build()
    inputs = synthetic_inputs()
    first = model.reconstruct(inputs).mask.masked_columns
    second = model.reconstruct(inputs).mask.masked_columns
    assert any(not torch.equal(a, b) for a, b in zip(first, second))
    model.eval()
    p1 = [s.recon_metrics for s in model.predict(inputs)]
    p2 = [s.recon_metrics for s in model.predict(inputs)]
    assert p1 == p2


def masks_of_next_batches(model, inputs, n):
    """The masked columns of every cloud of ``n`` training batches, as nested lists."""
    return [[cols.tolist() for cols in model.reconstruct(inputs).mask.masked_columns] for _ in range(n)]


def checkpoint_round_trip(model) -> dict:
    """The model's state as the Runner saves it and reads it back (mmengine's checkpoint helpers)."""
    from mmengine.runner.checkpoint import get_state_dict, weights_to_cpu
    return weights_to_cpu(get_state_dict(model))


def test_resumed_model_draws_the_masks_of_the_uninterrupted_run(monkeypatch):
    """The checkpoint keeps the masking seed and the number of batches drawn: a model rebuilt with another seed
    and loaded from it draws the masks that the uninterrupted model draws next, per rank."""
    from mmengine.runner.checkpoint import load_state_dict

    from projects.TurboTrain.turbotrain.models.pretrain import cooperative_mae
    inputs = synthetic_inputs()
    uninterrupted = masks_of_next_batches(build(seed=5), inputs, 3)
    interrupted = build(seed=5)
    masks_of_next_batches(interrupted, inputs, 1)
    state = checkpoint_round_trip(interrupted)
    assert state['_extra_state'].tolist() == [5, 1]

    resumed = build(seed=9)
    assert masks_of_next_batches(build(seed=9), inputs, 2) != uninterrupted[1:]  # another seed, other masks
    load_state_dict(resumed, state, strict=True)
    assert masks_of_next_batches(resumed, inputs, 2) == uninterrupted[1:]

    # rank 1 draws its own masks, and keeps drawing its own after loading rank 0's checkpoint
    monkeypatch.setattr(cooperative_mae, 'get_rank', lambda: 1)
    rank1_uninterrupted = masks_of_next_batches(build(seed=5), inputs, 3)
    assert rank1_uninterrupted[1:] != uninterrupted[1:]
    rank1_resumed = build(seed=9)
    load_state_dict(rank1_resumed, state, strict=True)
    assert masks_of_next_batches(rank1_resumed, inputs, 2) == rank1_uninterrupted[1:]


def test_bad_extra_state_is_refused():
    with pytest.raises(ValueError, match='extra state'):
        build().set_extra_state(torch.tensor([1, 2, 3]))


class LabelSpySample(Det3DDataSample):
    """A data sample that fails the test whenever a label field is read."""

    touched = []

    def __getattribute__(self, name):
        if name.startswith('gt_') or name in ('eval_ann_info', 'ann_info') or 'instances' in name:
            LabelSpySample.touched.append(name)
            raise AssertionError(f'the pretraining path read the label field {name}')
        return super().__getattribute__(name)


def spy_samples(batch):
    samples = []
    for b in range(batch):
        sample = LabelSpySample(metainfo=dict(sample_idx=b))
        object.__setattr__(sample, '_secret_gt', InstanceData(labels_3d=torch.tensor([1])))
        samples.append(sample)
    return samples


def test_pretraining_never_reads_labels():
    model = build()
    inputs = synthetic_inputs()
    LabelSpySample.touched.clear()
    losses = model(inputs, spy_samples(2), mode='loss')
    assert set(losses) == {'recon.loss_chamfer', 'recon.loss_occupancy'}
    model.eval()
    outputs = model(inputs, spy_samples(2), mode='predict')
    assert LabelSpySample.touched == []
    assert [o.metainfo['sample_idx'] for o in outputs] == [0, 1]
    counts = outputs[0].recon_metrics
    assert counts['num_cells'] == counts['num_masked_cells'] > 0
    assert counts['tp'] + counts['fn'] > 0


def test_metric_aggregates_counts():
    metric = ReconstructionMetric()
    first = dict(chamfer_sum=1.0, num_cells=2, tp=3, fp=1, fn=1, masked_tp=1, num_masked_cells=2)
    second = dict(chamfer_sum=2.0, num_cells=1, tp=1, fp=3, fn=0, masked_tp=1, num_masked_cells=1)
    metric.process({}, [dict(recon_metrics=first), dict(recon_metrics=second)])
    out = metric.compute_metrics(metric.results)
    assert out['chamfer'] == 1.0  # 3 / 3
    assert out['occ_precision'] == 0.5  # 4 / 8
    assert out['occ_recall'] == 0.8  # 4 / 5
    assert abs(out['masked_recall'] - 2 / 3) < 1e-12


def test_train_step_parse_losses_attaches_task_losses():
    model = build()
    from mmengine.optim import OptimWrapper
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))
    log_vars = model.train_step(dict(inputs=synthetic_inputs(), data_samples=None), wrapper)
    assert 'recon.loss_chamfer' in log_vars and 'loss' in log_vars
    loss, _ = model.parse_losses(model.loss(synthetic_inputs()))
    assert set(loss.task_losses) == {'recon'}


def test_predict_outputs_feed_the_evaluator():
    from mmengine.evaluator import Evaluator
    model = build()
    model.eval()
    outputs = model.predict(synthetic_inputs())
    evaluator = Evaluator(dict(type='ReconstructionMetric'))
    evaluator.process(outputs)
    results = evaluator.evaluate(2)
    expected = model.reconstruction_counts(model.reconstruct(synthetic_inputs(),
                                                             generator=torch.Generator().manual_seed(0)))
    cells = sum(c['num_cells'] for c in expected)
    assert results['recon/chamfer'] == pytest.approx(sum(c['chamfer_sum'] for c in expected) / cells)
    assert set(results) >= {'recon/chamfer', 'recon/occ_precision', 'recon/occ_recall', 'recon/masked_recall'}


def test_val_mask_ratio_is_used_for_evaluation_only():
    cfg = mae_config(ratio=0.3)
    cfg['val_mask_ratio'] = 0.7
    model = MODELS.build(cfg)
    model.eval()
    inputs = synthetic_inputs()
    with model.evaluation_masking():
        assert model.masking.ratio == 0.7
        mask = model.reconstruct(inputs, generator=torch.Generator().manual_seed(0)).mask
    assert model.masking.ratio == 0.3
    assert all(len(c) == int(0.7 * int(n) + 0.5) for c, n in zip(mask.masked_columns, mask.num_occupied))
    outputs = model.predict(inputs)
    assert model.masking.ratio == 0.3
    assert sum(o.recon_metrics['num_masked_cells'] for o in outputs) > 0
