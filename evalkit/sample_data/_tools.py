"""Simulated support tools: the arguments a call sends and the JSON result it gets back."""

from __future__ import annotations

from typing import Any

import numpy as np

from evalkit.sample_data._rand import _pick, rand_alnum, rand_hex


def _tool_result(
    rng: np.random.Generator, name: str, args: dict[str, Any], slots: dict[str, str], scenario: str
) -> tuple[dict[str, Any], str]:
    """Return (JSON result, sentence the answer uses to report it)."""
    if name == "get_invoice":
        amount = float(slots["amount"])
        status = (
            "past_due" if scenario == "failed_payment" else _pick(rng, ("paid", "paid", "open"))
        )
        day = int(rng.integers(1, 28))
        res = {
            "invoice_id": args["invoice_id"],
            "amount_usd": amount,
            "currency": "USD",
            "status": status,
            "issued_at": "2025-02-01",
            "due_at": "2025-02-15",
            "lines": [{"description": f"{slots['plan']} plan", "amount_usd": amount}],
            "paid_at": None if status != "paid" else f"2025-02-{day:02d}",
        }
        say = _pick(
            rng,
            [
                f"I found invoice {args['invoice_id']}: ${amount:.2f}, issued Feb 1, status "
                f"{status.replace('_', ' ')}.",
                f"Invoice {args['invoice_id']} is for ${amount:.2f} and is currently "
                f"{status.replace('_', ' ')}.",
            ],
        )
        return res, say
    if name == "lookup_account":
        role = _pick(rng, ("owner", "owner", "member", "billing_admin"))
        res = {
            "email": args["email"],
            "account_id": f"acct_{rand_hex(rng, 4)}",
            "plan": slots["plan"],
            "role": role,
            "status": "active",
            "two_factor": bool(rng.random() < 0.6),
        }
        say = _pick(
            rng,
            [
                f"I can see the account for {args['email']} is on the {slots['plan']} plan "
                f"(role: {role.replace('_', ' ')}).",
                f"I've pulled up {args['email']}: {slots['plan']} plan, {role.replace('_', ' ')}.",
            ],
        )
        return res, say
    if name == "reset_password":
        res = {"status": "sent", "email": args["email"], "expires_in_minutes": 30}
        say = _pick(
            rng,
            [
                f"I've sent a password reset link to {args['email']}.",
                f"Done: a reset link is on its way to {args['email']}.",
            ],
        )
        return res, say
    if name == "create_ticket":
        res = {
            "ticket_id": slots["ticket"],
            "priority": args["priority"],
            "status": "open",
            "queue": "legal" if args["priority"] == "legal" else "support",
        }
        return res, ""
    if name == "check_service_status":
        if scenario == "service_status" and args["region"] == slots["region"]:
            status = _pick(rng, ("degraded", "degraded", "major_outage"))
        else:
            status = _pick(rng, ("operational", "operational", "degraded"))
        res = {
            "region": args["region"],
            "service": args["service"],
            "status": status,
            "incident_id": None if status == "operational" else slots["incident"],
            "updated_at": "2025-03-05T14:10:00Z",
        }
        if status == "operational":
            say = _pick(
                rng,
                [
                    f"{args['service']} in {args['region']} is operational right now.",
                    f"Our status checks show no issues for {args['service']} in {args['region']}.",
                ],
            )
        else:
            label = "degraded performance" if status == "degraded" else "a major outage"
            say = _pick(
                rng,
                [
                    f"There is {label} for {args['service']} in {args['region']} "
                    f"(incident {slots['incident']}).",
                    f"I checked: {args['service']} in {args['region']} has {label} "
                    f"right now, tracked as {slots['incident']}.",
                ],
            )
        return res, say
    if name == "issue_refund":
        res = {
            "refund_id": f"re_{rand_alnum(rng, 14)}",
            "invoice_id": args["invoice_id"],
            "amount_usd": args["amount_usd"],
            "status": "pending",
            "eta_business_days": 7,
        }
        say = _pick(
            rng,
            [
                f"I've issued a refund of ${args['amount_usd']:.2f} for invoice "
                f"{args['invoice_id']}.",
                f"The refund for {args['invoice_id']} (${args['amount_usd']:.2f}) is now pending.",
            ],
        )
        return res, say
    raise ValueError(name)


def _tool_args(
    name: str, slot: str, value: str, slots: dict[str, str], question: str
) -> dict[str, Any]:
    if name in ("lookup_account", "reset_password"):
        return {"email": value}
    if name == "get_invoice":
        return {"invoice_id": value}
    if name == "issue_refund":
        return {
            "invoice_id": value,
            "amount_usd": float(slots["amount"]),
            "reason": "customer_request",
        }
    if name == "check_service_status":
        return {"region": value, "service": slots["service"]}
    if name == "create_ticket":
        return {"subject": f"Legal: {question[:60]}", "priority": "legal"}
    raise ValueError(name)


def _call_id(rng: np.random.Generator, provider: str) -> str:
    return ("call_" if provider == "openai" else "toolu_") + rand_alnum(rng, 24)
