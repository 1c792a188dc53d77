"""CoopBEVVisualizer: where boxes, points, agents and trajectories land on the picture (hand-computed pixels),
TP/FP colours, picture size, files, GIF, and the TensorBoard backend named by type."""
import argparse
import glob
import itertools
import math
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

import projects.TurboTrain.turbotrain  # noqa: F401  (registers the visualiser)
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
from mmengine.structures import InstanceData
from projects.TurboTrain.turbotrain.visualization import (CoopBEVVisualizer, match_predictions, write_animation,
                                                          write_image)
from projects.TurboTrain.turbotrain.visualization.coop_bev_visualizer import (AGENT_COLOURS, BACKGROUND,
                                                                              FP_COLOUR, GT_COLOUR,
                                                                              HISTORY_DIMMING, TP_COLOUR)

_names = itertools.count()
RANGE = [-32.0, -32.0, -8.0, 32.0, 32.0, 4.0]  # at 0.1 m/px: 640 x 640, u = (x + 32) / 0.1, v = (32 - y) / 0.1


def visualizer(**kwargs) -> CoopBEVVisualizer:
    return CoopBEVVisualizer(name=f'test_bev_{next(_names)}', **kwargs)


def sample_with(gt_boxes=(), gt_labels=(), pred=None, **meta) -> Det3DDataSample:
    meta = dict(dict(point_cloud_range=RANGE, scenario='scn', frame='000005', ego_id=1, sample_idx=7), **meta)
    sample = Det3DDataSample(metainfo=meta)
    sample.eval_ann_info = dict(
        gt_bboxes_3d=LiDARInstance3DBoxes(torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 7)),
        gt_labels_3d=np.asarray(gt_labels, dtype=np.int64))
    if pred is not None:
        sample.pred_instances_3d = pred
    return sample


def near(image: np.ndarray, colour, tol: int = 40) -> np.ndarray:
    """(H, W) mask of pixels within ``tol`` of ``colour`` in every channel."""
    return (np.abs(image.astype(int) - np.array(colour)) <= tol).all(-1)


def test_ground_truth_boxes_land_at_their_ego_frame_pixels():
    # box A: centre (10, -5), l=4 along x (yaw 0), w=2 → x ∈ [8, 12], y ∈ [-6, -4] → u ∈ [400, 440], v ∈ [360, 380]
    # box B: centre (0, 20), yaw 90° → x ∈ [-1, 1], y ∈ [18, 22] → u ∈ [310, 330], v ∈ [100, 140]; heads to +y
    boxes = [[10.0, -5.0, -1.0, 4.0, 2.0, 1.5, 0.0], [0.0, 20.0, -1.0, 4.0, 2.0, 1.5, math.pi / 2]]
    image = visualizer().draw_bev(None, sample_with(boxes, [0, 0]), draw_pred=False)
    assert image.shape == (640, 640, 3) and image.dtype == np.uint8
    green = near(image, GT_COLOUR)
    rows, cols = np.nonzero(green[330:410, 370:470])
    assert abs(rows.min() + 330 - 360) <= 2 and abs(rows.max() + 330 - 380) <= 2
    assert abs(cols.min() + 370 - 400) <= 2 and abs(cols.max() + 370 - 440) <= 2
    assert green[370, 425] and green[370, 435]      # the heading tick: centre → front edge (+x)
    assert image[370, 410].max() < 60               # the rear half's inside is empty (background or grid)
    rows, cols = np.nonzero(green[80:160, 280:360])
    assert abs(rows.min() + 80 - 100) <= 2 and abs(rows.max() + 80 - 140) <= 2
    assert abs(cols.min() + 280 - 310) <= 2 and abs(cols.max() + 280 - 330) <= 2
    assert green[105, 320] and green[115, 320] and image[130, 320].max() < 60  # heading up (+y), rear half empty


def test_tracks_leaving_the_picture_do_not_move_it():
    sample = sample_with([[0.0, 0.0, -1.0, 4.0, 2.0, 1.5, 0.0]], [0])  # x ∈ [-2, 2] → cols 300..340, rows 310..330
    sample.eval_ann_info.update(gt_future_traj=np.array([[[0.0, -20.0], [0.0, -45.0], [0.0, -60.0]]]),
                                gt_future_mask=np.ones((1, 3), bool),
                                gt_past_traj=np.array([[[0.0, 60.0], [0.0, 40.0], [0.0, 0.0]]]),
                                gt_past_mask=np.ones((1, 3), bool))
    image = visualizer().draw_bev(None, sample, draw_pred=False)
    green = near(image, GT_COLOUR)
    assert green[309:312, 302:339].any(0).all() and green[329:332, 302:339].any(0).all()
    assert green[520, 319:322].any()                          # the future track's dot at (0, -20): row 520
    assert tuple(image[639, 639]) == BACKGROUND and tuple(image[0, 639]) == BACKGROUND  # no blank margin


