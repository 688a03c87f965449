//! One environment: its own values over the platform's defaults, its access, the table of
//! its stage, and the names its conventions make.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::model::spanned::{Entries, Spanned};

use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile, Span, help_valid};
use crate::model::conventions::{Pattern, Unmade, Variables};
use crate::model::files::ENVIRONMENTS_DIR;
use crate::model::files::{Connector, EnvironmentFile, IdentityFile};
use crate::model::names::{Account, DnsName, EnvName, Region};
use crate::model::{
    Access, Breach, Ci, CiProvider, Environment, Flow, Identity, Observability, Origin, Runners,
    Sourced, Stage,
};

use super::{ClusterKeys, HasSpan, Shared, validated};
use crate::model::values::{SecretArn, one_line};

/// An environment directory's name and its parsed file, or everything wrong with them.
pub(super) fn parse_environment(
    dir: &str,
    file: &Arc<SourceFile>,
) -> Result<(EnvName, EnvironmentFile), Diagnostics> {
    let name = EnvName::parse(dir).map_err(|reason| {
        Diagnostic::new(reason, Location::Path(Path::new(ENVIRONMENTS_DIR).join(dir))).with_help(
            "rename the directory: an environment name is lowercase letters, digits and single hyphens, starting with a letter",
        )
    });
    match (
        name,
        crate::model::parse_with_secrets::<EnvironmentFile>(file),
    ) {
        (Ok(name), Ok(raw)) => Ok((name, raw)),
        (name, raw) => Err(Diagnostics(
            name.err().into_iter().chain(raw.err()).collect(),
        )),
    }
}

/// Resolves one environment, reporting its problems.
pub(super) struct EnvResolver<'a, 'b> {
    pub(super) shared: &'a Shared<'a>,
    pub(super) name: &'a EnvName,
    pub(super) file: &'a Arc<SourceFile>,
    pub(super) problems: &'b mut Diagnostics,
    /// Names written by hand that differ from their conventions.
    pub(super) breaches: Vec<Breach>,
    /// Which of `problems` says the VPC is missing or invalid: it gets a free VPC as its
    /// help once every environment's VPC is known.
    pub(super) vpc_problem: Option<usize>,
}

impl EnvResolver<'_, '_> {
    pub(super) fn resolve(&mut self, raw: EnvironmentFile) -> Option<Environment> {
        let EnvironmentFile {
            stage,
            description,
            account,
            dr_of,
            region,
            vpc,
            zones,
            names,
            pools,
            components,
            access,
            services,
            ci,
            observability,
            identity,
            acme,
        } = raw;
        let cluster_keys = ClusterKeys {
            vpc,
            zones,
            names,
            pools,
            components,
            services,
            acme,
        };
        let stage = Sourced::written(self.file, stage);
        let account = self.validated(account, |s| Account::parse(s));
        let region = match region {
            Some(region) => self.validated(region, |s| Region::parse(s)),
            None => Some(self.shared.region.clone()),
        };
        let access = self.access(access);
        let dr_of = dr_of.and_then(|twin| {
            if stage.value != Stage::Production {
                self.problems.push(
                    Diagnostic::at(
                        self.span(&twin),
                        "`dr_of` is for a production environment: the one it stands in for",
                    )
                    .with_help("remove `dr_of`, or make this a production environment (stage = \"production\")"),
                );
                return None;
            }
            self.validated(twin, |s| EnvName::parse(s))
        });
        let ci = self.stage_table(ci, "ci", Stage::Ci, stage.value);
        let ci = ci.map(|ci| Ci {
            runners: Sourced::written(self.file, ci.runners),
            flow: ci.flow.map_or_else(
                || {
                    Sourced::new(
                        Flow::PullRequest,
                        Origin::Builtin("default: flow = \"pull-request\""),
                    )
                },
                |flow| Sourced::written(self.file, flow),
            ),
            provider: ci.provider.map_or_else(
                || {
                    Sourced::new(
                        CiProvider::Github,
                        Origin::Builtin("default: provider = \"github\""),
                    )
                },
                |provider| Sourced::written(self.file, provider),
            ),
        });
        let observability = self
            .stage_table(
                observability,
                "observability",
                Stage::Observability,
                stage.value,
            )
            .map(|o| Observability {
                platform: Sourced::written(self.file, o.platform),
                retention_days: Sourced::written(self.file, o.retention_days),
                monitor: o
                    .monitor
                    .and_then(|m| self.validated(m, |t| one_line(t).map(|()| t.clone()))),
            });
        let identity_file = self.stage_table(identity, "identity", Stage::Identity, stage.value);
        let (account, region) = (account?, region?);

        let mut variables =
            self.shared
                .variables(self.name, stage.value, &region.value, &account.value);
        let issuer = self.issuer(&variables);

        let no_cluster_because = match (stage.value, &ci) {
            (Stage::Identity, _) => Some("an identity environment runs no cluster"),
            (Stage::Ci, Some(ci)) if ci.runners.value == Runners::Hosted => {
                Some("CI on hosted runners runs no cluster")
            }
            _ => None,
        };
        let cluster = match no_cluster_because {
            Some(why) => {
                self.refuse_cluster_keys(&cluster_keys, why);
                None
            }
            None => self.cluster(cluster_keys, &region.value, issuer.clone(), &mut variables),
        };
        let identity = match (identity_file, issuer) {
            (Some(file), Some(issuer)) => self.identity(file, &issuer, &variables),
            _ => None,
        };

        let tags = [
            ("podplane:environment", self.name.as_str()),
            ("podplane:stage", stage.value.as_str()),
            ("podplane:managed-by", "podplane"),
        ]
        .into_iter()
        .map(|(k, v)| {
            (k.to_owned(), Sourced::new(v.to_owned(), Origin::Builtin("convention: tags podplane:environment, podplane:stage, podplane:managed-by")))
        })
        .collect();

        let cluster_ok = no_cluster_because.is_some() || cluster.is_some();
        let stage_ok = match stage.value {
            Stage::Ci => ci.is_some(),
            Stage::Observability => observability.is_some(),
            Stage::Identity => identity.is_some(),
            _ => true,
        };
        (cluster_ok && stage_ok).then(|| Environment {
            name: self.name.clone(),
            file: self.file.clone(),
            stage,
            description: description
                .and_then(|d| self.validated(d, |t| one_line(t).map(|()| t.clone()))),
            provider: self.shared.provider.clone(),
            account,
            region,
            dr_of,
            tags,
            access,
            cluster,
            ci,
            observability,
            identity,
            breaches: std::mem::take(&mut self.breaches),
            secrets: self.shared.secrets.clone(),
        })
    }

