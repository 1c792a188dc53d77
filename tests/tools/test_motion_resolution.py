"""tools/analysis/motion_resolution.py on hand-made tracks: snapping to cells, the least-squares slope, the FDE of
constant velocity from exact and from cell-level positions, the best constant velocity's FDE, and which labelled
objects are kept."""
import importlib.util
import os.path as osp

import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location('motion_resolution',
                                               osp.join(REPO_ROOT, 'tools', 'analysis', 'motion_resolution.py'))
motion_resolution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(motion_resolution)


def track(xs, y=0.0):
    """(1, H, 2) positions along x at height y."""
    return np.array([[[x, y] for x in xs]], dtype=np.float64)


def test_snap_to_cell_centres_of_a_grid_at_the_origin():
    points = np.array([[0.2, -0.2], [0.99, 1.01], [-1.5, 2.0]])
    assert np.allclose(motion_resolution.snap(points, 1.0), [[0.5, -0.5], [0.5, 1.5], [-1.5, 2.5]])
    assert np.allclose(motion_resolution.snap(points, 0.4), [[0.2, -0.2], [1.0, 1.0], [-1.4, 2.2]])


def test_least_squares_slope():
    assert np.allclose(motion_resolution.slope(track([0.0, 1.0, 2.0])), [[1.0, 0.0]])
    # steps 0, 1, 2 at 0, 0, 3: slope = Σ (t - 1)(x - 1) / Σ (t - 1)² = (1 + 0 + 2) / 2
    assert np.allclose(motion_resolution.slope(track([0.0, 0.0, 3.0])), [[1.5, 0.0]])


def test_constant_velocity_fde_exact_and_at_cell_level():
    fde = motion_resolution.constant_velocity_fde
    end = np.array([[12.2, 0.0]])  # 1 m per step for 10 steps from 2.2
    assert fde(track([0.2, 1.2, 2.2]), end, 10) == pytest.approx([0.0])
    assert fde(track([0.2, 1.2, 2.2]), end, 10, cell=1.0) == pytest.approx([0.0])  # snapped 0.5, 1.5, 2.5
    # 0.2 m per step across a cell border: snapped 0.5, 1.5 → 1 m per step from the exact 1.1: 11.1 against 3.1
    assert fde(track([0.9, 1.1]), np.array([[3.1, 0.0]]), 10, cell=1.0) == pytest.approx([8.0])
    # parked 0.3 m from a cell centre: every position in one cell → no motion read, no error
    assert fde(track([0.3, 0.3, 0.3]), np.array([[0.3, 0.0]]), 10, cell=1.0) == pytest.approx([0.0])


def test_best_constant_velocity_fde():
    best = motion_resolution.best_constant_velocity_fde
    assert best(np.zeros((1, 2)), np.array([[[1.0, 0.0], [2.0, 0.0]]])) == pytest.approx([0.0])
    # futures (1, 0), (1, 0): v* = (1·1 + 2·1) / (1 + 4) = 0.6, at step 2: 1.2 against 1
    assert best(np.zeros((1, 2)), np.array([[[1.0, 0.0], [1.0, 0.0]]])) == pytest.approx([0.2])


class FakeDataset:
    """Two samples of hand-made labels: H = 2, F = 2, classes 0 (vehicle) and 1."""

    def __init__(self):
        full = np.ones((1, 2), dtype=bool)
        self.anns = [
            dict(gt_labels_3d=np.array([0, 1, 0]), gt_past_traj=np.arange(12.0).reshape(3, 2, 2),
                 gt_future_traj=np.arange(12.0).reshape(3, 2, 2) + 100,
                 gt_past_mask=np.array([[True, True], [True, True], [False, True]]),
                 gt_future_mask=np.ones((3, 2), dtype=bool)),
            dict(gt_labels_3d=np.array([0]), gt_past_traj=np.full((1, 2, 2), 7.0),
                 gt_future_traj=np.full((1, 2, 2), 8.0), gt_past_mask=full, gt_future_mask=np.array([[True, False]])),
        ]

    def __len__(self):
        return len(self.anns)

    def get_data_info(self, index):
        return dict(ann_info=self.anns[index])


def test_collect_tracks_keeps_the_class_with_whole_history_and_future():
    tracks = motion_resolution.collect_tracks(FakeDataset(), [0])
    # sample 0: object 0 only (1 is another class, 2 misses a past step); sample 1: its future misses a step
    assert np.array_equal(tracks['past'], np.arange(4.0).reshape(1, 2, 2))
    assert np.array_equal(tracks['future'], np.arange(4.0).reshape(1, 2, 2) + 100)
