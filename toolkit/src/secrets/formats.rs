//! The credential formats of well-known providers, each as its fixed prefix and what
//! follows it: the characters and how many. Drawn from the formats the providers document
//! and that secret scanners (gitleaks, trufflehog) look for; a value holding one is a
//! secret under any key.

/// The characters that may follow a prefix.
#[derive(Clone, Copy)]
pub enum Chars {
    /// `A-Z a-z 0-9`.
    Alnum,
    /// `A-Z 0-9`.
    UpperAlnum,
    /// `0-9 a-f` (either case).
    Hex,
    /// `A-Z a-z 0-9 _ -`.
    Word,
    /// [`Chars::Word`] and `.`.
    Dotted,
    /// Base64 and base64url, with padding, and `.`.
    Base64,
}

impl Chars {
    fn allows(self, c: char) -> bool {
        match self {
            Chars::Alnum => c.is_ascii_alphanumeric(),
            Chars::UpperAlnum => c.is_ascii_uppercase() || c.is_ascii_digit(),
            Chars::Hex => c.is_ascii_hexdigit(),
            Chars::Word => c.is_ascii_alphanumeric() || c == '_' || c == '-',
            Chars::Dotted => c.is_ascii_alphanumeric() || "_-.".contains(c),
            Chars::Base64 => c.is_ascii_alphanumeric() || "+/=_-.".contains(c),
        }
    }
}

/// One provider's format: its prefix, the characters after it, and their count.
pub struct Format {
    pub prefix: &'static str,
    pub chars: Chars,
    pub min: usize,
    pub max: usize,
    /// What it is, as a diagnostic says it: "a GitHub token".
    pub name: &'static str,
}

const fn format(
    prefix: &'static str,
    chars: Chars,
    min: usize,
    max: usize,
    name: &'static str,
) -> Format {
    Format {
        prefix,
        chars,
        min,
        max,
        name,
    }
}

use Chars::{Alnum, Base64, Dotted, Hex, UpperAlnum, Word};

