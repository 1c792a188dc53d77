"""The dataset metadata: the agent-type rule by id sign, the class map, and that the dataset, the converter and the
synthetic generator all read them from the one module."""
from projects.TurboTrain.turbotrain.datasets import metadata


def test_agent_type_follows_the_sign_of_the_id():
    for agent_id in (1, 2, 57):
        assert metadata.is_vehicle(agent_id)
        assert metadata.agent_type_of(agent_id) == metadata.VEHICLE == 0
        assert metadata.agent_type_name(agent_id) == 'vehicle'
    for agent_id in (-1, -2, -57):
        assert not metadata.is_vehicle(agent_id)
        assert metadata.agent_type_of(agent_id) == metadata.INFRASTRUCTURE == 1
        assert metadata.agent_type_name(agent_id) == 'infrastructure'


def test_every_obj_type_maps_to_a_class_and_the_generator_writes_only_mapped_types():
    from projects.TurboTrain.turbotrain.datasets.synthetic import OBJECT_CLASSES
    assert set(metadata.DEFAULT_OBJ_TYPE_TO_CLASS.values()) == set(metadata.DEFAULT_CLASSES)
    assert set(OBJECT_CLASSES) <= set(metadata.DEFAULT_OBJ_TYPE_TO_CLASS)


def test_the_generator_names_its_agents_by_the_same_rule():
    from projects.TurboTrain.turbotrain.datasets.synthetic import INFRASTRUCTURE_AGENT_IDS, VEHICLE_AGENT_IDS
    assert all(metadata.is_vehicle(a) for a in VEHICLE_AGENT_IDS)
    assert not any(metadata.is_vehicle(a) for a in INFRASTRUCTURE_AGENT_IDS)


def test_dataset_and_converter_use_the_metadata_module():
    from projects.TurboTrain.turbotrain.datasets import v2xpnp_dataset
    from projects.TurboTrain.turbotrain.datasets.converters import v2xpnp_converter
    for module in (v2xpnp_dataset, v2xpnp_converter):
        assert module.INFO_VERSION is metadata.INFO_VERSION
        assert module.DEFAULT_CLASSES is metadata.DEFAULT_CLASSES
        assert module.DEFAULT_OBJ_TYPE_TO_CLASS is metadata.DEFAULT_OBJ_TYPE_TO_CLASS
    assert v2xpnp_dataset.agent_type_of is metadata.agent_type_of
    assert tuple(v2xpnp_dataset.V2XPnPSeqDataset.METAINFO['classes']) == metadata.DEFAULT_CLASSES
