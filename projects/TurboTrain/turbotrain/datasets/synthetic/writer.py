"""Writers for the real V2XPnP-Seq / OpenCOOD files: per-frame yaml, ``.pcd`` (PCD v0.7) and
``.bin``.

``.pcd``: header ``FIELDS x y z intensity``, ``SIZE 4 4 4 4``, ``TYPE F F F F``, ``HEIGHT 1``, then
little-endian float32 rows (``DATA binary``, default) or text rows (``DATA ascii``). ``.bin``: raw
float32 N×4 ``[x, y, z, intensity]`` (the V2X-Real layout). Points are written exactly as given
(sensor frame). Output is byte-deterministic for the same inputs.
"""
import os
from typing import Any, Dict

import numpy as np
import yaml

__all__ = ['write_pcd', 'write_bin', 'write_lidar', 'write_yaml']

_Dumper = getattr(yaml, 'CSafeDumper', yaml.SafeDumper)


def write_pcd(path: str, points: np.ndarray, binary: bool = True) -> None:
    """Write (N, 4) ``[x, y, z, intensity]`` as a PCD v0.7 file (float32 fields)."""
    points = np.ascontiguousarray(points, dtype='<f4').reshape(-1, 4)
    num = points.shape[0]
    header = ('# .PCD v0.7 - Point Cloud Data file format\n'
              'VERSION 0.7\n'
              'FIELDS x y z intensity\n'
              'SIZE 4 4 4 4\n'
              'TYPE F F F F\n'
              'COUNT 1 1 1 1\n'
              f'WIDTH {num}\n'
              'HEIGHT 1\n'
              'VIEWPOINT 0 0 0 1 0 0 0\n'
              f'POINTS {num}\n'
              f'DATA {"binary" if binary else "ascii"}\n')
    with open(path, 'wb') as f:
        f.write(header.encode('ascii'))
        if binary:
            f.write(points.tobytes())
        else:
            body = '\n'.join(' '.join(f'{v:.6g}' for v in row) for row in points.tolist())
            f.write((body + '\n' if num else '').encode('ascii'))


def write_bin(path: str, points: np.ndarray) -> None:
    """Write (N, 4) ``[x, y, z, intensity]`` as raw little-endian float32 (V2X-Real ``.bin``)."""
    np.ascontiguousarray(points, dtype='<f4').reshape(-1, 4).tofile(path)


def write_lidar(path_without_ext: str,
                points: np.ndarray,
                lidar_format: str = 'pcd',
                pcd_binary: bool = True) -> str:
    """Write a point file as ``<path>.pcd`` or ``<path>.bin``; returns the path written."""
    if lidar_format == 'pcd':
        path = path_without_ext + '.pcd'
        write_pcd(path, points, binary=pcd_binary)
    elif lidar_format == 'bin':
        path = path_without_ext + '.bin'
        write_bin(path, points)
    else:
        raise ValueError(f"lidar_format must be 'pcd' or 'bin', got {lidar_format!r}")
    return path


def write_yaml(path: str, content: Dict[str, Any]) -> None:
    """Dump ``content`` (plain python types only) as block-style yaml with sorted keys."""
    text = yaml.dump(content, Dumper=_Dumper, default_flow_style=False, sort_keys=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)
