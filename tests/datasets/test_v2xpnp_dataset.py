"""V2XPnPSeqDataset: sample construction rules, ego-frame geometry against hand-computed values, labels/futures,
missing frames, load_labels=False, test mode, DataLoader workers on bad data, generator round trip."""
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from tests.datasets.tiny_scene import (CAR_ID, PED_ID, agent_points, car_surface_points, convert_quietly,
                                       inside_box, make_bad_scene, make_tiny_scene, tiny_dataset)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def tiny_root(tmp_path):
    make_tiny_scene(str(tmp_path), 'bin')
    convert_quietly(str(tmp_path))
    return str(tmp_path)


def _samples(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def test_collaboration_modes_and_agent_order(tiny_root):
    def egos_and_agents(**kwargs):
        return [(s['frame'], s['ego_id'], s['agent_ids']) for s in _samples(tiny_dataset(tiny_root, **kwargs))]

    # H=3, Δ=1 → t0 ∈ frames 3..5 (full history); ego first, cooperators by id
    assert egos_and_agents() == [(f, e, a) for f in ('000003', '000004', '000005')
                                 for e, a in ((1, [1, -1, 2]), (2, [2, -1, 1]))]
    assert {(e, tuple(a)) for _, e, a in egos_and_agents(collaboration_mode='v2v')} == {(1, (1, 2)), (2, (2, 1))}
    assert {(e, tuple(a)) for _, e, a in egos_and_agents(collaboration_mode='infrastructure_centric')} == \
        {(-1, (-1, 1, 2))}
    assert {(e, tuple(a)) for _, e, a in egos_and_agents(collaboration_mode='i2i')} == {(-1, (-1,))}
    assert {e for _, e, _ in egos_and_agents(collaboration_mode='all')} == {-1, 1, 2}
    # distances at t0: 1↔-1 14.1 m, 1↔2 22.4 m, 2↔-1 22.4 m
    assert {(e, tuple(a)) for _, e, a in egos_and_agents(comm_range=20.0)} == {(1, (1, -1)), (2, (2,))}
    assert {(e, tuple(a)) for _, e, a in egos_and_agents(max_agents=2)} == {(1, (1, -1)), (2, (2, -1))}
    assert len(egos_and_agents(history_frames=1)) == 10  # every frame usable
    assert len(egos_and_agents(require_full_history=False)) == 10
    with pytest.raises(ValueError, match='collaboration_mode'):
        tiny_dataset(tiny_root, collaboration_mode='v2i2x')


# frame 3: car gravity centre (17, 5, 0.75), 4×2×1.5, yaw 0 in world. Bottom centre and yaw in each ego frame:
#   ego 1 at (10, 0, 1.8) yaw 0     → (7, 5, -1.8), yaw 0
#   ego 2 at (30, 10, 1.8) yaw 90   → world offset (-13, -5) turned by -90° → (-5, 13, -1.8), yaw -90°
#   ego -1 at (20, -10, 5) yaw 180  → world offset (-3, 15) turned by -180° → (3, -15, -5.0), yaw ±180°
EXPECTED_CAR = {1: (7.0, 5.0, -1.8, 0.0), 2: (-5.0, 13.0, -1.8, -np.pi / 2), -1: (3.0, -15.0, -5.0, np.pi)}


def test_box_at_known_world_position_for_every_ego(tiny_root):
    dataset = tiny_dataset(tiny_root, collaboration_mode='all')
    found = set()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if info['frame'] != '000003':
            continue
        ann = info['ann_info']
        row = list(ann['gt_obj_ids']).index(CAR_ID)
        box = ann['gt_bboxes_3d'].tensor[row].numpy()
        x, y, z, yaw = EXPECTED_CAR[info['ego_id']]
        np.testing.assert_allclose(box[:6], [x, y, z, 4, 2, 1.5], atol=1e-5)
        assert abs(np.sin(box[6] - yaw)) < 1e-6 and np.cos(box[6] - yaw) > 0
        assert ann['gt_labels_3d'][row] == 0
        found.add(info['ego_id'])
    assert found == {1, 2, -1}


def test_point_seen_by_two_agents_lands_on_same_ego_place(tiny_root):
    dataset = tiny_dataset(tiny_root)
    for index in range(len(dataset)):
        packed = dataset[index]
        inputs, sample = packed['inputs'], packed['data_samples']
        frame = int(sample.metainfo['frame'])
        history = sample.metainfo['history_frames']
        world_to_ego = np.linalg.inv(dataset.get_data_info(index)['ego_to_world'])
        expected = car_surface_points(frame) @ world_to_ego[:3, :3].T + world_to_ego[:3, 3]
        box = sample.gt_instances_3d.bboxes_3d.tensor[
            list(sample.gt_instances_3d.obj_ids.numpy()).index(CAR_ID)].numpy()
        for a in range(len(sample.metainfo['agent_ids'])):
            cloud = inputs['points'][a * history + history - 1].numpy()
            pose = inputs['agent_poses'][a, history - 1].numpy().astype(np.float64)
            in_ego = cloud[:20, :3] @ pose[:3, :3].T + pose[:3, 3]
            np.testing.assert_allclose(in_ego, expected, atol=1e-4)
            assert inside_box(in_ego, box).all()


def test_future_and_past_trajectories(tiny_root):
    dataset = tiny_dataset(tiny_root, future_frames=3)
    info = dataset.get_data_info(0)  # ego 1, frame 3
    assert (info['ego_id'], info['frame']) == (1, '000003')
    ann = info['ann_info']
    car = list(ann['gt_obj_ids']).index(CAR_ID)
    # car centre x = 14 + frame in world → 4 + frame in ego 1's frame; frame 6 does not exist → masked, 0
    np.testing.assert_allclose(ann['gt_future_traj'][car], [[8, 5], [9, 5], [0, 0]], atol=1e-6)
    np.testing.assert_array_equal(ann['gt_future_mask'][car], [True, True, False])
    np.testing.assert_allclose(ann['gt_past_traj'][car], [[5, 5], [6, 5], [7, 5]], atol=1e-6)
    np.testing.assert_array_equal(ann['gt_past_mask'][car], [True, True, True])
    ped = list(ann['gt_obj_ids']).index(PED_ID)  # static pedestrian at world (25, 0) → (15, 0)
    np.testing.assert_allclose(ann['gt_future_traj'][ped][:2], [[15, 0], [15, 0]], atol=1e-6)
    assert ann['gt_future_traj'].dtype == np.float32 and ann['gt_future_mask'].dtype == bool


def test_object_seen_by_one_agent_follows_visibility_rule(tiny_root):
    # the pedestrian is annotated by infrastructure -1 only
    def ped_present(**kwargs):
        return {PED_ID in s['ann_info']['gt_obj_ids'] for s in _samples(tiny_dataset(tiny_root, **kwargs))}

    assert ped_present() == {True}  # -1 is a cooperator of every vehicle-centric sample
    assert ped_present(collaboration_mode='v2v') == {False}  # no agent of the sample annotated it
    assert ped_present(collaboration_mode='v2v', label_visibility='all') == {True}


def test_missing_agent_frame_is_empty_and_invalid(tmp_path):
    make_tiny_scene(str(tmp_path), 'bin', skip=[(2, 2)])  # agent 2 has no frame 2 at all
    convert_quietly(str(tmp_path))
    dataset = tiny_dataset(str(tmp_path))
    packed = dataset[0]  # ego 1, frame 3: history frames 1, 2, 3
    inputs, meta = packed['inputs'], packed['data_samples'].metainfo
    assert meta['agent_ids'] == [1, -1, 2]
    np.testing.assert_array_equal(inputs['agent_frame_valid'].numpy(),
                                  [[True, True, True], [True, True, True], [True, False, True]])
    assert inputs['points'][2 * 3 + 1].shape == (0, 4)
    assert torch.equal(inputs['agent_poses'][2, 1], torch.eye(4))
    assert inputs['points'][2 * 3 + 0].shape == (28, 4)


def test_class_mapping_comes_from_metainfo(tiny_root):
    metainfo = dict(classes=['vehicle', 'pedestrian', 'truck'],
                    obj_type_to_class={'Car': 'truck', 'Pedestrian': 'pedestrian'})
    ann = tiny_dataset(tiny_root, metainfo=metainfo).get_data_info(0)['ann_info']
    labels = dict(zip(ann['gt_obj_ids'].tolist(), ann['gt_labels_3d'].tolist()))
    assert labels == {CAR_ID: 2, PED_ID: 1}
    ann = tiny_dataset(tiny_root, metainfo=dict(classes=['vehicle'])).get_data_info(0)['ann_info']
    assert ann['gt_obj_ids'].tolist() == [CAR_ID]


def test_load_labels_false_never_reads_objects(tiny_root):
    info_path = osp.join(tiny_root, 'v2xpnp_infos_train.pkl')
    with open(info_path, 'rb') as handle:
        infos = pickle.load(handle)
    for frame in infos['data_list']:
        del frame['objects']  # any access would raise KeyError
    with open(osp.join(tiny_root, 'v2xpnp_infos_nolabels.pkl'), 'wb') as handle:
        pickle.dump(infos, handle)
    dataset = tiny_dataset(tiny_root, split='nolabels', load_labels=False,
                           pipeline=[dict(type='LoadCoopPoints'), dict(type='PackCoopInputs')])
    packed = dataset[0]
    assert 'ann_info' not in dataset.get_data_info(0)
    assert len(packed['data_samples'].gt_instances_3d.keys()) == 0
    assert len(packed['inputs']['points']) == 9
    with pytest.raises(KeyError):
        tiny_dataset(tiny_root, split='nolabels')  # labels requested → the missing objects are noticed


def test_test_mode_gives_eval_ann_info(tiny_root):
    pipeline = [dict(type='LoadCoopPoints'),
                dict(type='CoopObjectRangeFilter', point_cloud_range=[-10, -10, -8, 10, 10, 4]),
                dict(type='PackCoopInputs')]
    dataset = tiny_dataset(tiny_root, test_mode=True, pipeline=pipeline)
    sample = dataset[0]['data_samples']
    eval_ann = sample.eval_ann_info
    # ego 1 frame 3: car at (7, 5) inside ±10 m, pedestrian at (15, 0) outside
    assert eval_ann['gt_obj_ids'].tolist() == [CAR_ID]
    assert isinstance(eval_ann['gt_labels_3d'], np.ndarray) and eval_ann['gt_future_traj'].shape == (1, 3, 2)
    assert len(sample.gt_instances_3d.keys()) == 0


def test_dataloader_workers_survive_bad_files(tmp_path):
    from mmengine.dataset import pseudo_collate
    scenario = make_tiny_scene(str(tmp_path), 'bin')
    convert_quietly(str(tmp_path))
    # files broken after conversion: truncated, replaced by garbage, deleted
    with open(osp.join(scenario, '2', '000003.bin'), 'r+b') as handle:
        handle.truncate(17)
    os.remove(osp.join(scenario, '-1', '000004.bin'))
    dataset = tiny_dataset(str(tmp_path))
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=2, collate_fn=pseudo_collate)
    batches = list(loader)
    assert sum(len(b['data_samples']) for b in batches) == len(dataset) == 6
    first = batches[0]['inputs']['agent_frame_valid'][0]  # ego 1 frame 3: agents [1, -1, 2]
    np.testing.assert_array_equal(first.numpy(), [[True] * 3, [True] * 3, [True, True, False]])
    errors = LoadErrors.collect(dataset)
    assert any('000003.bin: truncated .bin' in e for e in errors)
    assert any('000004.bin: cannot access file' in e for e in errors)


