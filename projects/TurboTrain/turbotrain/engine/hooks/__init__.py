from .coop_visualization_hook import CoopVisualizationHook, enable_visualization
from .mae_pretrain_hook import MAEPretrainHook, scheduled_mask_ratio
from .resumable_early_stopping_hook import ResumableEarlyStoppingHook
from .training_cost_hook import TrainingCostHook, read_cost_record

__all__ = ['CoopVisualizationHook', 'enable_visualization', 'MAEPretrainHook', 'scheduled_mask_ratio',
           'ResumableEarlyStoppingHook', 'TrainingCostHook', 'read_cost_record']
