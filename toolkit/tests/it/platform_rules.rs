//! What the platform refuses or accepts about clusters, services, VPCs, host names and
//! images, end to end: the rules Podplane, DNS and OCI registries impose, enforced while
//! loading.

use crate::common;
use common::{Repo, assert_commented};

#[test]
fn invalid_environments_are_refused_with_the_reason() {
    // (file, text to replace, replacement, what the message must say)
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "environments/identity/environment.toml",
            "[identity]",
            "vpc = \"10.60.0.0/16\"\n\n[identity]",
            &[
                "vpc has no meaning here: an identity environment runs no cluster",
                "identity/environment.toml:8:7",
            ],
        ),
        (
            "environments/ci/environment.toml",
            "runners = \"self-hosted\"",
            "runners = \"hosted\"",
            &[
                "vpc has no meaning here: CI on hosted runners runs no cluster",
                "[pools] has no meaning here",
            ],
        ),
        (
            "environments/dev/environment.toml",
            "[access]",
            "[ci]\nrunners = \"hosted\"\n\n[access]",
            &[
                "[ci] belongs only in an environment of stage `ci`",
                "this environment's stage is `development`",
            ],
        ),
        (
            "environments/observability/environment.toml",
            "[observability]\nplatform = \"victoriametrics\"\nretention_days = 14\nmonitor = \"uptime-robot\"",
            "",
            &["an environment of stage `observability` needs its [observability] table"],
        ),
        (
            "environments/dev/environment.toml",
            "[pools.ingress]",
            "[pools.edge]",
            &[
                "missing pool `ingress`",
                "the domain's load balancer targets `ingress`",
            ],
        ),
        (
            "environments/prod/environment.toml",
            "vpc = \"10.30.0.0/16\"",
            "vpc = \"10.30.1.0/16\"",
            &["`10.30.1.0/16` has host bits set: the network is `10.30.0.0/16`"],
        ),
        (
            "environments/prod/environment.toml",
            "vpc = \"10.30.0.0/16\"",
            "vpc = \"10.20.0\"",
            &[
                "`10.20.0` is not an IPv4 CIDR: write a network address and a prefix length from /16 to /20",
                // A suggestion no other environment uses, not a fixed example.
                "`vpc = \"10.0.0.0/16\"` is the lowest free /16 of 10.0.0.0/8",
            ],
        ),
        (
            "environments/prod/environment.toml",
            "vpc = \"10.30.0.0/16\"\n",
            "",
            &[
                "missing key `vpc`",
                "`vpc = \"10.0.0.0/16\"` is the lowest free /16 of 10.0.0.0/8",
            ],
        ),
        (
            "environments/prod/environment.toml",
            "version = \"1.2.0\"",
            "version = \"latest\"",
            &["`latest` is not a semver version"],
        ),
        (
            "environments/prod/environment.toml",
            "env = { LOG_LEVEL = \"info\" }",
            "env = { \"LOG-LEVEL\" = \"info\" }",
            &["`LOG-LEVEL` is not an environment variable name"],
        ),
        (
            "environments/platform.toml",
            "seed = \"recommended\"",
            "seed = \"none\"",
            &[
                "a seed release has no meaning when seed = \"none\"",
                "platform.toml:",
            ],
        ),
        (
            "environments/platform.toml",
            "\"bo@initech.test\"",
            "\"bo\"",
            &["`bo` is not an email address"],
        ),
        (
            "environments/staging/environment.toml",
            "zones = 3",
            "zones = 3\n\n[names]\ncluster_id = \"initech-prod\"",
            &["cluster id `initech-prod` of `staging` is also the cluster id of `prod`"],
        ),
    ];
    for (file, from, to, expected) in cases {
        let repo = Repo::fixture();
        repo.edit(file, from, to);
        let err = repo.refuses(&["list"]);
        crate::common::assert_output(
            "platform_rules/invalid_environments_are_refused_with_the_reason",
            &err,
            expected,
        );
    }
}

#[test]
fn hosted_ci_runs_no_cluster() {
    let repo = Repo::fixture();
    let text = "stage = \"ci\"\naccount = \"111122223333\"\n\n[ci]\nrunners = \"hosted\"\n\n[access]\nplatform = \"admins\"\n";
    repo.write("environments/ci/environment.toml", text);
    let list = repo.run(&["list"]).success().stdout();
    crate::common::assert_output(
        "platform_rules/hosted_ci_runs_no_cluster",
        &list,
        &["ci             ci             111122223333  us-east-2  -"],
    );
}

#[test]
fn a_second_observability_environment_is_refused() {
    let err = Repo::fixture().refuses(&["new-env", "telemetry", "--stage", "observability"]);
    crate::common::assert_output(
        "platform_rules/a_second_observability_environment_is_refused",
        &err,
        &["more than one observability environment"],
    );
}

