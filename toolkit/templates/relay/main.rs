//! The OTLP relay of managed observability. Podplane's VMs ship their logs over OTLP/HTTP
//! and cannot add a credential; this service, which each cluster runs and its VMs ship
//! to, forwards every OTLP request to the hosted provider with the provider's credential
//! added, read from the secret Podplane mounts.
//!
//! It reads, from the environment `[observability]` in platform.toml makes:
//! `OTLP_ENDPOINT`, the provider's OTLP/HTTP base URL; `OTLP_HEADER`, the header the
//! provider takes its credential in; `OTLP_CREDENTIAL_FILE`, the mounted secret that holds
//! the header's value (read for every request, so a rotated secret takes effect at once);
//! `OTLP_STREAM_HEADER`, when set, the header that names the stream a request goes to
//! (the observability environment's relay: each cluster's VMs post to
//! `/<environment>/v1/logs` of its host, and the relay forwards that to `/v1/logs` with
//! the header naming the stream, `-` written `_`); and `PORT`, 8080 unless set.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const NAME: &str = env!("CARGO_PKG_NAME");

/// The OTLP/HTTP paths it forwards; anything else is refused.
const SIGNALS: [&str; 3] = ["/v1/logs", "/v1/metrics", "/v1/traces"];

/// The largest request body it takes: OTLP exporters batch far below this.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// The longest request line or header it takes, and how many headers.
const MAX_LINE: usize = 8 * 1024;
const MAX_HEADERS: usize = 100;

/// The largest answer from the provider it passes back.
const MAX_ANSWER: u64 = 1024 * 1024;

/// How long the provider has to answer.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a client has to send its request.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

const DEFAULT_PORT: u16 = 8080;

/// Where requests go, and with what credential.
pub(crate) struct Config {
    pub(crate) endpoint: String,
    pub(crate) header: String,
    pub(crate) credential_file: PathBuf,
    /// The header naming the stream of a request sent to `/<stream>/v1/...`.
    pub(crate) stream_header: Option<String>,
}

impl Config {
    fn from_env() -> Result<Config, String> {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| {
                format!("{name} is not set: `[observability]` in platform.toml makes it")
            })
        };
        let endpoint = var("OTLP_ENDPOINT")?;
        if !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
            return Err(format!("OTLP_ENDPOINT `{endpoint}` is not an http(s) URL"));
        }
        Ok(Config {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            header: var("OTLP_HEADER")?,
            credential_file: PathBuf::from(var("OTLP_CREDENTIAL_FILE")?),
            stream_header: std::env::var("OTLP_STREAM_HEADER").ok(),
        })
    }
}

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => Arc::new(config),
        Err(err) => {
            eprintln!("{NAME}: {err}");
            return ExitCode::from(2);
        }
    };
    let port = match std::env::var("PORT").map(|port| port.parse::<u16>()) {
        Err(_) => DEFAULT_PORT,
        Ok(Ok(port)) => port,
        Ok(Err(_)) => {
            eprintln!("{NAME}: PORT is not a port number");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(("0.0.0.0", port)) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("{NAME}: port {port}: {err}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "{NAME}: listening on port {port}, forwarding to {}",
        config.endpoint
    );
    serve(&listener, &config);
    ExitCode::SUCCESS
}

/// Answers every connection on its own thread: a slow provider holds up one request,
/// not the others.
pub(crate) fn serve(listener: &TcpListener, config: &Arc<Config>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(PROVIDER_TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (agent, config) = (agent.clone(), Arc::clone(config));
        std::thread::spawn(move || {
            if let Err(err) = answer(stream, &agent, &config) {
                eprintln!("{NAME}: {err}");
            }
        });
    }
}

/// A request as the relay needs it.
#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    content_type: Option<String>,
    content_encoding: Option<String>,
    body: Vec<u8>,
}

/// An answer: status, content type and body.
struct Answer {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(status: u16, text: &str) -> Answer {
        Answer {
            status,
            content_type: "text/plain".to_owned(),
            body: format!("{text}\n").into_bytes(),
        }
    }
}

