from .scatter_pillar_encoder import ScatterPillarEncoder
from .voxel_bev_encoder import VoxelBEVEncoder

__all__ = ['ScatterPillarEncoder', 'VoxelBEVEncoder']
