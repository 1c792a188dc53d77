"""V2XPnPMetric end to end on hand-built frames.

Boxes are 4 m x 2 m, yaw 0: a 1 m shift along x gives BEV IoU 6 / (8 + 8 - 6) = 0.6.
"""
import json
from typing import Optional

import numpy as np
import pytest
import torch

pytest.importorskip('mmcv.ops')
structures = pytest.importorskip('mmdet3d.structures')

from mmengine.logging import MMLogger  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from mmdet3d.registry import METRICS  # noqa: E402
from projects.TurboTrain.turbotrain.evaluation import V2XPnPMetric  # noqa: E402

CLASSES = ('vehicle', 'pedestrian')
F, H = 3, 2
nan = float('nan')


def box(x: float, y: float = 0.0) -> list:
    return [x, y, -1.0, 4.0, 2.0, 1.5, 0.0]


def line(x: float, y: float = 0.0, step: float = 1.0) -> list:
    """Future centres moving +step m per frame along x from (x, y)."""
    return [[x + step * k, y] for k in range(1, F + 1)]


def frame(sample_idx: int = 0,
          dets: Optional[list] = None,
          scores: Optional[list] = None,
          labels: Optional[list] = None,
          trajs: Optional[list] = None,
          gts: Optional[list] = None,
          gt_labels: Optional[list] = None,
          futures: Optional[list] = None,
          future_mask: Optional[list] = None,
          pasts: Optional[list] = None,
          past_mask: Optional[list] = None) -> dict:
    """A model-output sample as mmengine's Evaluator hands it to ``process``
    (``Det3DDataSample.to_dict()``)."""
    dets, gts = dets or [], gts or []
    num_det, num_gt = len(dets), len(gts)
    labels = labels if labels is not None else [0] * num_det
    trajs = trajs if trajs is not None else [[[0.0, 0.0]] * F] * num_det
    gt_labels = gt_labels if gt_labels is not None else [0] * num_gt
    futures = futures if futures is not None else [line(g[0], g[1]) for g in gts]
    future_mask = future_mask if future_mask is not None else [[True] * F] * num_gt
    pasts = pasts if pasts is not None else [[g[:2]] * H for g in gts]  # standing still
    past_mask = past_mask if past_mask is not None else [[True] * H] * num_gt

    def boxes(rows: list) -> 'structures.LiDARInstance3DBoxes':
        return structures.LiDARInstance3DBoxes(torch.tensor(rows).float().reshape(-1, 7))

    pred = dict(bboxes_3d=boxes(dets),
                scores_3d=torch.tensor(scores or []).float(),
                labels_3d=torch.tensor(labels).long(),
                trajs=torch.tensor(trajs).float().reshape(-1, F, 2))
    ann = dict(gt_bboxes_3d=boxes(gts),
               gt_labels_3d=np.array(gt_labels, np.int64),
               gt_future_traj=np.array(futures, np.float32).reshape(num_gt, F, 2),
               gt_future_mask=np.array(future_mask, bool).reshape(num_gt, F),
               gt_past_traj=np.array(pasts, np.float32).reshape(num_gt, H, 2),
               gt_past_mask=np.array(past_mask, bool).reshape(num_gt, H))
    return dict(sample_idx=sample_idx, pred_instances_3d=pred, eval_ann_info=ann)


def evaluate(samples: list, tmp_path, **kwargs) -> dict:
    kwargs.setdefault('json_file', str(tmp_path / 'metrics.json'))
    metric = V2XPnPMetric(**kwargs)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def check(metrics: dict, expected: dict) -> None:
    for key, value in expected.items():
        if np.isnan(value):
            assert np.isnan(metrics[key]), (key, metrics[key])
        else:
            assert metrics[key] == pytest.approx(value, abs=1e-6), (key, metrics[key], value)


def test_registered():
    assert METRICS.get('V2XPnPMetric') is V2XPnPMetric