fn answer(stream: TcpStream, agent: &ureq::Agent, config: &Config) -> std::io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    let mut reader = BufReader::new(&stream);
    let answer = match read_request(&mut reader) {
        Ok(request) => handle(&request, agent, config),
        Err(refusal) => refusal,
    };
    write_answer(&stream, &answer)
}

/// What to do with one request: the health check, an OTLP request forwarded, or a refusal.
fn handle(request: &Request, agent: &ureq::Agent, config: &Config) -> Answer {
    if request.method == "GET" && request.path == "/healthz" {
        return Answer::text(200, "ok");
    }
    match (request.method.as_str(), route(&request.path, config)) {
        ("POST", Some((signal, stream))) => forward(request, signal, stream, agent, config),
        (_, Some(_)) => Answer::text(405, "OTLP takes POST"),
        _ => Answer::text(
            404,
            "not found: the relay forwards /v1/logs, /v1/metrics and /v1/traces",
        ),
    }
}

/// The OTLP signal path a request's path names, and its stream: `/v1/logs`, or with a
/// stream header `/<stream>/v1/logs`, the stream a DNS label, written with `_` for `-`
/// as stream names are.
pub(crate) fn route(path: &str, config: &Config) -> Option<(&'static str, Option<String>)> {
    let signal = |path: &str| SIGNALS.into_iter().find(|signal| *signal == path);
    if let Some(signal) = signal(path) {
        return Some((signal, None));
    }
    config.stream_header.as_ref()?;
    let (stream, rest) = path.strip_prefix('/')?.split_once('/')?;
    let label = (1..=63).contains(&stream.len())
        && stream
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !stream.starts_with('-')
        && !stream.ends_with('-');
    let signal = signal(&format!("/{rest}"))?;
    label.then(|| (signal, Some(stream.replace('-', "_"))))
}

/// Sends `request` to the provider with the credential, and passes back its answer.
fn forward(
    request: &Request,
    signal: &str,
    stream: Option<String>,
    agent: &ureq::Agent,
    config: &Config,
) -> Answer {
    let credential = match std::fs::read_to_string(&config.credential_file) {
        Ok(credential) => credential.trim().to_owned(),
        Err(err) => {
            eprintln!(
                "{NAME}: the credential {}: {err}",
                config.credential_file.display()
            );
            return Answer::text(503, "the relay cannot read its credential");
        }
    };
    let mut outgoing = agent
        .post(format!("{}{signal}", config.endpoint))
        .header(config.header.as_str(), credential.as_str());
    if let (Some(header), Some(stream)) = (&config.stream_header, stream) {
        outgoing = outgoing.header(header.as_str(), stream.as_str());
    }
    if let Some(content_type) = &request.content_type {
        outgoing = outgoing.header("content-type", content_type.as_str());
    }
    if let Some(encoding) = &request.content_encoding {
        outgoing = outgoing.header("content-encoding", encoding.as_str());
    }
    match outgoing.send(&request.body[..]) {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_owned();
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER)
                .read_to_vec()
                .unwrap_or_default();
            Answer {
                status,
                content_type,
                body,
            }
        }
        Err(err) => {
            eprintln!("{NAME}: {}: {err}", config.endpoint);
            Answer::text(502, "the provider did not answer")
        }
    }
}

