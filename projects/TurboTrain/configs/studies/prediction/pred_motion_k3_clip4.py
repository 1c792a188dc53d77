# Study row `pred_motion_k3_clip4`: `pred_motion_clip4` with 3 modes (winner-takes-all residuals + mode scores;
# minADE/minFDE reported beside the most likely mode).
_base_ = ['../../demo_finetune_motion.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))),
             traj_head=dict(num_modes=3))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