def test_perfect_predictions(tmp_path):
    gts = [box(0), box(10)]
    sample = frame(dets=gts, scores=[0.9, 0.8], trajs=[line(0), line(10)], gts=gts)
    metrics = evaluate([sample], tmp_path)
    check(
        metrics, {
            'AP@0.5/vehicle': 1,
            'AP@0.7/vehicle': 1,
            'AP@0.5/pedestrian': nan,
            'mAP@0.5': 1,
            'mAP@0.7': 1,
            'ADE': 0,
            'FDE': 0,
            'MR': 0,
            'ADE/vehicle': 0,
            'ADE/pedestrian': nan,
            'EPA/vehicle': 1,
            'EPA/pedestrian': nan,
            'EPA': 1
        })


def test_hand_computed_detection_trajectories_and_epa_with_false_positive(tmp_path):
    sample = frame(
        dets=[box(0), box(21), box(40), box(60)],
        scores=[0.9, 0.8, 0.7, 0.1],
        trajs=[
            [[1, 1], [2, 1], [3, 1]],  # errors 1, 1, 1 -> ADE 1, FDE 1: EPA hit
            [[21, 0], [22, 3], [99, 99]],  # errors 0, 3, (masked) -> ADE 1.5, FDE 3: miss
            line(40),
            line(60)
        ],
        gts=[box(0), box(20)],
        future_mask=[[True] * 3, [True, True, False]])
    metrics = evaluate([sample], tmp_path)
    # IoU 0.5: T(.9) T(.8) F(.7) F(.1) -> AP 1.
    # IoU 0.7: the 1 m shifted box (IoU 0.6) fails: T F F F -> AP 0.5
    # EPA: 1 hit, 1 false positive above 0.3 (the 0.1 one is not counted), 2 gt -> (1 - 0.5) / 2
    check(
        metrics, {
            'AP@0.5/vehicle': 1,
            'AP@0.7/vehicle': 0.5,
            'mAP@0.7': 0.5,
            'ADE': 1.25,
            'FDE': 2.0,
            'MR': 0.5,
            'ADE/vehicle': 1.25,
            'EPA/vehicle': 0.25,
            'EPA': 0.25
        })
    # with every detection counted, the 0.1 one is a second false positive: (1 - 1) / 2
    check(evaluate([sample], tmp_path, epa_score_thr=0.0), {'EPA/vehicle': 0.0})
    # trajectories are judged on IoU-0.5 matches only, whatever the AP thresholds
    check(evaluate([sample], tmp_path, iou_thrs=(0.7, )), {'AP@0.7/vehicle': 0.5, 'ADE': 1.25})


def test_empty_predictions(tmp_path):
    metrics = evaluate([frame(gts=[box(0)])], tmp_path)
    check(
        metrics, {
            'AP@0.5/vehicle': 0,
            'mAP@0.5': 0,
            'mAP@0.7': 0,
            'ADE': nan,
            'FDE': nan,
            'MR': nan,
            'EPA/vehicle': 0,
            'EPA': 0
        })


def test_no_ground_truth(tmp_path):
    samples = [frame(dets=[box(0)], scores=[0.9], trajs=[line(0)]), frame(sample_idx=1)]
    metrics = evaluate(samples, tmp_path)
    check(metrics, {'AP@0.5/vehicle': nan, 'mAP@0.5': nan, 'mAP@0.7': nan, 'ADE': nan, 'EPA': nan})
    written = json.loads((tmp_path / 'metrics.json').read_text())
    assert written['metrics']['mAP@0.5'] is None and written['counts']['num_det/vehicle'] == 1


def test_no_samples_at_all(tmp_path):
    check(evaluate([], tmp_path), {'mAP@0.5': nan, 'ADE': nan, 'EPA': nan})


def test_all_invalid_futures(tmp_path):
    gts = [box(0), box(10)]
    sample = frame(dets=gts,
                   scores=[0.9, 0.8],
                   trajs=[line(0), line(10)],
                   gts=gts,
                   future_mask=[[False] * F] * 2)
    check(evaluate([sample], tmp_path), {
        'AP@0.5/vehicle': 1,
        'ADE': nan,
        'FDE': nan,
        'MR': nan,
        'EPA/vehicle': nan,
        'EPA': nan
    })


