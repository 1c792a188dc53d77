"""Reading V2XPnP LiDAR files: ``.pcd`` (ASCII / binary / binary_compressed) and ``.bin`` (float32 N×4).

Every reader returns ``(N, 4)`` float32 ``[x, y, z, intensity]`` in the **agent frame at that frame** (the file's
own sensor frame; see docs/contract.md). Problems raise :class:`LidarReadError` whose message names the file and
the reason, so a converter report or a worker log says exactly what is wrong.

Rules (documented, tested):
- Points with a non-finite x, y or z are dropped (their count is returned by :func:`read_lidar_with_stats`);
  a non-finite intensity becomes 0.
- A ``.pcd`` without an intensity field gets intensity 0.
- An empty file / a cloud with zero points is valid and gives a ``(0, 4)`` array (callers decide whether that is
  suspicious).
- A ``.bin`` whose size is not a multiple of 16 bytes, or a ``.pcd`` whose payload is shorter than its header
  declares, is *truncated* → :class:`LidarReadError`.

``.pcd`` files are parsed by Open3D's tensor reader (``open3d.t.io.read_point_cloud``), a maintained reader that
keeps the intensity channel; the header is checked here first so truncation is reported instead of Open3D's
silent empty cloud.
"""
import os
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

POINT_DIM = 4
SUPPORTED_SUFFIXES = ('.pcd', '.bin')


class LidarReadError(RuntimeError):
    """A LiDAR file could not be read; the message names the file and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f'{self.path}: {reason}')


@dataclass
class LidarStats:
    """What reading a file found: points kept and points dropped for non-finite coordinates."""
    num_points: int
    num_nonfinite: int


def _clean(points: np.ndarray) -> Tuple[np.ndarray, int]:
    """Drop rows with non-finite xyz, zero non-finite intensity. (N, 4) → (M, 4) float32, dropped count."""
    finite_xyz = np.isfinite(points[:, :3]).all(axis=1)
    num_bad = int((~finite_xyz).sum())
    if num_bad:
        points = points[finite_xyz]
    bad_intensity = ~np.isfinite(points[:, 3])
    if bad_intensity.any():
        points = points.copy()
        points[bad_intensity, 3] = 0.0
    return np.ascontiguousarray(points, dtype=np.float32), num_bad


def _bin_point_count(path: str) -> int:
    """Points in a float32 ``N×4`` ``.bin`` file from its size; raises :class:`LidarReadError` if truncated."""
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise LidarReadError(path, f'cannot access file ({err.strerror})') from None
    row_bytes = 4 * POINT_DIM
    if size % row_bytes:
        raise LidarReadError(
            path, f'truncated .bin: {size} bytes is not a multiple of {row_bytes} (float32 x {POINT_DIM})')
    return size // row_bytes


def read_bin(path: str) -> np.ndarray:
    """Read a float32 ``N×4`` ``.bin`` file (V2X-Real layout) → (N, 4) float32, unfiltered."""
    _bin_point_count(path)
    try:
        data = np.fromfile(path, dtype=np.float32)
    except OSError as err:
        raise LidarReadError(path, f'cannot read file ({err})') from None
    return data.reshape(-1, POINT_DIM)


# Bytes per value for the PCD TYPE/SIZE pairs Open3D understands.
_PCD_KNOWN_SIZES = {1, 2, 4, 8}


def read_pcd_header(path: str) -> Dict[str, object]:
    """Parse a PCD header (up to and including the ``DATA`` line).

    Returns dict(fields=[str], sizes=[int], counts=[int], points=int, data='ascii'|'binary'|'binary_compressed',
    header_bytes=int). Raises :class:`LidarReadError` if it is not a PCD header.
    """
    header: Dict[str, object] = {}
    try:
        with open(path, 'rb') as handle:
            consumed = 0
            for _ in range(64):  # a PCD header has ~11 lines; comments allowed
                line = handle.readline()
                if not line:
                    break
                consumed += len(line)
                text = line.decode('ascii', errors='replace').strip()
                if not text or text.startswith('#'):
                    continue
                key, _, value = text.partition(' ')
                key = key.upper()
                if key == 'FIELDS':
                    header['fields'] = value.split()
                elif key == 'SIZE':
                    header['sizes'] = [int(v) for v in value.split()]
                elif key == 'COUNT':
                    header['counts'] = [int(v) for v in value.split()]
                elif key == 'POINTS':
                    header['points'] = int(value)
                elif key == 'WIDTH':
                    header['width'] = int(value)
                elif key == 'HEIGHT':
                    header['height'] = int(value)
                elif key == 'DATA':
                    header['data'] = value.strip().lower()
                    header['header_bytes'] = consumed
                    break
    except OSError as err:
        raise LidarReadError(path, f'cannot read file ({err.strerror})') from None
    except ValueError as err:
        raise LidarReadError(path, f'malformed PCD header ({err})') from None
    if 'data' not in header or 'fields' not in header:
        raise LidarReadError(path, 'not a PCD file (no FIELDS/DATA header lines)')
    if 'points' not in header:
        header['points'] = int(header.get('width', 0)) * int(header.get('height', 1))
    fields = header['fields']
    header.setdefault('counts', [1] * len(fields))
    if 'sizes' not in header:
        raise LidarReadError(path, 'malformed PCD header (no SIZE line)')
    if not {'x', 'y', 'z'} <= set(fields):
        raise LidarReadError(path, f'PCD has no x/y/z fields (fields: {fields})')
    return header


def _check_pcd_payload(path: str, header: Dict[str, object]) -> None:
    """Detect truncated payloads before handing the file to Open3D (which fills missing ASCII rows with
    uninitialised memory instead of failing)."""
    if header['data'] == 'ascii':
        with open(path, 'rb') as handle:
            handle.seek(int(header['header_bytes']))
            rows = [line for line in handle.read().split(b'\n') if line.strip()]
        declared, values = int(header['points']), sum(header['counts'])
        if len(rows) < declared:
            raise LidarReadError(path, f'truncated ASCII PCD: header declares {declared} points, file has '
                                 f'{len(rows)} rows')
        short = [i for i, row in enumerate(rows[:declared]) if len(row.split()) != values]
        if short:
            raise LidarReadError(path, f'malformed ASCII PCD: row {short[0]} has '
                                 f'{len(rows[short[0]].split())} values, expected {values}')
        return
    if header['data'] != 'binary':
        return
    sizes, counts = header['sizes'], header['counts']
    if any(s not in _PCD_KNOWN_SIZES for s in sizes):
        raise LidarReadError(path, f'unsupported PCD SIZE values {sizes}')
    row_bytes = sum(s * c for s, c in zip(sizes, counts))
    expected = int(header['points']) * row_bytes
    available = os.path.getsize(path) - int(header['header_bytes'])
    if available < expected:
        raise LidarReadError(
            path, f'truncated binary PCD: header declares {header["points"]} points ({expected} bytes), '
            f'file holds {available} bytes')


def read_pcd(path: str) -> np.ndarray:
    """Read a ``.pcd`` with Open3D's tensor reader → (N, 4) float32 ``[x, y, z, intensity]``, unfiltered."""
    header = read_pcd_header(path)
    _check_pcd_payload(path, header)
    declared = int(header['points'])
    if declared == 0:
        return np.zeros((0, POINT_DIM), dtype=np.float32)
    try:
        import open3d  # noqa: F401  (imported lazily: heavy, and only needed for .pcd)
        from open3d.t.io import read_point_cloud
    except ImportError as err:  # pragma: no cover - environment problem
        raise LidarReadError(path, f'open3d is required to read .pcd files ({err})') from None
    try:
        cloud = read_point_cloud(path, remove_nan_points=False, remove_infinite_points=False)
    except Exception as err:  # noqa: BLE001 - Open3D raises RuntimeError subclasses with varying types
        raise LidarReadError(path, f'Open3D could not parse the PCD ({err})') from None
    attributes = cloud.point
    if 'positions' not in attributes:
        raise LidarReadError(path, f'Open3D returned no points although the header declares {declared}')
    xyz = attributes['positions'].numpy().astype(np.float32, copy=False).reshape(-1, 3)
    if xyz.shape[0] != declared:
        raise LidarReadError(
            path, f'unreadable or truncated PCD: header declares {declared} points, reader returned {xyz.shape[0]}')
    intensity = np.zeros((xyz.shape[0], 1), dtype=np.float32)
    for name in ('intensity', 'i'):
        if name in attributes:
            intensity = attributes[name].numpy().astype(np.float32, copy=False).reshape(-1, 1)
            break
    return np.concatenate([xyz, intensity], axis=1)