def test_dataloader_over_converted_bad_scene(tmp_path):
    """Every bad case of the converter test, converted with its report, then loaded by 2 workers."""
    from mmengine.dataset import pseudo_collate
    make_bad_scene(str(tmp_path))
    report = convert_quietly(str(tmp_path))
    assert report.count('error') == 4  # truncated cloud, yaml without cloud, cloud without yaml, bad yaml
    dataset = tiny_dataset(str(tmp_path), collaboration_mode='all', require_full_history=False)
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, num_workers=2, collate_fn=pseudo_collate)
    samples = {}
    for batch in loader:
        sample = batch['data_samples'][0]
        samples[(sample.metainfo['frame'], sample.metainfo['ego_id'])] = (batch['inputs'], sample)
    # agents with a cloud per frame: 1: {1,2,3,5}, 2: {1,2}, -1: {1,2,4,5} → egos per frame
    assert sorted(samples) == [('000001', -1), ('000001', 1), ('000001', 2), ('000002', -1), ('000002', 1),
                               ('000002', 2), ('000003', 1), ('000004', -1), ('000005', -1), ('000005', 1)]
    inputs, sample = samples[('000003', 1)]  # history frames 1, 2, 3; agents [1, -1, 2]
    assert sample.metainfo['agent_ids'] == [1, -1, 2]
    valid = inputs['agent_frame_valid'][0].numpy()
    np.testing.assert_array_equal(valid, [[True, True, True], [True, True, False], [True, True, False]])
    points = [p[0] for p in inputs['points']]  # pseudo_collate transposes: points[k][b]
    assert points[1].shape == (0, 4)  # agent 1's empty cloud at frame 2 (valid, empty)
    assert points[3 + 1].shape == (25, 4)  # agent -1 frame 2: 3 NaN points dropped
    ids = sample.gt_instances_3d.obj_ids.tolist()
    assert ids == [CAR_ID]  # the pedestrian's only annotator (-1) has an unreadable yaml at frame 3
    inputs, sample = samples[('000001', -1)]
    assert 300 not in sample.gt_instances_3d.obj_ids.tolist()  # unknown obj_type: not a label