def test_class_without_gt_and_wrong_class_detection(tmp_path):
    # a pedestrian detection on a vehicle: the vehicle is missed (AP 0); pedestrian has no gt
    # (AP nan, left out of the mAP)
    sample = frame(dets=[box(0)],
                   scores=[0.9],
                   labels=[1],
                   trajs=[line(0)],
                   gts=[box(0)],
                   gt_labels=[0])
    metrics = evaluate([sample], tmp_path)
    check(
        metrics, {
            'AP@0.5/vehicle': 0,
            'AP@0.5/pedestrian': nan,
            'mAP@0.5': 0,
            'ADE': nan,
            'EPA/vehicle': 0,
            'EPA/pedestrian': nan,
            'EPA': 0
        })
    # a correct vehicle and a pedestrian detection elsewhere: mAP is the vehicle AP alone
    sample = frame(dets=[box(0), box(30)],
                   scores=[0.9, 0.8],
                   labels=[0, 1],
                   trajs=[line(0), line(30)],
                   gts=[box(0)],
                   gt_labels=[0])
    check(evaluate([sample], tmp_path), {
        'AP@0.5/vehicle': 1,
        'mAP@0.5': 1,
        'EPA/vehicle': 1,
        'EPA': 1
    })


def test_ground_truth_of_unknown_class_is_dropped(tmp_path):
    sample = frame(dets=[box(0)],
                   scores=[0.9],
                   trajs=[line(0)],
                   gts=[box(0), box(30)],
                   gt_labels=[0, -1])
    check(evaluate([sample], tmp_path), {'AP@0.5/vehicle': 1, 'EPA/vehicle': 1})


def _interleaved_frames() -> list:
    # frame 0: 0.9 TP, 0.6 FP; frame 1: 0.8 FP, 0.7 TP; handed over out of order (rank interleaving)
    return [
        frame(sample_idx=1, dets=[box(30), box(0)], scores=[0.8, 0.7], gts=[box(0)]),
        frame(sample_idx=0, dets=[box(0), box(30)], scores=[0.9, 0.6], gts=[box(0)])
    ]


def test_ap_modes_on_interleaved_frames(tmp_path):
    # global: T F T F -> 1/2 * 1 + 1/2 * 2/3 = 5/6; OpenCOOD (frame 0 then 1): T F F T -> 1/2 + 1/2
    # * 1/2 = 3/4
    check(evaluate(_interleaved_frames(), tmp_path), {'AP@0.5/vehicle': 5 / 6})
    check(evaluate(_interleaved_frames(), tmp_path, ap_mode='opencood'), {'AP@0.5/vehicle': 3 / 4})
    with pytest.raises(ValueError):
        V2XPnPMetric(ap_mode='kitti')


def test_constant_velocity_baseline_on_the_same_matched_set(tmp_path):
    # gt 0 moves +1 m/frame in x (past -1, 0 -> future 1, 2, 3); the model predicts it standing
    # still.
    # gt 1 is never detected: it stays in the EPA denominator for both.
    kwargs = dict(dets=[box(0)],
                  scores=[0.9],
                  trajs=[[[0, 0]] * F],
                  gts=[box(0), box(50)],
                  pasts=[[[-1, 0], [0, 0]], [[50, 0], [50, 0]]])
    model = evaluate([frame(**kwargs)], tmp_path)
    model_counts = json.loads((tmp_path / 'metrics.json').read_text())['counts']
    baseline = evaluate([frame(**kwargs)], tmp_path, trajectory_source='constant_velocity')
    baseline_json = json.loads((tmp_path / 'metrics.json').read_text())
    check(model, {'ADE': 2.0, 'FDE': 3.0, 'MR': 1.0, 'EPA/vehicle': 0.0, 'AP@0.5/vehicle': 0.5})
    check(baseline, {'ADE': 0.0, 'FDE': 0.0, 'MR': 0.0, 'EPA/vehicle': 0.5, 'AP@0.5/vehicle': 0.5})
    assert baseline_json['counts']['num_traj_agents/vehicle'] == model_counts[
        'num_traj_agents/vehicle'] == 1
    assert baseline_json['settings']['trajectory_source'] == 'constant_velocity'


