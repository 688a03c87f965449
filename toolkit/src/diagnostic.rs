//! Problems in the user's files, as data: a message, where it is (file and span), and how to
//! fix it. Rendered like rustc and cargo render theirs, with `annotate-snippets`.
//!
//! Failures of the tool itself (I/O, a child process) are `anyhow` errors instead; `main`
//! tells the two apart and exits 2 for both.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::rule::RuleId;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// A file the user wrote, kept in memory so that every value can point back into it.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to people: relative to the repository root.
    pub path: PathBuf,
    pub text: String,
    /// Where each line starts, found the first time a line is asked for, so that locating
    /// thousands of values in one large file takes one pass over it.
    line_starts: OnceLock<Vec<usize>>,
    /// Where its secrets are, found the first time an excerpt of it is shown: every string
    /// of a TOML file judged by its key and shape, whatever the key's quotes and however
    /// many lines the value spans.
    secrets: OnceLock<Vec<Range<usize>>>,
    /// Its secret strings, found when it is parsed (from the same parse) or the first time
    /// they are asked for.
    found: OnceLock<Vec<crate::secrets::toml::Found>>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
            line_starts: OnceLock::new(),
            secrets: OnceLock::new(),
            found: OnceLock::new(),
        })
    }

    /// Every secret string of this TOML file (nothing when it is not valid TOML).
    pub fn secrets_found(&self) -> &[crate::secrets::toml::Found] {
        self.found
            .get_or_init(|| crate::secrets::toml::secrets(&self.text))
    }

    /// Keeps what the parse of this file found, so that its secrets are not parsed for
    /// again.
    pub fn keep_secrets_found(&self, found: Vec<crate::secrets::toml::Found>) {
        // Found already, the same way: either is the file's.
        let _ = self.found.set(found);
    }

    fn secrets(&self) -> &[Range<usize>] {
        self.secrets.get_or_init(|| {
            if self.path.extension().is_some_and(|e| e == "toml") {
                self.secrets_found()
                    .iter()
                    .map(|found| inside_quotes(&self.text, found.range.clone()))
                    .collect()
            } else {
                Vec::new()
            }
        })
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The 0-based index of the line that holds a byte offset.
    fn line_index(&self, offset: usize) -> usize {
        let starts = self.line_starts();
        starts.partition_point(|&start| start <= offset) - 1
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_index(offset);
        let start = self.line_starts()[line];
        let column = self.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }

    /// The whole lines that hold `range`: their text with every secret in it hidden, the
    /// 1-based number of the first, and the byte offset where they start.
    fn excerpt(&self, range: &Range<usize>) -> (Cow<'_, str>, usize, usize) {
        let first = self.line_index(range.start.min(self.text.len()));
        let last = self.line_index(range.end.min(self.text.len()));
        let start = self.line_starts()[first];
        let end = self
            .line_starts()
            .get(last + 1)
            .map_or(self.text.len(), |next| next - 1);
        let inside: Vec<Range<usize>> = self
            .secrets()
            .iter()
            .filter(|secret| secret.start < end && secret.end > start)
            .map(|secret| secret.start.max(start) - start..secret.end.min(end) - start)
            .collect();
        let masked = crate::secrets::mask(&self.text[start..end], &inside);
        let shown = match crate::secrets::redact(&masked) {
            Cow::Borrowed(_) => masked,
            Cow::Owned(text) => Cow::Owned(text),
        };
        (shown, first + 1, start)
    }
}

/// The inside of the TOML string at `range`, without its quotes (one or three).
fn inside_quotes(text: &str, range: Range<usize>) -> Range<usize> {
    let value = &text[range.clone()];
    let quotes = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| value.len() >= 2 * q.len() && value.starts_with(q) && value.ends_with(q))
        .map_or(0, str::len);
    range.start + quotes..range.end - quotes
}

/// A place in a source file.
#[derive(Debug, Clone)]
pub struct Span {
    pub file: Arc<SourceFile>,
    pub range: Range<usize>,
}

impl fmt::Display for Span {
    /// `path:line:column`, the form editors and terminals turn into links.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.file.line_column(self.range.start);
        write!(f, "{}:{line}:{column}", self.file.path.display())
    }
}

/// Where a diagnostic points: a span in a file, a path with no useful span (a directory,
/// a file that cannot be read), or nowhere (a command-line argument).
#[derive(Debug, Clone)]
pub enum Location {
    Span(Span),
    Path(PathBuf),
    Nowhere,
}

impl Location {
    /// `file:line:column`, the file alone, or `-`: where a finding is, in one word.
    pub fn place(&self) -> String {
        match self {
            Location::Span(span) => {
                let (line, column) = span.file.line_column(span.range.start);
                format!("{}:{line}:{column}", span.file.path.display())
            }
            Location::Path(path) => path.display().to_string(),
            Location::Nowhere => "-".to_owned(),
        }
    }
}

