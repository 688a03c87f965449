//! Every rule of `cargo xtask check`: its id, default level, a one-line summary, and the
//! explanation `cargo xtask explain` prints (the reasoning of the topology guide).

use crate::model::files::Level;

/// One rule.
#[derive(Debug)]
pub struct RuleInfo {
    pub id: &'static str,
    pub default: Level,
    /// Whether `[checks]` may lower its level. Problems found while loading cannot be.
    pub adjustable: bool,
    pub summary: &'static str,
    pub explanation: &'static str,
}

pub const SCHEMA: &str = "schema";
/// The one rule that reads the repository's files rather than the model.
pub const GENERATED_FRESH: &str = "generated-fresh";

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: SCHEMA,
        default: Level::Deny,
        adjustable: false,
        summary: "platform.toml and every environment.toml parse and validate",
        explanation: "Every other rule reads the resolved environments, so a file that does not \
parse, holds an unknown key, a value of the wrong type, or a name that breaks Podplane's or DNS \
rules stops everything. Fix the file at the line shown; the message says what would be valid.",
    },
    RuleInfo {
        id: "prod-separate-account",
        default: Level::Deny,
        adjustable: true,
        summary: "no other environment shares production's cloud account",
        explanation: "Production serves customers and should have the strongest isolation. The \
topology guide: use separate cloud accounts, projects, or at least separate credentials for \
production. An environment in production's account can reach production's resources with \
whatever it is granted there, and a mistake or a compromise outside production becomes a \
production incident. Give every non-production environment an account of its own or the \
shared non-production account. Production environments (one per region, say) may share an \
account with each other.",
    },
    RuleInfo {
        id: "prod-access-narrower",
        default: Level::Deny,
        adjustable: true,
        summary: "no team has a wider Podplane role in production than in staging",
        explanation: "Keep access to production narrower than in non-production environments. A \
team that may do more in production than in staging can change production in ways that were \
never rehearsed. Roles from widest to narrowest: admins, managers, operators, editors, viewers. \
Narrow the team's role in production, or widen it in staging if the work belongs there too.",
    },
    RuleInfo {
        id: "telemetry-to-observability",
        default: Level::Deny,
        adjustable: true,
        summary: "every cluster but observability ships its telemetry to the observability environment, none into production",
        explanation: "Observability should not depend on the clusters it observes: if production \
is down, overloaded or unreachable you still need what it recorded. Production, staging, \
development and CI all ship their telemetry to the dedicated observability cluster, which \
keeps it in-region and in-account; no cluster ships it into a production cluster. Podplane's \
telemetry variables (`platform.auto.tfvars`) ship each cluster's VM logs over OTLP; they \
carry no metrics or traces, which the workloads must send themselves. Check the \
`otlp_endpoint` naming pattern and that an observability environment exists.",
    },
    RuleInfo {
        id: "observability-monitored",
        default: Level::Deny,
        adjustable: true,
        summary: "the observability environment names the hosted monitor that watches it",
        explanation: "The observability cluster still needs its own observability. A small hosted \
provider monitors the health of the self-hosted platform and alerts when it is down or falling \
behind, so that the monitoring system does not fail with the infrastructure it diagnoses. Set \
`monitor` in [observability].",
    },
    RuleInfo {
        id: "observability-access-separate",
        default: Level::Warn,
        adjustable: true,
        summary: "access to observability is not simply production's admin list",
        explanation: "Access to observability is managed separately from cluster admin access: \
the people on call need dashboards and incident history when production is at fault, and the \
people who administer production need not administer the telemetry of every environment. When \
observability's admins are exactly production's admins, the two were not thought about \
separately.",
    },
    RuleInfo {
        id: "ci-outside-prod",
        default: Level::Deny,
        adjustable: true,
        summary: "CI does not run in production's account",
        explanation: "A compromised build system often holds deployment credentials, so CI is \
sensitive infrastructure. If you self-host CI, keep it separate from production workloads: its \
runners must not live in production's account. Promotion reaches production through \
deployment credentials, not through shared infrastructure.",
    },
    RuleInfo {
        id: "single-issuer",
        default: Level::Deny,
        adjustable: true,
        summary: "every cluster trusts the one issuer, served from an identity environment with an account of its own",
        explanation: "Run one OIDC issuer for every cluster environment, in a dedicated identity \
account or one with stricter controls than non-production. Do not casually deploy the issuer \
into the staging or development account: whoever controls the issuer controls who may act on \
every cluster, production included. There should be exactly one identity environment, its \
host name should be the issuer every cluster trusts, and its account should be its own.",
    },
    RuleInfo {
        id: "vpc-no-overlap",
        default: Level::Deny,
        adjustable: false,
        summary: "no two environments' VPCs overlap",
        explanation: "Each environment gets a distinct VPC range, allocated once and never \
shifted, so that environments can be peered or reached over a VPN without address clashes and \
so that an address says which environment it belongs to. Overlapping VPCs are refused when the \
platform loads, so this rule cannot be lowered. `cargo xtask new-env` allocates a free /16.",
    },
    RuleInfo {
        id: "host-unique",
        default: Level::Deny,
        adjustable: false,
        summary: "no two things on the platform share a host name",
        explanation: "Consistent DNS conventions let every name be predicted from the \
environment's, and they only work if every name names one thing. Two clusters, or a cluster \
and the OIDC issuer or the OTLP endpoint, answering for one host name means certificates, DNS \
records and tokens for one reach the other: a staging API host equal to production's sends \
staging's deploys to production. Every zone apex, API host, registry host, web service host, \
the issuer's host and the OTLP endpoint's host must differ. Clashes are refused when the \
platform loads, so this rule cannot be lowered.",
    },
    RuleInfo {
        id: "host-in-zone",
        default: Level::Deny,
        adjustable: true,
        summary: "a cluster's API, registry and service host names lie inside its own zone",
        explanation: "Each cluster environment owns one DNS zone (`prod.example.com`), and its \
ingress gets certificates for names under it. A host name outside it is a name the cluster \
does not own: another environment's, or one that DNS and certificates for this cluster do not \
cover. Write the name under the environment's zone. A name that belongs elsewhere on purpose \
(a product's public domain) is excepted by `[[hosts.allow]]` in platform.toml, with the host \
name or a glob such as `*.example.com` and a reason.",
    },
    RuleInfo {
        id: "instance-arch-unchecked",
        default: Level::Warn,
        adjustable: true,
        summary: "every pool's instance type is one whose architecture the tool can check",
        explanation: "A pool's `arch` decides which images its nodes pull; an instance type of \
the other architecture boots nodes that cannot run them. The tool reads the architecture from \
AWS's instance type names (Graviton families carry a `g`: `m7g`, `c6gn`, `t4g`; `m7i`, `m7a`, \
`t3` are x86) and refuses a mismatch while loading. Types whose names do not tell \
(`mac2.metal`, `u-6tb1.metal`) are taken as written; this rule says so, so that a person \
checks them. Allow it for a platform that uses such types on purpose.",
    },
    RuleInfo {
        id: "no-secret-values",
        default: Level::Deny,
        adjustable: true,
        summary: "no environment or platform file holds a secret value",
        explanation: "The repository is read by many and copied everywhere; a secret committed to \
it is a secret leaked. Values passed with `podplane deploy -e` are stored in plain sight. Keep \
secrets in a secrets manager and put only references in these files: ARNs \
(`arn:aws:secretsmanager:...`), `${VAR}` placeholders, or `*_FILE` paths. A value is taken for \
a secret when its key names one by whole words (`DB_PASSWORD`, `API_KEY`), or when its shape is \
a credential's under any key (a known token, a JWT, a URL with a password, a private key, a long \
random key). `render` refuses to write one, and no command prints one. A value that only looks \
like a secret is excepted by `[[secrets.allow]]` in platform.toml, with its path and a reason.",
    },
    RuleInfo {
        id: "staged-before-prod",
        default: Level::Deny,
        adjustable: true,
        summary: "every service deployed to production is deployed to staging",
        explanation: "Staging validates the exact candidate that may go to production, and \
production deploys are promoted from the staged candidate. A service that runs in production \
but not in staging reaches customers without that validation. The rule applies when the \
platform has a staging environment; staging is optional in the topology guide.",
    },
    RuleInfo {
        id: "naming-convention",
        default: Level::Warn,
        adjustable: true,
        summary: "names written by hand follow the naming conventions",
        explanation: "Consistent cluster naming, identity, DNS and deployment conventions across \
environments let people and tools predict every name from the environment's. A name written in \
[names] or a service's `hostname` that differs from what its convention makes is a place where \
that prediction fails. Remove the hand-written name, change the convention in [naming] for \
everyone, or allow this rule if the exception is deliberate.",
    },
    RuleInfo {
        id: "parity",
        default: Level::Deny,
        adjustable: true,
        summary: "every parity candidate matches the reference where correctness depends on it",
        explanation: "Make non-production look like production where it affects correctness, but \
scale it down where it only affects cost. `cargo xtask parity` compares every candidate of \
[parity] with the reference; a must-match difference no [[parity.allow]] entry excuses is a \
finding. Make them match, or document the exception with a reason and an expiry.",
    },
    RuleInfo {
        id: GENERATED_FRESH,
        default: Level::Deny,
        adjustable: true,
        summary: "every generated file is what `cargo xtask render` makes",
        explanation: "Podplane and the people who run the platform read the generated files, not \
the environment files. A generated file that is missing, stale or left over from a removed \
environment means that what is deployed is not what the environment files say. Run \
`cargo xtask render` and commit the result.",
    },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|rule| rule.id == id)
}

/// Every rule id, for messages.
pub fn ids() -> Vec<&'static str> {
    RULES.iter().map(|rule| rule.id).collect()
}
