from . import transforms  # noqa: F401
from .converters import convert_v2xpnp
from .lidar_io import LidarReadError, read_lidar
from .seeded_sampler import SeededIndex, SeededSampler
from .v2xpnp_dataset import V2XPnPSeqDataset

__all__ = ['V2XPnPSeqDataset', 'convert_v2xpnp', 'read_lidar', 'LidarReadError', 'SeededSampler', 'SeededIndex']
