//! What is a secret and what is not: the shapes, the names, the references, and redaction.

use super::*;

/// Values that are secrets, each under a key that does not give it away.
const SECRET_VALUES: &[&str] = &[
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "postgres://app:s3cr3tP4ssw0rd@db.internal:5432/app",
    "https://deploy:hunter2@git.example.com/platform/charts.git",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Zq3mT8vXp1LrN6yHs0WcK9dFb2GjA5eRu7QoIaEw",
    "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s00",
    "AKIAIOSFODNN7EXAMPLE",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "xoxb-123456789012-abcdefABCDEF",
    "q8Zr2LmX9vT4kP7wN3sB6yH1",
];

/// Values that are not, under keys that do not name a secret.
const PLAIN_VALUES: &[(&str, &str)] = &[
    ("KEYCLOAK_URL", "https://keycloak.example.com"),
    ("MAX_TOKENS", "4096"),
    ("PRIVATE_NETWORK", "true"),
    ("MONKEY_MODE", "off"),
    ("CACHE_KEY_PREFIX", "hello:v1:"),
    ("PUBLIC_KEY_URL", "https://auth.example.com/keys"),
    ("DB_PASSWORD_FILE", "/run/secrets/db"),
    ("GIT_SHA", "3f9a0c7d2e4b6a8c1f3e5d7b9a0c2e4f6a8b0c1d"),
    ("SENTRY_RELEASE", "hello@0.4.0+3f9a0c7"),
    ("OTEL_SERVICE_NAME", "hello"),
    ("LOG_LEVEL", "info"),
    ("SERVICE", "CheckoutServiceApi2024Edition"),
    ("IMAGE", "ghcr.io/example/hello:0.4.0"),
    (
        "DIGEST",
        "sha512:149ea964a2a9c8437a10aa67a69085453deb019686af889bd263bc7ea13e419a",
    ),
    (
        "URL",
        "https://acme-staging-v02.api.letsencrypt.org/directory",
    ),
    ("REPO", "git@github.com:acme/charts.git"),
    (
        "client_secret_arn",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
    ),
    ("DB_PASSWORD", "${DB_PASSWORD}"),
    ("API_TOKEN", "ssm:/prod/api-token"),
    ("CLUSTER", "example-observability-cluster-2"),
];

#[test]
fn credentials_are_found_by_shape_under_any_key() {
    for value in SECRET_VALUES {
        assert!(classify("UPSTREAM", value).is_some(), "{value}");
    }
}

#[test]
fn names_references_hashes_and_settings_are_not_secrets() {
    for (key, value) in PLAIN_VALUES {
        assert_eq!(classify(key, value), None, "{key} = {value}");
    }
}

#[test]
fn a_remembered_judgement_is_the_judgement_of_its_key_and_value() {
    // Each value under a key that names no secret, then under one that does, then again,
    // and each plain key with values it has not held: the same answers as `classify`.
    for (key, value) in PLAIN_VALUES {
        for key in [*key, "DB_PASSWORD", *key] {
            assert_eq!(
                classify_once(key, value),
                classify(key, value),
                "{key} = {value}"
            );
        }
        for value in SECRET_VALUES {
            assert_eq!(
                classify_once(key, value),
                classify(key, value),
                "{key} = {value}"
            );
        }
    }
}

#[test]
fn no_credential_is_shorter_than_the_shortest_judged() {
    for format in formats::FORMATS {
        assert!(
            format.prefix.len() + format.min >= SHORTEST_CREDENTIAL,
            "{}",
            format.name
        );
        assert!(format.min <= format.max, "{}", format.name);
    }
    // The shortest JWT: ten characters, a dot, ten more, a dot.
    assert!(is_jwt("eyJhbGciOi.eyJzdWIiOi."));
    assert!(!is_jwt("eyJhbGciO.eyJzdWIiOi."));
    assert!("eyJhbGciOi.eyJzdWIiOi.".len() >= SHORTEST_CREDENTIAL);
}

