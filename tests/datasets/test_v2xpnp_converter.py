"""Converter: info content with hand-computed values, every bad-data case reported with its file, strict mode,
no overwrite, determinism, the input tree left untouched, and the generator → converter round trip."""
import os
import os.path as osp
import pickle
import sys

import numpy as np
import pytest

from projects.TurboTrain.turbotrain.datasets.converters import convert_v2xpnp, info_filename
from tests.datasets.tiny_scene import (AGENT_POSES, CAR_ID, PED_ID, car_centre, frame_yaml, list_tree,
                                       make_bad_scene, make_tiny_scene)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _load(path):
    with open(path, 'rb') as handle:
        return pickle.load(handle)


def _issues(report, kind):
    return [issue for issue in report.issues if issue.kind == kind]


@pytest.mark.parametrize('lidar_format', ['bin', 'pcd_ascii', 'pcd_binary'])
def test_tiny_scene_infos(tmp_path, lidar_format):
    if lidar_format != 'bin':
        pytest.importorskip('open3d')
    make_tiny_scene(str(tmp_path), lidar_format)
    report = convert_v2xpnp(str(tmp_path), verbose=False)
    assert report.ok_for_strict, [str(i) for i in report.issues]
    infos = _load(tmp_path / info_filename('train'))
    assert infos['metainfo']['info_version'] == 1
    assert infos['metainfo']['classes'] == ('vehicle', 'pedestrian', 'truck')
    frames = infos['data_list']
    assert [f['frame'] for f in frames] == ['000001', '000002', '000003', '000004', '000005']
    assert [f['time_idx'] for f in frames] == [0, 1, 2, 3, 4]
    frame = frames[2]
    assert sorted(frame['agents']) == [-1, 1, 2]
    suffix = '.bin' if lidar_format == 'bin' else '.pcd'
    assert frame['agents'][2]['lidar_path'] == f'train/scen_a/2/000003{suffix}'
    assert frame['agents'][-1]['agent_type'] == 'infrastructure' and frame['agents'][1]['num_points'] == 28
    # agent 2: yaw 90°, at (30, 10, 1.8): its +x axis points to world +y
    np.testing.assert_allclose(frame['agents'][2]['lidar_to_world'],
                               [[0, -1, 0, 30], [1, 0, 0, 10], [0, 0, 1, 1.8], [0, 0, 0, 1]], atol=1e-12)
    car, ped = frame['objects']
    assert car['obj_id'] == CAR_ID and car['seen_by'] == [-1, 1, 2] and car['label'] == 0
    np.testing.assert_allclose(car['box_world'], [17, 5, 0.75, 4, 2, 1.5, 0])
    assert ped['obj_id'] == PED_ID and ped['seen_by'] == [-1] and ped['label'] == 1
    np.testing.assert_allclose(ped['box_world'], [25, 0, 0.9, 0.6, 0.6, 1.8, np.radians(30)])
    assert report.splits['train']['objects_seen_by_one_agent'] == 5  # the pedestrian in 5 frames


def test_bad_data_each_reported_with_its_file(tmp_path):
    root = str(tmp_path)
    make_bad_scene(root)
    report = convert_v2xpnp(root, verbose=False)  # never raises for bad files
    by_kind = {}
    for issue in report.issues:
        by_kind.setdefault(issue.kind, []).append(issue)
    assert by_kind['empty_cloud'][0].path.endswith('scen_a/1/000002.bin')
    assert by_kind['unreadable_lidar'][0].path.endswith('scen_a/1/000004.bin')
    assert 'not a multiple of 16' in by_kind['unreadable_lidar'][0].reason
    assert by_kind['nonfinite_points'][0].path.endswith('scen_a/-1/000002.bin')
    assert by_kind['nonfinite_points'][0].reason.startswith('3 points with NaN')
    assert by_kind['non_frame_yaml'][0].path.endswith('scen_a/1/000001_additional.yaml')
    assert by_kind['non_frame_yaml'][0].severity == 'info'
    assert by_kind['missing_lidar'][0].path.endswith('scen_a/2/000005.yaml')
    assert by_kind['missing_yaml'][0].path.endswith('scen_a/2/000004.bin')
    assert by_kind['unknown_obj_type'][0].path.endswith('scen_a/*/000001.yaml')
    assert "'Hoverboard'" in by_kind['unknown_obj_type'][0].reason
    assert by_kind['unreadable_yaml'][0].path.endswith('scen_a/-1/000003.yaml')
    missing = {issue.path.rsplit('/', 1)[-1]: issue.reason for issue in by_kind['agent_missing_frames']}
    assert 'frames 3-5' in missing['2'] and 'frames 4' in missing['1'] and 'frames 3' in missing['-1']
    summary = report.summary()
    for issue in report.issues:
        assert str(issue) in summary

    frames = _load(tmp_path / info_filename('train'))['data_list']
    assert sorted(frames[2]['agents']) == [1]  # agent 2 skipped, -1's yaml unreadable
    assert sorted(frames[3]['agents']) == [-1]  # 1 truncated, 2 has no yaml
    assert frames[1]['agents'][1]['num_points'] == 0
    assert frames[1]['agents'][-1]['num_points'] == 25
    hover = [o for o in frames[0]['objects'] if o['obj_id'] == 300][0]
    assert hover['label'] == -1 and hover['obj_type'] == 'Hoverboard'  # kept, not a training label
    # agent 1's cloud at frame 4 is unreadable but its annotations are kept
    assert [o['seen_by'] for o in frames[3]['objects'] if o['obj_id'] == CAR_ID] == [[-1, 1]]