/// The formats, a more specific prefix before a shorter one it starts with.
pub const FORMATS: &[Format] = &[
    format("github_pat_", Word, 82, 255, "a GitHub fine-grained token"),
    format("ghp_", Alnum, 36, 255, "a GitHub token"),
    format("gho_", Alnum, 36, 255, "a GitHub OAuth token"),
    format("ghu_", Alnum, 36, 255, "a GitHub user-to-server token"),
    format("ghs_", Alnum, 36, 255, "a GitHub server-to-server token"),
    format("ghr_", Alnum, 36, 255, "a GitHub refresh token"),
    format("glpat-", Word, 20, 64, "a GitLab personal access token"),
    format("glptt-", Hex, 40, 40, "a GitLab pipeline trigger token"),
    format("glrt-", Word, 20, 64, "a GitLab runner token"),
    format(
        "GR1348941",
        Word,
        20,
        40,
        "a GitLab runner registration token",
    ),
    format("gldt-", Word, 20, 64, "a GitLab deploy token"),
    format("glcbt-", Word, 20, 64, "a GitLab CI job token"),
    format("xoxb-", Word, 10, 255, "a Slack bot token"),
    format("xoxp-", Word, 10, 255, "a Slack user token"),
    format("xoxa-", Word, 10, 255, "a Slack app token"),
    format("xoxs-", Word, 10, 255, "a Slack token"),
    format("xoxr-", Word, 10, 255, "a Slack refresh token"),
    format("xoxe.xoxp-", Word, 10, 255, "a Slack configuration token"),
    format("xapp-", Word, 10, 255, "a Slack app-level token"),
    format("sk_live_", Alnum, 24, 247, "a Stripe secret key"),
    format("sk_test_", Alnum, 24, 247, "a Stripe test secret key"),
    format("rk_live_", Alnum, 24, 247, "a Stripe restricted key"),
    format("rk_test_", Alnum, 24, 247, "a Stripe restricted test key"),
    format("whsec_", Alnum, 32, 64, "a Stripe webhook secret"),
    format("sk-ant-api03-", Word, 80, 120, "an Anthropic API key"),
    format("sk-ant-admin01-", Word, 80, 120, "an Anthropic admin key"),
    format("sk-proj-", Word, 40, 200, "an OpenAI project key"),
    format(
        "sk-svcacct-",
        Word,
        40,
        200,
        "an OpenAI service account key",
    ),
    format("sk.eyJ", Dotted, 80, 300, "a Mapbox secret token"),
    format("AKIA", UpperAlnum, 16, 16, "an AWS access key id"),
    format("ASIA", UpperAlnum, 16, 16, "an AWS temporary access key id"),
    format(
        "ABIA",
        UpperAlnum,
        16,
        16,
        "an AWS STS service bearer token id",
    ),
    format(
        "ACCA",
        UpperAlnum,
        16,
        16,
        "an AWS context-specific credential id",
    ),
    format("AIza", Word, 35, 35, "a Google API key"),
    format("GOCSPX-", Word, 28, 28, "a Google OAuth client secret"),
    format("ya29.", Dotted, 30, 2048, "a Google OAuth access token"),
    format("npm_", Alnum, 36, 36, "an npm token"),
    format("pypi-AgEIcHlwaS5vcmc", Word, 50, 500, "a PyPI token"),
    format("rubygems_", Hex, 48, 48, "a RubyGems key"),
    format("hf_", Alnum, 34, 34, "a Hugging Face token"),
    format("SG.", Dotted, 66, 66, "a SendGrid key"),
    format("SK", Hex, 32, 32, "a Twilio API key"),
    format("key-", Hex, 32, 32, "a Mailgun key"),
    format("xkeysib-", Word, 70, 90, "a Brevo key"),
    format("shpat_", Hex, 32, 32, "a Shopify access token"),
    format("shpss_", Hex, 32, 32, "a Shopify shared secret"),
    format("shpca_", Hex, 32, 32, "a Shopify custom app token"),
    format("shppa_", Hex, 32, 32, "a Shopify private app token"),
    format("dop_v1_", Hex, 64, 64, "a DigitalOcean token"),
    format("doo_v1_", Hex, 64, 64, "a DigitalOcean OAuth token"),
    format("dor_v1_", Hex, 64, 64, "a DigitalOcean refresh token"),
    format("lin_api_", Alnum, 40, 40, "a Linear API key"),
    format("ATATT3", Base64, 100, 300, "an Atlassian API token"),
    format("dp.pt.", Alnum, 43, 43, "a Doppler token"),
    format("dp.ct.", Alnum, 43, 43, "a Doppler CLI token"),
    format("dp.sa.", Alnum, 43, 43, "a Doppler service account token"),
    format("dapi", Hex, 32, 34, "a Databricks token"),
    format("dt0c01.", Dotted, 89, 89, "a Dynatrace token"),
    format("figd_", Word, 40, 60, "a Figma token"),
    format("glsa_", Word, 41, 41, "a Grafana service account token"),
    format("glc_", Base64, 32, 400, "a Grafana Cloud token"),
    format("eyJrIjoi", Base64, 50, 200, "a Grafana API key"),
    format("hvs.", Word, 90, 200, "a HashiCorp Vault token"),
    format("hvb.", Word, 138, 300, "a HashiCorp Vault batch token"),
    format("PMAK-", Word, 59, 59, "a Postman API key"),
    format("pul-", Hex, 40, 40, "a Pulumi token"),
    format("sntrys_", Base64, 60, 300, "a Sentry organisation token"),
    format("sntryu_", Hex, 64, 64, "a Sentry user token"),
    format("sq0atp-", Word, 22, 22, "a Square access token"),
    format("sq0csp-", Word, 43, 43, "a Square OAuth secret"),
    format("AGE-SECRET-KEY-1", UpperAlnum, 58, 58, "an age secret key"),
    format(
        "ops_eyJ",
        Base64,
        200,
        2000,
        "a 1Password service account token",
    ),
    format("LTAI", Alnum, 20, 20, "an Alibaba Cloud access key id"),
    format("p8e-", Alnum, 32, 32, "an Adobe client secret"),
    format("CFPAT-", Word, 43, 43, "a Contentful token"),
    format("duffel_live_", Word, 43, 43, "a Duffel token"),
    format("duffel_test_", Word, 43, 43, "a Duffel test token"),
    format("sl.", Base64, 130, 160, "a Dropbox token"),
    format("EZAK", Alnum, 54, 54, "an EasyPost key"),
    format("EZTK", Alnum, 54, 54, "an EasyPost test key"),
    format("FLWSECK_TEST-", Word, 32, 34, "a Flutterwave test key"),
    format("FLWSECK-", Word, 32, 34, "a Flutterwave key"),
    format("fio-u-", Base64, 64, 64, "a Frame.io token"),
    format("NRAK-", UpperAlnum, 27, 27, "a New Relic user key"),
    format("NRII-", Word, 32, 32, "a New Relic insert key"),
    format("pnu_", Alnum, 36, 36, "a Prefect token"),
    format("rdme_", Alnum, 70, 70, "a ReadMe key"),
    format("tk-us-", Word, 48, 48, "a Scalingo token"),
    format("shippo_live_", Hex, 40, 40, "a Shippo token"),
    format("shippo_test_", Hex, 40, 40, "a Shippo test token"),
    format("tfp_", Word, 59, 59, "a Typeform token"),
    format("fo1_", Word, 43, 43, "a Fly.io token"),
    format("sbp_", Hex, 40, 40, "a Supabase token"),
    format("pscale_tkn_", Dotted, 43, 43, "a PlanetScale token"),
    format("pscale_pw_", Dotted, 43, 43, "a PlanetScale password"),
    format("pscale_oauth_", Dotted, 32, 64, "a PlanetScale OAuth token"),
    format("ico-", Alnum, 32, 32, "an Infracost key"),
    format("ntn_", Alnum, 46, 46, "a Notion token"),
    format("secret_", Alnum, 43, 43, "a Notion token"),
    format("ddp_", Alnum, 36, 36, "a Deno Deploy token"),
    format("rnd_", Alnum, 32, 32, "a Render key"),
    format("tskey-api-", Word, 20, 80, "a Tailscale API key"),
    format("tskey-auth-", Word, 20, 80, "a Tailscale auth key"),
    format(
        "tskey-client-",
        Word,
        20,
        80,
        "a Tailscale OAuth client secret",
    ),
    format("bkua_", Hex, 40, 40, "a Buildkite token"),
    format("CCIPAT_", Word, 40, 80, "a CircleCI token"),
    format("AKCp", Alnum, 69, 69, "a JFrog key"),
    format("sgp_", Word, 40, 80, "a Sourcegraph token"),
    format("pcsk_", Word, 60, 100, "a Pinecone key"),
    format("gsk_", Alnum, 52, 52, "a Groq key"),
    format("r8_", Alnum, 37, 37, "a Replicate token"),
    format("pplx-", Alnum, 48, 48, "a Perplexity key"),
    format("xai-", Alnum, 80, 80, "an xAI key"),
    format("dckr_pat_", Word, 27, 27, "a Docker Hub token"),
    format("pat-na1-", Word, 36, 36, "a HubSpot token"),
    format("pat-eu1-", Word, 36, 36, "a HubSpot token"),
    format("HRKU-", Word, 60, 60, "a Heroku token"),
    format("nfp_", Alnum, 36, 36, "a Netlify token"),
    format("v1.0-", Word, 171, 171, "a Cloudflare origin CA key"),
    format("sk-", Word, 20, 200, "an API key"),
];