#[test]
fn keys_name_secrets_by_whole_words() {
    for key in [
        "DB_PWD",
        "DB_PASSWORD",
        "dbPassword",
        "API_KEY",
        "apiKey",
        "GITHUB_TOKEN",
        "client_secret",
        "AWS_SECRET_ACCESS_KEY",
        "SMTP_PASS",
        "DB_PASSWORD_2",
        "TOKEN2",
        "dbPASSWORD",
        // Not ASCII: the Kelvin sign is a `k` in lower case.
        "API_\u{212A}EY",
    ] {
        assert!(names_a_secret(key), "{key}");
        assert_eq!(classify(key, "Tr0ub4dor&3"), Some(Kind::Named), "{key}");
    }
    for key in [
        "MAX_TOKENS",
        "CACHE_KEY_PREFIX",
        "PUBLIC_KEY_URL",
        "PRIVATE_NETWORK",
        "MONKEY_MODE",
        "KEYCLOAK_URL",
        "DB_PASSWORD_FILE",
        "TOKEN_TTL",
        "BYPASS",
    ] {
        assert!(!names_a_secret(key), "{key}");
    }
}

#[test]
fn redaction_hides_secrets_and_keeps_offsets() {
    let text = "DB_PWD = \"Tr0ub4dor&3\"\nUPSTREAM = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\nDATABASE_URL = \"postgres://app:s3cr3tP4ssw0rd@db:5432/app\"\nLOG_LEVEL = \"info\"\n--set app.env.API_TOKEN=abc123def\n";
    let redacted = redact(text);
    assert_eq!(redacted.len(), text.len());
    for secret in [
        "Tr0ub4dor&3",
        "wJalrXUtnFEMI",
        "s3cr3tP4ssw0rd",
        "abc123def",
    ] {
        assert!(!redacted.contains(secret), "{secret} in {redacted}");
    }
    assert!(redacted.contains("postgres://app:"), "{redacted}");
    assert!(redacted.contains("LOG_LEVEL = \"info\""), "{redacted}");
    assert_eq!(
        redact("nothing secret here = \"info\""),
        "nothing secret here = \"info\""
    );
}

#[test]
fn redaction_keeps_text_valid_when_a_secret_has_multibyte_characters() {
    let redacted = redact("PASSWORD = \"pässwörd\"");
    assert!(!redacted.contains("ss"), "{redacted}");
    assert!(redacted.starts_with("PASSWORD = \""), "{redacted}");
}

#[test]
fn every_secret_noun_holds_a_stem_the_quick_test_looks_for() {
    for word in super::SECRET_NOUNS.iter().chain(&["key"]) {
        assert!(
            super::SECRET_STEMS.iter().any(|stem| word.contains(stem)),
            "{word} holds no stem: keys ending in it would be passed over"
        );
    }
}

#[test]
fn markers_are_found_where_the_standard_library_finds_them() {
    let texts = [
        "",
        "a",
        "aaaaaaa",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        "https://hooks.slack.com/services/T0/B0/x https://hooks.slack.com/services/T1",
        "ünïcödé -----BEGIN ünï ://",
        "x://y://z",
        "--------BEGIN",
    ];
    let needles = [
        "a",
        "aa",
        "aaa",
        "-----BEGIN",
        "-----",
        "://",
        "https://hooks.slack.com/services/",
        "ï",
        "KEY-----",
    ];
    for text in texts {
        for needle in needles {
            let ours: Vec<usize> = starts(text, needle).collect();
            let std: Vec<usize> = text.match_indices(needle).map(|(at, _)| at).collect();
            assert_eq!(ours, std, "{needle:?} in {text:?}");
            assert_eq!(
                find(text, needle),
                text.find(needle),
                "{needle:?} in {text:?}"
            );
            assert_eq!(holds(text, needle), text.contains(needle));
        }
    }
}

