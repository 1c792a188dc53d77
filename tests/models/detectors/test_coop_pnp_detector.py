import copy

import torch
from mmengine.optim import OptimWrapper

from mmdet3d.registry import MODELS
from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate
from tests.models.coop_fakes import make_packed_sample, tiny_model_cfg

torch.set_num_threads(1)


def build_model(**test_cfg):
    torch.manual_seed(0)
    cfg = tiny_model_cfg(history=2, future=4)
    cfg['test_cfg'].update(test_cfg)
    return MODELS.build(cfg)


def data(num_agents=(2, 3), seeds=(0, 1)):
    return coop_collate([make_packed_sample(num_agents=a, seed=s) for a, s in zip(num_agents, seeds)])


def test_losses_grouped_by_task_and_task_losses_sum_to_total():
    model = build_model()
    batch = model.data_preprocessor(data(), True)
    losses = model(**batch, mode='loss')
    assert set(losses) == {'det.loss_heatmap', 'det.loss_bbox', 'pred.loss_traj'}
    total, log_vars = model.parse_losses(losses)
    assert list(total.task_losses) == ['det', 'pred']
    assert torch.allclose(total.task_losses['det'], losses['det.loss_heatmap'] + losses['det.loss_bbox'])
    assert torch.allclose(total, sum(total.task_losses.values()))
    assert total.task_losses['pred'].requires_grad
    assert {'loss', 'loss_det', 'loss_pred', 'det.loss_bbox'} <= set(log_vars)


def test_trunk_holds_every_shared_parameter():
    model = build_model()
    names = [name for name, _ in model.named_parameters()]
    assert all(n.startswith(('trunk.', 'bbox_head.', 'traj_head.')) for n in names)
    # a task head's parameters get no gradient from the other task; the trunk gets both
    batch = model.data_preprocessor(data(), True)
    total, _ = model.parse_losses(model(**batch, mode='loss'))
    det_grads = torch.autograd.grad(total.task_losses['det'], list(model.traj_head.parameters()),
                                    allow_unused=True, retain_graph=True)
    assert all(g is None for g in det_grads)


def test_tiny_model_trains_and_predicts_trajectories():
    model = build_model()
    optim_wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=3e-3))
    batch_data = data()
    history = []
    for _ in range(8):
        log_vars = model.train_step(batch_data, optim_wrapper)
        history.append(float(log_vars['loss']))
    assert history[-1] < history[0]
    model.eval()
    with torch.no_grad():
        predictions = model.test_step(batch_data)
    assert len(predictions) == 2
    for sample in predictions:
        pred = sample.pred_instances_3d
        assert pred.bboxes_3d.tensor.shape[1] == 7 and pred.labels_3d.dtype == torch.int64
        assert pred.trajs.shape == (len(pred.scores_3d), 4, 2)
        centres = pred.bboxes_3d.gravity_center[:, :2]
        assert torch.isfinite(pred.trajs).all() and centres.shape[0] == pred.trajs.shape[0]


def test_ego_only_ablation_equals_a_sample_without_cooperators():
    model = build_model(ego_only=True).eval()
    full = make_packed_sample(num_agents=3, seed=7)
    alone = make_packed_sample(num_agents=3, seed=7)
    alone['inputs'] = dict(points=full['inputs']['points'][:2],
                           agent_poses=full['inputs']['agent_poses'][:1],
                           agent_frame_valid=full['inputs']['agent_frame_valid'][:1],
                           agent_types=full['inputs']['agent_types'][:1])
    with torch.no_grad():
        feats_full, _, traj_full = model(**model.data_preprocessor(coop_collate([full])), mode='tensor')
        model.test_cfg['ego_only'] = False
        feats_alone, _, traj_alone = model(**model.data_preprocessor(coop_collate([alone])), mode='tensor')
        feats_coop, _, _ = model(**model.data_preprocessor(coop_collate([full])), mode='tensor')
    assert torch.allclose(feats_full['bev'], feats_alone['bev'], atol=1e-5)
    assert torch.allclose(traj_full, traj_alone, atol=1e-5)
    assert not torch.allclose(feats_coop['bev'], feats_alone['bev'])


def test_current_frame_only_ablation_drops_history():
    model = build_model(current_frame_only=True).eval()
    sample = make_packed_sample(num_agents=2, seed=8)
    single = copy.deepcopy(sample)
    single['inputs']['points'] = [sample['inputs']['points'][i] for i in (1, 3)]
    for key in ('agent_poses', 'agent_frame_valid'):
        single['inputs'][key] = sample['inputs'][key][:, 1:]
    with torch.no_grad():
        dropped, _, _ = model(**model.data_preprocessor(coop_collate([sample])), mode='tensor')
        model.test_cfg['current_frame_only'] = False
        one_frame, _, _ = model(**model.data_preprocessor(coop_collate([single])), mode='tensor')
    assert torch.allclose(dropped['bev'], one_frame['bev'], atol=1e-5)


def test_task_losses_reach_the_optimizer_wrapper_through_ddp():
    """MMDistributedDataParallel.train_step calls ``self.module.parse_losses``: ``task_losses`` must survive."""
    import socket

    import torch.distributed as dist
    from mmengine.model import MMDistributedDataParallel

    class RecordingWrapper(OptimWrapper):
        def update_params(self, loss, **kwargs):
            self.seen = loss
            super().update_params(loss, **kwargs)

    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=0, world_size=1)
    try:
        model = MMDistributedDataParallel(module=build_model())
        wrapper = RecordingWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
        model.train_step(data(), wrapper)
        assert set(wrapper.seen.task_losses) == {'det', 'pred'}
        assert torch.allclose(wrapper.seen, sum(wrapper.seen.task_losses.values()))
    finally:
        dist.destroy_process_group()


def test_predictions_report_the_communication_at_t0():
    model = build_model().eval()
    batch_data = data(num_agents=(1, 3), seeds=(0, 1))
    batch_data['inputs'][1]['agent_frame_valid'][2, -1] = False  # agent 2 has no current frame: sends nothing now
    with torch.no_grad():
        predictions = model.test_step(batch_data)
    per_map = 16 * 32 * 32 * 4
    assert [(p.comm_bytes, p.comm_senders) for p in predictions] == [(0, 0), (per_map, 1)]
    ego_only = build_model(ego_only=True).eval()
    with torch.no_grad():
        assert [p.comm_senders for p in ego_only.test_step(data())] == [0, 0]
