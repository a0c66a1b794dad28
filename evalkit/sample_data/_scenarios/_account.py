"""Scenarios about the customer's account: billing, refunds and signing in.

One dict per scenario (see :mod:`evalkit.sample_data._scenarios` for the keys and slots).
"""

from __future__ import annotations

from typing import Any, Final

ACCOUNT: Final[list[dict[str, Any]]] = [
    # ---------------------------------------------------------------- billing
    {
        "key": "invoice_download",
        "segment": "billing",
        "kb": "KB-1001",
        "topic": "invoices",
        "questions": [
            "Where can I download my invoice for last month? Our accountant needs it.",
            "hi, how do I get a PDF of invoice {invoice}?",
            "Finance is asking for all of this year's invoices. Where do I find them?",
            "When is invoice {invoice} due? I don't want to be late on it.",
            "is there a way to get old invoices? I can only see the current one in my email",
        ],
        "tool": ("get_invoice", "invoice"),
        "tool_p": 0.5,
        "facts": [
            "Every past invoice can be downloaded as a PDF under Billing > Invoices.",
            "All invoices, including older ones, are listed under Billing > Invoices as PDFs.",
        ],
        "facts2": [
            "Invoices are issued on the 1st of each month and are due within 14 days.",
            "New invoices go out on the 1st and are payable within 14 days.",
        ],
        "false": [
            "Invoices are payable within 60 days, so there's no rush at all.",
            "Only the last 3 months of invoices are kept; older ones have to be requested from "
            "our finance team by post.",
            "Invoices are due on receipt and a late fee of 5% is added after 3 days.",
        ],
        "next": [
            "Open Billing > Invoices and click the PDF icon next to the invoice you need.",
            "Head to Billing > Invoices, pick the month, and use 'Download PDF'.",
            "You can grab it now from Billing > Invoices; add a billing email there if your "
            "accountant should get copies automatically.",
        ],
    },
    {
        "key": "update_card",
        "segment": "billing",
        "kb": "KB-1002",
        "topic": "payment method",
        "questions": [
            "I need to change the credit card on our account, the old one expired.",
            "Why is there a $1 charge from Acme Cloud on my new card?",
            "how do i switch billing to my company card? account is {email}",
            "Can a teammate who isn't the owner update our card details?",
        ],
        "tool": ("lookup_account", "email"),
        "tool_p": 0.4,
        "facts": [
            "Workspace owners and billing admins can update the card under Billing > Payment "
            "methods.",
            "Owners and billing admins can swap the card themselves in Billing > Payment methods.",
        ],
        "facts2": [
            "The $1 charge is a temporary authorization on the new card and is released within 5 "
            "business days.",
            "When you add a card we place a $1 authorization that drops off within 5 business "
            "days.",
        ],
        "false": [
            "The $1 charge is a non-refundable card verification fee.",
            "Only Acme support can change a card, so please reply with the full card number and "
            "expiry date.",
            "Card changes take effect only from the next annual renewal.",
        ],
        "next": [
            "Go to Billing > Payment methods, add the new card and set it as the default.",
            "Add the company card under Billing > Payment methods and mark it as default; the old "
            "one can then be removed.",
            "If you're not an owner, ask an owner to make you a billing admin in Settings > "
            "Members "
            "first, then update the card.",
        ],
    },
    {
        "key": "proration",
        "segment": "billing",
        "kb": "KB-1003",
        "topic": "plan change proration",
        "questions": [
            "If I upgrade from Pro to Business today, do I pay for the full month?",
            "We want to downgrade to Starter. Do we get money back for the rest of the month?",
            "how does billing work if we switch plans mid-cycle?",
            "Thinking of moving {app} to the {plan} plan next week, what will that cost us this "
            "month?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "Upgrades are prorated to the day and billed right away.",
            "When you upgrade you only pay for the remaining days of the cycle, charged "
            "immediately.",
        ],
        "facts2": [
            "Downgrades take effect at the start of the next billing cycle, and the rest of the "
            "current cycle isn't refunded.",
            "A downgrade kicks in at the next cycle; the current one is not refunded.",
        ],
        "false": [
            "Downgrades are refunded immediately for every unused day.",
            "Upgrades are always billed at the full monthly price, whatever the date.",
            "Plan changes are free of charge until the next renewal.",
        ],
        "next": [
            "You can preview the exact prorated amount under Billing > Plan before confirming.",
            "Open Billing > Plan, choose the new plan and the checkout screen shows the prorated "
            "total before you confirm.",
            "If you're downgrading, schedule it near the end of the cycle from Billing > Plan.",
        ],
    },
    {
        "key": "failed_payment",
        "segment": "billing",
        "kb": "KB-1004",
        "topic": "failed payment",
        "questions": [
            "Our payment failed, will our apps go down tonight?",
            "Got an email saying payment failed for invoice {invoice}. What happens now?",
            "card declined on renewal, are we about to lose our databases??",
            "We got a 'payment failed' notice. How long before you suspend anything?",
        ],
        "tool": ("get_invoice", "invoice"),
        "tool_p": 0.6,
        "facts": [
            "When a payment fails we retry the card three times over 7 days and email the billing "
            "contact each time.",
            "Failed payments are retried automatically three times over a week.",
        ],
        "facts2": [
            "Services are only suspended after 21 days without payment, so nothing goes down "
            "tonight.",
            "Nothing is suspended until 21 days have passed without payment.",
        ],
        "false": [
            "Services are suspended 48 hours after a failed payment.",
            "We don't retry failed payments; the account is frozen until you pay manually.",
        ],
        "next": [
            "Update the card under Billing > Payment methods and the next retry will pick it up.",
            "Add a working card in Billing > Payment methods, or click 'Pay now' on the invoice to "
            "settle it immediately.",
        ],
    },
    # ---------------------------------------------------------------- refunds
    {
        "key": "refund_monthly",
        "segment": "refunds",
        "kb": "KB-1101",
        "topic": "refund window",
        "questions": [
            "I signed up for Pro by mistake {days} days ago, can I get a refund? Invoice "
            "{invoice}.",
            "I'd like my money back for this month, we're not using the service. ({invoice})",
            "Can you refund invoice {invoice}? We cancelled {days} days after paying.",
            "refund pls, we switched providers {days} days ago. invoice number is {invoice}",
        ],
        "tool": ("issue_refund", "invoice"),
        "tool_p": 0.7,
        "facts": [
            "Monthly plans can be refunded in full within 14 days of the charge, so you're inside "
            "the window.",
            "Our policy refunds monthly plans in full within 14 days of payment, which covers "
            "your case.",
        ],
        "facts2": [
            "Usage-based charges like bandwidth or build minutes aren't refundable.",
            "Note that usage charges (bandwidth, build minutes) are excluded from refunds.",
        ],
        "false": [
            "You can get a full refund any time within 60 days, no questions asked.",
            "Refunds are only ever given as account credit, never back to your card.",
            "Refunds include usage charges like bandwidth too.",
        ],
        "next": [
            "The refund goes back to the original card; expect it within 5-7 business days.",
            "You'll get a confirmation email, and the money should be back on your card in 5-7 "
            "business days.",
        ],
    },
    {
        "key": "refund_annual",
        "segment": "refunds",
        "kb": "KB-1101",
        "topic": "annual plan refund",
        "questions": [
            "We paid for an annual Business plan {days} days ago but we're moving off. What can we "
            "get back?",
            "Is the annual plan refundable? We bought it {days} days ago. Invoice {invoice}.",
            "Can we cancel our yearly subscription and get the rest refunded?",
        ],
        "tool": ("get_invoice", "invoice"),
        "tool_p": 0.5,
        "facts": [
            "Annual plans are refunded pro rata within 30 days of purchase.",
            "Within 30 days of buying an annual plan you get a pro-rated refund for the unused "
            "months.",
        ],
        "facts2": [
            "Usage-based charges aren't refundable.",
            "Any usage charges on the invoice stay billed.",
        ],
        "false": [
            "Annual plans are non-refundable once paid.",
            "Annual plans are refunded in full at any point during the year.",
        ],
        "next": [
            "Cancel under Billing > Plan and reply here with the invoice id so I can start the "
            "pro-rated refund.",
            "If you confirm, I'll open the refund request for the unused months today.",
        ],
    },
    {
        "key": "duplicate_charge",
        "segment": "refunds",
        "kb": "KB-1102",
        "topic": "duplicate charge",
        "questions": [
            "I was charged twice for invoice {invoice}!!",
            "There are two identical charges of ${amount} on our card this month, invoice "
            "{invoice}.",
            "double charge on my statement from acme cloud, please fix ({invoice})",
        ],
        "tool": ("get_invoice", "invoice"),
        "tool_p": 0.8,
        "facts": [
            "Once we confirm a duplicate, the extra charge is refunded to the original card within "
            "5-7 business days.",
            "Confirmed duplicate charges go back to the card you paid with, within 5-7 business "
            "days.",
        ],
        "facts2": [],
        "false": [
            "Duplicate charges are reversed within 24 hours automatically; you don't need to do "
            "anything.",
            "Duplicate charges are kept as credit on your account rather than refunded.",
        ],
        "next": [
            "I've flagged the duplicate for our billing team; you'll get an email when the refund "
            "is issued.",
            "Keep an eye on your card statement over the next week; reply here if it hasn't shown "
            "up by then.",
        ],
    },
    {
        "key": "sla_credit",
        "segment": "refunds",
        "kb": "KB-1103",
        "topic": "SLA credits",
        "questions": [
            "Your outage last week took our site down for 3 hours. We're on {plan}. Do we get "
            "credit?",
            "What compensation do we get for the {region} downtime on Tuesday? We pay for {plan}.",
            "Is there an SLA refund for the incident {incident}?",
        ],
        "tool": ("lookup_account", "email"),
        "tool_p": 0.3,
        "facts": [
            "Business and Enterprise plans get a 10% service credit for each hour below 99.9% "
            "monthly uptime, capped at 50% of the monthly fee.",
            "On Business and Enterprise the SLA gives 10% credit per hour under 99.9% uptime, up "
            "to 50% of the month's fee.",
        ],
        "facts2": [
            "Credits must be requested within 30 days of the incident; Starter and Pro aren't "
            "covered by the SLA.",
            "You need to claim within 30 days; the SLA doesn't apply to Starter or Pro.",
        ],
        "false": [
            "Every plan gets a full free month after any outage.",
            "SLA credits are applied automatically, so there's nothing to request.",
            "Credits can be claimed at any time, there's no deadline.",
        ],
        "next": [
            "Request the credit under Billing > SLA credits and reference the incident id.",
            "Reply with the incident id and affected hours and I'll file the credit request for "
            "you.",
        ],
    },
    # ---------------------------------------------------------------- account_access
    {
        "key": "reset_password",
        "segment": "account_access",
        "kb": "KB-1201",
        "topic": "password reset",
        "questions": [
            "I can't log in, forgot my password. My email is {email}.",
            "reset my password please - {email}",
            "The reset email never arrived. Can you send it again to {email}?",
            "I think my password was changed, I can't sign in anymore ({email})",
        ],
        "tool": ("reset_password", "email"),
        "tool_p": 0.85,
        "facts": [
            "Reset links expire after 30 minutes and can only be used once.",
            "The link is valid for 30 minutes and works one time only.",
        ],
        "facts2": [],
        "false": [
            "The reset link stays valid for 7 days, so no hurry.",
            "Reset links can be reused as many times as you like.",
        ],
        "next": [
            "Check your inbox (and spam folder) for the link and use it within 30 minutes.",
            "Open the email from Acme Cloud, click 'Reset password' within the next 30 minutes, "
            "and then sign in with the new one.",
        ],
    },
    {
        "key": "lost_2fa",
        "segment": "account_access",
        "kb": "KB-1202",
        "topic": "2FA recovery",
        "questions": [
            "lost my phone with the authenticator app, how do I get back into my account? "
            "({email})",
            "My 2FA device was stolen. I'm the workspace owner. Email {email}.",
            "One of our developers lost their 2FA phone, how do we get them back in?",
        ],
        "tool": ("lookup_account", "email"),
        "tool_p": 0.6,
        "facts": [
            "You can sign in with one of your 10 recovery codes.",
            "Your recovery codes (you got 10 when you set up 2FA) will get you in.",
        ],
        "facts2": [
            "Without codes, a workspace owner can reset 2FA for a member; owners are verified by "
            "support with the last 4 digits of the card on file.",
            "If the codes are gone, an owner can reset a member's 2FA, and owners themselves are "
            "verified by us using the last 4 digits of the card on file.",
        ],
        "false": [
            "We can turn off 2FA if you email us a photo of your passport.",
            "2FA can't be reset at all; you'll need to create a new account.",
        ],
        "next": [
            "Try a recovery code on the sign-in page first; if you don't have them, reply with the "
            "last 4 digits of the card on file and I'll verify you.",
            "Ask a workspace owner to reset your 2FA under Settings > Members.",
        ],
    },
    {
        "key": "locked",
        "segment": "account_access",
        "kb": "KB-1203",
        "topic": "locked account",
        "questions": [
            "It says my account is locked?? I need access now, please unlock it.",
            "Locked out after too many tries, can support unlock me right away? {email}",
            "why is my account locked, I didn't do anything",
        ],
        "tool": ("lookup_account", "email"),
        "tool_p": 0.4,
        "facts": [
            "After 5 failed sign-in attempts an account is locked for 15 minutes, and the lock "
            "lifts automatically.",
            "Five failed attempts trigger a 15-minute lock that clears on its own.",
        ],
        "facts2": [
            "Support can't lift the lock early.",
            "We're not able to remove the lock any sooner from our side.",
        ],
        "false": [
            "Your account stays locked until support unlocks it manually.",
            "The lock lasts 24 hours.",
        ],
        "next": [
            "Wait 15 minutes, then use 'Forgot password' if you're not sure of the password.",
            "Give it 15 minutes and sign in again; use the password reset link if it still fails.",
        ],
    },
    {
        "key": "sso",
        "segment": "account_access",
        "kb": "KB-1204",
        "topic": "SSO login",
        "questions": [
            "We enforced SSO and now our owner can't log in with a password. Help?",
            "Does SAML SSO work on the Pro plan?",
            "After turning on SSO enforcement, our contractors can't sign in with passwords "
            "anymore. "
            "Is that expected?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "SAML SSO is available on Business and Enterprise.",
            "SSO is a Business and Enterprise feature.",
        ],
        "facts2": [
            "When SSO is enforced members can't use passwords, but owners keep a break-glass "
            "password login.",
            "With enforcement on, members must use SSO; owners can still use the break-glass "
            "password login.",
        ],
        "false": [
            "Once SSO is enforced nobody can use passwords, owners included; you'd have to "
            "disable SSO through the API.",
            "SSO is included on every plan, Starter too.",
        ],
        "next": [
            "Have the owner use the 'Owner password login' link under the SSO button.",
            "Add your contractors to your identity provider, or invite them as guests under "
            "Settings > Members.",
        ],
    },
]
