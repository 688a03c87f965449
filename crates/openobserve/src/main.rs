//! The observability platform's service: OpenObserve's own image (`[images] openobserve`
//! in ci/pins.toml), started by this program, which hands it its secrets.
//!
//! OpenObserve reads its configuration from environment variables only, and Podplane
//! mounts each secret a service reads as a file under `/var/run/podplane/secrets/`. So
//! for every variable `NAME_FILE` that names a file there, this program sets `NAME` to
//! that file's contents (without its last line break), and then becomes OpenObserve
//! (`exec`, same process, same arguments). `NAME_FILE` variables naming files elsewhere
//! are OpenObserve's own (`ZO_ETCD_KEY_FILE`) and are passed on as they are.
//!
//! `OPENOBSERVE_PROGRAM` names the program to become: `/openobserve`, where OpenObserve's
//! image keeps it, unless set.

use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

const NAME: &str = env!("CARGO_PKG_NAME");

/// Where Podplane mounts the secrets a service reads (`podplane deploy --secret`).
const SECRETS: &str = "/var/run/podplane/secrets/";

/// Where OpenObserve's image keeps its program.
const PROGRAM: &str = "/openobserve";

fn main() -> ExitCode {
    let mut vars = Vec::new();
    for (name, value) in std::env::vars_os() {
        // A variable that is not UTF-8 names no secret here; it is passed on untouched.
        if let (Some(name), Some(value)) = (name.to_str(), value.to_str()) {
            vars.push((name.to_owned(), value.to_owned()));
        }
    }
    let secrets = match Secrets::from_files(&vars, |path| std::fs::read_to_string(path)) {
        Ok(secrets) => secrets,
        Err(problem) => {
            eprintln!("{NAME}: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let program = std::env::var("OPENOBSERVE_PROGRAM").unwrap_or_else(|_| PROGRAM.to_owned());
    let mut command = Command::new(&program);
    command.args(std::env::args_os().skip(1));
    command.env_remove("OPENOBSERVE_PROGRAM");
    for name in &secrets.read_from {
        command.env_remove(name);
    }
    command.envs(secrets.values.iter().map(|(name, value)| (name, value)));
    // `exec` returns only when it could not start the program.
    let error = command.exec();
    eprintln!("{NAME}: cannot start {program}: {error}");
    ExitCode::FAILURE
}

/// The variables to set from mounted secrets, and the `NAME_FILE` variables they came
/// from, which OpenObserve does not see.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Secrets {
    pub(crate) values: Vec<(String, String)>,
    pub(crate) read_from: Vec<String>,
}

impl Secrets {
    /// Reads the secret of every `NAME_FILE` in `vars` that names a mounted secret, with
    /// `read`. A secret that cannot be read or is empty, or a `NAME` that is set as well,
    /// is an error that says what to do: OpenObserve would otherwise start without it.
    pub(crate) fn from_files(
        vars: &[(String, String)],
        read: impl Fn(&str) -> std::io::Result<String>,
    ) -> Result<Secrets, String> {
        let mut secrets = Secrets {
            values: Vec::new(),
            read_from: Vec::new(),
        };
        for (name, path) in vars {
            let (Some(target), Some(key)) =
                (name.strip_suffix("_FILE"), path.strip_prefix(SECRETS))
            else {
                continue;
            };
            if target.is_empty() || key.is_empty() || key.contains('/') {
                return Err(format!(
                    "{name} = \"{path}\" names no secret: write {SECRETS}<key>, the key the service reads"
                ));
            }
            if vars.iter().any(|(other, _)| other == target) {
                return Err(format!(
                    "both {target} and {name} are set: keep {name}, which reads the secret `{key}`, and remove {target}"
                ));
            }
            let text = read(path).map_err(|error| {
                format!(
                    "{name}: cannot read the secret `{key}` at {path} ({error}): add \"{key}\" to the service's secrets and create it in the cluster (`podplane secret create --for {NAME} {key}`)"
                )
            })?;
            let value = text.strip_suffix('\n').unwrap_or(&text);
            let value = value.strip_suffix('\r').unwrap_or(value);
            if value.is_empty() {
                return Err(format!(
                    "{name}: the secret `{key}` is empty: give it its value (`podplane secret create --for {NAME} {key}`)"
                ));
            }
            secrets.values.push((target.to_owned(), value.to_owned()));
            secrets.read_from.push(name.clone());
        }
        Ok(secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::{NAME, Secrets};

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn mounted(path: &str) -> std::io::Result<String> {
        match path {
            "/var/run/podplane/secrets/root-password" => Ok("s3cret\n".to_owned()),
            "/var/run/podplane/secrets/crlf" => Ok("line\r\n".to_owned()),
            "/var/run/podplane/secrets/empty" => Ok("\n".to_owned()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }

    #[test]
    fn each_mounted_secret_becomes_its_variable_and_nothing_else_changes() {
        let found = Secrets::from_files(
            &vars(&[
                (
                    "ZO_ROOT_USER_PASSWORD_FILE",
                    "/var/run/podplane/secrets/root-password",
                ),
                ("ZO_S3_SECRET_KEY_FILE", "/var/run/podplane/secrets/crlf"),
                ("ZO_ETCD_KEY_FILE", "/etc/etcd/key.pem"),
                ("ZO_DATA_DIR", "/data"),
            ]),
            mounted,
        );
        assert_eq!(
            found,
            Ok(Secrets {
                values: vec![
                    ("ZO_ROOT_USER_PASSWORD".to_owned(), "s3cret".to_owned()),
                    ("ZO_S3_SECRET_KEY".to_owned(), "line".to_owned()),
                ],
                read_from: vec![
                    "ZO_ROOT_USER_PASSWORD_FILE".to_owned(),
                    "ZO_S3_SECRET_KEY_FILE".to_owned(),
                ],
            })
        );
    }

    #[test]
    fn a_secret_that_is_missing_empty_ambiguous_or_no_key_stops_the_start() {
        let refused =
            |pairs: &[(&str, &str)]| Secrets::from_files(&vars(pairs), mounted).unwrap_err();
        assert_eq!(
            refused(&[(
                "ZO_S3_ACCESS_KEY_FILE",
                "/var/run/podplane/secrets/s3-access-key"
            )]),
            format!(
                "ZO_S3_ACCESS_KEY_FILE: cannot read the secret `s3-access-key` at /var/run/podplane/secrets/s3-access-key (entity not found): add \"s3-access-key\" to the service's secrets and create it in the cluster (`podplane secret create --for {NAME} s3-access-key`)"
            )
        );
        assert_eq!(
            refused(&[(
                "ZO_ROOT_USER_PASSWORD_FILE",
                "/var/run/podplane/secrets/empty"
            )]),
            format!(
                "ZO_ROOT_USER_PASSWORD_FILE: the secret `empty` is empty: give it its value (`podplane secret create --for {NAME} empty`)"
            )
        );
        assert_eq!(
            refused(&[
                ("ZO_ROOT_USER_PASSWORD", "in the clear"),
                (
                    "ZO_ROOT_USER_PASSWORD_FILE",
                    "/var/run/podplane/secrets/root-password"
                ),
            ]),
            "both ZO_ROOT_USER_PASSWORD and ZO_ROOT_USER_PASSWORD_FILE are set: keep ZO_ROOT_USER_PASSWORD_FILE, which reads the secret `root-password`, and remove ZO_ROOT_USER_PASSWORD"
        );
        assert_eq!(
            refused(&[("ZO_X_FILE", "/var/run/podplane/secrets/a/b")]),
            "ZO_X_FILE = \"/var/run/podplane/secrets/a/b\" names no secret: write /var/run/podplane/secrets/<key>, the key the service reads"
        );
    }
}
