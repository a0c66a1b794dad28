"""Plant what code-based checks should catch: bad tool arguments, wrong language, over budget.

Schema-violating tool arguments, questions in another language than the answer, and over-budget
(timed-out-and-retried) traces.

Planting touches only trace fields that the ground truth, the judges and the annotators do not
depend on (tool-argument shapes, the user's question text, the root latency), and only traces
that already fail (except latency), so every label, rate and notebook finding stays as it was.
It uses its own random stream, so the rest of the generator draws exactly what it drew before.
Invented tool arguments are planted by the generator itself (``invented_tool_params``).
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from evalkit.sample_data import _world as W

if TYPE_CHECKING:
    from evalkit.sample_data._traces import Trace

N_SCHEMA, N_LANGUAGE, N_BUDGET = 12, 12, 12

#: A customer question per segment in Spanish, German and French (ids are appended after it).
FOREIGN: dict[str, dict[str, str]] = {
    "billing": {
        "es": "Hola, tengo una duda sobre mi factura de este mes. ¿Me pueden ayudar, por favor?",
        "de": "Hallo, ich habe eine Frage zu meiner Rechnung für diesen Monat. Können Sie helfen?",
        "fr": "Bonjour, j'ai une question sur ma facture de ce mois-ci. Pouvez-vous m'aider ?",
    },
    "technical_howto": {
        "es": "Hola, ¿cómo configuro esto en mi aplicación? No encuentro la opción en el panel.",
        "de": "Hallo, wie richte ich das in meiner Anwendung ein? Ich finde die Option nicht.",
        "fr": "Bonjour, comment est-ce que je configure cela dans mon application ? Je ne trouve "
              "pas l'option.",
    },
    "account_access": {
        "es": "No puedo entrar en mi cuenta desde esta mañana. ¿Qué tengo que hacer?",
        "de": "Ich komme seit heute Morgen nicht mehr in mein Konto. Was soll ich tun?",
        "fr": "Je n'arrive plus à me connecter à mon compte depuis ce matin. Que dois-je faire ?",
    },
    "refunds": {
        "es": "Quiero pedir un reembolso de mi último pago. ¿Es posible todavía?",
        "de": "Ich möchte eine Rückerstattung meiner letzten Zahlung. Ist das noch möglich?",
        "fr": "Je voudrais demander le remboursement de mon dernier paiement. Est-ce encore "
              "possible ?",
    },
    "outage": {
        "es": "Nuestro servicio no responde desde hace una hora. ¿Hay una incidencia ahora mismo?",
        "de": "Unser Dienst antwortet seit einer Stunde nicht mehr. Gibt es gerade eine Störung?",
        "fr": "Notre service ne répond plus depuis une heure. Y a-t-il un incident en ce moment ?",
    },
    "data_privacy": {
        "es": "¿Dónde se guardan nuestros datos y cómo puedo solicitar que los borren?",
        "de": "Wo werden unsere Daten gespeichert und wie kann ich ihre Löschung beantragen?",
        "fr": "Où sont stockées nos données et comment puis-je demander leur suppression ?",
    },
    "legal_threats": {
        "es": "Nuestro abogado dice que su acuerdo de servicio no es válido. ¿Cuál es su postura?",
        "de": "Unser Anwalt sagt, Ihre Servicevereinbarung sei ungültig. Wie ist Ihre Position?",
        "fr": "Notre avocat estime que votre contrat de service n'est pas valable. Quelle est "
              "votre position ?",
    },
}
_IDS = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|INV-\d{4}-\d+|SUP-\d+|INC-\d{4}-\d+|"
    + "|".join(map(re.escape, W.REGIONS))
)


def _violate(args: dict[str, Any], tool: str) -> str | None:
    """Break ``args`` against the tool's schema in place; return what was done (or None)."""
    if tool == "issue_refund":
        args["amount_usd"] = f"{args['amount_usd']:.2f}"  # number -> string
        return "amount_usd as a string"
    if tool == "create_ticket":
        args["priority"] = str(args["priority"]).capitalize()  # not in the enum
        return "priority outside its enum"
    if tool == "check_service_status":
        args["service"] = str(args["service"]).capitalize()  # not in the enum
        return "service outside its enum"
    return None


def _replace_question(t: Trace, text: str) -> None:
    old = t.query
    for msgs in [t.messages, *(c.input_messages for c in t.calls)]:
        for m in msgs:
            if m["role"] == "user" and m["content"] == old:
                m["content"] = text
    t.query = text


def plant_check_failures(traces: list[Trace], seed: int) -> list[Trace]:
    """Return copies of ``traces`` with check-detectable defects planted (inputs not modified).

    Plants, each in ``N_*`` traces chosen with ``np.random.default_rng([seed, 17])``:

    * **schema violations** in tool arguments of failing traces (``issue_refund.amount_usd``
      as a string, ``create_ticket.priority`` / ``check_service_status.service`` outside
      their enums);
    * **wrong language**: the customer writes Spanish, German or French (ids kept), the assistant
      answers in English (failing traces only);
    * **over budget**: the root latency of non-OpenAI traces becomes a 25-45 s timeout-and-retry.

    What was planted is recorded in ``trace.extra["planted"]`` (not written to any file).
    """
    out = copy.deepcopy(traces)
    rng = np.random.default_rng([seed, 17])
    failing = [t for t in out if t.mode != "none"]
    schema_pool = [t for t in failing if any(_violate(dict(r.arguments), r.name) for r in t.tools)]
    for j in rng.choice(len(schema_pool), size=min(N_SCHEMA, len(schema_pool)), replace=False):
        t = schema_pool[int(j)]
        for r in t.tools:
            what = _violate(r.arguments, r.name)  # shared with the messages' tool calls
            if what:
                t.extra.setdefault("planted", []).append(f"schema: {r.name} {what}")
    lang_pool = [t for t in failing if t.mode in ("hallucinated_policy", "no_next_step",
                                                  "ignored_context")]
    langs = ("es", "de", "fr")
    for k, j in enumerate(rng.choice(len(lang_pool), size=N_LANGUAGE, replace=False)):
        t = lang_pool[int(j)]
        lang = langs[k % 3]
        ids = list(dict.fromkeys(_IDS.findall(t.query)))
        text = FOREIGN[t.segment][lang] + (f" ({', '.join(ids)})" if ids else "")
        _replace_question(t, text)
        t.extra.setdefault("planted", []).append(f"language: question in {lang}")
    budget_pool = [t for t in out if t.format != "openai_chat"]
    for j in rng.choice(len(budget_pool), size=N_BUDGET, replace=False):
        t = budget_pool[int(j)]
        t.latency_ms = round(float(rng.uniform(25_000, 45_000)), 1)
        t.extra.setdefault("planted", []).append("budget: latency over 25 s")
    return out
