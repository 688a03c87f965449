//! A comparison for people (grouped by class, must-match first, coloured on a terminal),
//! as JSON (every difference with both values, files and lines), or as Markdown (a table
//! for a pull-request comment).

use std::borrow::Cow;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde::ser::{Serialize, SerializeMap as _, Serializer};

use super::{Class, Comparison, Difference, Purpose, Side, Verdict};
use crate::model::Allowance;
use crate::model::Origin;
use crate::model::tree::Scalar;

const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// `text` in `style`; the caller's stream drops the codes where colour is off.
fn paint(style: Style, text: &str) -> String {
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// A difference as one line, its direction unambiguous. Comparing two environments, each
/// value is named by its side: `path  staging "0.5.0", prod "0.4.0"`. One environment's
/// history reads old to new: `path  "0.4.0" → "0.5.0"`. A secret's value is never shown.
pub fn line(comparison: &Comparison, d: &Difference) -> String {
    match (comparison.purpose, d.masked) {
        (Purpose::Parity, true) => format!("{}  differs (value hidden)", d.path),
        (Purpose::History, true) => format!("{}  changed (value hidden)", d.path),
        (Purpose::Parity, false) => format!(
            "{}  {} {}, {} {}",
            d.path,
            comparison.candidate,
            shown(&d.candidate),
            comparison.reference,
            shown(&d.reference)
        ),
        (Purpose::History, false) => format!(
            "{}  {} → {}",
            d.path,
            shown(&d.candidate),
            shown(&d.reference)
        ),
    }
}

/// A value as it appears in output, strings quoted.
fn shown(side: &Side) -> String {
    match side {
        Side::Absent => "(absent)".to_owned(),
        Side::Present => "(present)".to_owned(),
        Side::Value(leaf) => match &leaf.value {
            Scalar::String(s) => quoted(s),
            Scalar::Integer(i) => i.to_string(),
            Scalar::List(items) => format!("{items:?}"),
        },
    }
}

/// A string in double quotes, escaped as Rust's `{:?}` escapes it; most values need no
/// escape, and those are copied as they are.
fn quoted(s: &str) -> String {
    if s.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        format!("{s:?}")
    } else {
        let mut text = String::with_capacity(s.len() + 2);
        text.push('"');
        text.push_str(s);
        text.push('"');
        text
    }
}

fn allowance_note(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Allowed(a) => Some(format!(
            "allowed by `{}`: {}{}",
            a.path.value,
            crate::secrets::redact(&a.reason.value),
            a.until
                .as_ref()
                .map(|u| format!(" (until {})", u.value))
                .unwrap_or_default()
        )),
        Verdict::Expired(a) => Some(format!(
            "allowance `{}` expired on {}: {}",
            a.path.value,
            a.until
                .as_ref()
                .map(|u| u.value.to_string())
                .unwrap_or_default(),
            crate::secrets::redact(&a.reason.value)
        )),
        _ => None,
    }
}

/// A titled group of rows, left out when it has none.
fn section(out: &mut String, title: &str, rows: Vec<String>) {
    if !rows.is_empty() {
        let _ = writeln!(out, "{}", paint(BOLD, title));
        for row in rows {
            let _ = writeln!(out, "  {row}");
        }
        out.push('\n');
    }
}

