//! Differences between two resolved environments, path by path, each put in one class:
//! must-match (correctness), scale (cost only), convention (differs only because the names
//! differ) or free (descriptions). A candidate (staging) is compared with its reference
//! (production); `[[parity.allow]]` entries excuse documented must-match differences.
//!
//! `report` prints a comparison for people, as JSON, or as Markdown; values that
//! `crate::secrets` takes for secrets are never printed.

mod paths;
pub mod report;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cargo_metadata::semver::Version;

use crate::diagnostic::Span;
use crate::model::date::Date;
use crate::model::glob;
use crate::model::tree::{Leaf, Node, Scalar};
use crate::model::{Allowance, Environment, Origin, Parity, Secrets};
use paths::{PathKind, kind_of, larger};

/// What a difference means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Changes behaviour: the candidate does not validate what the reference runs.
    MustMatch,
    /// Changes cost only: sizes, instance types, replicas, retention.
    Scale,
    /// Differs only because the environments' names differ.
    Convention,
    /// Descriptions.
    Free,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::MustMatch => "must-match",
            Class::Scale => "scale",
            Class::Convention => "convention",
            Class::Free => "free",
        }
    }
}

/// What a difference amounts to.
#[derive(Debug, Clone)]
pub enum Verdict<'a> {
    /// A must-match difference no allowance covers, or a broken convention.
    Violation,
    /// A must-match difference a `[[parity.allow]]` entry covers.
    Allowed(&'a Allowance),
    /// A must-match difference whose allowance has expired: a violation again.
    Expired(&'a Allowance),
    /// The candidate runs a newer version, or a service the reference does not run yet.
    PendingPromotion,
    /// A difference of cost; `larger` when the candidate is larger than the reference.
    Scaled {
        larger: bool,
    },
    /// Both values follow the naming convention, each for its own environment.
    FollowsConvention,
    Free,
    /// One environment against its own past: a service's version went up or down.
    Upgrade,
    Downgrade,
    /// One environment against its own past: any other value changed.
    Changed,
}

impl Verdict<'_> {
    pub fn is_violation(&self) -> bool {
        matches!(self, Verdict::Violation | Verdict::Expired(_))
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Violation => "violation",
            Verdict::Allowed(_) => "allowed",
            Verdict::Expired(_) => "expired-allowance",
            Verdict::PendingPromotion => "pending-promotion",
            Verdict::Scaled { .. } => "scaled",
            Verdict::FollowsConvention => "follows-convention",
            Verdict::Free => "free",
            Verdict::Upgrade => "upgrade",
            Verdict::Downgrade => "downgrade",
            Verdict::Changed => "changed",
        }
    }
}

/// One side of a difference.
#[derive(Debug, Clone)]
pub enum Side<'a> {
    Absent,
    /// A table (a pool, a service) present on this side only.
    Present,
    Value(Leaf<'a>),
}

#[derive(Debug)]
pub struct Difference<'a> {
    pub path: String,
    pub class: Class,
    pub verdict: Verdict<'a>,
    pub candidate: Side<'a>,
    pub reference: Side<'a>,
    /// The value looks like a secret: say that it changed, never to what.
    pub masked: bool,
}

/// What a comparison is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A candidate (staging) against its reference (production): must it match?
    Parity,
    /// One environment against its own past (`prod@main` and `prod`): what changed, from
    /// the first side (before) to the second (after). No verdict of parity.
    History,
}

/// Two environments compared.
#[derive(Debug)]
pub struct Comparison<'a> {
    /// How each side is named in output: `staging`, or `prod@main`. In history mode the
    /// candidate is the environment before, the reference after.
    pub candidate: String,
    pub reference: String,
    pub purpose: Purpose,
    pub differences: Vec<Difference<'a>>,
}

impl Comparison<'_> {
    pub fn violations(&self) -> usize {
        self.differences
            .iter()
            .filter(|d| d.verdict.is_violation())
            .count()
    }
}

