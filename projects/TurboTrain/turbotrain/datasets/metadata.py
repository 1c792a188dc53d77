"""What the V2XPnP-Seq infos mean, shared by the dataset, the info converter and the synthetic generator.

- Classes: the V2X-Real super-classes, and the map from an annotation's ``obj_type`` to one of them. They are the
  dataset's ``metainfo`` defaults (configs may override both) and the converter's.
- Agents: an agent is told by the sign of its id (the folder names of an OpenCOOD / V2XPnP scenario): a positive
  id is a connected vehicle, a negative one an infrastructure unit. Its type index (0 vehicle, 1 infrastructure)
  is what the trunk's agent-type embedding reads.
- ``INFO_VERSION``: the layout of the info pickles the converter writes; the dataset refuses another version.
"""
from typing import Dict, Tuple

INFO_VERSION = 1

DEFAULT_CLASSES: Tuple[str, ...] = ('vehicle', 'pedestrian', 'truck')
DEFAULT_OBJ_TYPE_TO_CLASS: Dict[str, str] = {
    'Car': 'vehicle', 'PoliceCar': 'vehicle', 'LongVehicle': 'vehicle',
    'Pedestrian': 'pedestrian', 'Child': 'pedestrian', 'RoadWorker': 'pedestrian', 'Scooter': 'pedestrian',
    'ScooterRider': 'pedestrian', 'Motorcycle': 'pedestrian', 'MotorcyleRider': 'pedestrian',
    'BicycleRider': 'pedestrian',
    'Truck': 'truck', 'Van': 'truck', 'TrashCan': 'truck', 'ConcreteTruck': 'truck', 'Bus': 'truck',
}

VEHICLE, INFRASTRUCTURE = 0, 1
#: agent type index → the name the infos and the scenario yaml files use
AGENT_TYPE_NAMES: Tuple[str, str] = ('vehicle', 'infrastructure')


def is_vehicle(agent_id: int) -> bool:
    """Whether the agent is a connected vehicle (positive id); otherwise it is infrastructure (negative id)."""
    return agent_id > 0


def agent_type_of(agent_id: int) -> int:
    """The agent's type index: :data:`VEHICLE` (positive id) or :data:`INFRASTRUCTURE` (negative id)."""
    return VEHICLE if is_vehicle(agent_id) else INFRASTRUCTURE


def agent_type_name(agent_id: int) -> str:
    """``'vehicle'`` (positive id) or ``'infrastructure'`` (negative id)."""
    return AGENT_TYPE_NAMES[agent_type_of(agent_id)]


__all__ = ['INFO_VERSION', 'DEFAULT_CLASSES', 'DEFAULT_OBJ_TYPE_TO_CLASS', 'VEHICLE', 'INFRASTRUCTURE',
           'AGENT_TYPE_NAMES', 'is_vehicle', 'agent_type_of', 'agent_type_name']
