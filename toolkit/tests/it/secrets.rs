//! Secrets: found wherever the model holds them, by key or by shape; never printed by any
//! command in any format; never written into a generated file. And what only looks like
//! a secret is left alone.

use crate::common;
use common::Repo;
use pretty_assertions::assert_eq;

const STAGING: &str = "environments/staging/environment.toml";
const PROD: &str = "environments/prod/environment.toml";
const PLATFORM: &str = "environments/platform.toml";
const ORIGINAL_ENV: &str = "env = { LOG_LEVEL = \"info\" }";

/// A secret as planted: the key it is written under, the value as TOML, and the bytes
/// that must never appear in output.
struct Planted {
    key: &'static str,
    value: &'static str,
    needle: &'static str,
}

/// Secrets under keys that name them and under keys that give nothing away.
const PLANTED: &[Planted] = &[
    Planted {
        key: "AUTH_HEADER",
        value: "\"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdG9yZWZyb250In0.Qm9ndXNTaWduYXR1cmVGb3JUZXN0czEyMzQ1Ng\"",
        needle: "Qm9ndXNTaWduYXR1cmVGb3JUZXN0czEyMzQ1Ng",
    },
    Planted {
        key: "DATABASE_URL",
        value: "\"postgres://app:s3cr3tP4ssw0rd@db.internal:5432/app\"",
        needle: "s3cr3tP4ssw0rd",
    },
    Planted {
        key: "DB_PWD",
        value: "\"Tr0ub4dor&3\"",
        needle: "Tr0ub4dor&3",
    },
    Planted {
        key: "UPSTREAM",
        value: "\"Zq3mT8vXp1LrN6yHs0WcK9dFb2GjA5eRu7Qo/aEw\"",
        needle: "Zq3mT8vXp1LrN6yHs0WcK9dFb2GjA5eRu7Qo",
    },
    Planted {
        key: "GITHUB",
        value: "\"ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s00\"",
        needle: "R4nd0mT0k3nV4lu3F0rT3st1ng",
    },
    Planted {
        key: "SIGNING",
        value: "\"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAx7Kp\\n-----END RSA PRIVATE KEY-----\"",
        needle: "MIIEowIBAAKCAQEAx7Kp",
    },
    Planted {
        key: "SMTP_PASS",
        value: "\"correct horse battery\"",
        needle: "correct horse battery",
    },
];

/// Secrets in URLs that are rendered into every cluster's file: the components' source
/// and the ACME directory.
const URL_NEEDLES: [&str; 2] = ["hunter2pass", "Sup3rS3cret"];

