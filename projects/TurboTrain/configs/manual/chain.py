# The manual 4-stage pipeline (full size, GPUs) as one chain: each stage starts from the previous stage's last
# checkpoint.
#   python tools/train_chain.py projects/TurboTrain/configs/manual/chain.py --work-dir work_dirs/manual --nproc 8
stages = [
    dict(name='stage1_single_agent_det', config='stage1_single_agent_det.py'),
    dict(name='stage2_temporal_pred', config='stage2_temporal_pred.py'),
    dict(name='stage3_joint', config='stage3_joint.py'),
    dict(name='stage4_multi_agent_fusion', config='stage4_multi_agent_fusion.py'),
]
