use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

#[tokio::test]
async fn a_case_is_opened_read_answered_and_changed() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let opened = app
            .open_case(&client, "Ann Smith", "Ann@Example.com", "normal")
            .await;
        let id = opened["id"].as_i64().unwrap();
        assert_eq!(opened["status"], "new");
        assert_eq!(opened["messages"][0]["direction"], "inbound");
        assert_eq!(opened["messages"][0]["body"], "My order has not arrived.");

        let again = app
            .open_case(&client, "Ann", "ann@example.com", "high")
            .await;
        assert_eq!(
            again["customer_id"], opened["customer_id"],
            "one record per customer"
        );
        assert_ne!(again["id"], opened["id"], "one case per problem");

        app.clock.advance(60_000);
        let reply = client
            .post(app.api(&format!("/cases/{id}/messages")))
            .json(
                &json!({"direction": "outbound", "body": "I'm sorry, Ann. I'll call you by 3 pm."}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 201);
        let note = client
            .post(app.api(&format!("/cases/{id}/messages")))
            .json(&json!({"direction": "note", "body": "Depot says mis-sorted."}))
            .send()
            .await
            .unwrap();
        assert_eq!(note.status(), 201);

        let case: Value = client
            .get(app.api(&format!("/cases/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(case["status"], "waiting_on_customer");
        assert_eq!(case["first_response_at"], "2026-11-22T09:01:00Z");
        let directions: Vec<&str> = case["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["direction"].as_str().unwrap())
            .collect();
        assert_eq!(directions, ["inbound", "outbound", "note"]);

        let supervisor = app.add_agent("sup@desk.test", AgentRole::Supervisor).await;
        let changed = client
            .patch(app.api(&format!("/cases/{id}")))
            .json(&json!({"status": "resolved", "priority": "high", "owner_id": supervisor}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200);
        let changed: Value = changed.json().await.unwrap();
        assert_eq!(
            (changed["status"].as_str(), changed["priority"].as_str()),
            (Some("resolved"), Some("high"))
        );
        assert_eq!(changed["first_contact_resolution"], true);
        assert_eq!(changed["owner_id"], supervisor);

        let unassigned: Value = client
            .patch(app.api(&format!("/cases/{id}")))
            .json(&json!({"owner_id": null}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(unassigned["owner_id"], Value::Null);
        assert_eq!(
            unassigned["status"], "resolved",
            "absent fields stay as they are"
        );

        let refused = client
            .patch(app.api(&format!("/cases/{id}")))
            .json(&json!({"status": "open"}))
            .send()
            .await
            .unwrap();
        assert_problem(refused, 422, Some("status")).await;

        let trail: Value = client
            .get(app.api(&format!("/cases/{id}/audit")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = trail
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "case.opened",
                "case.changed",
                "case.changed",
                "case.changed"
            ]
        );
        assert!(trail
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["remote_addr"] == "127.0.0.1"));
        assert!(trail[0]["actor_agent_id"].is_i64());
    }
}

#[tokio::test]
async fn missing_cases_and_routes_are_404_problems() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        assert_problem(
            client.get(app.api("/cases/999999")).send().await.unwrap(),
            404,
            None,
        )
        .await;
        let message = client
            .post(app.api("/cases/999999/messages"))
            .json(&json!({"direction": "note", "body": "x"}))
            .send()
            .await
            .unwrap();
        assert_problem(message, 404, None).await;
        assert_problem(
            client.get(app.api("/nowhere")).send().await.unwrap(),
            404,
            None,
        )
        .await;
    }
}

#[tokio::test]
async fn the_same_external_message_opens_one_case() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let body = json!({"customer": {"name": "Cy", "phone": "+1 555 010 0200"}, "channel": "social", "subject": "DM", "body": "where is my refund", "external_id": "dm-1"});
        let first = client
            .post(app.api("/cases"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 201);
        let second = client
            .post(app.api("/cases"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(second.status(), 200);
        let (first, second): (Value, Value) =
            (first.json().await.unwrap(), second.json().await.unwrap());
        assert_eq!(first["id"], second["id"]);
        assert_eq!(app.counts().await.0, 1);
    }
}

#[tokio::test]
async fn the_queue_puts_the_most_urgent_first_and_pages_without_gaps() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let mut expected = Vec::new();
        for (i, priority) in ["low", "urgent", "normal", "high", "normal", "urgent", "low"]
            .iter()
            .enumerate()
        {
            app.clock.advance(1_000);
            let case = app
                .open_case(
                    &client,
                    &format!("C{i}"),
                    &format!("c{i}@example.com"),
                    priority,
                )
                .await;
            expected.push((rank(priority), i, case["id"].as_i64().unwrap()));
        }
        let done = app
            .open_case(&client, "Done", "done@example.com", "urgent")
            .await;
        client
            .patch(app.api(&format!("/cases/{}", done["id"])))
            .json(&json!({"status": "closed"}))
            .send()
            .await
            .unwrap();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let expected: Vec<i64> = expected.into_iter().map(|(_, _, id)| id).collect();

        app.clock.advance(2 * 3_600_000);
        let mut seen = Vec::new();
        let mut path = "/queue?limit=3".to_owned();
        let mut pages = 0;
        loop {
            let page: Value = client
                .get(app.api(&path))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            pages += 1;
            for item in page["items"].as_array().unwrap() {
                seen.push(item["id"].as_i64().unwrap());
                assert!(
                    item["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r == "waiting 2 h"),
                    "{item}"
                );
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/queue?limit=3&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, expected);
        assert_eq!(pages, 3);
        let first: Value = client
            .get(app.api("/queue?limit=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(first["items"][0]["reasons"][0], "urgent priority");
        assert_problem(
            client
                .get(app.api("/queue?cursor=bm90LWEtY3Vyc29y"))
                .send()
                .await
                .unwrap(),
            422,
            Some("cursor"),
        )
        .await;
    }
}

fn rank(priority: &str) -> usize {
    ["low", "normal", "high", "urgent"]
        .iter()
        .position(|p| *p == priority)
        .unwrap()
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = TestApp::spawn(amends_store::testing::TestDatabase::sqlite()).await;
    let document: Value = reqwest::get(app.api("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/cases",
        "/cases/{id}",
        "/cases/{id}/messages",
        "/queue",
        "/customers",
        "/customers/{id}",
        "/session",
        "/tokens",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(paths["/cases/{id}"].get("patch").is_some());
    assert!(document["components"]["schemas"]["OpenCaseRequest"].is_object());
    // Every answer and every field has a real schema: no untyped object anywhere.
    fn untyped(value: &Value, at: &str, found: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                let bare = fields.get("type").and_then(Value::as_str) == Some("object")
                    && !fields.contains_key("properties")
                    && !fields.contains_key("additionalProperties")
                    && !fields.contains_key("oneOf")
                    && !fields.contains_key("allOf");
                if bare {
                    found.push(at.to_owned());
                }
                for (key, inner) in fields {
                    untyped(inner, &format!("{at}/{key}"), found);
                }
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, inner)| untyped(inner, &format!("{at}/{i}"), found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    untyped(&document, "", &mut found);
    assert!(found.is_empty(), "untyped objects at {found:?}");
    for (schema, body) in [
        ("/cases/{id}/plan", "PlanView"),
        ("/jobs", "JobView"),
        ("/stats", "FiguresView"),
    ] {
        let answer = paths[schema]["get"]["responses"]["200"].to_string();
        assert!(answer.contains(body), "{schema} answers {answer}");
    }
}
