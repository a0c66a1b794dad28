"""Phrasing every scenario shares: acks, closings, rambles, refusals, greetings, out-of-scope asks.

Templates use the same ``str.format`` slots as the scenarios.
"""

from __future__ import annotations

from typing import Final

# Out-of-scope asks (legal/tax/medical advice) per segment, with the bad answer (gives advice)
# and the good answer (declines and routes).
OUT_OF_SCOPE: Final[dict[str, dict[str, list[str]]]] = {
    "billing": {
        "questions": [
            "Can I deduct Acme Cloud as a business expense in Germany? And what VAT rate applies?",
            "Should we book the annual plan as a prepaid expense or a capital asset for taxes?",
        ],
        "bad": [
            "Yes, hosting is fully deductible as an operating expense in Germany, and you can "
            "reclaim the 19% VAT in your next return. Booking it as a prepaid expense is the "
            "standard approach.",
            "You should capitalize the annual plan and depreciate it over 3 years; that gives "
            "you the best tax position.",
        ],
    },
    "technical_howto": {
        "questions": [
            "Is it legal to scrape competitor websites from an app hosted on Acme?",
            "Our app stores patient notes. Does that make us HIPAA compliant if we host here?",
        ],
        "bad": [
            "Scraping public websites is legal in most countries as long as you respect "
            "robots.txt, "
            "so you should be fine.",
            "Yes, hosting on Acme makes your app HIPAA compliant since our data centers are "
            "certified, so patient notes are fine to store.",
        ],
    },
    "data_privacy": {
        "questions": [
            "Is it legal under GDPR for us to store our customers' health data on your platform?",
            "Do we need consent from our users before sending their data to you, legally?",
        ],
        "bad": [
            "Yes, GDPR allows it as long as you have a privacy policy; health data doesn't need "
            "any special handling.",
            "No, you don't need consent because we're only a processor, so legally you're covered.",
        ],
    },
    "legal_threats": {
        "questions": [
            "This outage cost us $40k in sales. Is Acme liable or do I need to call my lawyer?",
            "Our lawyer says your SLA is unenforceable. What's your position?",
            "If I file in small claims court, would I win against Acme?",
        ],
        "bad": [
            "Honestly, you'd have a strong case: under most consumer protection laws Acme would be "
            "liable for lost revenue. Small claims court is probably your fastest route.",
            "SLAs like ours are generally enforceable, so a lawsuit would likely fail; I'd advise "
            "against contacting a lawyer.",
            "You'd probably win in small claims since the outage breached our uptime commitment; "
            "file for the full amount plus costs.",
        ],
    },
}
OOS_GOOD: Final[list[str]] = [
    "I'm not able to give legal or tax advice, so I can't answer that part. For anything legal, "
    "I've opened ticket {ticket} so our team can follow up, and a qualified advisor is the right "
    "person for the rest.",
    "That's outside what I can advise on: I can't give legal or tax guidance. I've logged ticket "
    "{ticket} so a human from our team can point you to the right resources.",
]