def _suffix(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LidarReadError(path, f'unsupported LiDAR file type {suffix!r} (expected one of {SUPPORTED_SUFFIXES})')
    return suffix


def probe_lidar(path: str) -> int:
    """Check a ``.pcd`` / ``.bin`` file from its size and header only → the number of points it declares.

    Raises :class:`LidarReadError` for what the size and header show: an unsupported type, a malformed PCD header,
    a truncated ``.bin`` or binary / ASCII PCD payload. No point is parsed, so points with non-finite coordinates
    are counted (:func:`read_lidar_with_stats` drops them) and a ``binary_compressed`` payload is not checked.
    """
    path = os.fspath(path)
    if _suffix(path) == '.bin':
        return _bin_point_count(path)
    header = read_pcd_header(path)
    _check_pcd_payload(path, header)
    return int(header['points'])


def read_lidar_with_stats(path: str) -> Tuple[np.ndarray, LidarStats]:
    """Read a ``.pcd`` or ``.bin`` file → ((N, 4) float32 finite points, :class:`LidarStats`)."""
    path = os.fspath(path)
    raw = read_bin(path) if _suffix(path) == '.bin' else read_pcd(path)
    points, num_bad = _clean(raw)
    return points, LidarStats(num_points=int(points.shape[0]), num_nonfinite=num_bad)


def read_lidar(path: str) -> np.ndarray:
    """Read a ``.pcd`` or ``.bin`` file → (N, 4) float32 ``[x, y, z, intensity]`` in the file's sensor frame."""
    return read_lidar_with_stats(path)[0]
