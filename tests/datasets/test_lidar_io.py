"""lidar_io: .bin and .pcd (ASCII, binary) round trips, intensity, NaN handling and errors naming the file."""
import numpy as np
import pytest

from projects.TurboTrain.turbotrain.datasets.lidar_io import (LidarReadError, probe_lidar, read_lidar,
                                                              read_lidar_with_stats)
from tests.datasets.tiny_scene import write_bin, write_pcd

POINTS = np.array([[1.0, 2.0, 3.0, 0.25], [-4.5, 0.5, -1.25, 0.75], [10.0, -20.0, 0.0, 1.0]], np.float32)


def test_bin_round_trip(tmp_path):
    path = str(tmp_path / 'a.bin')
    write_bin(path, POINTS)
    np.testing.assert_array_equal(read_lidar(path), POINTS)


@pytest.mark.parametrize('binary', [False, True], ids=['ascii', 'binary'])
def test_pcd_round_trip_keeps_intensity(tmp_path, binary):
    pytest.importorskip('open3d')
    path = str(tmp_path / 'a.pcd')
    write_pcd(path, POINTS, binary=binary)
    points = read_lidar(path)
    assert points.dtype == np.float32 and points.shape == (3, 4)
    np.testing.assert_allclose(points, POINTS, atol=1e-6)


def test_pcd_without_intensity_gets_zero(tmp_path):
    pytest.importorskip('open3d')
    path = tmp_path / 'xyz.pcd'
    path.write_text('VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 2\nHEIGHT 1\n'
                    'VIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA ascii\n1 2 3\n4 5 6\n')
    np.testing.assert_allclose(read_lidar(str(path)), [[1, 2, 3, 0], [4, 5, 6, 0]])


@pytest.mark.parametrize('kind', ['bin', 'pcd_ascii', 'pcd_binary'])
def test_nan_points_dropped_and_counted(tmp_path, kind):
    if kind != 'bin':
        pytest.importorskip('open3d')
    points = POINTS.copy()
    points[1, 0] = np.nan
    points[2, 3] = np.nan  # NaN intensity only: kept with intensity 0
    path = str(tmp_path / ('a.bin' if kind == 'bin' else 'a.pcd'))
    write_bin(path, points) if kind == 'bin' else write_pcd(path, points, binary=kind == 'pcd_binary')
    cloud, stats = read_lidar_with_stats(path)
    assert stats.num_nonfinite == 1 and stats.num_points == 2
    np.testing.assert_allclose(cloud, [[1, 2, 3, 0.25], [10, -20, 0, 0]])


def test_empty_files_give_empty_clouds(tmp_path):
    empty_bin = tmp_path / 'e.bin'
    empty_bin.write_bytes(b'')
    assert read_lidar(str(empty_bin)).shape == (0, 4)
    empty_pcd = str(tmp_path / 'e.pcd')
    write_pcd(empty_pcd, np.zeros((0, 4)), binary=True)
    assert read_lidar(empty_pcd).shape == (0, 4)


def _truncated_bin(tmp_path) -> str:
    path = tmp_path / 'trunc.bin'
    path.write_bytes(POINTS.tobytes()[:-3])
    return str(path)


def _truncated_binary_pcd(tmp_path) -> str:
    path = str(tmp_path / 'trunc.pcd')
    write_pcd(path, POINTS, binary=True)
    data = open(path, 'rb').read()
    open(path, 'wb').write(data[:-10])
    return path


def _truncated_ascii_pcd(tmp_path) -> str:
    path = str(tmp_path / 'short.pcd')
    write_pcd(path, POINTS, binary=False)
    text = open(path).read().splitlines(keepends=True)
    open(path, 'w').write(''.join(text[:-1]))
    return path


# The full read and the header-only check (create_data --lidar-check header) refuse the same broken files alike.
READERS = [pytest.param(read_lidar, id='read'), pytest.param(probe_lidar, id='probe')]


@pytest.mark.parametrize('reader', READERS)
def test_truncated_bin_names_file(tmp_path, reader):
    with pytest.raises(LidarReadError, match=r'trunc\.bin: truncated \.bin'):
        reader(_truncated_bin(tmp_path))


@pytest.mark.parametrize('reader', READERS)
def test_truncated_binary_pcd_names_file(tmp_path, reader):
    with pytest.raises(LidarReadError, match=r'trunc\.pcd: truncated binary PCD: header declares 3 points'):
        reader(_truncated_binary_pcd(tmp_path))


@pytest.mark.parametrize('reader', READERS)
def test_truncated_ascii_pcd_names_file(tmp_path, reader):
    if reader is read_lidar:
        pytest.importorskip('open3d')
    with pytest.raises(LidarReadError, match=r'short\.pcd: .*header declares 3 points'):
        reader(_truncated_ascii_pcd(tmp_path))


@pytest.mark.parametrize('reader', READERS)
def test_garbage_and_unknown_suffix_name_file(tmp_path, reader):
    garbage = tmp_path / 'junk.pcd'
    garbage.write_bytes(b'\x00\x01 not a point cloud')
    with pytest.raises(LidarReadError, match=r'junk\.pcd: not a PCD file'):
        reader(str(garbage))
    with pytest.raises(LidarReadError, match=r'x\.ply: unsupported LiDAR file type'):
        reader(str(tmp_path / 'x.ply'))
    with pytest.raises(LidarReadError, match=r'missing\.bin: cannot access file'):
        reader(str(tmp_path / 'missing.bin'))


@pytest.mark.parametrize('kind', ['bin', 'pcd_ascii', 'pcd_binary'])
def test_probe_counts_declared_points_nan_included(tmp_path, kind):
    """The header-only check gives the declared count: the full read's count plus its non-finite points."""
    points = np.concatenate([POINTS, POINTS])
    points[1, 0] = np.nan
    path = str(tmp_path / ('a.bin' if kind == 'bin' else 'a.pcd'))
    write_bin(path, points) if kind == 'bin' else write_pcd(path, points, binary=kind == 'pcd_binary')
    assert probe_lidar(path) == 6
    if kind != 'bin':
        pytest.importorskip('open3d')
    _, stats = read_lidar_with_stats(path)
    assert (stats.num_points, stats.num_nonfinite) == (5, 1)