    pub(super) fn span(&self, spanned: &dyn HasSpan) -> Span {
        Span {
            file: self.file.clone(),
            range: spanned.span(),
        }
    }

    pub(super) fn validated<T: Clone, U>(
        &mut self,
        value: Spanned<T>,
        parse: impl FnOnce(&T) -> Result<U, String>,
    ) -> Option<Sourced<U>> {
        validated(self.problems, self.file, value, parse)
    }

    pub(super) fn access(
        &mut self,
        raw: Entries<Spanned<crate::model::Role>>,
    ) -> BTreeMap<String, Access> {
        let mut access = BTreeMap::new();
        for (team, role) in raw {
            let Some(members) = self.shared.teams.get(team.get_ref()) else {
                let known: Vec<&str> = self.shared.teams.keys().map(String::as_str).collect();
                self.problems.push(
                    Diagnostic::at(
                        self.span(&team),
                        format!("unknown team `{}`", team.get_ref()),
                    )
                    .with_label("not a team of [teams] in platform.toml")
                    .with_help(help_valid("teams", team.get_ref(), &known)),
                );
                continue;
            };
            let group = Sourced::new(
                format!("podplane:{}", role.get_ref()),
                Origin::Builtin("convention: group = podplane:<role>"),
            );
            access.insert(
                team.into_inner(),
                Access {
                    role: Sourced::written(self.file, role),
                    group,
                    members: members.clone(),
                },
            );
        }
        access
    }

    /// A stage's own table: required in that stage, refused in any other.
    fn stage_table<T>(
        &mut self,
        table: Option<Spanned<T>>,
        key: &str,
        owner: Stage,
        stage: Stage,
    ) -> Option<T> {
        match table {
            Some(table) if stage != owner => {
                self.problems.push(
                    Diagnostic::at(
                        self.span(&table),
                        format!("[{key}] belongs only in an environment of stage `{owner}`"),
                    )
                    .with_label(format!("this environment's stage is `{stage}`"))
                    .with_help(format!("remove [{key}], or set stage = \"{owner}\"")),
                );
                None
            }
            Some(table) => Some(table.into_inner()),
            None if stage == owner => {
                self.problems.push(
                    Diagnostic::new(
                        format!("an environment of stage `{owner}` needs its [{key}] table"),
                        Location::Path(self.file.path.clone()),
                    )
                    .with_help(format!("see [{key}] in docs/environments-reference.md")),
                );
                None
            }
            None => None,
        }
    }

