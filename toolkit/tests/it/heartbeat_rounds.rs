//! The heartbeat's rounds against a local OpenObserve and a local Healthchecks, each
//! answering as its API documentation says: it pings a cluster's check only while
//! OpenObserve holds recent telemetry of that cluster, and never when OpenObserve does not
//! answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pretty_assertions::assert_eq;

use crate::common;
use crate::heartbeat::{Config, round};

/// A local HTTP server answering each request with `answer(method, path, body)`, and what
/// it was asked, one `METHOD PATH` line per request.
fn server(
    answer: impl Fn(&str, &str, &str) -> (u16, String) + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let stream = stream.unwrap();
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut parts = line.split_whitespace();
            let (method, path) = (
                parts.next().unwrap_or_default().to_owned(),
                parts.next().unwrap_or_default().to_owned(),
            );
            let mut length = 0;
            let mut authorization = String::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                let lower = header.to_ascii_lowercase();
                if let Some(n) = lower.strip_prefix("content-length:") {
                    length = n.trim().parse().unwrap();
                }
                if lower.starts_with("authorization:") {
                    authorization = header.trim_end().to_owned();
                }
                if header == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body = String::from_utf8(body).unwrap();
            log.lock()
                .unwrap()
                .push(format!("{method} {path} {authorization}").trim().to_owned());
            let (status, text) = answer(&method, &path, &body);
            write!(
                &stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            )
            .unwrap();
        }
    });
    (url, asked)
}

/// Now, in microseconds, as the round takes it.
const NOW: i64 = 1_800_000_000_000_000;

#[test]
fn a_round_pings_the_check_of_each_cluster_whose_telemetry_is_recent_and_no_other() {
    // OpenObserve: prod's newest record is a minute old, staging's an hour, dev has none.
    let (openobserve, asked) = server(|method, path, body| {
        assert_eq!((method, path), ("POST", "/api/default/_search"));
        let query: serde_json::Value = serde_json::from_str(body).unwrap();
        let sql = query["query"]["sql"].as_str().unwrap();
        let newest = if sql.contains("\"prod\"") {
            serde_json::json!(NOW - 60_000_000)
        } else if sql.contains("\"staging\"") {
            serde_json::json!(NOW - 3_600_000_000)
        } else {
            serde_json::Value::Null
        };
        (
            200,
            serde_json::json!({"took": 3, "hits": [{"newest": newest}], "total": 1}).to_string(),
        )
    });
    let (healthchecks, pinged) = server(|_, _, _| (200, "OK".to_owned()));
    let secrets = common::tempdir();
    std::fs::write(secrets.path().join("query"), "Basic cXVlcnk=\n").unwrap();
    std::fs::write(secrets.path().join("key"), "ping-key\n").unwrap();
    let config = Config {
        checks: ["dev", "prod", "staging"]
            .map(|env| (env.to_owned(), format!("acme-{env}-telemetry")))
            .to_vec(),
        search_url: format!("{openobserve}/api/default/_search"),
        credential_file: secrets.path().join("query"),
        ping_url: healthchecks,
        ping_key_file: secrets.path().join("key"),
        max_age: Duration::from_secs(600),
        interval: Duration::from_secs(60),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    assert_eq!(
        round(&config, &agent, NOW),
        [
            "dev: no telemetry in the last 600s, no ping",
            "prod: fresh, pinged acme-prod-telemetry",
            "staging: no telemetry in the last 600s, no ping",
        ]
    );
    assert_eq!(
        *pinged.lock().unwrap(),
        ["GET /ping-key/acme-prod-telemetry"]
    );
    assert_eq!(
        *asked.lock().unwrap(),
        ["POST /api/default/_search authorization: Basic cXVlcnk="; 3]
    );

    // OpenObserve down: no ping for anyone, so that the monitor alerts.
    let down = Config {
        search_url: "http://127.0.0.1:9/api/default/_search".to_owned(),
        ..config
    };
    let said = round(&down, &agent, NOW);
    assert!(
        said.iter()
            .all(|line| line.contains("no ping, OpenObserve did not say")),
        "{said:?}"
    );
    assert_eq!(pinged.lock().unwrap().len(), 1);
}
