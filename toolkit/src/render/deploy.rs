//! `deploy.sh`: one `podplane deploy` per service of an environment, with the cluster as
//! context; a web service with its host name and port, a worker with its replica count,
//! each secret it reads bound with `--secret`. Each image is the one CI built for the
//! environment's version, resolved to its digest and pushed into the cluster's own
//! registry by `publish` (`ci/release.sh`); every secret is checked to exist before
//! anything deploys. The CI environment's, when its runners are self-hosted, also installs
//! them (`ci/runners.sh`). Only flags and values Podplane's `deploy` and its templates accept
//! are written.

use std::fmt::Write as _;

use super::runners::Deploy;
use super::{Sources, comment_preamble};
use crate::model::{Cluster, Environment, Workload};

pub const FILE: &str = "deploy.sh";

struct Data<'a> {
    preamble: String,
    env: &'a str,
    cluster_id: String,
    registry: String,
    platform: String,
    /// A note when the cluster's pools mix architectures.
    platform_note: Option<String>,
    /// One `require_secret` line per service that reads secrets; empty without.
    secrets: String,
    /// One `publish` line per service.
    publishes: String,
    /// Every service's command, each after a blank line and a comment line; empty without
    /// services.
    services: String,
    /// The CI cluster's self-hosted runners, when it has them.
    runners: Option<&'a Deploy>,
}

pub fn generate(
    env: &Environment,
    cluster: &Cluster,
    runners: Option<&Deploy>,
) -> anyhow::Result<String> {
    let cluster_id = shell_word(cluster.id.value.as_str());
    let (arch, others) = cluster.workload_arch();
    let data = Data {
        preamble: comment_preamble("#", &Sources::EnvironmentAndCrates(env))
            .trim_end()
            .to_owned(),
        env: env.name.as_str(),
        services: commands(cluster, &cluster_id),
        registry: shell_word(cluster.registry_host.value.as_str()),
        platform: format!("linux/{arch}"),
        platform_note: (!others.is_empty()).then(|| {
            format!(
                "The pools run {arch} and {}: `podplane push` takes an image from Docker one platform at a time, so only linux/{arch} reaches the cluster's registry and its pods must run on {arch} nodes.",
                others.join(" and ")
            )
        }),
        secrets: secret_checks(cluster),
        publishes: publishes(cluster),
        cluster_id,
        runners,
    };
    Ok(script(&data))
}

/// The script, written out rather than through the template engine, which cost more than
/// everything else `render` does for the file: a few fixed lines around the services'
/// commands.
fn script(d: &Data) -> String {
    let mut out = String::with_capacity(
        2048 + d.preamble.len() + d.secrets.len() + d.publishes.len() + d.services.len(),
    );
    let (env, id) = (d.env, d.cluster_id.as_str());
    push_all(&mut out, &["#!/usr/bin/env bash\n", &d.preamble, "\n#\n"]);
    push_all(
        &mut out,
        &[
            "# Deploys every service of `",
            env,
            "` to the cluster ",
            id,
            ": each image is the one CI\n",
            "# built for its version, by the digest of that build, from the cluster's own registry\n",
            "# (ci/release.sh). Log in first:\n",
            "#   podplane login -f environments/",
            env,
            "/podplane.cluster.jsonc\n",
        ],
    );
    out.push_str(HEAD);
    if d.services.is_empty() {
        push_all(
            &mut out,
            &["\necho \"no services are deployed to ", env, "\"\n"],
        );
    } else {
        out.push('\n');
        if let Some(note) = &d.platform_note {
            push_all(&mut out, &["# ", note, "\n"]);
        }
        push_all(
            &mut out,
            &[
                "release_context ",
                id,
                " ",
                &d.registry,
                " ",
                &d.platform,
                "\n",
            ],
        );
        if !d.secrets.is_empty() {
            push_all(
                &mut out,
                &[
                    "\n# Every secret a service reads exists before anything deploys.\n",
                    &d.secrets,
                ],
            );
        }
        push_all(&mut out, &[PUBLISH_HEAD, &d.publishes, &d.services]);
    }
    if let Some(runners) = d.runners {
        runners_lines(&mut out, d, runners);
    }
    out
}

/// What every script says before its services: its shell, and the one rule of questions.
const HEAD: &str = "set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../ci/release.sh
source \"$(dirname \"${BASH_SOURCE[0]}\")/../../ci/release.sh\"