/// The human report: grouped by class, must-match first; each value named by its side.
pub fn human(comparison: &Comparison) -> String {
    if comparison.purpose == Purpose::History {
        return human_history(comparison);
    }
    let mut out = String::new();
    let of = |keep: fn(&Difference) -> bool| comparison.differences.iter().filter(move |d| keep(d));

    let _ = writeln!(
        out,
        "{} {} {} {} {}\n",
        paint(BOLD, "comparing"),
        comparison.candidate,
        paint(DIM, "(candidate) with"),
        comparison.reference,
        paint(DIM, "(reference)")
    );
    // Violations one by one; allowed differences under the allowance that allows them,
    // so that a reason shared by thousands of paths is said once.
    let mut must_match: Vec<String> = of(|d| d.verdict.is_violation())
        .map(|d| match allowance_note(&d.verdict) {
            Some(note) => format!(
                "{} {}\n      {}",
                paint(RED, "✗"),
                line(comparison, d),
                paint(RED, &note)
            ),
            None => format!("{} {}", paint(RED, "✗"), line(comparison, d)),
        })
        .collect();
    let mut allowances: Vec<(&Allowance, Vec<&Difference>)> = Vec::new();
    for d in comparison.differences.iter() {
        if let Verdict::Allowed(allowance) = &d.verdict {
            match allowances
                .iter_mut()
                .find(|(a, _)| std::ptr::eq(*a, *allowance))
            {
                Some((_, paths)) => paths.push(d),
                None => allowances.push((allowance, vec![d])),
            }
        }
    }
    for (allowance, differences) in allowances {
        let note = allowance_note(&Verdict::Allowed(allowance)).unwrap_or_default();
        let mut row = format!("{} {}", paint(YELLOW, "~"), paint(DIM, &note));
        for d in differences {
            let _ = write!(row, "\n      {}", line(comparison, d));
        }
        must_match.push(row);
    }
    section(&mut out, "must match", must_match);
    section(
        &mut out,
        "pending promotion",
        of(|d| matches!(d.verdict, Verdict::PendingPromotion))
            .map(|d| format!("{} {}", paint(GREEN, "↑"), line(comparison, d)))
            .collect(),
    );
    section(
        &mut out,
        "scale",
        of(|d| d.class == Class::Scale)
            .map(|d| match d.verdict {
                Verdict::Scaled { larger: true } => {
                    format!(
                        "{}  {}",
                        line(comparison, d),
                        paint(
                            YELLOW,
                            &format!(
                                "({} larger than {})",
                                comparison.candidate, comparison.reference
                            )
                        )
                    )
                }
                _ => line(comparison, d),
            })
            .collect(),
    );
    let conventional: Vec<&str> = of(|d| matches!(d.verdict, Verdict::FollowsConvention))
        .map(|d| d.path.as_str())
        .collect();
    if !conventional.is_empty() {
        section(
            &mut out,
            "convention",
            vec![paint(
                DIM,
                &format!(
                    "{} values follow the naming convention: {}",
                    conventional.len(),
                    listed(&conventional, CONVENTION_PATHS_LISTED)
                ),
            )],
        );
    }
    section(
        &mut out,
        "free",
        of(|d| d.class == Class::Free)
            .map(|d| line(comparison, d))
            .collect(),
    );

    let violations = comparison.violations();
    let pending = of(|d| matches!(d.verdict, Verdict::PendingPromotion)).count();
    let summary = match violations {
        0 => paint(
            GREEN,
            &format!(
                "no violation: {} matches {} where it must",
                comparison.candidate, comparison.reference
            ),
        ),
        n => paint(
            RED,
            &format!(
                "{n} violation{}: {} does not match {} where it must",
                plural(n),
                comparison.candidate,
                comparison.reference
            ),
        ),
    };
    let _ = write!(out, "{summary}");
    if pending > 0 {
        let _ = write!(
            out,
            "; {pending} change{} pending promotion",
            plural(pending)
        );
    }
    out.push('\n');
    out
}

/// One environment's changes from before to after, versions first.
fn human_history(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} from {} to {} {}\n",
        paint(BOLD, "changes"),
        comparison.candidate,
        comparison.reference,
        paint(DIM, "(old → new)")
    );
    let of = |keep: fn(&Difference) -> bool| comparison.differences.iter().filter(move |d| keep(d));
    section(
        &mut out,
        "versions",
        of(|d| matches!(d.verdict, Verdict::Upgrade | Verdict::Downgrade))
            .map(|d| match d.verdict {
                Verdict::Downgrade => format!(
                    "{} {}  {}",
                    paint(YELLOW, "↓"),
                    line(comparison, d),
                    paint(YELLOW, "(downgrade)")
                ),
                _ => format!("{} {}", paint(GREEN, "↑"), line(comparison, d)),
            })
            .collect(),
    );
    let lines = |keep: fn(&Difference) -> bool| of(keep).map(|d| line(comparison, d)).collect();
    section(
        &mut out,
        "behaviour",
        lines(|d| matches!(d.verdict, Verdict::Changed)),
    );
    section(&mut out, "scale", lines(|d| d.class == Class::Scale));
    section(&mut out, "free", lines(|d| d.class == Class::Free));
    let changes = comparison.differences.len();
    let _ = writeln!(
        out,
        "{}",
        match changes {
            0 => format!(
                "no change from {} to {}",
                comparison.candidate, comparison.reference
            ),
            n => format!(
                "{n} change{} from {} to {}; one environment against its own past has no parity verdict",
                plural(n),
                comparison.candidate,
                comparison.reference
            ),
        }
    );
    out
}

