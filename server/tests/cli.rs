//! The `tessera` binary: `formats`, and `serve demo` over a real socket (URL printed with
//! the key, requests served, graceful exit on SIGTERM).

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

#[test]
fn formats_prints_a_table_and_json() {
    let out = Command::new(BIN).arg("formats").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("FAMILY"));
    assert!(text.contains("application/octet-stream"));
    let out = Command::new(BIN).args(["formats", "--json"]).output().unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rows.iter().any(|r| r["media_type"] == "application/x-npy" && r["output"] == "streaming"));
}

/// A raw HTTP/1.1 GET (no client library needed for one request).
fn http_get(port: u16, target: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, response)
}

#[test]
fn serve_demo_prints_its_url_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["serve", "demo", "--port", "0", "--api-key", "abc123"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut url = None;
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Some(i) = line.find("http://127.0.0.1:") {
            url = Some(line[i..].trim().to_owned());
            break;
        }
        line.clear();
    }
    let url = url.expect("a URL on stderr");
    assert!(url.ends_with("?api_key=abc123"), "{url}");
    let port: u16 = url["http://127.0.0.1:".len()..].split('?').next().unwrap().parse().unwrap();
    std::thread::spawn(move || for _ in stderr.lines() {});

    assert_eq!(http_get(port, "/").0, 200);
    assert_eq!(http_get(port, "/api/v1/metadata/").0, 401);
    let (status, body) = http_get(port, "/api/v1/metadata/?api_key=abc123");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"count\":"), "{body}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