    /// Reports every cluster key written in an environment that runs no cluster.
    fn refuse_cluster_keys(&mut self, keys: &ClusterKeys, why: &str) {
        let ClusterKeys {
            acme,
            vpc,
            zones,
            names,
            pools,
            components,
            services,
        } = keys;
        let present: [(Option<std::ops::Range<usize>>, &str); 7] = [
            (acme.as_ref().map(Spanned::span), "[acme]"),
            (vpc.as_ref().map(Spanned::span), "vpc"),
            (zones.as_ref().map(Spanned::span), "zones"),
            (names.as_ref().map(Spanned::span), "[names]"),
            (pools.keys().next().map(Spanned::span), "[pools]"),
            (components.as_ref().map(Spanned::span), "[components]"),
            (services.keys().next().map(Spanned::span), "[services]"),
        ];
        for (range, key) in present {
            if let Some(range) = range {
                self.problems.push(
                    Diagnostic::at(
                        Span {
                            file: self.file.clone(),
                            range,
                        },
                        format!("{key} has no meaning here: {why}"),
                    )
                    .with_help(format!("remove {key}")),
                );
            }
        }
    }

    pub(super) fn issuer(&mut self, variables: &Variables) -> Option<Sourced<String>> {
        let issuer = self.conventional(Pattern::Issuer, variables)?;
        let host = issuer
            .value
            .strip_prefix("https://")
            .map(|rest| rest.split('/').next().unwrap_or(rest));
        match host.map(DnsName::parse) {
            Some(Ok(_)) => Some(issuer),
            Some(Err(reason)) => {
                self.convention_problem(&issuer, reason);
                None
            }
            None => {
                self.convention_problem(
                    &issuer,
                    format!("issuer `{}` must be an https:// URL", issuer.value),
                );
                None
            }
        }
    }

    /// A name from its pattern; a failure is reported once per environment.
    pub(super) fn conventional(
        &mut self,
        pattern: Pattern,
        variables: &Variables,
    ) -> Option<Sourced<String>> {
        self.shared
            .naming
            .make(pattern, variables)
            .map_err(|unmade| {
                if let Unmade::Failed(reason) = unmade {
                    self.problems.push(Diagnostic::new(
                        reason,
                        Location::Path(self.file.path.clone()),
                    ));
                }
            })
            .ok()
    }

    /// A name written in `[names]`, or else made by its pattern, then validated.
    pub(super) fn name<U>(
        &mut self,
        written: Option<Spanned<String>>,
        pattern: Pattern,
        variables: &Variables,
        parse: impl FnOnce(&str) -> Result<U, String>,
    ) -> Option<Sourced<U>> {
        match written {
            Some(written) => {
                if let Ok(conventional) = self.shared.naming.make(pattern, variables)
                    && conventional.value != *written.get_ref()
                {
                    self.breaches.push(Breach {
                        convention: pattern.key(),
                        written: Sourced::written(self.file, written.clone()),
                        conventional: conventional.value,
                    });
                }
                self.validated(written, |s| parse(s))
            }
            None => {
                let made = self.conventional(pattern, variables)?;
                match parse(&made.value) {
                    Ok(value) => Some(made.map(|_| value)),
                    Err(reason) => {
                        self.convention_problem(&made, reason);
                        None
                    }
                }
            }
        }
    }

    /// A name made by a convention that breaks a rule: the environment's name or the
    /// pattern is at fault, so the help offers both ways out.
    fn convention_problem(&mut self, made: &Sourced<String>, reason: String) {
        let rule = match &made.origin {
            Origin::Convention(rule) => rule.to_string(),
            _ => String::from("a convention"),
        };
        self.problems.push(
            Diagnostic::new(format!("environment `{}`: {reason}", self.name), Location::Path(self.file.path.clone()))
                .with_help(format!(
                    "the value was made by {rule} for `{}`: change the pattern in [naming] of platform.toml, write the name by hand in [names] of this file, or rename the environment", self.name
                )),
        );
    }

    pub(super) fn identity(
        &mut self,
        raw: IdentityFile,
        issuer: &Sourced<String>,
        variables: &Variables,
    ) -> Option<Identity> {
        let host = issuer
            .value
            .trim_start_matches("https://")
            .split('/')
            .next()
            .unwrap_or_default();
        let hostname = Sourced::new(DnsName::parse(host).ok()?, issuer.origin.clone());
        let client_secret_arn = self.name(
            raw.client_secret_arn,
            Pattern::ConnectorSecretArn,
            variables,
            SecretArn::parse,
        );
        let signing_key_secret_arn = self.name(
            raw.signing_key_secret_arn,
            Pattern::SigningKeySecretArn,
            variables,
            SecretArn::parse,
        );
        // Truster keeps GitHub's upstream tokens encrypted, with a key of its own; Google
        // sign-in needs none.
        let encryption_key_secret_arn = match raw.connector.get_ref() {
            Connector::Github => Some(self.name(
                raw.encryption_key_secret_arn,
                Pattern::EncryptionKeySecretArn,
                variables,
                SecretArn::parse,
            )?),
            Connector::Google => None,
        };
        Some(Identity {
            hostname,
            connector: Sourced::written(self.file, raw.connector),
            client_secret_arn: client_secret_arn?,
            signing_key_secret_arn: signing_key_secret_arn?,
            encryption_key_secret_arn,
        })
    }
}