def test_header_check_reports_the_same_bad_files_but_counts_declared_points(tmp_path):
    """--lidar-check header: the same agents, objects and unreadable files as the full read; num_points is the
    declared count (NaN points included) and NaN points are not reported; the report says which check ran."""
    root = str(tmp_path / 'data')
    make_bad_scene(root)
    full = convert_v2xpnp(root, out_dir=str(tmp_path / 'full'), verbose=False)
    header = convert_v2xpnp(root, out_dir=str(tmp_path / 'header'), lidar_check='header', verbose=False)
    assert [str(i) for i in header.issues] == [str(i) for i in full.issues if i.kind != 'nonfinite_points']
    assert header.to_dict()['lidar_check'] == 'header' and full.to_dict()['lidar_check'] == 'full'
    assert 'size and header only' in header.summary()
    full_frames = _load(tmp_path / 'full' / info_filename('train'))['data_list']
    header_frames = _load(tmp_path / 'header' / info_filename('train'))['data_list']
    for full_frame, header_frame in zip(full_frames, header_frames):
        assert sorted(full_frame['agents']) == sorted(header_frame['agents'])
        assert [o['obj_id'] for o in full_frame['objects']] == [o['obj_id'] for o in header_frame['objects']]
    # agent -1 at frame 2 holds 3 NaN points among 28: the full read keeps 25, the header declares 28
    assert full_frames[1]['agents'][-1]['num_points'] == 25
    assert header_frames[1]['agents'][-1]['num_points'] == 28
    with pytest.raises(ValueError, match="lidar_check must be 'full' or 'header'"):
        convert_v2xpnp(root, out_dir=str(tmp_path / 'x'), lidar_check='fast', verbose=False)

    sys.path.insert(0, REPO_ROOT)
    from tools.create_data import main
    cli = tmp_path / 'cli'
    assert main(['v2xpnp', '--root-path', root, '--out-dir', str(cli), '--lidar-check', 'header', '--quiet']) == 0
    assert (cli / info_filename('train')).read_bytes() == (tmp_path / 'header' / info_filename('train')).read_bytes()


def test_strict_mode_fails_and_writes_nothing(tmp_path):
    scenario = make_tiny_scene(str(tmp_path), 'bin')
    os.remove(osp.join(scenario, '2', '000003.bin'))
    with pytest.raises(RuntimeError, match='strict mode: 1 errors'):
        convert_v2xpnp(str(tmp_path), strict=True, verbose=False)
    assert not osp.exists(tmp_path / info_filename('train'))


def test_cli_exit_codes_overwrite_and_input_untouched(tmp_path, capsys):
    sys.path.insert(0, REPO_ROOT)
    from tools.create_data import main
    root, out = tmp_path / 'data', tmp_path / 'out'
    scenario = make_tiny_scene(str(root), 'bin')
    before = list_tree(str(root))
    assert main(['v2xpnp', '--root-path', str(root), '--out-dir', str(out), '--quiet']) == 0
    assert sorted(os.listdir(out)) == ['v2xpnp_conversion_report.json', 'v2xpnp_infos_train.pkl']
    assert list_tree(str(root)) == before
    first = (out / 'v2xpnp_infos_train.pkl').read_bytes()
    # refuses to overwrite
    assert main(['v2xpnp', '--root-path', str(root), '--out-dir', str(out), '--quiet']) == 2
    assert 'refusing to overwrite' in capsys.readouterr().err
    assert (out / 'v2xpnp_infos_train.pkl').read_bytes() == first
    # strict failure leaves the previous files as they were
    os.remove(osp.join(scenario, '1', '000002.bin'))
    assert main(['v2xpnp', '--root-path', str(root), '--out-dir', str(out), '--strict', '--overwrite',
                 '--quiet']) == 1
    assert (out / 'v2xpnp_infos_train.pkl').read_bytes() == first
    assert main(['v2xpnp', '--root-path', str(root), '--out-dir', str(out), '--overwrite', '--quiet']) == 0
    assert (out / 'v2xpnp_infos_train.pkl').read_bytes() != first
    assert not [n for n in os.listdir(out) if n.endswith('.tmp')]
    assert list_tree(str(root)) == list_tree(str(root))