/// Reads one HTTP/1.1 request: its line, the headers the relay passes on, and a body of
/// `content-length` bytes; a request it cannot take is the answer that says why.
fn read_request(reader: &mut impl BufRead) -> Result<Request, Answer> {
    let bad = |why: &str| Answer::text(400, why);
    let line = head_line(reader)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not an HTTP request"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad("the relay speaks HTTP/1.1"));
    }
    let mut request = Request {
        method: method.to_owned(),
        path: path.split('?').next().unwrap_or(path).to_owned(),
        content_type: None,
        content_encoding: None,
        body: Vec::new(),
    };
    let mut length = 0;
    let mut ended = false;
    for _ in 0..=MAX_HEADERS {
        let header = head_line(reader)?;
        let header = header.trim_end();
        if header.is_empty() {
            ended = true;
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(bad("a header without a colon"));
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => {
                length = value
                    .parse()
                    .map_err(|_| bad("a content-length that is not a number"))?;
            }
            "transfer-encoding" => return Err(Answer::text(411, "send a content-length")),
            "content-type" => request.content_type = Some(value.to_owned()),
            "content-encoding" => request.content_encoding = Some(value.to_owned()),
            _ => {}
        }
    }
    if !ended {
        return Err(Answer::text(431, "more headers than the relay takes"));
    }
    if length > MAX_BODY {
        return Err(Answer::text(413, "the body is larger than the relay takes"));
    }
    request.body = vec![0; length];
    reader
        .read_exact(&mut request.body)
        .map_err(|_| bad("a body shorter than its content-length"))?;
    Ok(request)
}

/// One line of a request's head, at most `MAX_LINE` bytes: a longer one is refused before
/// it is held in memory.
fn head_line(reader: &mut impl BufRead) -> Result<String, Answer> {
    let mut line = String::new();
    let read = Read::take(reader, MAX_LINE as u64)
        .read_line(&mut line)
        .map_err(|_| Answer::text(400, "an unreadable request"))?;
    if read == MAX_LINE && !line.ends_with('\n') {
        return Err(Answer::text(
            431,
            "a request line or header longer than the relay takes",
        ));
    }
    Ok(line)
}

