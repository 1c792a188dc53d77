# V2XPnP-Seq cooperative sequential dataset (docs/contract.md). User configs add
# custom_imports = dict(imports=['projects.TurboTrain.turbotrain'], allow_failed_imports=False).
#
# Defaults chosen for CPU-sized runs (change them in the user config):
# - history_frames=3 (t0-0.2 s … t0), future_frames=10 (1 s ahead), frame_interval=1 (10 Hz).
# - point_cloud_range: ±51.2 m BEV (fits the 50 m communication range), z from -8 m (infrastructure LiDARs sit
#   ~5 m up, so their ground is at z≈-5) to +4 m. The same range is applied in every agent's own frame.
# - comm_range=50 m, max_agents=4, collaboration_mode='vehicle_centric' (V2XPnP's main setting).
dataset_type = 'V2XPnPSeqDataset'
data_root = 'data/v2xpnp/'
class_names = ['vehicle', 'pedestrian', 'truck']
obj_type_to_class = {
    'Car': 'vehicle', 'PoliceCar': 'vehicle', 'LongVehicle': 'vehicle',
    'Pedestrian': 'pedestrian', 'Child': 'pedestrian', 'RoadWorker': 'pedestrian', 'Scooter': 'pedestrian',
    'ScooterRider': 'pedestrian', 'Motorcycle': 'pedestrian', 'MotorcyleRider': 'pedestrian',
    'BicycleRider': 'pedestrian',
    'Truck': 'truck', 'Van': 'truck', 'TrashCan': 'truck', 'ConcreteTruck': 'truck', 'Bus': 'truck',
}
metainfo = dict(classes=class_names, obj_type_to_class=obj_type_to_class)
point_cloud_range = [-51.2, -51.2, -8.0, 51.2, 51.2, 4.0]
history_frames = 3
future_frames = 10
frame_interval = 1
comm_range = 50.0
max_agents = 4
collaboration_mode = 'vehicle_centric'
backend_args = None

sample_options = dict(
    history_frames=history_frames, future_frames=future_frames, frame_interval=frame_interval,
    comm_range=comm_range, max_agents=max_agents, collaboration_mode=collaboration_mode)

train_pipeline = [
    dict(type='LoadCoopPoints'),
    dict(type='LoadCoopAnnotations'),
    dict(type='CoopPointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='CoopRandomFlip', flip_ratio_bev_horizontal=0.5, flip_ratio_bev_vertical=0.0),
    dict(type='CoopGlobalRotScaleTrans', rot_range=[-0.78539816, 0.78539816], scale_ratio_range=[0.95, 1.05],
         translation_std=[0.0, 0.0, 0.0]),
    dict(type='CoopObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PackCoopInputs', point_cloud_range=point_cloud_range),
]
test_pipeline = [
    dict(type='LoadCoopPoints'),
    dict(type='CoopPointsRangeFilter', point_cloud_range=point_cloud_range),
    # filters eval_ann_info to the range (the metric evaluates objects in range)
    dict(type='CoopObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PackCoopInputs', point_cloud_range=point_cloud_range),
]
# browse_dataset.py shows the training pipeline without augmentation
eval_pipeline = [
    dict(type='LoadCoopPoints'),
    dict(type='LoadCoopAnnotations'),
    dict(type='CoopPointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='CoopObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PackCoopInputs', point_cloud_range=point_cloud_range),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    collate_fn=dict(type='coop_collate'),  # keeps each sample's agent-frame point list (turbotrain.models)
    # DefaultSampler's order, plus a per-sample augmentation seed from (seed, epoch, index): exact --resume
    sampler=dict(type='SeededSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='v2xpnp_infos_train.pkl',
        metainfo=metainfo,
        pipeline=train_pipeline,
        test_mode=False,
        backend_args=backend_args,
        **sample_options))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    collate_fn=dict(type='coop_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='v2xpnp_infos_val.pkl',
        metainfo=metainfo,
        pipeline=test_pipeline,
        test_mode=True,
        backend_args=backend_args,
        **sample_options))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    collate_fn=dict(type='coop_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='v2xpnp_infos_test.pkl',
        metainfo=metainfo,
        pipeline=test_pipeline,
        test_mode=True,
        backend_args=backend_args,
        **sample_options))

val_evaluator = dict(type='V2XPnPMetric', iou_thrs=(0.5, 0.7), classes=class_names)
test_evaluator = val_evaluator
