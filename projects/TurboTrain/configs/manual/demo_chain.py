# The manual 4-stage pipeline (CPU demo) as one chain: each stage starts from the previous stage's last checkpoint.
#   python tools/train_chain.py projects/TurboTrain/configs/manual/demo_chain.py --work-dir work_dirs/demo_manual
# Stage work dirs: <work-dir>/<name>. Finished stages are skipped, a partial one is resumed (tools/train_chain.py).
# `config` is relative to this file; `start_key` (default load_from) receives the previous stage's output.
stages = [
    dict(name='stage1_single_agent_det', config='demo_stage1_single_agent_det.py'),
    dict(name='stage2_temporal_pred', config='demo_stage2_temporal_pred.py'),
    dict(name='stage3_joint', config='demo_stage3_joint.py'),
    dict(name='stage4_multi_agent_fusion', config='demo_stage4_multi_agent_fusion.py'),
]