fn write_answer(mut stream: &TcpStream, answer: &Answer) -> std::io::Result<()> {
    let reason = match answer.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    };
    write!(
        stream,
        "HTTP/1.1 {} {reason}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.status,
        answer.content_type,
        answer.body.len()
    )?;
    stream.write_all(&answer.body)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;

    use super::{Config, read_request, route, serve};

    /// A provider that takes one request and answers 200, and what it was sent.
    fn provider() -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/otlp", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(&stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = n.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            (&stream)
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
            format!("{head}\n{}", String::from_utf8(body).unwrap())
        });
        (url, handle)
    }

    /// The relay on a free port, forwarding to `endpoint` with the credential `secret`.
    fn relay(endpoint: String, secret: &str) -> (String, tempdir::Dir) {
        relay_with(endpoint, secret, None)
    }

    /// [`relay`], with `stream_header` as `OTLP_STREAM_HEADER`.
    fn relay_with(
        endpoint: String,
        secret: &str,
        stream_header: Option<&str>,
    ) -> (String, tempdir::Dir) {
        let dir = tempdir::Dir::new();
        let credential_file = dir.0.join("otlp-credential");
        std::fs::write(&credential_file, format!("{secret}\n")).unwrap();
        let config = Arc::new(Config {
            endpoint,
            header: "x-provider-key".to_owned(),
            credential_file,
            stream_header: stream_header.map(str::to_owned),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || serve(&listener, &config));
        (address, dir)
    }

    fn send(address: &str, request: &str) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    mod tempdir {
        /// A directory removed when dropped.
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let path = std::env::temp_dir().join(format!(
                    "relay-test-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn logs_reach_the_provider_with_the_credential_and_its_answer_comes_back() {
        let (endpoint, received) = provider();
        let (address, _dir) = relay(endpoint, "s3cr3t");
        let answer = send(
            &address,
            "POST /v1/logs HTTP/1.1\r\nhost: relay\r\ncontent-type: application/x-protobuf\r\ncontent-encoding: gzip\r\ncontent-length: 5\r\n\r\nhello",
        );
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        let received = received.join().unwrap().to_ascii_lowercase();
        assert!(
            received.starts_with("post /otlp/v1/logs http/1.1\r\n"),
            "{received}"
        );
        for header in [
            "x-provider-key: s3cr3t\r\n",
            "content-type: application/x-protobuf\r\n",
            "content-encoding: gzip\r\n",
        ] {
            assert!(received.contains(header), "{header} in {received}");
        }
        assert!(received.ends_with("\nhello"), "{received}");
    }

    #[test]
    fn a_cluster_ships_to_its_own_stream_where_the_relay_names_streams() {
        let (endpoint, received) = provider();
        let (address, _dir) = relay_with(endpoint, "s3cr3t", Some("stream-name"));
        let answer = send(
            &address,
            "POST /prod-dr/v1/logs HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello",
        );
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        let received = received.join().unwrap().to_ascii_lowercase();
        assert!(
            received.starts_with("post /otlp/v1/logs http/1.1\r\n"),
            "{received}"
        );
        assert!(received.contains("stream-name: prod_dr\r\n"), "{received}");
        assert!(
            received.contains("x-provider-key: s3cr3t\r\n"),
            "{received}"
        );
        // Without a stream header, only the signals themselves are forwarded; with one,
        // a stream that is no DNS label is refused.
        let plain = Config {
            endpoint: String::new(),
            header: String::new(),
            credential_file: std::path::PathBuf::new(),
            stream_header: None,
        };
        assert_eq!(route("/prod/v1/logs", &plain), None);
        assert_eq!(route("/v1/traces", &plain), Some(("/v1/traces", None)));
        let streams = Config {
            stream_header: Some("stream-name".to_owned()),
            ..plain
        };
        assert_eq!(
            route("/dev/v1/metrics", &streams),
            Some(("/v1/metrics", Some("dev".to_owned())))
        );
        for refused in [
            "/Prod/v1/logs",
            "/-x/v1/logs",
            "/a/b/v1/logs",
            "/prod/v1/other",
            "//v1/logs",
        ] {
            assert_eq!(route(refused, &streams), None, "{refused}");
        }
    }

    #[test]
    fn health_checks_answer_and_other_requests_are_refused() {
        let (address, _dir) = relay("http://127.0.0.1:9".to_owned(), "unused");
        assert!(send(&address, "GET /healthz HTTP/1.1\r\n\r\n").ends_with("\r\n\r\nok\n"));
        assert!(send(&address, "GET /v1/logs HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        assert!(
            send(
                &address,
                "POST /admin HTTP/1.1\r\ncontent-length: 0\r\n\r\n"
            )
            .starts_with("HTTP/1.1 404")
        );
        assert!(
            send(
                &address,
                "POST /v1/logs HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            .starts_with("HTTP/1.1 411")
        );
        // A provider that cannot be reached is the relay's 502, not a hang.
        assert!(
            send(
                &address,
                "POST /v1/logs HTTP/1.1\r\ncontent-length: 0\r\n\r\n"
            )
            .starts_with("HTTP/1.1 502")
        );
    }

    #[test]
    fn a_body_or_head_past_the_limits_is_refused_before_it_is_held() {
        let request = format!(
            "POST /v1/logs HTTP/1.1\r\ncontent-length: {}\r\n\r\n",
            super::MAX_BODY + 1
        );
        let refused = read_request(&mut request.as_bytes()).unwrap_err();
        assert_eq!(refused.status, 413);
        let long = format!(
            "POST /v1/logs HTTP/1.1\r\nx-long: {}\r\n\r\n",
            "a".repeat(super::MAX_LINE)
        );
        assert_eq!(read_request(&mut long.as_bytes()).unwrap_err().status, 431);
        let many = format!(
            "POST /v1/logs HTTP/1.1\r\n{}\r\n",
            "x-h: 1\r\n".repeat(super::MAX_HEADERS + 1)
        );
        assert_eq!(read_request(&mut many.as_bytes()).unwrap_err().status, 431);
        let short =
            read_request(&mut "POST /v1/logs HTTP/1.1\r\ncontent-length: 9\r\n\r\nabc".as_bytes())
                .unwrap_err();
        assert_eq!(short.status, 400);
    }
}