def test_missing_trajs_gives_nan_trajectory_metrics(tmp_path):
    sample = frame(dets=[box(0)], scores=[0.9], gts=[box(0)], pasts=[[[-1, 0], [0, 0]]])
    del sample['pred_instances_3d']['trajs']
    check(evaluate([sample], tmp_path), {'AP@0.5/vehicle': 1, 'ADE': nan, 'EPA': nan})
    check(evaluate([sample], tmp_path, trajectory_source='constant_velocity'), {
        'ADE': 0.0,
        'EPA': 1.0
    })


def test_evaluate_prefix_data_elements_and_json_next_to_log(tmp_path):
    MMLogger.get_instance('test_v2xpnp_metric', log_file=str(tmp_path / 'run.log'))
    plain = frame(dets=[box(0)], scores=[0.9], trajs=[line(0)], gts=[box(0)])
    sample = structures.Det3DDataSample()
    sample.set_metainfo(dict(sample_idx=0))
    sample.pred_instances_3d = InstanceData(**plain['pred_instances_3d'])
    sample.eval_ann_info = plain['eval_ann_info']
    metric = V2XPnPMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process(None, [sample, plain])  # a data element and its dict form
    metrics = metric.evaluate(size=2)
    assert metrics['v2xpnp/mAP@0.5'] == pytest.approx(1.0)
    assert metrics['v2xpnp/ADE'] == pytest.approx(0.0)
    written = json.loads((tmp_path / 'v2xpnp_metrics.json').read_text())
    assert written['metrics']['EPA'] == pytest.approx(1.0)
    assert written['counts']['num_samples'] == 2
    log = (tmp_path / 'run.log').read_text()
    assert 'V2XPnP metrics' in log and 'AP@0.7' in log and 'vehicle' in log


def test_empty_predictions_with_flat_trajs_tensor(tmp_path):
    sample = frame(gts=[box(0)])
    sample['pred_instances_3d']['trajs'] = torch.zeros(0)  # (0,) says nothing of the horizon
    check(evaluate([sample], tmp_path), {'AP@0.5/vehicle': 0, 'ADE': nan, 'EPA/vehicle': 0})


def with_velocities(sample: dict, velocities: list) -> dict:
    sample['pred_instances_3d']['velocities'] = torch.tensor(velocities).float().reshape(-1, 2)
    return sample


def test_detected_velocity_baseline_is_exact_on_straight_lines_beside_the_other_sources(tmp_path):
    # gt 0 at x=0 moves +1 m/frame (line), gt 1 at x=20 moves +0.5 m/frame along y; the detections carry those
    # velocities; the model's trajectories stand still; the oracle past says gt 0 stands still
    gts = [box(0), box(20)]
    futures = [line(0), [[20.0, 0.5 * k] for k in range(1, F + 1)]]
    sample = with_velocities(
        frame(dets=gts, scores=[0.9, 0.8], trajs=[[[0, 0]] * F, [[20, 0]] * F], gts=gts, futures=futures,
              pasts=[[[0, 0], [0, 0]], [[20, -0.5], [20, 0]]]), [[1.0, 0.0], [0.0, 0.5]])
    metrics = evaluate([sample], tmp_path, compare_sources=('detected_velocity', 'constant_velocity'))
    check(metrics, {
        'detected_velocity/ADE': 0.0, 'detected_velocity/FDE': 0.0, 'detected_velocity/MR': 0.0,
        'detected_velocity/EPA/vehicle': 1.0,
        # model: gt 0 errors 1, 2, 3; gt 1 errors 0.5, 1, 1.5
        'ADE': (2.0 + 1.0) / 2, 'FDE': (3.0 + 1.5) / 2, 'EPA/vehicle': 0.5,
        # oracle past: gt 0 stands still (errors as the model), gt 1 exact
        'constant_velocity/ADE': 1.0, 'constant_velocity/FDE': 1.5,
    })
    # the same source as the primary gives the same figures
    primary = evaluate([sample], tmp_path, trajectory_source='detected_velocity')
    check(primary, {'ADE': 0.0, 'FDE': 0.0, 'EPA/vehicle': 1.0})