@pytest.mark.parametrize('lidar_format', ['bin', 'pcd_ascii', 'pcd_binary'])
def test_hand_written_scene_loads_in_every_format(tmp_path, lidar_format):
    if lidar_format != 'bin':
        pytest.importorskip('open3d')
    make_tiny_scene(str(tmp_path), lidar_format)
    convert_quietly(str(tmp_path))
    packed = tiny_dataset(str(tmp_path))[0]
    for a, agent_id in enumerate(packed['data_samples'].metainfo['agent_ids']):
        for t, frame in enumerate((1, 2, 3)):
            np.testing.assert_allclose(packed['inputs']['points'][a * 3 + t].numpy(), agent_points(agent_id, frame),
                                       atol=1e-5)


class LoadErrors:
    """Runs the loading transform in this process to read the messages it records."""

    @staticmethod
    def collect(dataset):
        from projects.TurboTrain.turbotrain.datasets.transforms import LoadCoopPoints
        messages = []
        for index in range(len(dataset)):
            results = LoadCoopPoints()(dict(dataset.get_data_info(index)))
            messages.extend(results['coop_load_errors'])
        return messages


def test_generator_round_trip_with_config_pipeline(tmp_path):
    synthetic = pytest.importorskip('projects.TurboTrain.turbotrain.datasets.synthetic')
    from mmengine.config import Config
    from mmdet3d.registry import DATASETS
    synthetic.generate_dataset(str(tmp_path), num_scenarios=1, seed=1, frames_per_scenario=6,
                               lidar_format='pcd', preset='tiny')
    convert_quietly(str(tmp_path))
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/datasets/v2xpnp_seq.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=str(tmp_path), future_frames=4)
    dataset_cfg.pipeline = cfg.eval_pipeline
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 2 * 4  # 2 vehicle egos × frames 3..6 of the train scenario
    boxes_with_points = boxes_total = 0
    for index in range(len(dataset)):
        packed = dataset[index]
        inputs, sample = packed['inputs'], packed['data_samples']
        num_agents, history = inputs['agent_poses'].shape[:2]
        assert num_agents == 4 and history == 3 and len(inputs['points']) == 12
        fused = []
        for a in range(num_agents):
            cloud = inputs['points'][a * history + history - 1].double().numpy()
            pose = inputs['agent_poses'][a, history - 1].double().numpy()
            fused.append(cloud[:, :3] @ pose[:3, :3].T + pose[:3, 3])
        fused = np.concatenate(fused)
        gt = sample.gt_instances_3d
        assert gt.future_traj.shape == (len(gt.labels_3d), 4, 2)
        for box, mask, past in zip(gt.bboxes_3d.tensor.numpy(), gt.past_mask, gt.past_traj):
            assert mask[-1] and np.allclose(past[-1].numpy(), box[:2], atol=1e-3)  # past[t0] = box centre
            if np.hypot(*box[:2]) < 30:
                boxes_total += 1
                boxes_with_points += int(inside_box(fused, box, margin=0.05).sum() >= 3)
    assert boxes_total > 0 and boxes_with_points / boxes_total > 0.6, (boxes_with_points, boxes_total)
