# Study row `cv_baseline`: constant velocity (oracle past, same detections).
# Test-only: run_experiments.py tests the `cooperative` row's checkpoint with it.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalAttentionFusion'))))
test_evaluator = dict(trajectory_source='constant_velocity')
