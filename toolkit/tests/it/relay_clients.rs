//! The OTLP relay of managed observability (`templates/relay/main.rs`) with a real OTLP
//! client in front of it: the OpenTelemetry Python SDK's OTLP/HTTP exporter (protobuf,
//! gzip), as Podplane's VMs send, reaches a provider through the relay with the
//! provider's credential added, and the exporter sees the provider's success. The SDK is a
//! Python package: with `OTLP_PYTHON` naming a Python that has it (else `python3`); the
//! test says so and passes without it, unless `REQUIRE_OTLP_CLIENT` is set (`.ci/run`
//! installs it and sets both).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use crate::common;
use crate::relay::{Config, serve};

/// The Python with the OTLP exporter, or `None` (said) when there is none.
fn otlp_python() -> Option<PathBuf> {
    let python =
        std::env::var_os("OTLP_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
    let has = Command::new(&python)
        .args([
            "-c",
            "import opentelemetry.exporter.otlp.proto.http.trace_exporter",
        ])
        .output()
        .is_ok_and(|out| out.status.success());
    if has {
        return Some(python);
    }
    assert!(
        std::env::var_os("REQUIRE_OTLP_CLIENT").is_none(),
        "REQUIRE_OTLP_CLIENT is set but {} cannot import the OpenTelemetry OTLP/HTTP exporter",
        python.display()
    );
    common::notice(
        "the OpenTelemetry Python SDK is not installed: the relay is not tried with a real OTLP client",
    );
    None
}

/// A provider that takes one request, answers 200 as OTLP does (an empty protobuf
/// message), and gives back the request line, the headers in lower case, and the body.
fn provider() -> (String, std::thread::JoinHandle<(String, Vec<u8>)>) {
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
            if line == "\r\n" {
                break;
            }
            let line = line.to_ascii_lowercase();
            if let Some(n) = line.strip_prefix("content-length:") {
                length = n.trim().parse().unwrap();
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        (&stream)
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
        (head, body)
    });
    (url, handle)
}

#[test]
fn a_real_otlp_exporter_reaches_the_provider_through_the_relay() {
    let Some(python) = otlp_python() else {
        return;
    };
    let (endpoint, received) = provider();
    let secrets = common::tempdir();
    let credential_file = secrets.path().join("otlp-credential");
    std::fs::write(&credential_file, "s3cr3t\n").unwrap();
    // As the observability environment's relay runs: the cluster's stream in the path.
    let config = Arc::new(Config {
        endpoint,
        header: "x-provider-key".to_owned(),
        credential_file,
        stream_header: Some("stream-name".to_owned()),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay = format!("http://{}/prod/v1/traces", listener.local_addr().unwrap());
    std::thread::spawn(move || serve(&listener, &config));

    let script = common::manifest_dir().join("tests/fixtures/otlp/send.py");
    let sent = Command::new(&python)
        .arg(&script)
        .arg(&relay)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&sent.stdout),
        String::from_utf8_lossy(&sent.stderr)
    );
    assert!(sent.status.success(), "{said}");
    assert_eq!(
        String::from_utf8_lossy(&sent.stdout).trim(),
        "SUCCESS",
        "{said}"
    );

    let (head, body) = received.join().unwrap();
    assert!(
        head.starts_with("post /otlp/v1/traces http/1.1\r\n"),
        "{head}"
    );
    for header in [
        "x-provider-key: s3cr3t\r\n",
        "content-type: application/x-protobuf\r\n",
        "content-encoding: gzip\r\n",
        "stream-name: prod\r\n",
    ] {
        assert!(head.contains(header), "{header} in {head}");
    }
    assert_eq!(
        &body[..2],
        [0x1f, 0x8b],
        "the exporter's gzip body, as it sent it"
    );
}
