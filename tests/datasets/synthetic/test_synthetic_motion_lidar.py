"""Hand-computed checks of the motion model, the ray caster and the CLI of the synthetic
generator."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from projects.TurboTrain.turbotrain.datasets.synthetic import (GROUND_LABEL, STATIC_LABEL,
                                                               LidarSpec, MotionPlan, Path,
                                                               SyntheticScenario, boxes_overlap_bev,
                                                               simulate_motion, simulate_scan)
from projects.TurboTrain.turbotrain.utils.geometry import pose_to_matrix

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
EXACT = dict(range_noise_std=0.0, dropout=0.0, far_dropout=0.0)


def test_acceleration_from_rest_hand_computed():
    path = Path.from_waypoints([(0.0, 0.0), (200.0, 0.0)])
    s, v = simulate_motion(path,
                           MotionPlan(s0=0.0, v0=0.0, desired_speeds=[(0.0, 10.0)], max_accel=2.0),
                           num_frames=31)
    # 2 m/s² from rest: v(1 s) = 2, v(3 s) = 6; s(t) ≈ t² (explicit Euler adds < 3 %).
    assert v[10] == pytest.approx(2.0) and v[30] == pytest.approx(6.0)
    assert s[10] == pytest.approx(1.0, rel=0.05) and s[30] == pytest.approx(9.0, rel=0.05)


def test_slows_for_curve_and_stops_at_stop_line():
    radius = 10.0
    turn = Path.from_waypoints([(-100.0, 0.0), (0.0, 0.0), (0.0, 100.0)], corner_radius=radius)
    s, v = simulate_motion(turn,
                           MotionPlan(s0=0.0,
                                      v0=12.0,
                                      desired_speeds=[(0.0, 12.0)],
                                      lateral_accel=2.5),
                           num_frames=300)
    in_turn = np.abs(turn.curvature(s)) > 0.02
    assert in_turn.any() and v[0] == 12.0
    # lateral acceleration v² |curvature| stays near the 2.5 m/s² limit; the car slows well
    # below 12 m/s
    assert np.max(v[in_turn]**2 * np.abs(turn.curvature(s[in_turn]))) < 2.5 * 1.15
    assert v[in_turn].min() < np.sqrt(
        2.5 * 7.1) + 0.3  # tightest point of the fillet: radius ≈ 7.07 m
    assert v[-1] > 10.0  # speeds up again after the turn
    straight = Path.from_waypoints([(0.0, 0.0), (200.0, 0.0)])
    s, v = simulate_motion(straight,
                           MotionPlan(s0=0.0,
                                      v0=10.0,
                                      desired_speeds=[(0.0, 10.0)],
                                      stop_s=40.0,
                                      release_time=8.0),
                           num_frames=120)
    stopped = np.flatnonzero(v < 0.05)
    assert stopped.size and s[stopped[0]] == pytest.approx(40.0, abs=0.5)
    assert s[79] <= 40.05  # holds until released at 8 s
    assert v[-1] > 2.0 and s[-1] > 45.0  # then pulls away


def test_scenario_motion_is_not_constant_velocity():
    turning = accelerating = stopping = 0
    for index in (0, 1):
        scenario = SyntheticScenario(seed=1, index=index, num_frames=60, preset='tiny')
        for track in scenario.tracks:
            valid = track.valid
            if valid.sum() < 20:
                continue
            yaw = np.unwrap(track.yaw[valid])
            speed = track.speed[valid]
            turning += np.ptp(yaw) > np.radians(45.0) and speed.max() > 2.0
            accelerating += np.ptp(speed) > 1.5
            stopping += speed.max() > 2.0 and speed.min() < 0.05
            # positions follow speeds: |Δxy| / 0.1 s ≈ speed (path-following, no teleports)
            step = np.hypot(*np.diff(track.xy[valid], axis=0).T) / 0.1
            assert np.all(np.abs(step - 0.5 * (speed[:-1] + speed[1:])) < 0.6)
    assert turning >= 1 and accelerating >= 3 and stopping >= 1


def test_no_collisions_between_objects():
    scenario = SyntheticScenario(seed=2, index=0, num_frames=40, preset='tiny')
    tracks = scenario.tracks
    for i in range(len(tracks)):
        for j in range(i + 1, len(tracks)):
            a, b = tracks[i], tracks[j]
            both = a.valid & b.valid
            overlap = boxes_overlap_bev(a.xy, a.yaw, a.size[:2] / 2, b.xy, b.yaw, b.size[:2] / 2)
            assert not (overlap & both).any(), (a.obj_id, b.obj_id)


def test_boxes_overlap_bev_hand_computed():
    half = np.array([2.0, 1.0])
    at = np.array([0.0, 0.0])
    assert boxes_overlap_bev(at, 0.0, half, np.array([3.9, 0.0]), 0.0, half)
    assert not boxes_overlap_bev(at, 0.0, half, np.array([4.1, 0.0]), 0.0, half)
    # rotated by 90°: the other box's half length now lies along y
    assert not boxes_overlap_bev(at, 0.0, half, np.array([0.0, 3.1]), np.pi / 2, half)
    assert boxes_overlap_bev(at, 0.0, half, np.array([0.0, 2.9]), np.pi / 2, half)


def test_ray_cast_hand_computed_box_and_ground():
    spec = LidarSpec(num_beams=3,
                     num_columns=8,
                     elevation_min_deg=-20.0,
                     elevation_max_deg=0.0,
                     max_range=50.0,
                     **EXACT)  # beams at -20°, -10°, 0°; columns every 45°
    sensor = pose_to_matrix([0.0, 0.0, 2.0, 0.0, 0.0, 0.0])
    box = np.array([[10.0, 0.0, 2.0, 2.0, 2.0, 4.0, 0.0]])  # near face at x = 9, z in [0, 4]
    scan = simulate_scan(sensor, spec, box, np.array([7]), np.array([0.5]),
                         np.random.default_rng(0))
    on_box = scan.points[scan.labels == 7]
    # azimuth 0: the 0° beam hits the near face at (9, 0, 0); the -10° beam at (9, 0, -9 tan 10°)
    expected = [[9.0, 0.0, -9 * np.tan(np.radians(10))], [9.0, 0.0, 0.0]]
    np.testing.assert_allclose(on_box[np.argsort(on_box[:, 2]), :3], expected, atol=1e-5)
    ground = scan.points[scan.labels == GROUND_LABEL]
    # -20° beams reach the ground at 2 / tan 20° = 5.49 m; -10° beams at 11.34 m, except behind
    # the box
    radii = np.hypot(ground[:, 0], ground[:, 1])
    assert np.sum(np.isclose(radii, 2 / np.tan(np.radians(20)), atol=1e-4)) == 8
    assert np.sum(np.isclose(radii, 2 / np.tan(np.radians(10)), atol=1e-4)) == 7
    np.testing.assert_allclose(ground[:, 2], -2.0, atol=1e-5)
    assert scan.points.shape == (17, 4) and scan.points.dtype == np.float32


def test_ray_cast_occlusion_tilted_sensor_and_range():
    spec = LidarSpec(num_beams=1,
                     num_columns=360,
                     elevation_min_deg=0.0,
                     elevation_max_deg=0.0,
                     max_range=30.0,
                     **EXACT)
    # sensor 1 m up, yawed 90° and rolled 2°: a wall 10 m to the world-east hides a car behind it
    sensor = pose_to_matrix([0.0, 0.0, 1.0, 2.0, 90.0, 0.0])
    wall = [10.0, 0.0, 2.0, 1.0, 8.0, 4.0, 0.0]
    car_hidden = [15.0, 0.0, 0.75, 4.0, 2.0, 1.5, 0.0]
    car_far = [0.0, 40.0, 0.75, 4.0, 2.0, 1.5, 0.0]  # beyond max range
    car_visible = [-12.0, 0.0, 0.75, 4.0, 2.0, 1.5, 0.3]
    boxes = np.array([wall, car_hidden, car_far, car_visible])
    scan = simulate_scan(sensor, spec, boxes, np.array([STATIC_LABEL, 11, 12, 13]), np.full(4, 0.5),
                         np.random.default_rng(0))
    counts = {k: int((scan.labels == k).sum()) for k in (STATIC_LABEL, 11, 12, 13)}
    assert counts[11] == 0 and counts[12] == 0 and counts[STATIC_LABEL] > 0 and counts[13] > 0
    world = scan.points[:, :3] @ sensor[:3, :3].T + sensor[:3, 3]
    wall_pts = world[scan.labels == STATIC_LABEL]
    np.testing.assert_allclose(wall_pts[:, 0], 9.5, atol=1e-4)  # the near face of the wall
    assert np.linalg.norm(scan.points[:, :3], axis=1).max() <= 30.0


def test_cli_tiny(tmp_path):
    out = tmp_path / 'synth'
    result = subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'make_synthetic_v2xpnp.py'), '--out',
        str(out), '--scenarios', '1', '--seed', '4', '--frames-per-scenario', '2', '--lidar-format',
        'bin', '--preset', 'tiny', '--quiet'
    ],
                            cwd=str(tmp_path),
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"num_clouds": 8' in result.stdout
    scenario = SyntheticScenario(seed=4, index=0, num_frames=2, preset='tiny')
    path = out / 'train' / scenario.name / '2' / '000002.bin'
    np.testing.assert_array_equal(
        np.fromfile(path, '<f4').reshape(-1, 4),
        scenario.scan(2, 1).points)


def test_fast_yaml_writer_matches_pyyaml():
    import yaml

    from projects.TurboTrain.turbotrain.datasets.synthetic.writer import dump_yaml
    scenario = SyntheticScenario(seed=0, index=1, num_frames=2, preset='tiny')
    for agent_id in scenario.agent_ids:
        content = scenario.agent_yaml(agent_id, 1)
        assert dump_yaml(content) == yaml.safe_dump(content, default_flow_style=False)
    extra = {
        'note': "not a frame: skip; it's",
        'k': [[1.0, -2e-07], [3.5e+20, 0.0]],
        'e': {},
        'n': -3,
        'x': 1e-05,
        'flag': True,
        'word': 'yes'
    }
    assert yaml.safe_load(dump_yaml(extra)) == extra