/// How many of the paths that follow the convention the human report names.
const CONVENTION_PATHS_LISTED: usize = 16;

/// The first `most` items joined, and how many more there are.
fn listed(items: &[&str], most: usize) -> String {
    match items.len().checked_sub(most) {
        Some(more) if more > 0 => format!("{} and {more} more", items[..most].join(", ")),
        _ => items.join(", "),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The JSON report: stable field names, every difference. It is serialized as it is
/// written out, without a tree of values in between.
pub struct Json<'c, 'a>(pub &'c Comparison<'a>);

impl Serialize for Json<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let comparison = self.0;
        let (first, second) = sides(comparison.purpose);
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry(
            "mode",
            match comparison.purpose {
                Purpose::Parity => "parity",
                Purpose::History => "history",
            },
        )?;
        map.serialize_entry(first, &comparison.candidate)?;
        map.serialize_entry(second, &comparison.reference)?;
        map.serialize_entry("violations", &comparison.violations())?;
        // Thousands of differences may share one allowance: its reason is redacted once.
        let mut reasons: Vec<(&Allowance, Cow<str>)> = Vec::new();
        for d in &comparison.differences {
            if let Verdict::Allowed(a) | Verdict::Expired(a) = d.verdict
                && !reasons.iter().any(|(seen, _)| std::ptr::eq(*seen, a))
            {
                reasons.push((a, crate::secrets::redact(&a.reason.value)));
            }
        }
        map.serialize_entry(
            "differences",
            &Each(comparison.differences.iter().map(|d| JsonDifference {
                purpose: comparison.purpose,
                d,
                reasons: &reasons,
            })),
        )?;
        map.end()
    }
}

/// A sequence serialized from an iterator, which it takes on the one pass serializing
/// makes.
struct Each<I>(I);

impl<I: Iterator<Item = T> + Clone, T: Serialize> Serialize for Each<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

struct JsonDifference<'d, 'a> {
    purpose: Purpose,
    d: &'d Difference<'a>,
    /// Each allowance of the comparison with its reason as shown.
    reasons: &'d [(&'a Allowance, Cow<'a, str>)],
}

impl Serialize for JsonDifference<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.d;
        let (first, second) = sides(self.purpose);
        let allowance = match &d.verdict {
            Verdict::Allowed(a) | Verdict::Expired(a) => self
                .reasons
                .iter()
                .find(|(seen, _)| std::ptr::eq(*seen, *a))
                .map(|(a, reason)| JsonAllowance(a, reason)),
            _ => None,
        };
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry("path", &d.path)?;
        map.serialize_entry("class", d.class.as_str())?;
        map.serialize_entry("verdict", d.verdict.as_str())?;
        map.serialize_entry(first, &JsonSide(&d.candidate, d.masked))?;
        map.serialize_entry(second, &JsonSide(&d.reference, d.masked))?;
        map.serialize_entry("masked", &d.masked)?;
        map.serialize_entry("allowance", &allowance)?;
        map.end()
    }
}

/// One side of a difference: `null` when absent, `{"present": true}` for a table, else the
/// value (`null` when masked) with the file and line it was written at, if it was.
struct JsonSide<'s, 'a>(&'s Side<'a>, bool);