def test_detected_velocity_reads_no_ground_truth_past(tmp_path):
    gts = [box(0)]
    sample = with_velocities(frame(dets=gts, scores=[0.9], gts=gts), [[1.0, 0.0]])
    for key in ('gt_past_traj', 'gt_past_mask'):
        del sample['eval_ann_info'][key]
    check(evaluate([sample], tmp_path, trajectory_source='detected_velocity'), {'ADE': 0.0, 'EPA': 1.0})
    # a wrong velocity is judged as such: 1 m/frame too slow -> errors 1, 2, 3
    with_velocities(sample, [[0.0, 0.0]])
    check(evaluate([sample], tmp_path, trajectory_source='detected_velocity'), {'ADE': 2.0, 'FDE': 3.0})


def test_detected_velocity_without_velocities_is_nan(tmp_path):
    sample = frame(dets=[box(0)], scores=[0.9], trajs=[line(0)], gts=[box(0)])
    metrics = evaluate([sample], tmp_path, compare_sources=('detected_velocity', ))
    check(metrics, {'ADE': 0.0, 'detected_velocity/ADE': nan, 'detected_velocity/EPA': nan})


def test_epa_breakdown_adds_up_by_hand(tmp_path):
    # vehicles: gt at 0 hit; gt at 20 matched but predicted 3 m off; gt at 80 missed; one false positive at 40.
    # pedestrians: one gt, detected only at score 0.2 (below 0.3): a missed detection
    sample = frame(dets=[box(0), box(21), box(40), box(0, 30)], scores=[0.9, 0.8, 0.7, 0.2],
                   labels=[0, 0, 0, 1],
                   trajs=[line(0), [[21, 0], [22, 3], [23, 3]], line(40), line(0, 30)],
                   gts=[box(0), box(20), box(80), box(0, 30)], gt_labels=[0, 0, 0, 1],
                   futures=[line(0), [[21, 0], [22, 0], [23, 0]], line(80), line(0, 30)])
    metrics = evaluate([sample], tmp_path)
    check(metrics, {'EPA/vehicle': (1 - 0.5) / 3, 'EPA_missed_det/vehicle': 1 / 3,
                    'EPA_missed_pred/vehicle': 1 / 3, 'EPA_fp/vehicle': 0.5 / 3,
                    'EPA/pedestrian': 0.0, 'EPA_missed_det/pedestrian': 1.0, 'EPA_fp/pedestrian': 0.0})
    for name in CLASSES:
        parts = sum(metrics[f'EPA_{k}/{name}'] for k in ('missed_det', 'missed_pred', 'fp'))
        assert metrics[f'EPA/{name}'] == pytest.approx(1 - parts)
    # a per-class threshold: pedestrians counted from 0.1 -> the detection is a hit
    check(evaluate([sample], tmp_path, epa_score_thr=dict(pedestrian=0.1)),
          {'EPA/pedestrian': 1.0, 'EPA/vehicle': (1 - 0.5) / 3})


def test_epa_thresholds_chosen_on_one_split_applied_from_its_json(tmp_path):
    # vehicle hit at 0.9, false positive at 0.5: thresholds 0.3 and 0.5 count it (EPA 0.5), 0.6 does not (EPA 1)
    val = frame(dets=[box(0), box(40)], scores=[0.9, 0.5], trajs=[line(0), line(40)], gts=[box(0)])
    metrics = evaluate([val], tmp_path, json_file=str(tmp_path / 'val.json'), epa_score_thr_grid=(0.3, 0.5, 0.6))
    check(metrics, {'EPA/vehicle': 0.5, 'EPA_best_thr/vehicle': 0.6, 'EPA_at_best_thr/vehicle': 1.0,
                    'EPA_best_thr/pedestrian': nan})
    test = evaluate([val], tmp_path, epa_score_thr_file=str(tmp_path / 'val.json'), epa_score_thr=0.0)
    check(test, {'EPA/vehicle': 1.0})
    written = json.loads((tmp_path / 'metrics.json').read_text())['settings']['epa_score_thr_per_class']
    assert written == {'vehicle': 0.6, 'pedestrian': 0.0}  # pedestrian: not in the file, epa_score_thr applies
    (tmp_path / 'bad.json').write_text('{"metrics": {}}')
    with pytest.raises(ValueError, match='bad.json'):
        V2XPnPMetric(epa_score_thr_file=str(tmp_path / 'bad.json'))