/// Compares `candidate` with `reference`. `parity` supplies the allowances; `today` decides
/// which have expired.
pub fn compare<'a>(
    candidate: (&str, &'a Environment),
    reference: (&str, &'a Environment),
    parity: Option<&'a Parity>,
    today: Date,
) -> Comparison<'a> {
    let mut comparison = differences(candidate, reference, parity, today);
    comparison.purpose = Purpose::Parity;
    comparison
}

/// What changed in one environment from `before` to `after` (two revisions of it): every
/// difference is a change, versions are upgrades or downgrades, and none is a violation.
pub fn history<'a>(
    before: (&str, &'a Environment),
    after: (&str, &'a Environment),
    today: Date,
) -> Comparison<'a> {
    let mut comparison = differences(before, after, None, today);
    comparison.purpose = Purpose::History;
    for d in &mut comparison.differences {
        d.verdict = match d.verdict {
            Verdict::Scaled { .. } | Verdict::FollowsConvention | Verdict::Free => continue,
            _ if d.path.ends_with(".version") && d.path.starts_with("services.") => {
                let version = |side: &Side| match side {
                    Side::Value(leaf) => version(&leaf.value),
                    _ => None,
                };
                match (version(&d.candidate), version(&d.reference)) {
                    (Some(before), Some(after)) if after < before => Verdict::Downgrade,
                    (Some(_), Some(_)) => Verdict::Upgrade,
                    _ => Verdict::Changed,
                }
            }
            _ => Verdict::Changed,
        };
    }
    comparison
}

