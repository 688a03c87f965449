//! The example service: a tiny HTTP server, standard library only, that answers every
//! request with a greeting. It exists to show how a crate becomes a deployable service
//! (`[package.metadata.platform]` in its `Cargo.toml`).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_owned());
    let listener = TcpListener::bind(("0.0.0.0", port.parse().unwrap_or(8080)))?;
    eprintln!("hello: listening on port {port}");
    for stream in listener.incoming() {
        if let Err(err) = answer(stream?) {
            eprintln!("hello: {err}");
        }
    }
    Ok(())
}

fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    stream.write_all(response(&request_line).as_bytes())
}

/// The whole HTTP response to a request whose first line is `request_line`.
fn response(request_line: &str) -> String {
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/healthz" => ("200 OK", "ok\n".to_owned()),
        "/" => (
            "200 OK",
            format!("hello from {}\n", env!("CARGO_PKG_VERSION")),
        ),
        _ => ("404 Not Found", "not found\n".to_owned()),
    };
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::response;

    #[test]
    fn root_greets_with_the_version() {
        let answer = response("GET / HTTP/1.1\r\n");
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.ends_with(&format!("hello from {}\n", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn health_check_answers_ok_and_unknown_paths_404() {
        assert!(response("GET /healthz HTTP/1.1").ends_with("\r\n\r\nok\n"));
        assert!(response("GET /nope HTTP/1.1").starts_with("HTTP/1.1 404 Not Found"));
    }
}