impl Serialize for JsonSide<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let JsonSide(side, masked) = *self;
        match side {
            Side::Absent => serializer.serialize_none(),
            Side::Present => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("present", &true)?;
                map.end()
            }
            Side::Value(leaf) => {
                let (file, line) = match leaf.origin.as_ref() {
                    Origin::File(span) => (
                        Some(span.file.path.to_string_lossy()),
                        Some(span.file.line_column(span.range.start).0),
                    ),
                    _ => (None, None),
                };
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("value", &(!masked).then_some(&leaf.value))?;
                map.serialize_entry("file", &file)?;
                map.serialize_entry("line", &line)?;
                map.end()
            }
        }
    }
}

/// An allowance, and its reason as shown.
struct JsonAllowance<'a>(&'a Allowance, &'a str);

impl Serialize for JsonAllowance<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let JsonAllowance(a, reason) = *self;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("path", a.path.value.as_str())?;
        map.serialize_entry("reason", reason)?;
        map.serialize_entry("until", &a.until.as_ref().map(|u| u.value.to_string()))?;
        map.end()
    }
}

/// The names of the two sides in JSON: a candidate and its reference, or one environment
/// before and after.
fn sides(purpose: Purpose) -> (&'static str, &'static str) {
    match purpose {
        Purpose::Parity => ("candidate", "reference"),
        Purpose::History => ("before", "after"),
    }
}

/// The Markdown report: one table, must-match first.
pub fn markdown(comparison: &Comparison) -> String {
    let cell = |text: &str| format!("`{}`", text.replace('|', "\\|").replace('`', "'"));
    let mut out = match comparison.purpose {
        Purpose::Parity => format!(
            "### `{}` (candidate) compared with `{}` (reference)\n\n",
            comparison.candidate, comparison.reference
        ),
        Purpose::History => format!(
            "### Changes from `{}` to `{}`\n\n",
            comparison.candidate, comparison.reference
        ),
    };
    let violations = comparison.violations();
    let _ = writeln!(
        out,
        "{}\n",
        match (comparison.purpose, violations) {
            (Purpose::History, _) => format!(
                "{} change{}; one environment against its own past has no parity verdict.",
                comparison.differences.len(),
                plural(comparison.differences.len())
            ),
            (Purpose::Parity, 0) =>
                "No violation: the candidate matches the reference where it must.".to_owned(),
            (Purpose::Parity, n) => format!(
                "**{n} violation{}**: the candidate does not match the reference where it must.",
                plural(n)
            ),
        }
    );
    let rows: Vec<&Difference> = comparison
        .differences
        .iter()
        .filter(|d| !matches!(d.verdict, Verdict::FollowsConvention))
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "| | path | {} | {} | note |\n|---|---|---|---|---|",
            comparison.candidate, comparison.reference
        );
        let mut sorted = rows;
        sorted.sort_by_key(|d| (d.class, !d.verdict.is_violation()));
        for d in sorted {
            let mark = match d.verdict {
                Verdict::Violation | Verdict::Expired(_) => "❌",
                Verdict::Allowed(_) => "⚠️",
                Verdict::PendingPromotion | Verdict::Upgrade => "⬆️",
                Verdict::Downgrade => "⬇️",
                _ => "",
            };
            let note = allowance_note(&d.verdict).unwrap_or_else(|| match d.verdict {
                Verdict::Scaled { larger: true } => "candidate larger".to_owned(),
                ref v => v.as_str().replace('-', " "),
            });
            let (c, r) = if d.masked {
                ("(hidden)".to_owned(), "(hidden)".to_owned())
            } else {
                (shown(&d.candidate), shown(&d.reference))
            };
            let _ = writeln!(
                out,
                "| {mark} {} | {} | {} | {} | {} |",
                d.class.as_str(),
                cell(&d.path),
                cell(&c),
                cell(&r),
                note.replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    let conventional = comparison
        .differences
        .iter()
        .filter(|d| matches!(d.verdict, Verdict::FollowsConvention))
        .count();
    if conventional > 0 {
        let _ = writeln!(
            out,
            "{conventional} values differ only by the environments' names and follow the naming convention."
        );
    }
    out
}