# `podplane deploy` asks before it installs a missing add-on component. This script never
# installs one on its own: it passes no -y, and where standard input is not a terminal
# (in CI) it reads /dev/null instead, so that the question fails the deploy.
[[ -t 0 ]] || exec </dev/null
";

/// Above the `publish` lines.
const PUBLISH_HEAD: &str = "
# Every image is in the cluster's registry, by the digest CI built (and, where RELEASE_GATE
# says so, the one staging ran), before anything deploys.
declare -A image
";

/// The CI cluster's self-hosted runners, installed by `ci/runners.sh`.
fn runners_lines(out: &mut String, d: &Data, r: &Deploy) {
    let (id, registry, platform) = (d.cluster_id.as_str(), &d.registry, &d.platform);
    if r.buildkite {
        push_all(
            out,
            &[
                "\n# The Buildkite agents the deploy pipeline's steps run on (the queue ",
                &r.label,
                "):\n# Buildkite's Agent Stack for Kubernetes ",
                &r.chart_version,
                ", whose jobs run the\n",
                "# image built from runners.Containerfile (ci/runners.sh says what each argument is).\n",
                RUNNERS_SOURCE,
                "runners_buildkite_deploy ",
            ],
        );
    } else {
        push_all(
            out,
            &[
                "\n# The self-hosted runners the workflows' trusted jobs run on (`runs-on: ",
                &r.label,
                "`):\n# Actions Runner Controller ",
                &r.chart_version,
                " and its runner scale set, with the runner\n",
                "# image built from runners.Containerfile (ci/runners.sh says what each argument is).\n",
                RUNNERS_SOURCE,
                "runners_deploy ",
            ],
        );
    }
    push_all(
        out,
        &[
            id,
            " ",
            registry,
            " ",
            platform,
            " \"$(dirname \"${BASH_SOURCE[0]}\")\" \\\n  ",
            r.charts,
            " ",
            &r.chart_version,
            " \\\n  ",
        ],
    );
    if r.buildkite {
        push_all(
            out,
            &[r.namespace, " ", r.secret, " ", r.git_secret, " \\\n  "],
        );
    } else {
        push_all(
            out,
            &[
                r.controller_namespace,
                " ",
                r.namespace,
                " ",
                r.secret,
                " \\\n  ",
            ],
        );
    }
    push_all(out, &[&r.image, " ", &r.tag, " ", &r.label, "\n"]);
}

/// How a script reaches `ci/runners.sh`.
const RUNNERS_SOURCE: &str = "# shellcheck source-path=SCRIPTDIR source=../../ci/runners.sh
source \"$(dirname \"${BASH_SOURCE[0]}\")/../../ci/runners.sh\"
";

/// `image[SERVICE]="$(publish SERVICE VERSION IMAGE)"` for each service: every image is
/// resolved, gated and in the cluster's registry before anything deploys.
fn publishes(cluster: &Cluster) -> String {
    let mut out = String::with_capacity(cluster.services.len() * 96);
    for (name, service) in &cluster.services {
        push_all(&mut out, &["image[", name, "]=\"$(publish ", name, " "]);
        push_word(&mut out, service.version.value.as_str());
        out.push(' ');
        push_word(&mut out, &service.image().value);
        out.push_str(")\"\n");
    }
    out
}

/// `require_secret SERVICE KEY...` for each service that reads secrets.
fn secret_checks(cluster: &Cluster) -> String {
    let mut out = String::new();
    for (name, service) in &cluster.services {
        if service.secrets.is_empty() {
            continue;
        }
        let _ = write!(out, "require_secret {}", shell_word(name));
        for key in &service.secrets {
            let _ = write!(out, " {}", key.value);
        }
        out.push('\n');
    }
    out
}