fn differences<'a>(
    candidate: (&str, &'a Environment),
    reference: (&str, &'a Environment),
    parity: Option<&'a Parity>,
    today: Date,
) -> Comparison<'a> {
    let context = Context {
        candidate: Written::of(candidate.1),
        reference: Written::of(reference.1),
        allowances: parity.map_or(&[][..], |p| &p.allow),
        today,
        twins: candidate.1.dr_of.is_some() || reference.1.dr_of.is_some(),
    };
    // The two trees are built side by side: for large environments that is most of the
    // work after the walk.
    let (candidate_tree, reference_tree) = std::thread::scope(|scope| {
        let candidate_tree = scope.spawn(|| candidate.1.tree());
        let reference_tree = reference.1.tree();
        match candidate_tree.join() {
            Ok(tree) => (tree, reference_tree),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let mut differences = Vec::new();
    walk(
        &context,
        &[],
        Some(candidate_tree.as_slice()),
        Some(reference_tree.as_slice()),
        &mut differences,
    );
    Comparison {
        candidate: candidate.0.to_owned(),
        reference: reference.0.to_owned(),
        purpose: Purpose::Parity,
        differences,
    }
}

struct Context<'a> {
    candidate: Written<'a>,
    reference: Written<'a>,
    allowances: &'a [Allowance],
    today: Date,
    /// Whether either side is a disaster-recovery twin (`dr_of`), whose region differs from
    /// the others' by design.
    twins: bool,
}

/// What one side needs beyond its tree: the names written by hand that break their
/// conventions, and how to tell its secrets.
struct Written<'a> {
    /// Where each breach was written: its file and the start of its span.
    breaches: HashSet<(usize, usize)>,
    secrets: &'a Secrets,
}

/// A span as a key: the address of its file, which every value of one file shares, and
/// where it starts.
fn place(span: &Span) -> (usize, usize) {
    (Arc::as_ptr(&span.file) as usize, span.range.start)
}

impl<'a> Written<'a> {
    fn of(env: &'a Environment) -> Written<'a> {
        let breaches = env
            .breaches
            .iter()
            .filter_map(|breach| match &breach.written.origin {
                Origin::File(span) => Some(place(span)),
                _ => None,
            })
            .collect();
        Written {
            breaches,
            secrets: &env.secrets,
        }
    }

    /// Whether a name follows its convention on this side: made by it, or written by hand
    /// as it would have made it.
    fn follows_convention(&self, leaf: &Leaf) -> bool {
        match leaf.origin.as_ref() {
            Origin::File(span) => !self.breaches.contains(&place(span)),
            Origin::Convention(_) | Origin::Builtin(_) => true,
        }
    }

    fn hides(&self, path: &str, side: &Side) -> bool {
        match side {
            Side::Value(leaf) => self.secrets.judge(path, &leaf.value).is_some(),
            _ => false,
        }
    }
}

fn walk<'a>(
    context: &Context<'a>,
    prefix: &[&str],
    candidate: Option<&[(Cow<'a, str>, Node<'a>)]>,
    reference: Option<&[(Cow<'a, str>, Node<'a>)]>,
    out: &mut Vec<Difference<'a>>,
) {
    let candidate = Keyed::new(candidate.unwrap_or_default());
    let reference = Keyed::new(reference.unwrap_or_default());
    let keys = candidate.entries.iter().map(|(k, _)| k.as_ref()).chain(
        reference
            .entries
            .iter()
            .map(|(k, _)| k.as_ref())
            .filter(|k| candidate.get(k).is_none()),
    );
    let keys: Vec<&str> = keys.collect();
    if keys.len() < PARALLEL_FROM {
        for key in keys {
            visit(context, prefix, key, &candidate, &reference, out);
        }
    } else {
        // A large table (thousands of services): its entries are compared on every core,
        // and the differences kept in key order.
        let found = crate::parallel::map_chunks(&keys, |chunk| {
            let mut found = Vec::new();
            for key in chunk {
                visit(context, prefix, key, &candidate, &reference, &mut found);
            }
            found
        });
        out.extend(found.into_iter().flatten());
    }
}

/// Tables with this many entries are compared in parallel.
const PARALLEL_FROM: usize = 1_024;

/// Compares the entry `key` of one table on both sides.
fn visit<'a>(
    context: &Context<'a>,
    prefix: &[&str],
    key: &str,
    candidate: &Keyed<'_, 'a>,
    reference: &Keyed<'_, 'a>,
    out: &mut Vec<Difference<'a>>,
) {
    let mut segments = prefix.to_vec();
    segments.push(key);
    let Some(kind) = kind_of(&segments) else {
        return;
    };
    let path = || segments.join(".");
    match (candidate.get(key), reference.get(key)) {
        (Some(Node::Table(c)), Some(Node::Table(r))) => walk(
            context,
            &segments,
            Some(c.as_slice()),
            Some(r.as_slice()),
            out,
        ),
        (Some(Node::Leaf(c)), Some(Node::Leaf(r))) => {
            if c.value != r.value {
                out.push(compare_leaves(context, path(), kind, c, r));
            }
        }
        (c, r) => out.push(presence(context, path(), kind, side(c), side(r))),
    }
}

/// A table's entries, found by key: by a scan when the table is small, through an index
/// when it is large (an environment with thousands of services), so that matching by key
/// stays linear.
struct Keyed<'t, 'a> {
    entries: &'t [(Cow<'a, str>, Node<'a>)],
    index: Option<HashMap<&'t str, &'t Node<'a>>>,
}

impl<'t, 'a> Keyed<'t, 'a> {
    const INDEX_FROM: usize = 32;

    fn new(entries: &'t [(Cow<'a, str>, Node<'a>)]) -> Keyed<'t, 'a> {
        let index = (entries.len() >= Self::INDEX_FROM)
            .then(|| entries.iter().map(|(k, n)| (k.as_ref(), n)).collect());
        Keyed { entries, index }
    }

    fn get(&self, key: &str) -> Option<&'t Node<'a>> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.entries.iter().find(|(k, _)| k == key).map(|(_, n)| n),
        }
    }
}

fn side<'a>(node: Option<&Node<'a>>) -> Side<'a> {
    match node {
        None => Side::Absent,
        Some(Node::Table(_)) => Side::Present,
        Some(Node::Leaf(leaf)) => Side::Value(leaf.clone()),
    }
}

