"""Scenarios about the service and its rules: outages, how-tos, data privacy and legal threats.

One dict per scenario (see :mod:`evalkit.sample_data._scenarios` for the keys and slots).
"""

from __future__ import annotations

from typing import Any, Final

SERVICE: Final[list[dict[str, Any]]] = [
    # ---------------------------------------------------------------- outage
    {
        "key": "service_status",
        "segment": "outage",
        "kb": "KB-1301",
        "topic": "service status",
        "questions": [
            "Is {service} down in {region}? our app {app} is timing out",
            "Everything in {region} is super slow right now. Is something going on?",
            "{app} has been returning errors for 20 minutes. Are you having an outage in {region}?",
            "are deploys broken? builds stuck in {region} for ages",
        ],
        "tool": ("check_service_status", "region"),
        "tool_p": 0.85,
        "facts": [
            "Live status for every region is on status.acmecloud.example.",
            "You can follow it live at status.acmecloud.example.",
        ],
        "facts2": [
            "During an incident we post an update at least every 30 minutes.",
            "The team posts updates there at least every 30 minutes until it's resolved.",
        ],
        "false": [
            "We only post incident updates once the incident is fully resolved.",
            "Outages in {region} are always fixed within 5 minutes, so it should be back already.",
        ],
        "next": [
            "Subscribe to incident {incident} on status.acmecloud.example to get updates by email "
            "or webhook.",
            "Follow incident {incident} on the status page; I'd hold off on redeploying {app} "
            "until "
            "it's marked resolved.",
        ],
    },
    {
        "key": "db_failover",
        "segment": "outage",
        "kb": "KB-1302",
        "topic": "database failover",
        "questions": [
            "Our Postgres in {region} dropped for a minute. Did it fail over? We're on {plan}.",
            "Does our database fail over to another region if {region} goes down?",
            "db connections reset at 3am, was that a failover?",
        ],
        "tool": ("check_service_status", "region"),
        "tool_p": 0.5,
        "facts": [
            "Business plan databases fail over automatically to a standby in the same region, "
            "usually within 60 seconds.",
            "On Business, Postgres fails over to a same-region standby in about a minute.",
        ],
        "facts2": [
            "Cross-region failover is only available on Enterprise.",
            "Failing over to another region is an Enterprise feature.",
        ],
        "false": [
            "All plans include automatic cross-region failover.",
            "Failover takes about 2 hours and needs a support ticket.",
        ],
        "next": [
            "Check the database's Events tab in the dashboard to see the failover time, and make "
            "sure your app retries connections.",
            "Enable connection retries in your driver; the Events tab shows when the failover "
            "happened.",
        ],
    },
    {
        "key": "errors_502",
        "segment": "outage",
        "kb": "KB-1303",
        "topic": "502/503 errors",
        "questions": [
            "Getting 502s on {app} since the last deploy. Is it you or us?",
            "{app} returns 503 Service Unavailable. Region {region}. Help!",
            "random 502 bad gateway errors on {domain}, started an hour ago",
        ],
        "tool": ("check_service_status", "region"),
        "tool_p": 0.5,
        "facts": [
            "A 502 usually means your app failed its health check, and `acme logs --tail` will "
            "show the crash.",
            "502s mostly come from the app failing its health check; `acme logs --tail` shows why.",
        ],
        "facts2": [
            "A 503 means no healthy instance is available; scaling up with `acme scale web=2` "
            "helps.",
            "503s mean no instance is healthy, so add one with `acme scale web=2`.",
        ],
        "false": [
            "502 errors are always caused by our load balancers, there's nothing to check on your "
            "side.",
            "502s are expected after every deploy and go away after a day.",
        ],
        "next": [
            "Run `acme logs --tail` for {app} and look for the crash just after the deploy; roll "
            "back with `acme releases rollback` if needed.",
            "Check `acme logs --tail`, and if the logs look clean, reply here with the request id "
            "from the error page.",
        ],
    },
    # ---------------------------------------------------------------- technical_howto
    {
        "key": "custom_domain",
        "segment": "technical_howto",
        "kb": "KB-1401",
        "topic": "custom domain",
        "questions": [
            "How do I point {domain} to my app {app}?",
            "custom domain setup? want {domain} on {app}",
            "I added {domain} but there's no HTTPS yet. How long does the certificate take?",
            "What DNS record do I need for {domain}?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "Add a CNAME record pointing {domain} to {app}.acmecloud.app, then run `acme domains "
            "add {domain}`.",
            "Create a CNAME from {domain} to {app}.acmecloud.app and register it with `acme "
            "domains add {domain}`.",
        ],
        "facts2": [
            "TLS certificates are issued automatically, usually within 10 minutes of DNS "
            "propagating.",
            "HTTPS is set up for you; the certificate usually appears within 10 minutes once DNS "
            "has propagated.",
        ],
        "false": [
            "TLS certificates for custom domains cost $20/month and have to be uploaded manually.",
            "You need an A record to our IP 203.0.113.10; CNAMEs aren't supported.",
        ],
        "next": [
            "Add the CNAME at your DNS provider, run `acme domains add {domain}`, and check "
            "`acme domains` after 10 minutes.",
            "Once the CNAME is in place, `acme domains add {domain}` will verify it and start the "
            "certificate.",
        ],
    },
    {
        "key": "env_vars",
        "segment": "technical_howto",
        "kb": "KB-1402",
        "topic": "environment variables",
        "questions": [
            "What's the right way to set env vars for {app}? Will it restart?",
            "how do I add a DATABASE_URL secret to {app}",
            "Can I change an environment variable without downtime?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "Set variables with `acme env set KEY=value`.",
            "Use `acme env set KEY=value` from the CLI.",
        ],
        "facts2": [
            "Every change triggers a zero-downtime redeploy, and values are encrypted at rest.",
            "Each change rolls out as a zero-downtime redeploy; values are encrypted and hidden "
            "after saving.",
        ],
        "false": [
            "Changing env vars needs a manual restart and causes a few minutes of downtime.",
            "Environment variables are stored in plain text, so don't put secrets there.",
        ],
        "next": [
            "Run `acme env set DATABASE_URL=... --app {app}` and watch the redeploy with `acme "
            "releases`.",
            "Try `acme env set KEY=value --app {app}`; `acme env` lists what's set.",
        ],
    },
    {
        "key": "scaling",
        "segment": "technical_howto",
        "kb": "KB-1403",
        "topic": "scaling limits",
        "questions": [
            "Can I run 20 instances of {app} on the {plan} plan?",
            "How do I scale {app} for a traffic spike this weekend?",
            "is there autoscaling on Pro?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "You can scale manually with `acme scale web=<n>`; Pro allows up to 10 instances.",
            "`acme scale web=<n>` scales by hand, up to 10 instances on Pro.",
        ],
        "facts2": [
            "Business adds autoscaling and up to 50 instances.",
            "Autoscaling and up to 50 instances come with Business.",
        ],
        "false": [
            "Every plan supports unlimited instances and autoscaling.",
            "Scaling beyond 2 instances requires an Enterprise contract.",
        ],
        "next": [
            "Run `acme scale web=6 --app {app}` before the weekend and scale back down afterwards.",
            "If you need more than 10, upgrade to Business under Billing > Plan and turn on "
            "autoscaling in the app settings.",
        ],
    },
    {
        "key": "backups",
        "segment": "technical_howto",
        "kb": "KB-1404",
        "topic": "database backups",
        "questions": [
            "How long do you keep database backups and how do I restore one?",
            "I dropped a table by accident an hour ago, can I restore yesterday's backup?",
            "what's the backup retention on {plan}?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "Managed Postgres is backed up daily; backups are kept 7 days on Pro and 30 days on "
            "Business.",
            "We take a daily backup, kept for 7 days on Pro or 30 days on Business.",
        ],
        "facts2": [
            "You restore into a new database with `acme db restore --backup <id>`.",
            "Restores go into a fresh database via `acme db restore --backup <id>`.",
        ],
        "false": [
            "Backups are kept for 90 days on all plans.",
            "Restores overwrite your live database in place and need a support ticket.",
        ],
        "next": [
            "List backups with `acme db backups`, then run `acme db restore --backup <id>` and "
            "point {app} at the new database.",
            "Pick yesterday's backup from `acme db backups` and restore it into a new database, "
            "then copy the table back.",
        ],
    },
    {
        "key": "github_deploy",
        "segment": "technical_howto",
        "kb": "KB-1405",
        "topic": "GitHub deploys",
        "questions": [
            "How do I set up auto deploy from GitHub for {app}?",
            "Do pull requests get preview environments?",
            "push to main isn't deploying {app} anymore, how is this supposed to be set up?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "Connect the repository under Settings > Git; pushes to the default branch deploy "
            "automatically.",
            "Once the repo is connected in Settings > Git, every push to the default branch "
            "deploys.",
        ],
        "facts2": [
            "Pull requests get preview environments on Pro and above.",
            "Preview environments for pull requests come with Pro and higher plans.",
        ],
        "false": [
            "Preview environments are an Enterprise-only feature.",
            "GitHub deploys only run once a day at midnight UTC.",
        ],
        "next": [
            "Open Settings > Git for {app}, connect the repo and check that the default branch is "
            "set to main.",
            "Reconnect the repository under Settings > Git and push an empty commit to test it.",
        ],
    },
    # ---------------------------------------------------------------- data_privacy
    {
        "key": "gdpr_export",
        "segment": "data_privacy",
        "kb": "KB-1501",
        "topic": "data export/deletion",
        "questions": [
            "Under GDPR I want a copy of all the data you hold on our workspace.",
            "Please delete my account and all my data ({email}).",
            "How long does a data export take? Our DPO is asking.",
        ],
        "tool": ("lookup_account", "email"),
        "tool_p": 0.4,
        "facts": [
            "Workspace owners can request a full export under Settings > Privacy, and it's ready "
            "within 48 hours.",
            "Owners can request an export in Settings > Privacy; it's ready within 48 hours.",
        ],
        "facts2": [
            "Deletion requests are completed within 30 days.",
            "Account deletions are completed within 30 days of the request.",
        ],
        "false": [
            "Deletion is immediate and irreversible the moment you click delete.",
            "Exports can take up to 90 days to prepare.",
        ],
        "next": [
            "Request the export from Settings > Privacy; you'll get an email with the download "
            "link.",
            "Submit the deletion request under Settings > Privacy; we'll confirm by email when "
            "it's done.",
        ],
    },
    {
        "key": "residency",
        "segment": "data_privacy",
        "kb": "KB-1502",
        "topic": "data residency",
        "questions": [
            "Can we move our workspace from us-east to the EU for compliance?",
            "Where is our data stored if we pick the EU region?",
            "We need all data in Germany. Can you switch our region?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "EU workspaces store all data in Frankfurt.",
            "Data for EU workspaces lives in Frankfurt.",
        ],
        "facts2": [
            "A workspace's region can't be changed after creation; moving means creating a new EU "
            "workspace and migrating.",
            "Regions are fixed at creation, so the move is a new EU workspace plus a migration.",
        ],
        "false": [
            "You can switch your workspace's region with one click under Settings.",
            "EU data is stored in Dublin and replicated to us-east for backups.",
        ],
        "next": [
            "Create a new workspace in eu-central, then use `acme db migrate` to copy your "
            "databases over.",
            "Start a new EU workspace and I can share the migration checklist.",
        ],
    },
    {
        "key": "dpa",
        "segment": "data_privacy",
        "kb": "KB-1503",
        "topic": "DPA",
        "questions": [
            "Do you offer a DPA? Our legal team needs one signed.",
            "Is there a data processing agreement for the Pro plan?",
        ],
        "tool": None,
        "tool_p": 0.0,
        "facts": [
            "A Data Processing Addendum is available on every paid plan.",
            "Every paid plan comes with a DPA.",
        ],
        "facts2": [
            "You can sign it yourself under Settings > Legal.",
            "It's self-serve: Settings > Legal.",
        ],
        "false": [
            "A DPA is only available on Enterprise contracts.",
            "DPAs have to be negotiated with our lawyers and take about 6 weeks.",
        ],
        "next": [
            "Open Settings > Legal, review the DPA and sign it; a countersigned PDF is emailed to "
            "you.",
        ],
    },
    # ---------------------------------------------------------------- legal_threats
    {
        "key": "legal_notice",
        "segment": "legal_threats",
        "kb": "KB-1601",
        "topic": "legal threat",
        "questions": [
            "This outage cost us $40k in sales. Is Acme liable or do I need to call my lawyer?",
            "We will sue if invoice {invoice} isn't cancelled. This is your final warning.",
            "I'm sending a formal notice about the data loss last week. Who do I send it to?",
            "Our lawyer says your SLA is unenforceable. What's your position?",
        ],
        "tool": ("create_ticket", "legal"),
        "tool_p": 0.8,
        "facts": [
            "I can't give legal advice or comment on liability, but I've passed this to our legal "
            "team.",
            "I'm not able to advise on legal questions or liability; this needs our legal team.",
        ],
        "facts2": [
            "Formal notices go to legal@acmecloud.example, and the legal team replies within 5 "
            "business days.",
            "Legal notices should be sent to legal@acmecloud.example; they respond within 5 "
            "business days.",
        ],
        "false": [
            "Acme accepts liability for outage losses and will reimburse your lost sales.",
            "Our terms say we're never liable for anything, so legal action won't go anywhere.",
        ],
        "next": [
            "I've opened ticket {ticket} with priority 'legal'; please send any documents to "
            "legal@acmecloud.example quoting it.",
            "Your case is ticket {ticket}; the legal team will contact you by email.",
        ],
    },
]
