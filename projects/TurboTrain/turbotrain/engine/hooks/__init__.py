from .coop_visualization_hook import CoopVisualizationHook, enable_visualization
from .mae_pretrain_hook import MAEPretrainHook, scheduled_mask_ratio

__all__ = ['CoopVisualizationHook', 'enable_visualization', 'MAEPretrainHook', 'scheduled_mask_ratio']
