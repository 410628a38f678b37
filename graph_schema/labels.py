"""Node labels and relationship types of the Fabricgraph graph.

Every intent node carries ``uid`` = ``"<blueprint>/<id>"`` (unique per label)
and ``id`` (unique inside its blueprint) and ``blueprint``.
"""

from __future__ import annotations

from enum import StrEnum


class Label(StrEnum):
    # design catalogue
    LOGICAL_DEVICE = "LogicalDevice"
    DEVICE_PROFILE = "DeviceProfile"
    INTERFACE_MAP = "InterfaceMap"
    RACK_TYPE = "RackType"
    TEMPLATE = "Template"
    CATALOGUE_CONFIGLET = "CatalogueConfiglet"  # a configlet of the catalogue (by name)
    # blueprint intent
    BLUEPRINT = "Blueprint"
    RACK = "Rack"
    POD = "Pod"  # 5-stage: a pod of spines and racks
    SYSTEM = "System"
    INTERFACE = "Interface"
    TRANSCEIVER = "Transceiver"
    LINK = "Link"
    BGP_SESSION = "BgpSession"
    ROUTING_ZONE = "RoutingZone"
    VIRTUAL_NETWORK = "VirtualNetwork"
    POOL = "Pool"
    RESOURCE = "Resource"
    CONFIGLET = "Configlet"
    PROPERTY_SET = "PropertySet"
    # change management
    REVISION = "Revision"
    STAGED_CHANGE = "StagedChange"
    # managed devices and their configs
    DEVICE = "Device"
    CONFIG = "Config"
    DEPLOYMENT = "Deployment"
    DEVICE_EVENT = "DeviceEvent"
    WORKER_POOL = "WorkerPool"
    AGENT = "Agent"  # an off-box device agent: address, platform, credential reference
    # operational state
    OBSERVATION = "Observation"
    # one per (blueprint, observer): what the last ingest left, so an unchanged round of
    # that observer costs one read; and its observation counts (telemetry.digest)
    OBSERVATION_DIGEST = "ObservationDigest"
    SAMPLE = "Sample"
    ANOMALY = "Anomaly"
    ROOT_CAUSE = "RootCause"
    # virtual inventory (reported by virtualization sources; blueprint_engine.virtual)
    HYPERVISOR = "Hypervisor"
    VIRTUAL_SWITCH = "VirtualSwitch"
    VM = "Vm"
    VNIC = "Vnic"
    VIRTUAL_SOURCE = "VirtualSource"  # one per (blueprint, source): its syncs take turns on it
    PROBE = "Probe"  # a user-defined (or predefined) probe of a blueprint
    # bookkeeping
    GRAPH_META = "GraphMeta"


class Rel(StrEnum):
    HAS_RACK = "HAS_RACK"  # Blueprint -> Rack
    HAS_POD = "HAS_POD"  # Blueprint -> Pod
    IN_POD = "IN_POD"  # Rack -> Pod
    HAS_SYSTEM = "HAS_SYSTEM"  # Blueprint -> System
    IN_RACK = "IN_RACK"  # System -> Rack
    HAS_INTERFACE = "HAS_INTERFACE"  # System -> Interface
    HAS_TRANSCEIVER = "HAS_TRANSCEIVER"  # Interface -> Transceiver
    ENDPOINT = "ENDPOINT"  # Link -> Interface (two of them, with {side: 'a'|'b'})
    PEER = "PEER"  # BgpSession -> System (two of them, with {side})
    OVER = "OVER"  # BgpSession -> Link (underlay sessions)
    BOUND_TO = "BOUND_TO"  # VirtualNetwork -> Rack
    IN_ZONE = "IN_ZONE"  # VirtualNetwork -> RoutingZone
    HAS_POOL = "HAS_POOL"  # Blueprint -> Pool
    ALLOCATED = "ALLOCATED"  # Pool -> Resource
    HELD_BY = "HELD_BY"  # Resource -> the intent node holding it
    HAS_REVISION = "HAS_REVISION"  # Blueprint -> Revision
    PREVIOUS = "PREVIOUS"  # Revision -> Revision
    HAS_CHANGE = "HAS_CHANGE"  # Blueprint -> StagedChange
    HAS_CONFIGLET = "HAS_CONFIGLET"  # Blueprint -> Configlet (attached, with its scope)
    ASSIGNED_TO = "ASSIGNED_TO"  # Device -> System
    HAS_CONFIG = "HAS_CONFIG"  # Device -> Config {stage}
    HAS_DEPLOYMENT = "HAS_DEPLOYMENT"  # Device -> Deployment
    HAD_EVENT = "HAD_EVENT"  # Device -> DeviceEvent (its lifecycle history)
    PLACED_ON = "PLACED_ON"  # Device -> WorkerPool (the pool whose workers serve it)
    MANAGES = "MANAGES"  # Agent -> Device (the device the agent registered)
    OBSERVES = "OBSERVES"  # Observation -> intent node
    HAD = "HAD"  # Observation -> Sample (history, one per change)
    ON = "ON"  # Anomaly -> intent node
    EXPLAINS = "EXPLAINS"  # RootCause -> Anomaly
    CAUSED_AT = "CAUSED_AT"  # RootCause -> intent node at fault
    RUNS_ON = "RUNS_ON"  # Hypervisor -> System (the blueprint server it runs on)
    HAS_VSWITCH = "HAS_VSWITCH"  # Hypervisor -> VirtualSwitch
    UPLINK = "UPLINK"  # VirtualSwitch -> Interface (a server interface it bridges to)
    HOSTED_ON = "HOSTED_ON"  # Vm -> Hypervisor
    HAS_VNIC = "HAS_VNIC"  # Vm -> Vnic
    ATTACHED_TO = "ATTACHED_TO"  # Vnic -> VirtualSwitch
    IN_NETWORK = "IN_NETWORK"  # Vnic -> VirtualNetwork (the one carrying its VLAN)
    HAS_PROBE = "HAS_PROBE"  # Blueprint -> Probe