/// The format of `word`: the one with the longest prefix that it matches whole. Only the
/// formats whose prefix starts with the word's first byte are tried.
pub fn of(word: &str) -> Option<&'static Format> {
    let first = *word.as_bytes().first()?;
    by_first_byte()[usize::from(first)]
        .iter()
        .copied()
        .filter(|format| {
            word.strip_prefix(format.prefix).is_some_and(|tail| {
                (format.min..=format.max).contains(&tail.len())
                    && tail.chars().all(|c| format.chars.allows(c))
            })
        })
        .max_by_key(|format| format.prefix.len())
}

/// [`FORMATS`] by the first byte of their prefix, each list in the table's order.
fn by_first_byte() -> &'static [Vec<&'static Format>; 256] {
    static TABLE: std::sync::OnceLock<[Vec<&'static Format>; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: [Vec<&'static Format>; 256] = std::array::from_fn(|_| Vec::new());
        for format in FORMATS {
            table[usize::from(format.prefix.as_bytes()[0])].push(format);
        }
        table
    })
}

/// Formats that are not a prefix: a Mailchimp key (32 hex digits, `-us` and a data
/// centre) and an Azure AD client secret (three characters, a digit, `Q~`, and 31 to 34
/// more).
pub fn unprefixed(word: &str) -> Option<&'static str> {
    // `<32 hex digits>-us<1 or 2 digits>`; hex holds no `-us`, so this is where a search
    // for the first `-us` would stop.
    if let (Some(key), Some("-us"), Some(centre)) =
        (word.get(..32), word.get(32..35), word.get(35..))
        && key.chars().all(|c| c.is_ascii_hexdigit())
        && (1..=2).contains(&centre.len())
        && centre.chars().all(|c| c.is_ascii_digit())
    {
        return Some("a Mailchimp key");
    }
    let azure = |c: char| c.is_ascii_alphanumeric() || "_~.-".contains(c);
    if word.len() >= 37
        && word.len() <= 40
        && word
            .get(3..6)
            .is_some_and(|s| s.as_bytes()[0].is_ascii_digit() && &s[1..] == "Q~")
        && word.chars().all(azure)
    {
        return Some("an Azure AD client secret");
    }
    None
}

/// Prefixes of keys that are public by design, whatever their shape: Stripe's publishable
/// keys, which pages embed.
pub const PUBLIC: &[&str] = &["pk_live_", "pk_test_"];

/// Webhook URLs whose path is the credential: whoever has one can post.
pub const SECRET_URLS: &[(&str, &str)] = &[
    ("https://hooks.slack.com/services/", "a Slack webhook URL"),
    ("https://discord.com/api/webhooks/", "a Discord webhook URL"),
    (
        "https://discordapp.com/api/webhooks/",
        "a Discord webhook URL",
    ),
    (
        "https://outlook.office.com/webhook/",
        "a Microsoft Teams webhook URL",
    ),
    (
        "https://hooks.zapier.com/hooks/catch/",
        "a Zapier webhook URL",
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_format_has_a_prefix_and_its_first_byte_finds_it() {
        let table = super::by_first_byte();
        for format in super::FORMATS {
            let first = format.prefix.as_bytes().first().expect("a prefix");
            assert!(
                table[usize::from(*first)]
                    .iter()
                    .any(|found| std::ptr::eq(*found, format))
            );
        }
        assert_eq!(
            table.iter().map(Vec::len).sum::<usize>(),
            super::FORMATS.len()
        );
    }
}