/// Words of every shape the checks tell apart: random ones over an alphabet of each class
/// of character, and hand-picked ones at the edges.
fn words_to_judge() -> Vec<String> {
    // Half the words in base64's characters, half with others mixed in.
    let base64: Vec<char> = "abcxyzABCXYZ0189+/-_".chars().collect();
    let mixed: Vec<char> = "aZ9fF+/-_.:é~".chars().collect();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut words: Vec<String> = (0..4000)
        .map(|i| {
            let alphabet = if i % 2 == 0 { &base64 } else { &mixed };
            let len = 18 + (next() % 24) as usize;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        })
        .collect();
    words.extend(
        [
            "0123456789abcdef0123456789abcdef-us12",
            "0123456789abcdef0123456789abcdef-us1",
            "0123456789abcdef0123456789abcdef-us123",
            "0123456789abcdef0123456789abcdeg-us12",
            "0123456789abcdef0123456789abcde-us12",
            "0123456789abcdef0123456789abcdef-usx",
            "0123456789abcdef0123456789abcdef-us",
            "Zq3mT8vXp1LrN6yHs0WcK9dFb2GjA5eRu7QoIaEw",
            "/Zq3mT8vXp1LrN6yHs0WcK9dFb2GjA5eRu7QoIaEw",
            "0123456789ABCDEF0123456789abcdef",
        ]
        .map(str::to_owned),
    );
    words
}

#[test]
fn a_word_is_random_as_its_characters_say() {
    // The rule as first written, one property per pass.
    let reference = |word: &str| {
        if word.len() < shape::RANDOM_FROM || word.starts_with('/') {
            return false;
        }
        let base64 = word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/-_".contains(c));
        let upper = word.chars().filter(char::is_ascii_uppercase).count();
        let lower = word.chars().filter(char::is_ascii_lowercase).count();
        let other = word.len() - upper - lower;
        let hex = word.chars().all(|c| c.is_ascii_hexdigit());
        base64 && !hex && upper > 0 && lower > 0 && other > 0 && shape::varied(word)
    };
    let words = words_to_judge();
    let random = words.iter().filter(|w| reference(w)).count();
    assert!(random > 100, "the corpus holds random words ({random})");
    for word in &words {
        assert_eq!(shape::is_random(word), reference(word), "{word:?}");
    }
}

#[test]
fn a_mailchimp_key_is_32_hex_digits_then_a_data_centre() {
    let reference = |word: &str| {
        word.split_once("-us").is_some_and(|(key, centre)| {
            key.len() == 32
                && key.chars().all(|c| c.is_ascii_hexdigit())
                && (1..=2).contains(&centre.len())
                && centre.chars().all(|c| c.is_ascii_digit())
        })
    };
    let words = words_to_judge();
    assert_eq!(
        words.iter().filter(|w| reference(w)).count(),
        2,
        "the corpus holds two keys"
    );
    for word in &words {
        assert_eq!(
            formats::unprefixed(word) == Some("a Mailchimp key"),
            reference(word),
            "{word:?}"
        );
    }
}

#[test]
fn the_table_of_ascii_breaks_is_is_word_break() {
    for b in 0..128u8 {
        assert_eq!(
            ASCII_BREAKS[usize::from(b)],
            is_word_break(char::from(b)),
            "{b:#x}"
        );
    }
}

#[test]
fn text_is_split_into_the_words_a_character_by_character_split_finds() {
    // The split as first written: a word ends at each break character.
    let reference = |text: &str| -> Vec<(Range<usize>, String)> {
        let mut words = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (start, is_word_break(c)) {
                (None, false) => start = Some(i),
                (Some(s), true) => {
                    words.push((s..i, text[s..i].to_owned()));
                    start = None;
                }
                _ => {}
            }
        }
        words
    };
    let mut texts: Vec<String> = words_to_judge();
    texts.extend(
        [
            "",
            " ",
            "a",
            "key=value; other:thing",
            "naïve café\u{a0}über\u{2003}x\u{85}y",
            "日本語 テキスト=値",
            "  trailing  ",
            "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig@host:5432",
        ]
        .map(str::to_owned),
    );
    for text in &texts {
        let ours: Vec<(Range<usize>, String)> = words_of(text)
            .map(|(range, word)| (range, word.to_owned()))
            .collect();
        assert_eq!(ours, reference(text), "{text:?}");
    }
}
