"""Writers for the real V2XPnP-Seq / OpenCOOD files: per-frame yaml, ``.pcd`` (PCD v0.7) and
``.bin``.

``.pcd``: header ``FIELDS x y z intensity``, ``SIZE 4 4 4 4``, ``TYPE F F F F``, ``HEIGHT 1``, then
little-endian float32 rows (``DATA binary``, default) or text rows (``DATA ascii``). ``.bin``: raw
float32 N×4 ``[x, y, z, intensity]`` (the V2X-Real layout). Points are written exactly as given
(sensor frame). Output is byte-deterministic for the same inputs.
"""
import os
import re
from typing import Any, Dict

import numpy as np

__all__ = ['write_pcd', 'write_bin', 'write_lidar', 'write_yaml', 'dump_yaml']


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


_PLAIN = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_RESERVED = {'true', 'false', 'yes', 'no', 'on', 'off', 'null', 'y', 'n'}


def _scalar(value: Any) -> str:
    """One scalar as PyYAML's block emitter writes it (the subset of types these files use)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value != value:
            return '.nan'
        if value in (float('inf'), float('-inf')):
            return '.inf' if value > 0 else '-.inf'
        text = repr(value).lower()
        if '.' not in text and 'e' in text:  # YAML 1.1 needs a dot in exponent floats
            text = text.replace('e', '.0e')
        return text
    if value is None:
        return 'null'
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
            return value
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f'cannot write {type(value).__name__} to yaml')


def _emit(node: Any, indent: int, lines: list) -> None:
    pad = ' ' * indent
    if isinstance(node, dict):
        for key in sorted(node):
            value = node[key]
            if isinstance(value, dict) and value:
                lines.append(f'{pad}{_scalar(key)}:')
                _emit(value, indent + 2, lines)
            elif isinstance(value, (list, tuple)) and value:
                lines.append(f'{pad}{_scalar(key)}:')
                _emit(list(value), indent, lines)  # block sequences in a mapping are not indented
            elif isinstance(value, dict):
                lines.append(f'{pad}{_scalar(key)}: {{}}')
            elif isinstance(value, (list, tuple)):
                lines.append(f'{pad}{_scalar(key)}: []')
            else:
                lines.append(f'{pad}{_scalar(key)}: {_scalar(value)}')
    else:
        for item in node:
            if isinstance(item, (list, tuple)) and item:
                if any(isinstance(v, (list, tuple, dict)) for v in item):
                    raise TypeError('only two levels of nested sequences are supported')
                lines.append(f'{pad}- - {_scalar(item[0])}')
                lines.extend(f'{pad}  - {_scalar(v)}' for v in item[1:])
            elif isinstance(item, dict):
                raise TypeError('sequences of mappings are not supported')
            else:
                lines.append(f'{pad}- {_scalar(item)}')


def dump_yaml(content: Dict[str, Any]) -> str:
    """Block-style yaml text with sorted keys, fast.

    For the plain types these files hold (dicts, lists, floats, ints, identifier-like strings) the
    text equals ``yaml.safe_dump(content)``; other strings are single-quoted.
    """
    if not content:
        return '{}\n'
    lines: list = []
    _emit(content, 0, lines)
    return '\n'.join(lines) + '\n'


def write_yaml(path: str, content: Dict[str, Any]) -> None:
    """Write ``content`` (plain python types only) as block-style yaml with sorted keys."""
    text = dump_yaml(content)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)
