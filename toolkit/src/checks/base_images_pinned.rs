//! `base-images-pinned`: every service's Containerfile starts from images by digest.

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, SourceFile, Span};
use crate::model::Platform;
use crate::model::pins::is_image_by_digest;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::BaseImagesPinned,
        default: RuleLevel::Deny,
        summary: "every service's Containerfile starts from base images pinned by digest",
        explanation: "A service's image is built once per version and then promoted, by digest, \
from staging to production: what staging validated is what production runs. That holds only if \
the build itself is repeatable. A base image named by its tag alone (`debian:bookworm-slim`) is \
whatever the registry says the tag is on the day of the build, so two builds of one commit can \
differ, and a moved tag can bring in other code. Each `FROM` of a service crate's Containerfile \
names its image as `HOST/PATH:TAG@sha256:DIGEST` (the tag for people and update tools, the \
digest for the content), or an earlier stage of the same file, or `scratch`. `ci/pins.toml`'s \
`[images]` holds the digests `new-service` writes.",
    },
    check,
};

fn check(_: &Platform, facts: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for file in facts.containerfiles.iter().flatten() {
        found.extend(unpinned(file));
    }
    Ok(found)
}

/// One finding per `FROM` of `file` whose image is not by digest.
fn unpinned(file: &Arc<SourceFile>) -> Vec<Diagnostic> {
    let mut stages: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for from in froms(&file.text) {
        let image = &file.text[from.image.clone()];
        let stage_or_scratch =
            image.eq_ignore_ascii_case("scratch") || stages.iter().any(|s| s == image);
        if let Some(name) = from.stage {
            stages.push(name);
        }
        if stage_or_scratch || is_image_by_digest(image) {
            continue;
        }
        let label = if image.contains('$') {
            "a build argument can name any image, and no digest holds it"
        } else if image.contains("@sha256:") {
            "written as HOST/PATH:TAG@sha256:DIGEST, with the registry and the tag"
        } else {
            "a tag can come to name other content; a digest cannot"
        };
        found.push(
            Diagnostic::at(
                Span {
                    file: file.clone(),
                    range: from.image,
                },
                format!("the base image `{image}` is not pinned by digest"),
            )
            .with_label(label)
            .with_help("name it as `HOST/PATH:TAG@sha256:DIGEST`, the digest of the tag's multi-platform index (`docker buildx imagetools inspect IMAGE:TAG` prints it); ci/pins.toml's [images] has the toolkit's"),
        );
    }
    found
}

/// A `FROM` instruction: where its image is in the file, and the stage it names.
struct From {
    image: std::ops::Range<usize>,
    stage: Option<String>,
}

/// The `FROM` instructions of a Containerfile, as BuildKit reads its lines: a comment line
/// is skipped (also inside a continued instruction), a line ending in `\` continues on
/// the next, and an instruction's keyword is case-insensitive.
fn froms(text: &str) -> Vec<From> {
    let mut found = Vec::new();
    let mut continuing = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        let starts_instruction = !continuing;
        continuing = content.trim_end().ends_with('\\');
        if !starts_instruction {
            continue;
        }
        let mut words = words(content, start);
        let Some((keyword, _)) = words.next() else {
            continue;
        };
        if !keyword.eq_ignore_ascii_case("FROM") {
            continue;
        }
        let mut rest = words.skip_while(|(word, _)| word.starts_with("--"));
        let Some((_, image)) = rest.next() else {
            continue;
        };
        let stage = match (rest.next(), rest.next()) {
            (Some((as_, _)), Some((name, _))) if as_.eq_ignore_ascii_case("AS") => {
                Some(name.to_owned())
            }
            _ => None,
        };
        found.push(From { image, stage });
    }
    found
}

/// The words of one line, each with its byte range in the whole file.
fn words(line: &str, start: usize) -> impl Iterator<Item = (&str, std::ops::Range<usize>)> {
    line.split_ascii_whitespace()
        .filter(|word| *word != "\\")
        .map(move |word| {
            let at = word.as_ptr() as usize - line.as_ptr() as usize;
            (word, start + at..start + at + word.len())
        })
}

#[cfg(test)]
mod tests {
    use super::{RULE, froms};
    use crate::checks::testing::{Org, context, findings};
    use crate::diagnostic::SourceFile;

    const PINNED: &str = "docker.io/library/debian:bookworm-slim@sha256:4724b8cc51e33e398f0e2e15e18d5ec2851ff0c2280647e1310bc1642182655d";

    fn found(text: &str) -> Vec<String> {
        let mut facts = context();
        facts.containerfiles = Some(vec![SourceFile::new(
            "crates/storefront/Containerfile",
            text.to_owned(),
        )]);
        findings(&RULE, &Org::new().platform(), &facts)
    }

    #[test]
    fn images_by_digest_stages_and_scratch_pass() {
        let text = format!(
            "# syntax comment\nFROM --platform=$BUILDPLATFORM {PINNED} AS build\nRUN true\n\nfrom build AS test\nFROM scratch\nFROM {PINNED}\nCOPY --from=build /x /x\n"
        );
        assert!(found(&text).is_empty(), "{:?}", found(&text));
    }

    #[test]
    fn a_tag_a_bare_digest_and_a_build_argument_are_found_where_they_are() {
        let text = format!(
            "ARG BASE=debian\nFROM rust:1.95 AS build\nRUN echo \\\n# a comment in a continued line\n  FROM not-an-instruction\nFROM debian@sha256:{}\nFrom $BASE\nFROM {PINNED}\n",
            "a".repeat(64)
        );
        assert_eq!(
            found(&text),
            [
                "crates/storefront/Containerfile:2:6: the base image `rust:1.95` is not pinned by digest",
                &format!(
                    "crates/storefront/Containerfile:6:6: the base image `debian@sha256:{}` is not pinned by digest",
                    "a".repeat(64)
                ),
                "crates/storefront/Containerfile:7:6: the base image `$BASE` is not pinned by digest",
            ]
        );
    }

    #[test]
    fn a_stage_counts_only_once_it_is_named() {
        let text = "FROM later\nFROM scratch AS later\n";
        assert_eq!(
            found(text),
            ["crates/storefront/Containerfile:1:6: the base image `later` is not pinned by digest"]
        );
        assert_eq!(froms(text).len(), 2);
    }
}