/// The command of each service, one option per line, every value already quoted for the
/// shell, under a comment saying what it deploys: written piece by piece into one buffer,
/// as the formatting machinery costs more than the text it makes.
fn commands(cluster: &Cluster, cluster_id: &str) -> String {
    let mut out = String::with_capacity(cluster.services.len() * 320);
    let mut name = String::new();
    for (service_name, service) in &cluster.services {
        name.clear();
        push_word(&mut name, service_name);
        push_all(
            &mut out,
            &["\n# ", &name, " ", &service.version.value, ", "],
        );
        match &service.workload {
            Workload::Web { host } => push_all(&mut out, &["served at https://", &host.value]),
            Workload::Worker { replicas } => {
                let unit = if replicas.value == 1 {
                    "replica"
                } else {
                    "replicas"
                };
                push_all(
                    &mut out,
                    &[
                        "a worker with ",
                        itoa::Buffer::new().format(replicas.value),
                        " ",
                        unit,
                        " and no route",
                    ],
                );
            }
        }
        push_all(
            &mut out,
            &[
                "\npodplane deploy ",
                service.declaration.template.value.as_str(),
                " \\\n  --name ",
                &name,
                " \\\n  --image \"${image[",
                &name,
                "]}\"",
            ],
        );
        if let Some(host) = service.host() {
            out.push_str(" \\\n  --hostname ");
            push_word(&mut out, host.value.as_str());
        }
        // A web service's `app.port`, a worker's `app.replicas`.
        match &service.workload {
            Workload::Web { .. } => {
                if let Some(port) = &service.declaration.port {
                    push_all(
                        &mut out,
                        &[
                            " \\\n  --set app.port=",
                            itoa::Buffer::new().format(port.value),
                        ],
                    );
                }
            }
            Workload::Worker { replicas } => {
                push_all(
                    &mut out,
                    &[
                        " \\\n  --set app.replicas=",
                        itoa::Buffer::new().format(replicas.value),
                    ],
                );
            }
        }
        for key in &service.secrets {
            push_all(&mut out, &[" \\\n  --secret ", &key.value]);
        }
        push_all(&mut out, &[" \\\n  --context ", cluster_id]);
        for (key, value) in &service.env {
            out.push_str(" \\\n  -e ");
            push_words(&mut out, &[key, "=", &value.value]);
        }
        out.push('\n');
    }
    out
}

/// `parts`, one after the other.
pub(super) fn push_all(out: &mut String, parts: &[&str]) {
    for part in parts {
        out.push_str(part);
    }
}

/// `value` as one shell word: as it is when it holds only characters the shell takes
/// literally, else in double quotes with `\`, `"`, `$` and `` ` `` escaped. (Single quotes
/// would do as well, but shellcheck takes a `$` inside them for a mistake.)
fn shell_word(value: &str) -> String {
    let mut word = String::with_capacity(value.len() + 2);
    push_word(&mut word, value);
    word
}

/// The bytes the shell takes literally in a word: letters, digits and `-_.,:/=@%+`.
const LITERAL: [bool; 256] = {
    let mut literal = [false; 256];
    let mut b = 0;
    while b < 256 {
        literal[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < b"-_.,:/=@%+".len() {
        literal[b"-_.,:/=@%+"[i] as usize] = true;
        i += 1;
    }
    literal
};

/// [`shell_word`] of `value`, written at the end of `out`.
fn push_word(out: &mut String, value: &str) {
    push_words(out, &[value]);
}

/// [`shell_word`] of `parts` joined, written at the end of `out` without joining them
/// first.
fn push_words(out: &mut String, parts: &[&str]) {
    let plain = parts.iter().any(|part| !part.is_empty())
        && parts
            .iter()
            .all(|part| part.bytes().all(|b| LITERAL[usize::from(b)]));
    if plain {
        parts.iter().for_each(|part| out.push_str(part));
        return;
    }
    out.push('"');
    for c in parts.iter().flat_map(|part| part.chars()) {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{push_words, shell_word};

    #[test]
    fn words_are_quoted_only_when_the_shell_would_read_them_differently() {
        assert_eq!(
            shell_word("ghcr.io/example/hello:0.4.0"),
            "ghcr.io/example/hello:0.4.0"
        );
        assert_eq!(shell_word("LOG_LEVEL=info"), "LOG_LEVEL=info");
        assert_eq!(
            shell_word("GREETING=hello world"),
            "\"GREETING=hello world\""
        );
        assert_eq!(shell_word("A=it's $HOME"), r#""A=it's \$HOME""#);
        assert_eq!(shell_word(r#"B="`x`\""#), r#""B=\"\`x\`\\\"""#);
        assert_eq!(shell_word(""), "\"\"");
    }

    #[test]
    fn a_word_written_in_parts_is_the_word_of_the_parts_joined() {
        for (key, value) in [
            ("LOG_LEVEL", "info"),
            ("GREETING", "hello world"),
            ("A", "it's $HOME"),
            ("B", r#""`x`\"#),
            ("", ""),
            ("EMPTY", ""),
        ] {
            let mut written = String::new();
            push_words(&mut written, &[key, "=", value]);
            assert_eq!(
                written,
                shell_word(&format!("{key}={value}")),
                "{key}={value}"
            );
            let mut alone = String::new();
            push_words(&mut alone, &[value]);
            assert_eq!(alone, shell_word(value), "{value}");
        }
    }
}
