//! Every POST honours `Idempotency-Key`, including commands whose store
//! call takes no key: the first answer is replayed byte for byte, another
//! request under the same key is refused, and the command is done once.

mod common;

use serde_json::json;

server_test!(
    fn every_post_is_done_once_per_key(server: &TestServer) {
        let api = server.owner("Once");
        assert_eq!(
            api.post(
                "/api/v1/customers",
                json!({"reference": "C1", "name": "One"})
            )
            .0,
            201
        );

        let task = json!({"customer": "C1", "title": "Call about the March invoice"});
        let first = api.send(
            "POST",
            "/api/v1/tasks",
            Some(task.clone()),
            &[("Idempotency-Key", "task-1")],
        );
        assert_eq!(first.status, 201, "{}", first.body);
        let again = api.send(
            "POST",
            "/api/v1/tasks",
            Some(task.clone()),
            &[("Idempotency-Key", "task-1")],
        );
        assert_eq!(again.status, 201);
        assert_eq!(again.body, first.body, "the first answer, replayed");
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        let (_, tasks) = api.get("/api/v1/tasks?status=all");
        let titled = tasks
            .to_string()
            .matches("Call about the March invoice")
            .count();
        assert_eq!(titled, 1, "one task: {tasks}");

        // The same key with another request: refused, nothing done.
        let other = api.send(
            "POST",
            "/api/v1/tasks",
            Some(json!({"customer": "C1", "title": "Another"})),
            &[("Idempotency-Key", "task-1")],
        );
        assert_eq!(other.status, 422, "{}", other.body);
        assert_eq!(other.body["field"], json!("Idempotency-Key"));
        let (_, tasks) = api.get("/api/v1/tasks?status=all");
        assert!(!tasks.to_string().contains("Another"), "{tasks}");

        // A note logged twice under one key lands once on the timeline.
        for _ in 0..2 {
            let reply = api.send(
                "POST",
                "/api/v1/customers/C1/contacts",
                Some(json!({"kind": "note", "summary": "Sent the statement by post"})),
                &[("Idempotency-Key", "note-1")],
            );
            assert!(reply.status == 201 || reply.status == 200, "{}", reply.body);
        }
        let (_, timeline) = api.get("/api/v1/customers/C1/timeline");
        let notes = timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == json!("note"))
            .count();
        assert_eq!(notes, 1, "{timeline}");

        // Keys belong to their caller: another token's same key is its own.
        common::add_member(
            &api,
            "cole@once.example",
            "Cole",
            "collector password",
            "collector",
        );
        let cole = server.token_for("cole@once.example", "collector password", None, "collector");
        let theirs = cole.send(
            "POST",
            "/api/v1/tasks",
            Some(json!({"customer": "C1", "title": "Cole's task"})),
            &[("Idempotency-Key", "task-1")],
        );
        assert_eq!(theirs.status, 201, "{}", theirs.body);
        assert!(theirs.header("idempotent-replayed").is_none());

        // An error the client caused is kept too: the repeat gets the same 404.
        let missing = json!({"customer": "NOPE", "title": "x"});
        let a = api.send(
            "POST",
            "/api/v1/tasks",
            Some(missing.clone()),
            &[("Idempotency-Key", "bad-1")],
        );
        let b = api.send(
            "POST",
            "/api/v1/tasks",
            Some(missing),
            &[("Idempotency-Key", "bad-1")],
        );
        assert_eq!((a.status, &a.body), (b.status, &b.body));
    }
);