def test_min_ade_fde_over_modes_beside_the_most_likely_trajectory(tmp_path):
    # one matched vehicle moving +1 m/frame; trajs (most likely) stands still, mode 1 is exact
    sample = frame(dets=[box(0)], scores=[0.9], trajs=[[[0, 0]] * F], gts=[box(0)])
    sample['pred_instances_3d']['traj_modes'] = torch.tensor([[[[0.0, 0.0]] * F, line(0)]])
    metrics = evaluate([sample], tmp_path)
    check(metrics, {'ADE': 2.0, 'FDE': 3.0, 'minADE': 0.0, 'minFDE': 0.0, 'minADE/vehicle': 0.0,
                    'minFDE/pedestrian': nan})
    assert 'minADE' not in evaluate([frame(dets=[box(0)], scores=[0.9], gts=[box(0)])], tmp_path)


def test_communication_figures_by_hand(tmp_path):
    # two cooperators, one cooperator, ego alone, two again; each message a (32, 128, 128) float32 map
    per_map = 32 * 128 * 128 * 4  # 2 097 152 bytes = 16.777216 Mb
    samples = [frame(sample_idx=i) for i in range(4)]
    for sample, senders in zip(samples, (2, 1, 0, 2)):
        sample.update(comm_bytes=senders * per_map, comm_senders=senders)
    metrics = evaluate(samples, tmp_path, comm_frame_rate_hz=10.0)
    assert metrics['comm/Mb_per_frame'] == pytest.approx(16.777216)
    assert metrics['comm/Mbps'] == pytest.approx(167.77216)
    assert metrics['comm/cooperators'] == pytest.approx(5 / 4)
    assert metrics['comm/Mb_received_per_frame'] == pytest.approx(5 * 16.777216 / 4)
    with open(tmp_path / 'metrics.json') as f:
        assert json.load(f)['counts']['comm_bytes'] == 5 * per_map


def test_communication_figures_absent_or_silent(tmp_path):
    assert np.isnan(evaluate([frame()], tmp_path)['comm/Mbps'])  # the model did not report it
    silent = frame()
    silent.update(comm_bytes=0, comm_senders=0)
    metrics = evaluate([silent], tmp_path)
    assert np.isnan(metrics['comm/Mb_per_frame']) and metrics['comm/Mb_received_per_frame'] == 0.0


def test_results_file_and_figures_reproduce_the_metrics(tmp_path):
    import pickle
    samples = [frame(sample_idx=0, dets=[box(0.0)], scores=[0.9], gts=[box(0.0)]),
               frame(sample_idx=1, dets=[box(1.0), box(20.0)], scores=[0.8, 0.7], gts=[box(0.0)])]
    metrics = evaluate(samples, tmp_path, results_file=str(tmp_path / 'r' / 'results.pkl'))
    with open(tmp_path / 'r' / 'results.pkl', 'rb') as f:
        saved = pickle.load(f)
    assert len(saved['results']) == 2 and saved['classes'] == list(CLASSES)
    metric = V2XPnPMetric(classes=CLASSES)
    again, _ = metric.figures(saved['results'])
    assert again.keys() == metrics.keys()
    assert all(again[k] == metrics[k] or (np.isnan(again[k]) and np.isnan(metrics[k])) for k in metrics)


@pytest.mark.parametrize('gt, det', [
    ([2.5354323, -18.975813, -1, 4.9971786, 2.062018, 1.5, -2.779531],
     [2.5354323, -18.975813, -1, 4.9971786, 2.062018, 1.5, 0.36206174]),  # the same rectangle, heading reversed
    ([44.894367, -3.995486, -1, 4.7840333, 1.6440014, 1.5, -2.2476385],
     [44.740112, -4.1874766, -1, 4.7840333, 1.6440014, 1.5, -2.2476385]),  # 0.25 m along its heading: IoU 0.902
])
def test_collinear_boxes_of_issue_30_are_matched(tmp_path, gt, det):
    metrics = evaluate([frame(dets=[det], scores=[0.9], gts=[gt])], tmp_path)
    assert metrics['AP@0.5/vehicle'] == 1.0 and metrics['AP@0.7/vehicle'] == 1.0
