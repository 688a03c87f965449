//! Dotted-path globs, as `[[parity.allow]]` and `[[secrets.allow]]` write them:
//! `services.*.version`, `services.**`, `pools.work*.size`.

/// Whether a dotted `path` matches `pattern`: `*` in a segment matches any characters but
/// a dot, and a `**` segment matches any number of segments.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let path: Vec<&str> = path.split('.').collect();
    segments_match(&pattern, &path)
}

/// [`matches`] on paths already split into segments.
pub fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), _) => {
            segments_match(rest, path) || (!path.is_empty() && segments_match(pattern, &path[1..]))
        }
        (Some((p, rest)), Some((s, path_rest))) => {
            segment_matches(p, s) && segments_match(rest, path_rest)
        }
        _ => false,
    }
}

fn segment_matches(pattern: &str, text: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (head.len()..=text.len())
                    .any(|i| text.is_char_boundary(i) && segment_matches(tail, &text[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_segments() {
        assert!(matches("services.*.version", "services.hello.version"));
        assert!(!matches("services.*.version", "services.hello.env.version"));
        assert!(!matches("services.*", "services.hello.version"));
        assert!(matches("services.**", "services.hello.env.LOG_LEVEL"));
        assert!(matches("pools.work*.size", "pools.workers.size"));
        assert!(matches("cluster.acme.server", "cluster.acme.server"));
        assert!(!matches("cluster.acme", "cluster.acme.server"));
    }
}
