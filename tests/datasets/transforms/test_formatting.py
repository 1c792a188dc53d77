"""PackCoopInputs produces exactly the contract's packed sample."""
import numpy as np
import torch

from mmdet3d.structures import LiDARInstance3DBoxes
from projects.TurboTrain.turbotrain.datasets.transforms import PackCoopInputs
from tests.datasets.tiny_scene import CAR_ID, PED_ID
from tests.datasets.transforms._helpers import loaded_results


def test_packed_sample_matches_contract(tmp_path):
    results = loaded_results(tmp_path)
    packed = PackCoopInputs(point_cloud_range=[-51.2, -51.2, -8, 51.2, 51.2, 4])(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert set(inputs) == {'points', 'agent_poses', 'agent_frame_valid', 'agent_types'}
    assert len(inputs['points']) == 9 and all(p.dtype == torch.float32 and p.shape[1] == 4
                                              for p in inputs['points'])
    assert inputs['agent_poses'].shape == (3, 3, 4, 4) and inputs['agent_poses'].dtype == torch.float32
    assert inputs['agent_frame_valid'].dtype == torch.bool and inputs['agent_frame_valid'].all()
    assert inputs['agent_types'].tolist() == [0, 1, 0] and inputs['agent_types'].dtype == torch.int64
    np.testing.assert_allclose(inputs['agent_poses'][0, 2].numpy(), np.eye(4), atol=1e-6)  # ego at t0
    gt = sample.gt_instances_3d
    assert isinstance(gt.bboxes_3d, LiDARInstance3DBoxes) and gt.bboxes_3d.tensor.shape == (2, 7)
    assert gt.labels_3d.tolist() == [0, 1] and gt.obj_ids.tolist() == [CAR_ID, PED_ID]
    assert gt.future_traj.shape == (2, 3, 2) and gt.future_traj.dtype == torch.float32
    assert gt.future_mask.dtype == torch.bool and gt.past_traj.shape == (2, 3, 2) and gt.past_mask.all()
    meta = sample.metainfo
    for key in ('sample_idx', 'scenario', 'frame', 'ego_id', 'agent_ids', 'num_agents', 'history_frames',
                'future_frames', 'frame_interval', 'point_cloud_range', 'box_type_3d'):
        assert key in meta, key
    assert (meta['ego_id'], meta['agent_ids'], meta['num_agents'], meta['frame']) == (1, [1, -1, 2], 3, '000003')
    assert meta['box_type_3d'] is LiDARInstance3DBoxes and meta['point_cloud_range'][0] == -51.2
    assert sample.eval_ann_info is None
