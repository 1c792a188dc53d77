"""Shared by the transform tests: one loaded tiny-scene sample (results dict before packing)."""
import numpy as np

from tests.datasets.tiny_scene import convert_quietly, make_tiny_scene, tiny_dataset


def loaded_results(tmp_path, index: int = 0, **dataset_kwargs) -> dict:
    """Results of LoadCoopPoints + LoadCoopAnnotations for sample ``index`` (default: ego 1, frame 3, agents
    [1, -1, 2], H=3, F=3) of the hand-made tiny scene."""
    from projects.TurboTrain.turbotrain.datasets.transforms import LoadCoopAnnotations, LoadCoopPoints
    make_tiny_scene(str(tmp_path), 'bin')
    convert_quietly(str(tmp_path))
    dataset = tiny_dataset(str(tmp_path), **dataset_kwargs)
    results = dict(dataset.get_data_info(index))
    results['box_type_3d'] = dataset.box_type_3d
    return LoadCoopAnnotations()(LoadCoopPoints()(results))


def fused_points(results: dict, slot: int = -1) -> list:
    """Per agent: (N, 3) points of history ``slot`` moved into the (augmented) ego frame with M."""
    history = results['agent_poses'].shape[1]
    slot = slot % history
    out = []
    for a in range(results['agent_poses'].shape[0]):
        cloud = results['coop_points'][a * history + slot][:, :3].astype(np.float64)
        pose = np.asarray(results['agent_poses'][a, slot], dtype=np.float64)
        out.append(cloud @ pose[:3, :3].T + pose[:3, 3])
    return out
