"""Conversation scenarios: what customers ask, what the KB says, and how good and bad answers read.

Templates use ``str.format`` slots filled per trace in ``_traces.py``: {name}, {email}, {invoice},
{amount}, {plan}, {app}, {domain}, {region}, {service}, {days}, {incident}, {ticket}.

Each scenario is a dict: ``key``, ``segment``, ``kb`` (the KB article that answers it), ``topic``,
``questions``, ``tool`` (name and slot, or None) with ``tool_p``, the ``facts``/``facts2`` a good
answer states, ``false`` policies a hallucinating answer states instead, and ``next`` steps.
Scenarios live in one module per group of segments; the phrasing every answer shares is in
:mod:`evalkit.sample_data._scenarios._phrases`.
"""

from __future__ import annotations

from typing import Any, Final

from evalkit.sample_data._scenarios._account import ACCOUNT
from evalkit.sample_data._scenarios._service import SERVICE

Scenario = dict[str, Any]

#: Every scenario, in segment order (billing, refunds, account_access, outage, technical_howto,
#: data_privacy, legal_threats).
SCENARIOS: Final[list[Scenario]] = [*ACCOUNT, *SERVICE]
