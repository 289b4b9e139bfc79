"""SIA DC-09 transmitter: the home's link to a monitoring station, without Home Assistant.

The integration is the alarm panel, so it is also the transmitter (the "SPT"). This package is
the protocol and the link; the HA adapter (config flow, entities, repairs, HA ``Store``) sits on
top of it. It imports nothing from Home Assistant and, from the rest of the integration, only
``core.reports`` (``tests/station/test_boundaries.py``).

Use (one ``StationLink`` per home)::

    link = StationLink(
        StationAccount("1234", key=StationKey.parse("hex:…"), line_prefix="0",
                       data_format=DataFormat.SIA_DCS, text_encoding=TextEncoding.ASCII),
        [ReceiverPath("arc1.example", 12000), ReceiverPath("arc2.example", 12000)],
        store,  # a QueueStore: HA's Store(hass, 1, f"{DOMAIN}.{entry_id}.station") fits as is
        TransmitterSettings(category=Category.DP3),
    )
    remove = link.add_listener(on_notice)  # Delivered, TransmissionFault, AlarmOverdue, PathLost…
    await link.async_start()
    await link.async_send(Report(ReportKind.BURGLARY, at=now, zone=3, text="Entrée"))  # saved
    link.status  # LinkStatus: per path connected/state/last ACK/last DUH code, queue length
    await link.async_stop()

``StationLink`` has ``configured``, ``connected`` and ``async_send``: it is a ``StationGateway``.
What the adapter must do with the notices (``outputs.py``): ``TransmissionFault`` and
``AlarmOverdue`` go to the contacts and notifiers (the event stays queued for the station unless
``dropped``); a ``TransmissionFault`` with ``reason`` REJECTED is a repair naming ``code``;
``PathLost`` / ``PathRestored`` drive a connectivity entity per receiver and a repair.
Modules: ``crc`` ``keys`` ``cipher`` ``xdata`` ``frames`` (wire format), ``codes`` ``encode``
(reports as frames), ``answers`` (ACK/NAK/DUH/RSP), ``settings`` (account, receivers, EN 50136
categories), ``queue`` ``pathstate`` ``outputs`` ``transmitter`` (the pure machine), ``store``
``transport`` ``status`` ``link`` (asyncio).
"""

from .codes import ALARM_KINDS, EVENT_CODES, DataFormat, EventCode, event_code
from .keys import KeyErrorReason, KeyFormat, StationKey, StationKeyError
from .link import StationLink
from .outputs import (
    AlarmOverdue,
    ClockResynced,
    Delivered,
    FaultReason,
    Notice,
    PathLossReason,
    PathLost,
    PathRestored,
    ReceiverData,
    TransmissionFault,
    Transmit,
)
from .pathstate import PathState
from .queue import QueuedEvent, StoreFormatError
from .settings import (
    PRESETS,
    Category,
    ReceiverPath,
    StationAccount,
    SupervisionProfile,
    TransmitterSettings,
    Transport,
)
from .status import LinkStatus, PathStatus
from .store import JsonFileStore, QueueStore
from .transmitter import Transmitter
from .xdata import TextEncoding

__all__ = [
    "ALARM_KINDS",
    "EVENT_CODES",
    "PRESETS",
    "AlarmOverdue",
    "Category",
    "ClockResynced",
    "DataFormat",
    "Delivered",
    "EventCode",
    "FaultReason",
    "JsonFileStore",
    "KeyErrorReason",
    "KeyFormat",
    "LinkStatus",
    "Notice",
    "PathLossReason",
    "PathLost",
    "PathRestored",
    "PathState",
    "PathStatus",
    "QueueStore",
    "QueuedEvent",
    "ReceiverData",
    "ReceiverPath",
    "StationAccount",
    "StationKey",
    "StationKeyError",
    "StationLink",
    "StoreFormatError",
    "SupervisionProfile",
    "TextEncoding",
    "TransmissionFault",
    "Transmit",
    "Transmitter",
    "TransmitterSettings",
    "Transport",
    "event_code",
]
