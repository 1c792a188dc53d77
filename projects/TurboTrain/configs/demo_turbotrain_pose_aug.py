# The demo TurboTrain recipe trained with localisation-noise augmentation: every training sample's cooperator poses
# get Gaussian x/y noise (std 0.2 m) and yaw noise (std 0.2 deg), fresh draws each time (seed=None: numpy's
# worker-seeded generator); evaluation stays clean (docs/evaluation.md, "Pose noise").
#   python tools/train.py projects/TurboTrain/configs/demo_turbotrain_pose_aug.py
_base_ = ['./demo_turbotrain.py']
point_cloud_range = [-32.0, -32.0, -8.0, 32.0, 32.0, 4.0]  # the demo range (demo_finetune.py)
# demo_finetune.py's training pipeline with the noise first (it must precede everything that reads agent_poses)
train_pipeline = [
    dict(type='CoopPoseNoise', pos_std=0.2, rot_std=0.2, seed=None),
    dict(type='LoadCoopPoints'),
    dict(type='LoadCoopAnnotations'),
    dict(type='CoopPointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='CoopRandomFlip', flip_ratio_bev_horizontal=0.5, flip_ratio_bev_vertical=0.0),
    dict(type='CoopGlobalRotScaleTrans', rot_range=[-0.78539816, 0.78539816], scale_ratio_range=[0.95, 1.05],
         translation_std=[0.0, 0.0, 0.0]),
    dict(type='CoopObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PackCoopInputs', point_cloud_range=point_cloud_range),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