// Services: only what their Podplane template takes.

#[test]
fn a_template_is_web_or_worker() {
    let repo = Repo::fixture();
    repo.edit(
        "crates/mailer/Cargo.toml",
        "template = \"worker\"",
        "template = \"cron\"",
    );
    let err = repo.refuses(&["list"]);
    crate::common::assert_output(
        "platform_rules/a_template_is_web_or_worker",
        &err,
        &[
            "unknown value `cron` for `template` in [package.metadata.platform]",
            "crates/mailer/Cargo.toml:8:12",
            "valid values: `web`, `worker`",
        ],
    );
}

#[test]
fn a_web_service_listens_on_8080_unless_it_says_otherwise() {
    let repo = Repo::fixture();
    repo.edit("crates/storefront/Cargo.toml", "port = 9090\n", "");
    let out = repo.run(&["show", "prod"]).success().stdout();
    assert_commented(&out, "port = 8080", "default: port = 8080");
    repo.run(&["render"]).success();
    crate::common::assert_output(
        "platform_rules/a_web_service_listens_on_8080_unless_it_says_otherwise",
        &repo.read("environments/prod/deploy.sh"),
        &["--set app.port=8080 \\"],
    );
    repo.edit(
        "crates/storefront/Cargo.toml",
        "template = \"web\"",
        "template = \"web\"\nport = 0",
    );
    let err = repo.refuses(&["list"]);
    crate::common::assert_output(
        "platform_rules/a_web_service_listens_on_8080_unless_it_says_otherwise",
        &err,
        &[
            "port 0 cannot be served",
            "crates/storefront/Cargo.toml:9:8",
        ],
    );
    // Nor a privileged one: the image runs as an unprivileged user.
    repo.edit("crates/storefront/Cargo.toml", "port = 0", "port = 80");
    crate::common::assert_output(
        "platform_rules/a_web_service_listens_on_8080_unless_it_says_otherwise-2",
        &repo.refuses(&["list"]),
        &["port 80 cannot be served", "may not listen below 1024"],
    );
}

#[test]
fn a_worker_has_no_port_and_no_host_name() {
    let repo = Repo::fixture();
    repo.edit(
        "crates/mailer/Cargo.toml",
        "image = \"ghcr.io/initech/mailer\"",
        "image = \"ghcr.io/initech/mailer\"\nport = 8080",
    );
    let err = repo.refuses(&["list"]);
    crate::common::assert_output(
        "platform_rules/a_worker_has_no_port_and_no_host_name",
        &err,
        &[
            "a worker has no port in [package.metadata.platform]",
            "crates/mailer/Cargo.toml:10:8",
            "worker template runs no Service",
        ],
    );

    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "[services.mailer]\n",
        "[services.mailer]\nhostname = \"mail.prod.initech.test\"\n",
    );
    let err = repo.refuses(&["render"]);
    crate::common::assert_output(
        "platform_rules/a_worker_has_no_port_and_no_host_name-2",
        &err,
        &[
            "`hostname` cannot be set for `mailer`: a worker is not served at a host name",
            "environments/prod/environment.toml:36:12",
        ],
    );
}

#[test]
fn only_a_worker_takes_a_replica_count() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "version = \"1.2.0\"\n",
        "version = \"1.2.0\"\nreplicas = 3\n",
    );
    let err = repo.refuses(&["render"]);
    crate::common::assert_output(
        "platform_rules/only_a_worker_takes_a_replica_count",
        &err,
        &[
            "`replicas` cannot be set for `storefront`: Podplane's web template runs one replica",
            "environments/prod/environment.toml:33:12",
            "accept no replica count",
        ],
    );

    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "replicas = 4",
        "replicas = 0",
    );
    let err = repo.refuses(&["render"]);
    crate::common::assert_output(
        "platform_rules/only_a_worker_takes_a_replica_count-2",
        &err,
        &["a worker needs at least 1 replica"],
    );
}

#[test]
fn vpcs_are_private_unless_the_platform_says_why_not() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/staging/environment.toml",
        "vpc = \"10.20.0.0/16\"",
        "vpc = \"8.8.0.0/16\"",
    );
    crate::common::assert_output(
        "platform_rules/vpcs_are_private_unless_the_platform_says_why_not",
        &repo.refuses(&["list"]),
        &[
            "`8.8.0.0/16` is not a private range",
            "environments/staging/environment.toml:7:7",
            "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16",
        ],
    );
    repo.edit(
        "environments/platform.toml",
        "vpc_range = \"10.0.0.0/8\"",
        "vpc_range = \"10.0.0.0/7\"",
    );
    crate::common::assert_output(
        "platform_rules/vpcs_are_private_unless_the_platform_says_why_not-2",
        &repo.refuses(&["list"]),
        &[
            "`10.0.0.0/7` is not a private range",
            "environments/platform.toml:22:",
        ],
    );
    repo.edit(
        "environments/platform.toml",
        "vpc_range = \"10.0.0.0/7\"",
        "vpc_range = \"10.0.0.0/8\"\nallow_public = \"AS64500 owns 8.8.0.0/16 and routes it to our VPCs\"",
    );
    repo.run(&["list"]).success();
}

