"""Telemetry shared by scan and train: events, the bus, sinks, the hardware sampler.

Nothing here imports torch or textual at import time.
"""

from aegis_cli.telemetry.bus import EventBus, NullBus, Sink, SinkStats
from aegis_cli.telemetry.events import (
    Event,
    FileSkipped,
    FindingFound,
    GpuSample,
    HardwareSample,
    LogMessage,
    ModelCall,
    ModelCompleted,
    ModelFailed,
    ModelLoading,
    ModelStarted,
    RunFinished,
    RunStarted,
    ScanProgress,
    TrainLog,
    TrainStep,
    event_from_dict,
)
from aegis_cli.telemetry.sinks import JsonlRecorder, MemorySink, read_jsonl, replay

__all__ = [
    "Event",
    "EventBus",
    "FileSkipped",
    "FindingFound",
    "GpuSample",
    "HardwareSample",
    "JsonlRecorder",
    "LogMessage",
    "MemorySink",
    "ModelCall",
    "ModelCompleted",
    "ModelFailed",
    "ModelLoading",
    "ModelStarted",
    "NullBus",
    "RunFinished",
    "RunStarted",
    "ScanProgress",
    "Sink",
    "SinkStats",
    "TrainLog",
    "TrainStep",
    "event_from_dict",
    "read_jsonl",
    "replay",
]
