"""Multi-agent spatiotemporal masked-reconstruction pretraining (CooPre-style, extended over agents and time)."""
from .bev_column_masking import BEVColumnMasking, ColumnMaskResult
from .cooperative_mae import CoopMAE, ReconstructionResult
from .losses import ChamferLoss, OccupancyLoss, chamfer_distance
from .reconstruction_head import BEVReconstructionHead
from .reconstruction_metric import ReconstructionMetric, summarise_reconstruction
from .reconstruction_targets import ReconstructionTargetBuilder, ReconstructionTargets
from .trunk_checkpoint import (PretrainedTrunkInit, TrunkMismatchError, export_trunk_checkpoint,
                               load_pretrained_trunk, load_trunk_checkpoint)

__all__ = [
    'BEVColumnMasking', 'ColumnMaskResult', 'CoopMAE', 'ReconstructionResult', 'ChamferLoss', 'OccupancyLoss',
    'chamfer_distance', 'BEVReconstructionHead', 'ReconstructionMetric', 'summarise_reconstruction',
    'ReconstructionTargetBuilder', 'ReconstructionTargets', 'PretrainedTrunkInit', 'TrunkMismatchError',
    'export_trunk_checkpoint', 'load_pretrained_trunk', 'load_trunk_checkpoint'
]
