//! `platform.auto.tfvars`: where a cluster sends its telemetry, as the Terraform
//! variables Podplane reads: the observability environment, or with managed
//! observability the relay the cluster runs. The observability cluster sends nothing of
//! its own making.

use serde::Serialize;

use super::{Sources, comment_preamble};
use crate::model::{Cluster, Environment, Platform, Stage};
use crate::templates;

pub const FILE: &str = "platform.auto.tfvars";

#[derive(Serialize)]
struct Data<'a> {
    preamble: String,
    env: &'a str,
    /// Where the VM logs go, as a sentence's end.
    destination: String,
    /// The quoted endpoint, or `None` when telemetry is off.
    endpoint: Option<String>,
    /// Why telemetry is off.
    reason: String,
}

pub fn generate(
    platform: &Platform,
    env: &Environment,
    cluster: &Cluster,
) -> anyhow::Result<String> {
    let observability = platform.of_stage(Stage::Observability).next();
    let reason = match (env.stage.value, observability) {
        (Stage::Observability, _) => {
            let monitor = env
                .observability
                .as_ref()
                .and_then(|o| o.monitor.as_ref())
                .map_or("a hosted monitor".to_owned(), |m| {
                    format!("the hosted monitor `{}`", m.value)
                });
            format!(
                "This is the observability cluster: it does not send telemetry to itself;\n# {monitor} watches it."
            )
        }
        (_, None) => match &platform.managed_observability {
            Some(managed) => format!(
                "The relay `{}` of managed observability is not deployed here: nothing would\n# carry telemetry to {}.",
                managed.relay.value, managed.provider.value
            ),
            None => {
                "The platform has no observability environment to send telemetry to.".to_owned()
            }
        },
        _ => String::new(),
    };
    let destination = match (observability, &platform.managed_observability) {
        (Some(observability), _) => format!(
            "the observability environment `{}`,\n# outside this cluster",
            observability.name
        ),
        (None, Some(managed)) => format!(
            "the relay `{}` in this cluster, which\n# forwards them to {} ({}) with the credential in the secret `{}`",
            managed.relay.value,
            managed.provider.value,
            managed.endpoint.value,
            managed.credential.value
        ),
        (None, None) => String::new(),
    };
    let data = Data {
        preamble: comment_preamble("#", &Sources::Environment(env))
            .trim_end()
            .to_owned(),
        env: env.name.as_str(),
        destination,
        endpoint: cluster.otlp_endpoint.as_ref().map(|e| hcl_string(&e.value)),
        reason,
    };
    templates::fill("tfvars", &data)
}

/// A quoted HCL string. Besides JSON's escapes, HCL reads `${` and `%{` as the start of a
/// template, so those are doubled.
fn hcl_string(value: &str) -> String {
    let json = serde_json::to_string(value).expect("a string serializes");
    json.replace("${", "$${").replace("%{", "%%{")
}

#[cfg(test)]
mod tests {
    use super::hcl_string;

    #[test]
    fn hcl_strings_escape_quotes_and_template_sequences() {
        assert_eq!(hcl_string("https://otlp.x"), "\"https://otlp.x\"");
        assert_eq!(hcl_string("a\"b${c}%{d}"), "\"a\\\"b$${c}%%{d}\"");
    }
}