def test_deterministic_across_workers(tmp_path):
    make_tiny_scene(str(tmp_path / 'data'), 'bin')
    make_tiny_scene(str(tmp_path / 'data'), 'bin', split='val', scenario='scen_b', frames=[1, 2, 3])
    convert_v2xpnp(str(tmp_path / 'data'), out_dir=str(tmp_path / 'serial'), verbose=False)
    convert_v2xpnp(str(tmp_path / 'data'), out_dir=str(tmp_path / 'parallel'), workers=2, verbose=False)
    for name in ('v2xpnp_infos_train.pkl', 'v2xpnp_infos_val.pkl', 'v2xpnp_conversion_report.json'):
        assert (tmp_path / 'serial' / name).read_bytes() == (tmp_path / 'parallel' / name).read_bytes()


def test_frame_step_two_and_gaps(tmp_path):
    # OPV2V-style ids 68, 70, 72, 76 → slots 0, 1, 2, 4 and a reported gap at 74
    make_tiny_scene(str(tmp_path), 'bin', frames=[68, 70, 72, 76])
    report = convert_v2xpnp(str(tmp_path), verbose=False)
    frames = _load(tmp_path / info_filename('train'))['data_list']
    assert [f['time_idx'] for f in frames] == [0, 1, 2, 4]
    assert [f['timestamp'] for f in frames] == [0.0, 0.1, 0.2, 0.4]
    gaps = _issues(report, 'frame_gap')
    assert len(gaps) == 1 and gaps[0].path.endswith('train/scen_a') and 'step 2): 74' in gaps[0].reason


def test_merge_conflict_reported(tmp_path):
    scenario = make_tiny_scene(str(tmp_path), 'bin', frames=[1, 2])
    text = frame_yaml(2, 1).replace('location: [15.0, 5.0, 0.0]', 'location: [16.5, 5.0, 0.0]')
    with open(osp.join(scenario, '2', '000001.yaml'), 'w') as handle:
        handle.write(text)
    report = convert_v2xpnp(str(tmp_path), verbose=False)
    conflicts = _issues(report, 'object_conflict')
    assert len(conflicts) == 1 and 'agents -1 and 2 differ by 1.50 m' in conflicts[0].reason
    car = _load(tmp_path / info_filename('train'))['data_list'][0]['objects'][0]
    np.testing.assert_allclose(car['box_world'][:3], car_centre(1))  # lowest agent id (-1) wins


def test_generator_round_trip(tmp_path):
    synthetic = pytest.importorskip('projects.TurboTrain.turbotrain.datasets.synthetic')
    summary = synthetic.generate_dataset(str(tmp_path), num_scenarios=3, seed=0, frames_per_scenario=4,
                                         lidar_format='bin', preset='tiny')
    report = convert_v2xpnp(str(tmp_path), workers=0, verbose=False)
    assert report.count('error') == 0, [str(i) for i in report.issues if i.severity == 'error']
    assert {i.kind for i in report.issues} <= {'non_frame_yaml'}, [str(i) for i in report.issues]
    for split, scenarios in summary['splits'].items():
        if not scenarios:
            continue
        frames = _load(tmp_path / info_filename(split))['data_list']
        assert len(frames) == 4 * len(scenarios)
        assert sorted(frames[0]['agents']) == sorted(summary['agent_ids'])
        assert all(o['label'] >= 0 for f in frames for o in f['objects'])
    assert AGENT_POSES  # the hand-made scene helper stays importable alongside


@pytest.mark.parametrize('layout', ['no_scenarios', 'no_frames', 'only_yaml_stray'])
def test_empty_split_refused_and_nothing_written(tmp_path, capsys, layout):
    """A split without scenarios, or whose scenarios hold no agent frame, is an error (create_data exit 2, one
    line naming the folder), and no info or report file is written, also for the splits that had data."""
    from projects.TurboTrain.turbotrain.datasets.converters import EmptyDatasetError
    from tools.create_data import main
    root, out = tmp_path / 'data', tmp_path / 'out'
    make_tiny_scene(str(root), 'bin')  # a valid train split
    empty = root / 'val'
    empty.mkdir()
    if layout == 'no_frames':
        (empty / 'scen_x' / '1').mkdir(parents=True)
    elif layout == 'only_yaml_stray':
        (empty / 'scen_x' / 'not_an_agent').mkdir(parents=True)
    with pytest.raises(EmptyDatasetError, match=str(empty)):
        convert_v2xpnp(str(root), out_dir=str(out), verbose=False)
    assert not out.exists()
    assert main(['v2xpnp', '--root-path', str(root), '--out-dir', str(out), '--quiet']) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith(f'error: {empty}: no ')
    assert not out.exists()
    # converting only the split with data works
    assert main(['v2xpnp', '--root-path', str(root), '--out-dir', str(out), '--splits', 'train', '--quiet']) == 0
    assert sorted(os.listdir(out)) == ['v2xpnp_conversion_report.json', 'v2xpnp_infos_train.pkl']