/// One problem in the user's input.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    pub location: Location,
    /// The label under the underlined text.
    pub label: Option<String>,
    /// Other places worth showing, such as the first of two clashing values.
    pub related: Vec<(Span, String)>,
    pub help: Option<String>,
    /// The `check` rule this problem belongs to; `None` for a problem of the files' schema.
    pub rule: Option<RuleId>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>, location: Location) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            location,
            label: None,
            related: Vec::new(),
            help: None,
            rule: None,
        }
    }

    pub fn with_rule(mut self, rule: RuleId) -> Diagnostic {
        self.rule = Some(rule);
        self
    }

    pub fn at(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message, Location::Span(span))
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// This diagnostic alone, as the error of a command that cannot run.
    pub fn into_error(self) -> anyhow::Error {
        Diagnostics::from(self).into()
    }

    fn render(&self, renderer: &Renderer) -> String {
        self.render_as(renderer, Level::ERROR)
    }

    /// Renders at `level` (error or warning), with the rule id when there is one, in the
    /// manner of rustc: `error[rule-id]: message`, the source line underlined, `help:`.
    /// Every text is shown with its secrets hidden (`crate::secrets::redact`).
    pub fn render_as(&self, renderer: &Renderer, level: Level<'_>) -> String {
        use crate::secrets::redact;
        let message = redact(&self.message);
        let label = self.label.as_deref().map(redact);
        let help = self.help.as_deref().map(redact);
        let mut title = level.primary_title(message.as_ref());
        if let Some(rule) = self.rule {
            title = title.id(rule.as_str());
        }
        let mut group = Group::with_title(title);
        match &self.location {
            Location::Span(span) => {
                // Only the lines around the spans are handed to the renderer, so that each
                // diagnostic costs what it shows, not the size of its file; secrets in
                // them are hidden byte for byte, which keeps every span in place.
                let same_file: Vec<&(Span, String)> = self
                    .related
                    .iter()
                    .filter(|(related, _)| Arc::ptr_eq(&related.file, &span.file))
                    .collect();
                let covered = same_file.iter().fold(span.range.clone(), |r, (s, _)| {
                    r.start.min(s.range.start)..r.end.max(s.range.end)
                });
                let (source, line, offset) = span.file.excerpt(&covered);
                let shift = |range: &Range<usize>| range.start - offset..range.end - offset;
                let mut primary = AnnotationKind::Primary.span(shift(&span.range));
                if let Some(label) = &label {
                    primary = primary.label(label.as_ref());
                }
                let mut snippet = Snippet::source(source)
                    .line_start(line)
                    .path(span.file.path.to_string_lossy())
                    .annotation(primary);
                for (related, label) in same_file {
                    snippet = snippet.annotation(
                        AnnotationKind::Context
                            .span(shift(&related.range))
                            .label(label.as_str()),
                    );
                }
                group = group.element(snippet);
                for (related, label) in &self.related {
                    if !Arc::ptr_eq(&related.file, &span.file) {
                        let (source, line, offset) = related.file.excerpt(&related.range);
                        group = group.element(
                            Snippet::source(source)
                                .line_start(line)
                                .path(related.file.path.to_string_lossy())
                                .annotation(
                                    AnnotationKind::Context
                                        .span(
                                            related.range.start - offset
                                                ..related.range.end - offset,
                                        )
                                        .label(label.as_str()),
                                ),
                        );
                    }
                }
            }
            Location::Path(path) => {
                group = group.element(Level::NOTE.message(format!("in {}", path.display())));
            }
            Location::Nowhere => {}
        }
        if let Some(help) = &help {
            group = group.element(Level::HELP.message(help.as_ref()));
        }
        renderer.render(&[group])
    }
}

/// Every problem found in one run: loading reports all of them, not only the first.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops every diagnostic that says the same thing at the same place as an earlier
    /// one: a bad value in `platform.toml` is found once per environment that inherits it,
    /// and is one problem.
    pub fn dedup(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.0.retain(|d| {
            let place = match &d.location {
                Location::Span(span) => (Some(span.file.path.clone()), Some(span.range.clone())),
                Location::Path(path) => (Some(path.clone()), None),
                Location::Nowhere => (None, None),
            };
            seen.insert((place, d.message.clone()))
        });
    }

    /// `Ok(value)` when nothing was reported, else every diagnostic as the error.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The report, styled; `crate::terminal` drops the styles where colour is off.
    pub fn render(&self) -> String {
        let renderer = Renderer::styled();
        let mut out = String::new();
        for diagnostic in &self.0 {
            out.push_str(&diagnostic.render(&renderer));
            out.push_str("\n\n");
        }
        let count = self.0.len();
        out.push_str(&format!(
            "error: found {count} problem{} in the input\n",
            if count == 1 { "" } else { "s" }
        ));
        out
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Diagnostics {
        Diagnostics(vec![diagnostic])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&anstream::adapter::strip_str(&self.render()).to_string())
    }
}

impl std::error::Error for Diagnostics {}

/// The candidate closest to a misspelt `word`, if one is close enough to be a likely fix.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// A help line listing what is valid, leading with the closest match when there is one.
pub fn help_valid(what: &str, word: &str, valid: &[&str]) -> String {
    let list = valid
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match closest(word, valid.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? valid {what}: {list}"),
        None if valid.is_empty() => format!("no {what} are allowed here"),
        None => format!("valid {what}: {list}"),
    }
}

/// The path a person should see for a file under `root`.
pub fn display_path(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let file = SourceFile::new("f.toml", "a = 1\nbé = \"x\"\n");
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(6), (2, 1));
        let x = file.text.find('"').unwrap();
        assert_eq!(file.line_column(x), (2, 6));
    }

    #[test]
    fn closest_suggests_only_near_misses() {
        let valid = ["production", "staging", "development"];
        assert_eq!(closest("prod", valid), Some("production"));
        assert_eq!(closest("stagin", valid), Some("staging"));
        assert_eq!(closest("zzz", valid), None);
    }

    #[test]
    fn rendered_diagnostic_names_file_line_and_help() {
        let file = SourceFile::new("environments/prod/environment.toml", "stage = \"prod\"\n");
        let diagnostic = Diagnostic::at(Span { file, range: 8..14 }, "unknown stage `prod`")
            .with_label("not a stage")
            .with_help("did you mean `production`?");
        let text = Diagnostics::from(diagnostic).to_string();
        assert!(
            text.contains("environments/prod/environment.toml:1:9"),
            "{text}"
        );
        assert!(text.contains("^^^^^^ not a stage"), "{text}");
        assert!(text.contains("help: did you mean `production`?"), "{text}");
    }
}
