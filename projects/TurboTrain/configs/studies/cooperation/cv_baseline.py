# Study row `cv_baseline`: constant velocity (oracle past, same detections).
# Test-only: run_experiments.py tests the `cooperative` row's checkpoint with it.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))))
test_evaluator = dict(trajectory_source='constant_velocity')