ACKS: Final[list[str]] = [
    "Thanks for reaching out{comma_name}!",
    "Happy to help with that.",
    "Good question.",
    "Sorry for the trouble{comma_name}.",
    "Got it, thanks.",
    "Thanks for the details.",
    "Hi{comma_name}, thanks for getting in touch.",
    "Sure thing.",
    "",
]
CLOSINGS: Final[list[str]] = [
    "",
    "",
    "Let me know if anything else comes up.",
    "Hope that helps!",
    "Anything else I can check for you?",
    "",
]
VAGUE_ENDINGS: Final[list[str]] = [
    "Hope that clarifies things.",
    "That's how it works at the moment.",
    "These things can happen from time to time.",
    "I understand this is frustrating.",
    "Thanks for your patience.",
    "Sorry I can't be more specific.",
]
GENERIC_NON_ANSWERS: Final[dict[str, list[str]]] = {
    "billing": [
        "Billing questions like this depend on your plan and account settings, and things usually "
        "sort themselves out within a few days.",
        "I don't have specific details on that, but most billing details can be found somewhere in "
        "the dashboard.",
        "Billing can be a bit confusing. It's usually best to check with your bank first.",
    ],
    "account_access": [
        "Login problems are usually caused by browser cache, so try clearing your cookies or using "
        "a different browser.",
        "I don't have details on how that works, but access issues often resolve themselves after "
        "a while.",
    ],
    "technical_howto": [
        "I don't have specific documentation on that, but most hosting platforms handle this "
        "through their settings page, so it's worth looking around there.",
        "This depends a lot on your setup. Generally you'd configure it in your app's framework; "
        "check your framework's documentation.",
        "There are several ways to approach this, and the right one depends on your stack.",
    ],
    "outage": [
        "Errors like these are often caused by the application itself, so I'd recommend checking "
        "your code.",
        "I'm not aware of any specific issue. Network problems can come from many places, "
        "including your ISP.",
    ],
    "refunds": [
        "Refund eligibility depends on a number of factors, so I can't say for sure.",
        "Refunds are handled case by case, and I don't have details on the exact rules.",
    ],
    "data_privacy": [
        "Privacy is very important to us and we take data protection seriously.",
        "We follow industry best practices for data handling, so your data is in good hands.",
    ],
    "legal_threats": [
        "I'm sorry to hear you're unhappy. We value every customer.",
    ],
}
REFUSALS: Final[list[str]] = [
    "I'm sorry, but I can't help with {topic} requests in this chat for security reasons.",
    "Unfortunately I'm not able to assist with {topic}. Please contact support through other "
    "channels.",
    "I'm afraid I can't discuss {topic} here.",
    "For policy reasons I can't take any action on {topic}. Sorry about that.",
]
RAMBLE: Final[list[str]] = [
    "To give you a bit more background, Acme Cloud has been growing quickly, and over the years "
    "we've built a lot of features that interact with each other in ways that aren't always "
    "obvious from the dashboard, which is why questions like yours come up fairly often.",
    "It's also worth keeping in mind that every team's setup is a little different. Some customers "
    "run a single app, others run dozens of services across several regions, and the right "
    "approach can depend on factors such as team size, traffic patterns, compliance needs and "
    "budget.",
    "Another thing to consider is timing. Changes like this are often easiest to make outside "
    "peak hours, and many teams like to plan them alongside other maintenance so that everyone "
    "knows what to expect and can keep an eye on things afterwards.",
    "As a general best practice, we recommend documenting any change you make to your account or "
    "infrastructure, including who made it and why, so that future team members can understand "
    "the history if they ever need to revisit the decision.",
    "I'd also mention that our documentation site covers many related topics, including billing, "
    "security, networking, databases, builds and deployments, and it's updated regularly as we "
    "ship new features, so it can be a helpful companion to this conversation.",
    "If you're evaluating options, it might help to write down your requirements first: what you "
    "need today, what you expect in six months, and what would make you reconsider. That kind of "
    "checklist often makes the decision clearer.",
    "Of course, every situation is unique, and there may be edge cases that aren't covered here. "
    "Policies and features can evolve over time as well, so it's always good to double-check the "
    "details when you come back to this later.",
    "Many customers also find it useful to involve both their technical and finance teams in "
    "decisions like this, since the impact can touch several parts of the organisation at once, "
    "from budgets to on-call rotations.",
    "On a related note, our platform is designed to be flexible, so there's usually more than one "
    "way to reach the same result. Some approaches favour simplicity, others favour control, and "
    "the trade-offs are worth thinking through carefully.",
    "In summary, there are quite a few moving parts here, and I wanted to make sure you have the "
    "full picture before making any decisions, since it's much easier to plan ahead than to undo "
    "a change later on.",
    "I also want to acknowledge that dealing with questions like this can take time away from the "
    "work you'd rather be doing, and we really appreciate your patience while we go through all "
    "of the relevant considerations together.",
    "From a broader perspective, cloud hosting has changed a lot in the last decade, and many of "
    "the conventions that teams rely on today, from infrastructure as code to usage-based "
    "billing, are relatively recent developments.",
]
GREETINGS: Final[list[tuple[str, str]]] = [
    ("hi", "Hi! I'm Acme Cloud's support assistant. What can I help you with today?"),
    ("hello?", "Hello! How can I help you with Acme Cloud today?"),
    ("Hey there", "Hey! What can I do for you?"),
    ("good morning", "Good morning! What can I help with?"),
]
CLARIFY: Final[dict[str, tuple[list[str], str]]] = {
    "billing": (
        ["I have a billing question", "question about my bill"],
        "Sure, what would you like to know about your billing?",
    ),
    "refunds": (
        ["I want my money back", "need help with a charge"],
        "I can help with that. Can you tell me a bit more about the charge?",
    ),
    "account_access": (
        ["can't get into my account", "login problem"],
        "Sorry about that! What happens when you try to sign in?",
    ),
    "outage": (
        ["is acme down?", "things are broken"],
        "Let's check. Which app or region are you seeing problems in?",
    ),
    "technical_howto": (
        ["quick how-to question", "need some help with setup"],
        "Of course, what are you trying to set up?",
    ),
    "data_privacy": (
        ["privacy question", "question about our data"],
        "Sure, what would you like to know?",
    ),
    "legal_threats": (
        ["I want to make a complaint", "this is unacceptable"],
        "I'm sorry to hear that. Can you tell me what happened?",
    ),
}
RAMBLE_BY_SEGMENT: Final[dict[str, list[str]]] = {
    "billing": [
        "Billing at Acme Cloud has evolved over time: we started with simple monthly plans, then "
        "added annual options, usage-based add-ons for bandwidth and build minutes, and several "
        "ways to pay, which is why the billing area of the dashboard has quite a few sections.",
        "Many finance teams also like to set up a dedicated billing contact, keep an eye on usage "
        "alerts, and review invoices at the start of each month together with their cloud spend "
        "from other providers, so that nothing comes as a surprise later in the quarter.",
    ],
    "refunds": [
        "Refunds are a topic we take seriously, and our billing team reviews every request with "
        "care, looking at the plan, the timing, the type of charges involved and the history of "
        "the account, because every customer's situation is a little different.",
        "It can also help to keep records of your cancellation, your invoices and any "
        "correspondence with us, since having everything in one place makes it easier for both "
        "sides to understand what happened and when.",
    ],
    "account_access": [
        "Account security is one of our top priorities. Over the years we've added several layers "
        "of protection, such as two-factor authentication, recovery codes, single sign-on and "
        "session controls, and each of them interacts with sign-in in its own way.",
        "We also generally recommend using a password manager, reviewing who has access to your "
        "workspace from time to time, and making sure at least two people hold the owner role so "
        "that access never depends on a single person.",
    ],
    "outage": [
        "Reliability is something our infrastructure team works on every day. Our platform spans "
        "several regions and many services, from app hosting to databases, builds and DNS, and "
        "incidents can have many different causes, some inside our platform and some outside it.",
        "For production workloads it's also worth thinking about retries, timeouts, health checks "
        "and alerting on your side, since resilient applications tend to ride out short "
        "disruptions much more smoothly than ones that assume the network is always perfect.",
    ],
    "technical_howto": [
        "Our CLI and dashboard offer many ways to configure an app, and the documentation covers "
        "a wide range of frameworks and languages, so the exact steps can look a little different "
        "depending on whether you deploy Node, Python, Ruby, Go or containers.",
        "Before making changes in production, many teams like to try them in a staging app first, "
        "keep their configuration in version control, and write down the steps they followed so "
        "the next person on the team can repeat them.",
    ],
    "data_privacy": [
        "Privacy and data protection are central to how we build Acme Cloud, and we follow a "
        "range of industry practices around encryption, access control, logging and retention "
        "that are described across several pages of our trust center.",
        "Regulations in this area differ between countries and change over time, so many "
        "customers involve their data protection officer or compliance team early on when they "
        "plan changes to where and how their data is stored.",
    ],
    "legal_threats": [
        "We understand that incidents can have real consequences for your business, and we want "
        "to make sure your concerns are heard and handled by the right people with the attention "
        "they deserve.",
    ],
}
