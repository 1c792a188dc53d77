# Runtime settings shared by every TurboTrain config (mmengine Runner).
default_scope = 'mmdet3d'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # BEV pictures of predictions; off until switched on (tools/test.py --show-dir DIR, or draw=True)
    visualization=dict(type='CoopVisualizationHook', draw=False),
    # cumulative iterations/epochs/samples/wall seconds of the recipe (earlier stages and pretraining included),
    # stamped on every validation; <work_dir>/cost.json (projects/TurboTrain engine/hooks/training_cost_hook.py)
    training_cost=dict(type='TrainingCostHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo on CPU-only machines
)

log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

# Local files (work_dir/<timestamp>/vis_data: scalars.json, pictures) by default. TensorBoard as well:
#   --cfg-options "visualizer.vis_backends=[LocalVisBackend,TensorboardVisBackend]"   (backend type names)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='CoopBEVVisualizer', vis_backends=vis_backends, name='visualizer')