def test_points_are_moved_by_their_agent_pose_and_coloured_by_agent():
    yaw90 = torch.eye(4)
    yaw90[:2, :2] = torch.tensor([[0.0, -1.0], [1.0, 0.0]])
    yaw90[:2, 3] = torch.tensor([5.0, 5.0])          # agent 1 at (5, 5), facing +y
    poses = torch.stack([torch.stack([torch.eye(4), torch.eye(4)]), torch.stack([yaw90, yaw90])])  # (A=2, H=2)
    point = lambda x, y: torch.tensor([[x, y, 0.0, 1.0]])  # noqa: E731
    data_input = dict(
        points=[point(-15.0, -15.0),   # agent 0, t=0: marked invalid → not drawn
                point(0.0, 20.05),     # agent 0, t=1 (current): ego (0, 20.05) → row 119, col 320
                point(0.0, -20.0),     # agent 1, t=0: R90 (0, -20) + (5, 5) = (25, 5) → row 270, col 570, dimmed
                point(0.0, -10.0)],    # agent 1, t=1: (15, 5) → row 270, col 470
        agent_poses=poses, agent_frame_valid=torch.tensor([[False, True], [True, True]]))
    sample = sample_with(agent_ids=[1, -1], coop_points_frame='agent')
    image = visualizer().draw_bev(data_input, sample)
    assert tuple(image[119, 320]) == AGENT_COLOURS[0]
    assert tuple(image[270, 470]) == AGENT_COLOURS[1]
    dimmed = (np.array(AGENT_COLOURS[1], float) * HISTORY_DIMMING).astype(np.uint8)
    assert tuple(image[270, 570]) == tuple(dimmed)
    assert tuple(image[470, 170]) == BACKGROUND
    # agent 1's marker: a 1 m circle around (5, 5) → pixel (270, 370), heading line up to (5, 9) → row 230
    agent = near(image, AGENT_COLOURS[1], 60)
    assert agent[270, 359:362].any() and agent[270, 379:382].any()
    assert agent[245:255, 370].all()


def test_true_and_false_positives_scores_and_trajectories():
    gt = [[10.0, -5.0, -1.0, 4.0, 2.0, 1.5, 0.0]]
    pred_boxes = torch.tensor([[10.2, -5.0, -1.0, 4.0, 2.0, 1.5, 0.0],      # IoU 0.9 with the GT → TP
                               [-15.0, 10.0, -1.0, 4.0, 2.0, 1.5, 0.0],     # nothing there → FP
                               [-20.0, -20.0, -1.0, 4.0, 2.0, 1.5, 0.0]])   # below the score threshold
    # two modes each (N, M=2, F=2, 2), the second mode more likely for the TP
    trajs = torch.tensor([[[[14.0, -5.05], [18.0, -5.05]], [[10.05, -8.05], [10.05, -12.05]]],
                          [[[-15.05, 14.0], [-15.05, 18.0]], [[-15.05, 14.0], [-15.05, 18.0]]],
                          [[[-20.0, -16.0], [-20.0, -12.0]], [[-20.0, -16.0], [-20.0, -12.0]]]])
    pred = InstanceData(bboxes_3d=LiDARInstance3DBoxes(pred_boxes), scores_3d=torch.tensor([0.9, 0.8, 0.1]),
                        labels_3d=torch.tensor([0, 0, 0]), trajs=trajs,
                        traj_scores=torch.tensor([[0.3, 0.7], [0.5, 0.5], [0.5, 0.5]]))
    sample = sample_with(gt, [0], pred)
    assert match_predictions(pred_boxes, [0.9, 0.8, 0.1], [0, 0, 0], np.array(gt), [0], 0.5).tolist() == [0, -1, -1]
    image = visualizer(score_thr=0.3).draw_bev(None, sample)
    yellowish = (image[..., 0] > 150) & (image[..., 1] > 110) & (image[..., 2] < 90)
    reddish = (image[..., 0] > 150) & (image[..., 1] < 110) & (image[..., 2] < 110)
    assert near(image, TP_COLOUR)[370, 475:495].any()   # TP mode 0: (14, -5.05) → (18, -5.05), row 370
    assert yellowish[410:430, 420].any()                 # TP mode 1 (thin): (10.05, -8.05) → (10.05, -12.05)
    assert near(image, FP_COLOUR)[145:175, 169].any()   # FP trajectory: x = -15.05 → col 169, y 14 → 18
    red = near(image, FP_COLOUR)  # FP box: x ∈ [-17, -13], y ∈ [9, 11] → cols 150..190, rows 210..230
    assert red[209:212, 152:189].any(0).all() and red[229:232, 152:189].any(0).all()
    assert red[212:229, 149:152].any(1).all() and red[212:229, 189:192].any(1).all()
    assert not red[200:240, 140:148].any() and not red[200:240, 193:200].any()
    assert not reddish[500:540, 100:140].any() and not yellowish[500:540, 100:140].any()  # 0.1 < 0.3: not drawn
    assert not near(image, FP_COLOUR)[340:400, 380:460].any()   # the TP is not drawn red
    # with the threshold at 0 the third box is drawn, as a false positive
    image = visualizer(score_thr=0.3).draw_bev(None, sample, pred_score_thr=0.0)
    assert near(image, FP_COLOUR)[490:550, 90:150].any()