#[test]
fn every_host_name_names_one_thing_on_the_whole_platform() {
    for (file, from, to, expected) in [
        (
            "environments/staging/environment.toml",
            "zones = 3\n",
            "zones = 3\n\n[names]\napi_host = \"k8s.prod.initech.test\"\n",
            "host name `k8s.prod.initech.test` is the API host of `staging` and also the API host of `prod`",
        ),
        (
            "environments/prod/environment.toml",
            "[services.storefront]\n",
            "[services.storefront]\nhostname = \"auth.initech.test\"\n",
            "host name `auth.initech.test` is the host of service `storefront` in `prod` and also the OIDC issuer's host, served by `identity`",
        ),
        (
            "environments/staging/environment.toml",
            "[services.storefront]\n",
            "[services.storefront]\nhostname = \"otlp.observability.initech.test\"\n",
            "host name `otlp.observability.initech.test` is the host of service `storefront` in `staging` and also the OTLP endpoint's host",
        ),
        (
            "environments/staging/environment.toml",
            "[services.storefront]\n",
            "[services.storefront]\nhostname = \"prod.initech.test\"\n",
            "host name `prod.initech.test` is the host of service `storefront` in `staging` and also the zone of `prod`",
        ),
    ] {
        let repo = Repo::fixture();
        repo.edit(file, from, to);
        crate::common::assert_output(
            "platform_rules/every_host_name_names_one_thing_on_the_whole_platform",
            &repo.refuses(&["check"]),
            &[
                "error[host-unique]",
                expected,
                file,
                "every host name names one thing",
            ],
        );
        repo.refuses(&["render"]);
    }
    // The issuer's host on a zone claimed before it, in name order, clashes all the same.
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\nissuer = \"https://dev.{{domain}}\"\n",
    );
    crate::common::assert_output(
        "platform_rules/every_host_name_names_one_thing_on_the_whole_platform-2",
        &repo.refuses(&["list"]),
        &[
            "error[host-unique]",
            "host name `dev.initech.test` is the OIDC issuer's host, served by `identity` and also the zone of `dev`",
            "environments/identity/environment.toml",
        ],
    );
}

#[test]
fn images_and_versions_follow_the_oci_rules() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/staging/environment.toml",
        "version = \"1.3.0\"",
        "version = \"1.3.0+build.5\"",
    );
    crate::common::assert_output(
        "platform_rules/images_and_versions_follow_the_oci_rules",
        &repo.refuses(&["show", "staging"]),
        &[
            "`1.3.0+build.5` cannot tag an image: an OCI tag has no `+`",
            "environments/staging/environment.toml:34:",
            "such as `1.3.0-build.5`",
        ],
    );
    repo.edit(
        "environments/staging/environment.toml",
        "version = \"1.3.0+build.5\"",
        "version = \"1.3.0\"",
    );
    repo.edit(
        "crates/storefront/Cargo.toml",
        "image = \"ghcr.io/initech/storefront\"",
        "image = \"ghcr.io/Initech/storefront:1.0\"",
    );
    crate::common::assert_output(
        "platform_rules/images_and_versions_follow_the_oci_rules-2",
        &repo.refuses(&["list"]),
        &[
            "image `ghcr.io/Initech/storefront:1.0` already has the tag `1.0`",
            "crates/storefront/Cargo.toml:",
        ],
    );
    repo.edit(
        "crates/storefront/Cargo.toml",
        "image = \"ghcr.io/Initech/storefront:1.0\"",
        "image = \"ghcr.io/Initech/storefront\"",
    );
    crate::common::assert_output(
        "platform_rules/images_and_versions_follow_the_oci_rules-3",
        &repo.refuses(&["list"]),
        &["has `Initech`, not an OCI repository name"],
    );
}

#[test]
fn a_pools_instance_type_runs_its_arch() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/staging/environment.toml",
        "instance_type = \"m7g.large\"",
        "instance_type = \"m7i.large\"",
    );
    crate::common::assert_output(
        "platform_rules/a_pools_instance_type_runs_its_arch",
        &repo.refuses(&["list"]),
        &[
            "`m7i.large` runs amd64, but the pool's arch is arm64",
            "environments/staging/environment.toml:25:",
        ],
    );
}