/// The fixture with every secret planted: in staging and prod's service (each side a
/// different value, so that `diff` has something to say about each), in the components'
/// source of platform.toml, and in staging's ACME directory.
fn planted() -> Repo {
    let repo = Repo::fixture();
    let entries = |suffix: &str| {
        PLANTED
            .iter()
            .map(|p| {
                let value = match suffix {
                    "" => p.value.to_owned(),
                    _ => p
                        .value
                        .replacen(p.needle, &format!("{}{suffix}", p.needle), 1),
                };
                format!("{} = {value}", p.key)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    repo.edit(
        STAGING,
        ORIGINAL_ENV,
        &format!("env = {{ LOG_LEVEL = \"info\", {} }}", entries("")),
    );
    repo.edit(
        PROD,
        ORIGINAL_ENV,
        &format!("env = {{ LOG_LEVEL = \"info\", {} }}", entries("X")),
    );
    repo.edit(
        PLATFORM,
        "[defaults.components]\n",
        "[defaults.components]\nsource = \"https://deploy:hunter2pass@git.initech.test/charts.git\"\n",
    );
    repo.edit(
        STAGING,
        "https://acme-staging-v02.api.letsencrypt.org/directory",
        "https://acct:Sup3rS3cret@acme.initech.test/directory",
    );
    repo
}

fn needles() -> Vec<&'static str> {
    PLANTED
        .iter()
        .map(|p| p.needle)
        .chain(URL_NEEDLES)
        .collect()
}

/// Every command and format that reads the environments.
const COMMANDS: &[&[&str]] = &[
    &["list"],
    &["show", "staging"],
    &["show", "staging", "--format", "json"],
    &["show", "prod"],
    &["diff", "staging", "prod"],
    &["diff", "staging", "prod", "--format", "json"],
    &["diff", "staging", "prod", "--format", "markdown"],
    &["diff", "prod", "staging"],
    &["parity"],
    &["parity", "--format", "json"],
    &["parity", "--format", "markdown"],
    &["check"],
    &["check", "--format", "json"],
    &["check", "--format", "github"],
    &["render", "--check"],
    &["render"],
    &["promote", "staging", "prod", "--dry-run"],
    &["promote", "staging", "prod", "--force"],
    &["new-env", "qa", "--stage", "development", "--like", "dev"],
];

#[test]
fn no_command_prints_a_secret_in_any_format() {
    let repo = planted();
    let needles = needles();
    for args in COMMANDS {
        let run = repo.run(args);
        let out = format!("{}{}", run.stdout(), run.stderr());
        assert!(
            (0..=2).contains(&run.code()),
            "{args:?} exited {}",
            run.code()
        );
        for needle in &needles {
            assert!(!out.contains(needle), "{args:?} printed `{needle}`:\n{out}");
        }
    }
}

#[test]
fn render_refuses_to_write_a_secret_and_says_where_each_is() {
    let repo = planted();
    let before = repo.snapshot();
    let err = repo.refuses(&["render"]);
    crate::common::assert_output(
        "secrets/render_refuses_to_write_a_secret_and_says_where_each_is",
        &err,
        &[
            "error: `services.storefront.env.DB_PWD` holds a secret: a value under a key named like a secret",
            "environments/staging/environment.toml:35:",
            "error: `services.storefront.env.AUTH_HEADER` holds a secret: a JSON Web Token",
            "error: `services.storefront.env.DATABASE_URL` holds a secret: a URL or address with a password in it",
            "error: `services.storefront.env.UPSTREAM` holds a secret: a random-looking key",
            "error: `services.storefront.env.GITHUB` holds a secret: a GitHub token",
            "error: `services.storefront.env.SIGNING` holds a secret: a private key",
            "error: `components.source` holds a secret: a URL or address with a password in it",
            "environments/platform.toml:",
            "error: `cluster.acme.server` holds a secret",
            "[[secrets.allow]]",
            "nothing was written",
        ],
    );
    // The platform-wide source is in every cluster, and said once.
    assert_eq!(err.matches("`components.source` holds").count(), 1);
    // No generated file carries one, and nothing changed.
    for (path, bytes) in before {
        let text = String::from_utf8_lossy(&bytes);
        if path.ends_with("environment.toml") || path.ends_with("platform.toml") {
            continue;
        }
        for needle in needles() {
            assert!(
                !text.contains(needle),
                "{} holds `{needle}`",
                path.display()
            );
        }
    }
}

#[test]
fn a_secret_already_in_a_generated_file_is_not_shown_by_render_check() {
    let repo = Repo::fixture();
    let deploy = "environments/prod/deploy.sh";
    let text = repo.read(deploy);
    repo.write(
        deploy,
        &format!(
            "{text}export API_TOKEN=Tr0ub4dor&3\n# ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s00\n"
        ),
    );
    let run = repo.run(&["render", "--check"]);
    assert_eq!(run.code(), 1);
    let out = run.stdout();
    crate::common::assert_output(
        "secrets/a_secret_already_in_a_generated_file_is_not_shown_by_render_check",
        &out,
        &["+++ b/environments/prod/deploy.sh", "export API_TOKEN="],
    );
    assert!(!out.contains("Tr0ub4dor"), "{out}");
    assert!(!out.contains("R4nd0mT0k3n"), "{out}");
}

/// Values that are not secrets, though their keys or shapes come close.
const PLAIN: &[(&str, &str)] = &[
    ("KEYCLOAK_URL", "https://keycloak.initech.test"),
    ("MAX_TOKENS", "4096"),
    ("PRIVATE_NETWORK", "true"),
    ("MONKEY_MODE", "off"),
    ("CACHE_KEY_PREFIX", "storefront:v1:"),
    ("PUBLIC_KEY_URL", "https://auth.initech.test/keys"),
    ("DB_PASSWORD_FILE", "/run/secrets/db"),
    ("GIT_SHA", "3f9a0c7d2e4b6a8c1f3e5d7b9a0c2e4f6a8b0c1d"),
    ("SENTRY_RELEASE", "storefront@1.3.0"),
    ("OTEL_SERVICE_NAME", "storefront"),
    ("DB_PASSWORD", "${DB_PASSWORD}"),
    (
        "API_TOKEN",
        "arn:aws:secretsmanager:us-east-2:111122223333:secret:api",
    ),
];

#[test]
fn what_only_looks_like_a_secret_is_shown_and_rendered() {
    let repo = Repo::fixture();
    let entries: Vec<String> = PLAIN
        .iter()
        .map(|(key, value)| format!("{key} = \"{value}\""))
        .collect();
    for file in [STAGING, PROD] {
        repo.edit(
            file,
            ORIGINAL_ENV,
            &format!("env = {{ LOG_LEVEL = \"info\", {} }}", entries.join(", ")),
        );
    }
    repo.run(&["render"]).success();
    repo.run(&["check"]).success();
    let shown = repo.run(&["show", "staging"]).success().stdout();
    let deploy = repo.read("environments/staging/deploy.sh");
    for (key, value) in PLAIN {
        assert!(shown.contains(value), "show hides {key}: {shown}");
        assert!(deploy.contains(value), "deploy.sh lacks {key}");
    }
}

#[test]
fn an_exception_names_a_path_and_a_reason() {
    let repo = Repo::fixture();
    let token = "pk_live_Zq3mT8vXp1LrN6yHs0WcK9dFb2Gj";
    for file in [STAGING, PROD] {
        repo.edit(
            file,
            ORIGINAL_ENV,
            &format!("env = {{ LOG_LEVEL = \"info\", PUBLISHABLE_TOKEN = \"{token}\" }}"),
        );
    }
    let err = repo.refuses(&["render"]);
    crate::common::assert_output(
        "secrets/an_exception_names_a_path_and_a_reason",
        &err,
        &["`services.storefront.env.PUBLISHABLE_TOKEN` holds a secret"],
    );
    // Without a reason the exception is refused, located.
    let platform = repo.read(PLATFORM);
    repo.write(
        PLATFORM,
        &format!("{platform}\n[[secrets.allow]]\npath = \"services.storefront.env.PUBLISHABLE_TOKEN\"\nreason = \" \"\n"),
    );
    let err = repo.refuses(&["render"]);
    crate::common::assert_output(
        "secrets/an_exception_names_a_path_and_a_reason-2",
        &err,
        &[
            "an exception needs a reason: say why the value is not a secret",
            "environments/platform.toml:",
        ],
    );
    repo.write(
        PLATFORM,
        &format!("{platform}\n[[secrets.allow]]\npath = \"services.*.env.PUBLISHABLE_TOKEN\"\nreason = \"Stripe's publishable key is public by design\"\n"),
    );
    repo.run(&["render"]).success();
    repo.run(&["check"]).success();
    assert!(
        repo.run(&["show", "staging"])
            .success()
            .stdout()
            .contains(token)
    );
    // The exception is narrow: the same value under another key is still a secret.
    repo.edit(STAGING, "PUBLISHABLE_TOKEN", "SECRET_TOKEN");
    repo.refuses(&["render"]);
}

/// Round three's leaks: a secret under a quoted key or across lines is hidden in the very
/// diagnostic that finds it; a secret in a field no environment tree holds (a pin, an
/// allowance's reason) is found, refused by `render`, and never printed; and a secret in a
/// structured value or after a prefix that looks like a reference is found.
#[test]
fn every_field_and_every_spelling_is_scanned_and_never_shown() {
    let repo = Repo::fixture();
    // In prod, as dotted keys of the service's table; in staging, in a table of its own.
    let dotted = [
        (
            "env.'DB_PASSWORD' = \"dotted-quoted-hunter2\"",
            "DB_PASSWORD",
            "dotted-quoted-hunter2",
        ),
        (
            "env.PASSPHRASE = \"\"\"\nfirst line of it\nmultiline-hunter2\"\"\"",
            "PASSPHRASE",
            "multiline-hunter2",
        ),
        (
            "env.CERT_PASS = \"\"\"\\\n  continued-hunter2\"\"\"",
            "CERT_PASS",
            "continued-hunter2",
        ),
        (
            "env.CONNECTION = \"Server=db;User Id=sa;Password=connstr-hunter2;\"",
            "CONNECTION",
            "connstr-hunter2",
        ),
    ];
    let table = [
        (
            "'API_KEY' = \"quoted-key-hunter2\"",
            "API_KEY",
            "quoted-key-hunter2",
        ),
        (
            "JAVA_OPTS = \"-Dapp.db.password=javaopt-hunter2\"",
            "JAVA_OPTS",
            "javaopt-hunter2",
        ),
        (
            "UPSTREAM = \"app:userinfo-hunter2@db.internal:5432\"",
            "UPSTREAM",
            "userinfo-hunter2",
        ),
        (
            "SMTP_PASSWORD = \"${PREFIX}prefixed-hunter2\"",
            "SMTP_PASSWORD",
            "prefixed-hunter2",
        ),
    ];
    let lines = |planted: &[(&str, &str, &str)]| {
        planted
            .iter()
            .map(|(line, _, _)| *line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    repo.edit(
        PROD,
        ORIGINAL_ENV,
        &format!("env.LOG_LEVEL = \"info\"\n{}", lines(&dotted)),
    );
    let staging = repo.read(STAGING).replacen(ORIGINAL_ENV, "", 1);
    repo.write(
        STAGING,
        &format!(
            "{staging}\n[services.storefront.env]\nLOG_LEVEL = \"info\"\n{}\n",
            lines(&table)
        ),
    );
    // A token in a pin, and in a parity allowance's reason.
    let pins = repo.read("ci/pins.toml");
    repo.write(
        "ci/pins.toml",
        &pins.replacen(
            "version = \"v4.3.0\"",
            "version = \"ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s00\"",
            1,
        ),
    );
    repo.edit(
        PLATFORM,
        "reason = \"production access is narrower than staging's\"",
        "reason = \"see glpat-Zq3mT8vXp1LrN6yHs0Wc for why\"",
    );
    let check = repo.run(&["check"]);
    let out = format!("{}{}", check.stdout(), check.stderr());
    assert_eq!(check.code(), 1, "{out}");
    for (_, key, needle) in dotted.iter().chain(&table) {
        assert!(!out.contains(needle), "check showed `{needle}`:\n{out}");
        assert!(
            out.contains(&format!("env.{key}` holds a secret")),
            "{key} not found:\n{out}"
        );
    }
    crate::common::assert_output(
        "secrets/every_field_and_every_spelling_is_scanned_and_never_shown",
        &out,
        &[
            "`actions.actions/checkout.version` holds a secret: a GitHub token",
            "ci/pins.toml:",
            "`parity.allow.reason` holds a secret: a GitLab personal access token",
        ],
    );
    let before = repo.snapshot();
    for needle in ["R4nd0mT0k3n", "Zq3mT8vXp1LrN6yHs0Wc"] {
        assert!(!out.contains(needle), "check showed `{needle}`");
        for args in [
            &["parity"][..],
            &["diff", "staging", "prod"],
            &["diff", "staging", "prod", "--format", "json"],
            &["render"],
        ] {
            let run = repo.run(args);
            let printed = format!("{}{}", run.stdout(), run.stderr());
            assert!(!printed.contains(needle), "{args:?} showed `{needle}`");
        }
    }
    // render refused: nothing was written.
    assert!(repo.snapshot() == before);
}