def test_picture_size_files_and_animation(tmp_path):
    sample = sample_with([[0.0, 0.0, -1.0, 4.0, 2.0, 1.5, 0.0]], [0])
    assert visualizer(resolution=0.25).draw_bev(None, sample).shape == (256, 256, 3)
    vis = visualizer(bev_range=(0.0, -10.0, 20.0, 10.0), resolution=0.1)
    path = str(tmp_path / 'pics' / 'one.png')
    image = vis.add_datasample('one', None, sample, out_file=path)
    assert image.shape == (200, 200, 3)
    with Image.open(path) as png:
        assert png.size == (200, 200) and png.mode == 'RGB'
        np.testing.assert_array_equal(np.asarray(png), image)
    frames = [np.full((40, 60, 3), v, np.uint8) for v in (0, 120, 240)]
    gif = str(tmp_path / 'clip.gif')
    write_animation(frames, gif, fps=4)
    with Image.open(gif) as clip:
        assert clip.n_frames == 3 and clip.size == (60, 40) and clip.info['duration'] == 250
    write_image(frames[1], str(tmp_path / 'flat.png'))
    with Image.open(str(tmp_path / 'flat.png')) as png:
        assert np.asarray(png.convert('RGB'))[5, 5].tolist() == [120, 120, 120]
    with pytest.raises(ValueError):
        visualizer(resolution=0.0)
    with pytest.raises(ValueError):
        visualizer(bev_range=(0.0, 0.0, -1.0, 1.0))


def test_tensorboard_backend_by_type_name_writes_event_files(tmp_path):
    pytest.importorskip('tensorboard', reason='tensorboard is installed by tools/install.sh')
    from mmengine.config import Config, DictAction
    from mmengine.registry import init_default_scope

    from mmdet3d.registry import VISUALIZERS
    # the documented --cfg-options form, parsed by the same action tools/train.py uses
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options',
                                 'visualizer.vis_backends=[LocalVisBackend,TensorboardVisBackend]']).cfg_options
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(osp.join(repo, 'configs', '_base_', 'default_runtime.py'))
    cfg.merge_from_dict(options)
    init_default_scope('mmdet3d')
    vis_cfg = dict(cfg.visualizer, name=f'test_bev_{next(_names)}', save_dir=str(tmp_path))
    vis = VISUALIZERS.build(vis_cfg)
    assert isinstance(vis, CoopBEVVisualizer)
    assert sorted(vis._vis_backends) == ['LocalVisBackend', 'TensorboardVisBackend']
    vis.add_scalars({'loss': 1.5}, step=3)
    vis.add_datasample('bev', None, sample_with([[0.0, 0.0, -1.0, 4.0, 2.0, 1.5, 0.0]], [0]), step=3)
    vis.close()
    [events] = glob.glob(str(tmp_path / 'vis_data' / 'events.out.tfevents.*'))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(events)
    accumulator.Reload()
    [scalar] = accumulator.Scalars('loss')
    assert (scalar.step, scalar.value) == (3, 1.5)
    [picture] = accumulator.Images('bev')
    assert (picture.width, picture.height) == (640, 640)  # the sample's ±32 m at 0.1 m/px


def test_untrained_outputs_do_not_break_the_drawing():
    # an untrained head's boxes can be 1e11 m long (exp of a random size) and carry non-finite values
    boxes = torch.tensor([[0.0, 0.0, -1.0, 1e11, 2e11, 1.5, 0.3], [float('nan'), 0.0, 0.0, 4.0, 2.0, 1.5, 0.0],
                          [10.0, -5.0, -1.0, 4.0, 2.0, 1.5, 0.0]])
    pred = InstanceData(bboxes_3d=LiDARInstance3DBoxes(boxes), scores_3d=torch.tensor([0.9, 0.9, 0.8]),
                        labels_3d=torch.tensor([0, 0, 0]),
                        trajs=torch.tensor([[[1e12, 0.0]], [[0.0, 0.0]], [[float('inf'), 1.0]]]))
    image = visualizer().draw_bev(None, sample_with(pred=pred))
    red = near(image, FP_COLOUR)
    assert red[359:362, 402:439].any(0).all()  # the sane box is drawn: top edge y = -4 → row 360, x 8..12


def test_for_files_takes_the_config_drawing_settings_without_backends():
    from mmengine.config import Config
    cfg = Config(dict(visualizer=dict(type='CoopBEVVisualizer', name='visualizer', resolution=0.5, score_thr=0.2,
                                      vis_backends=[dict(type='TensorboardVisBackend')], save_dir='somewhere')))
    vis = CoopBEVVisualizer.for_files(cfg, 'test_for_files_a', score_thr=None, match_iou_thr=0.7)
    assert (vis.resolution, vis.score_thr, vis.match_iou_thr) == (0.5, 0.2, 0.7)
    assert vis.instance_name == 'test_for_files_a' and not vis._vis_backends
    other = Config(dict(visualizer=dict(type='Det3DLocalVisualizer', resolution=0.5)))
    assert CoopBEVVisualizer.for_files(other, 'test_for_files_b').resolution == 0.1  # not its settings