/// A table or value on one side only.
fn presence<'a>(
    context: &Context<'a>,
    path: String,
    kind: PathKind,
    candidate: Side<'a>,
    reference: Side<'a>,
) -> Difference<'a> {
    let verdict = match (kind, &candidate) {
        // A service, or a secret a service binds, that only the candidate has.
        (PathKind::Release, Side::Present | Side::Value(_)) => Verdict::PendingPromotion,
        (PathKind::Free, _) => Verdict::Free,
        _ => context.must_match(&path),
    };
    let class = match kind {
        PathKind::Free => Class::Free,
        _ => Class::MustMatch,
    };
    context.difference(path, class, verdict, candidate, reference)
}

/// Two different values at one path.
fn compare_leaves<'a>(
    context: &Context<'a>,
    path: String,
    kind: PathKind,
    c: &Leaf<'a>,
    r: &Leaf<'a>,
) -> Difference<'a> {
    let convention = |follows: bool| {
        if follows {
            (Class::Convention, Verdict::FollowsConvention)
        } else {
            (Class::MustMatch, context.must_match(&path))
        }
    };
    let (class, verdict) = match kind {
        PathKind::Fact => (Class::Convention, Verdict::FollowsConvention),
        PathKind::MustMatch if context.twins && path == "region" => {
            (Class::Convention, Verdict::FollowsConvention)
        }
        // Each environment has its own range, of the same size.
        PathKind::ConventionVpc => {
            let prefix = |value: &Scalar| match value {
                Scalar::String(cidr) => cidr.rsplit('/').next().map(str::to_owned),
                _ => None,
            };
            convention(prefix(&c.value) == prefix(&r.value))
        }
        PathKind::Convention => convention(
            context.candidate.follows_convention(c) && context.reference.follows_convention(r),
        ),
        PathKind::MustMatch => (Class::MustMatch, context.must_match(&path)),
        PathKind::Release => (
            Class::MustMatch,
            release(context, &path, &c.value, &r.value),
        ),
        PathKind::Scale => (
            Class::Scale,
            Verdict::Scaled {
                larger: larger(&c.value, &r.value),
            },
        ),
        PathKind::Free => (Class::Free, Verdict::Free),
    };
    let (candidate, reference) = (Side::Value(c.clone()), Side::Value(r.clone()));
    context.difference(path, class, verdict, candidate, reference)
}

/// A service version: the candidate ahead of the reference is pending promotion; the
/// reference running a version the candidate does not have is a violation.
fn release<'a>(
    context: &Context<'a>,
    path: &str,
    candidate: &Scalar,
    reference: &Scalar,
) -> Verdict<'a> {
    match (version(candidate), version(reference)) {
        (Some(c), Some(r)) if c > r => Verdict::PendingPromotion,
        _ => context.must_match(path),
    }
}

/// A value as a semver version, when it is one.
fn version(value: &Scalar) -> Option<Version> {
    match value {
        Scalar::String(s) => Version::parse(s).ok(),
        _ => None,
    }
}

impl<'a> Context<'a> {
    /// A difference, masked when either side's value is a secret.
    fn difference(
        &self,
        path: String,
        class: Class,
        verdict: Verdict<'a>,
        candidate: Side<'a>,
        reference: Side<'a>,
    ) -> Difference<'a> {
        Difference {
            masked: self.candidate.hides(&path, &candidate)
                || self.reference.hides(&path, &reference),
            path,
            class,
            verdict,
            candidate,
            reference,
        }
    }

    /// The verdict on a must-match difference at `path`: allowed by the first allowance
    /// whose glob covers it, unless that allowance has expired.
    fn must_match(&self, path: &str) -> Verdict<'a> {
        match self
            .allowances
            .iter()
            .find(|a| glob::matches(&a.path.value, path))
        {
            Some(allowance)
                if allowance
                    .until
                    .as_ref()
                    .is_some_and(|u| u.value < self.today) =>
            {
                Verdict::Expired(allowance)
            }
            Some(allowance) => Verdict::Allowed(allowance),
            None => Verdict::Violation,
        }
    }
}
