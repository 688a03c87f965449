//! CI as the files declare it: the CI environment's `[ci]`, and the CI provider's
//! identities as platform.toml names them, the GitHub repository (`[github]`) or the
//! Buildkite pipeline (`[buildkite]`) whose deploy jobs the clusters trust, by the
//! immutable ids their tokens carry, with the types of those values.

use super::names::is_placeholder;
use super::{CiProvider, Flow, Runners, Sourced};

/// `[ci]` of the CI environment: where its jobs run, how a change reaches production,
/// and which service runs the pipelines.
#[derive(Debug)]
pub struct Ci {
    pub runners: Sourced<Runners>,
    /// How merged changes reach production.
    pub flow: Sourced<Flow>,
    /// The CI/CD service that runs the pipelines.
    pub provider: Sourced<CiProvider>,
}

/// The GitHub repository CI deploys from, and the immutable ids its tokens carry.
#[derive(Debug)]
pub struct GithubRepo {
    pub repository: Sourced<GithubRepository>,
    pub owner_id: Sourced<GithubId>,
    pub repository_id: Sourced<GithubId>,
}

/// The Buildkite organisation and deploy pipeline, by slug and by the immutable ids its
/// tokens carry.
#[derive(Debug)]
pub struct BuildkitePipeline {
    pub organization: Sourced<BuildkiteSlug>,
    pub organization_id: Sourced<BuildkiteUuid>,
    pub pipeline: Sourced<BuildkiteSlug>,
    pub pipeline_id: Sourced<BuildkiteUuid>,
}

/// A GitHub repository as `owner/name`: the owner a user or organisation login (letters,
/// digits and single hyphens, at most 39), the name letters, digits, `_`, `.` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubRepository(String);
string_newtype!(GithubRepository);

impl GithubRepository {
    pub fn parse(text: &str) -> Result<GithubRepository, String> {
        let owner_ok = |owner: &str| {
            (1..=39).contains(&owner.len())
                && owner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !owner.starts_with('-')
                && !owner.ends_with('-')
                && !owner.contains("--")
        };
        let name_ok = |name: &str| {
            (1..=100).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        };
        match text.split_once('/') {
            Some((owner, name)) if owner_ok(owner) && name_ok(name) => {
                Ok(GithubRepository(text.to_owned()))
            }
            _ => Err(format!(
                "`{text}` is not a GitHub repository: write it as `owner/name`, such as \"acme/platform\""
            )),
        }
    }
}

/// GitHub's numeric id of an owner or a repository (what its OIDC tokens carry as
/// `repository_owner_id` and `repository_id`), or a placeholder until it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubId(String);
string_newtype!(GithubId);

impl GithubId {
    pub fn parse(text: &str) -> Result<GithubId, String> {
        let number = (1..=20).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_digit())
            && !text.starts_with('0');
        if number || is_placeholder(text) {
            Ok(GithubId(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a GitHub id: write the number `gh api repos/OWNER/NAME` prints, as a string such as \"123456\""
            ))
        }
    }
}

/// The slug of a Buildkite organisation or pipeline: lowercase letters, digits and single
/// hyphens, as Buildkite makes them from names; or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildkiteSlug(String);
string_newtype!(BuildkiteSlug);

impl BuildkiteSlug {
    pub fn parse(text: &str) -> Result<BuildkiteSlug, String> {
        let slug = (1..=100).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--");
        if slug || is_placeholder(text) {
            Ok(BuildkiteSlug(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a Buildkite slug: write it as it appears in the pipeline's URL, buildkite.com/ORGANIZATION/PIPELINE (lowercase letters, digits and single hyphens)"
            ))
        }
    }
}

/// Buildkite's immutable id of an organisation or a pipeline (a UUID, as its API and its
/// OIDC tokens write it), or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildkiteUuid(String);
string_newtype!(BuildkiteUuid);

impl BuildkiteUuid {
    pub fn parse(text: &str) -> Result<BuildkiteUuid, String> {
        let groups: Vec<&str> = text.split('-').collect();
        let uuid = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups.iter().all(|g| {
                g.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            });
        if uuid || is_placeholder(text) {
            Ok(BuildkiteUuid(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a Buildkite id: write the lowercase UUID that Buildkite's API gives as `id` (GET /v2/organizations/ORGANIZATION, or …/pipelines/PIPELINE)"
            ))
        }
    }
}
