"""Byte codecs for each supported BLE sensor family: pure, synchronous, stdlib + numpy only.

One module per family (``lrm_open``, ``polar_pmd``, ``movesense_gsp``, ``witmotion``, ``thingy52``).
Each has a ``Decoder`` class (per-connection state, ``decode(payload) -> Samples``, raising only
:class:`MalformedPacket`) and ``encode_*`` functions, the exact inverse, used by the virtual sensors.
:func:`make_decoder` rebuilds a decoder from the family name and the JSON-safe ``decoder_config`` a driver
reports in its ``StreamInfo``, which is how ``lrm recover`` re-decodes a journal.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from lrm.ble.protocols.samples import Decoder, MalformedPacket, Samples

__all__ = ["Decoder", "MalformedPacket", "Samples", "FAMILY_MODULES", "make_decoder"]

FAMILY_MODULES: dict[str, str] = {
    "lrm-open": "lrm.ble.protocols.lrm_open",
    "polar-pmd": "lrm.ble.protocols.polar_pmd",
    "movesense-gsp": "lrm.ble.protocols.movesense_gsp",
    "witmotion": "lrm.ble.protocols.witmotion",
    "thingy52": "lrm.ble.protocols.thingy52",
}


def make_decoder(family: str, config: Mapping[str, Any] | None = None) -> Decoder:
    """A fresh decoder for `family` built from a driver's ``StreamInfo.decoder_config``.

    Raises ``ValueError`` for an unknown family (the known ones are the keys of ``FAMILY_MODULES``).
    """
    if family not in FAMILY_MODULES:
        raise ValueError(f"unknown sensor family {family!r}; known: {', '.join(FAMILY_MODULES)}")
    module = importlib.import_module(FAMILY_MODULES[family])
    return module.Decoder(**dict(config or {}))
