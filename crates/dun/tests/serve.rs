//! `dun serve` as a user runs it: the real binary, on a real socket,
//! against each database; SIGTERM lets a request in flight finish, then the
//! process exits cleanly; bad settings name the key.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{backends, ok, Db};

/// Starts `dun serve` on a free port; returns the child and its address.
fn serve(db: &Db, extra_env: &[(&str, &str)]) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dun"));
    command
        .args([
            "--db",
            &db.url,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-scheduler",
        ])
        .env_remove("DUN_ORG")
        .env_remove("DUN_DATABASE_URL")
        .env("DUN_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("start dun serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        let line = lines
            .next()
            .expect("dun serve said nothing")
            .expect("a line");
        if let Some(rest) = line.strip_prefix("Dun is serving http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "dun serve did not start");
    };
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "dun serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight() {
    for db in backends("sigterm_finishes_the_request_in_flight") {
        ok(
            &db,
            &[
                "init",
                "--org",
                "Acme",
                "--currency",
                "USD",
                "--timezone",
                "UTC",
            ],
        );
        let token = {
            let mut add = Command::new(env!("CARGO_BIN_EXE_dun"))
                .args([
                    "--db",
                    &db.url,
                    "user",
                    "add",
                    "ann@acme.example",
                    "--name",
                    "Ann",
                    "--role",
                    "owner",
                ])
                .env_remove("DUN_DATABASE_URL")
                .env("DUN_PASSWORD", "correct horse battery")
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            assert!(add.wait().unwrap().success());
            ok(
                &db,
                &[
                    "token",
                    "create",
                    "--user",
                    "ann@acme.example",
                    "--name",
                    "t",
                    "--role",
                    "owner",
                ],
            )
            .trim()
            .to_string()
        };
        let (mut child, addr) = serve(&db, &[]);
        // A request whose body is still arriving when SIGTERM comes.
        let body = r#"{"reference": "C1", "name": "One Ltd"}"#;
        let mut stream = TcpStream::connect(&addr).expect("connect");
        write!(
            stream,
            "POST /api/v1/customers HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            body.len(),
            &body[..10]
        )
        .unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        sigterm(&child);
        std::thread::sleep(Duration::from_millis(300));
        stream.write_all(&body.as_bytes()[10..]).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 201"),
            "{} :: {response}",
            db.label
        );
        let status = wait_exit(&mut child);
        assert!(status.success(), "{}: exit {status}", db.label);
        // It was written, and new connections are refused now.
        assert!(ok(&db, &["customer", "list"]).contains("One Ltd"));
        assert!(
            TcpStream::connect(&addr).is_err(),
            "still listening after shutdown"
        );
    }
}

#[test]
fn bad_settings_name_the_key() {
    let db = common::sqlite();
    let run = common::dun(&db, &["serve", "--listen", "nowhere"]);
    assert!(!run.ok);
    assert!(run.stderr.contains("--listen: 'nowhere'"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dun.toml");
    std::fs::write(&file, "pool_size = 0\n").unwrap();
    let run = common::dun(&db, &["serve", "--config", file.to_str().unwrap()]);
    assert!(!run.ok);
    assert!(run.stderr.contains("pool_size"), "{}", run.stderr);
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\nmystery = 1\n").unwrap();
    let run = common::dun(&db, &["serve", "--config", file.to_str().unwrap()]);
    assert!(!run.ok);
    assert!(run.stderr.contains("mystery"), "{}", run.stderr);
}
