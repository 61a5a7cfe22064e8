use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, get, post, TestApp};

#[tokio::test]
async fn custom_fields_are_defined_checked_shown_and_searched() {
    for app in TestApp::each().await {
        let admin = app.token_client(AgentRole::Admin).await;
        let agent = app.token_client(AgentRole::Agent).await;
        let define = |body: Value| post(&app, &admin, "/custom-fields", body);
        let order =
            json!({"key": "order_number", "label": "Order number", "on": "case", "kind": "text"});
        let (status, _) = post(&app, &agent, "/custom-fields", order.clone()).await;
        assert_eq!(status, 403, "admins define fields");
        assert_eq!(define(order.clone()).await.0, 201);
        assert_eq!(define(order).await.0, 409);
        assert_eq!(
            define(json!({"key": "boxes", "label": "Boxes", "on": "case", "kind": "number"}))
                .await
                .0,
            201
        );
        assert_eq!(define(json!({"key": "warranty", "label": "Under warranty", "on": "case", "kind": "yes_no"})).await.0, 201);
        assert_eq!(define(json!({"key": "tier", "label": "Tier", "on": "customer", "kind": "one_of", "options": ["gold", "silver"]})).await.0, 201);
        let (status, problem) =
            define(json!({"key": "status", "label": "S", "on": "case", "kind": "text"})).await;
        assert_eq!((status, &problem["field"]), (422, &json!("key")));

        let opened = app
            .open_case(&agent, "Ivy", "ivy@example.com", "normal")
            .await;
        let id = opened["id"].as_i64().unwrap();
        let customer = opened["customer_id"].as_i64().unwrap();
        let put = |path: String, body: Value| {
            let request = agent.put(app.api(&path)).json(&body);
            async move { request.send().await.unwrap() }
        };
        let response = put(
            format!("/cases/{id}/fields"),
            json!({"fields": {"order_number": "A-123", "boxes": 3, "warranty": true}}),
        )
        .await;
        assert_eq!(response.status(), 200);
        let saved: Value = response.json().await.unwrap();
        assert_eq!(
            saved["fields"],
            json!({"boxes": 3, "order_number": "A-123", "warranty": true})
        );
        let wrong = put(
            format!("/cases/{id}/fields"),
            json!({"fields": {"boxes": "three"}}),
        )
        .await;
        let problem = assert_problem(wrong, 422, Some("fields.boxes")).await;
        assert!(problem["detail"].as_str().unwrap().contains("number"));
        let unknown = put(
            format!("/cases/{id}/fields"),
            json!({"fields": {"tier": "gold"}}),
        )
        .await;
        assert_problem(unknown, 422, Some("fields.tier")).await;
        let response = put(
            format!("/customers/{customer}/fields"),
            json!({"fields": {"tier": "gold"}}),
        )
        .await;
        assert_eq!(response.status(), 200);
        let odd = put(
            format!("/customers/{customer}/fields"),
            json!({"fields": {"tier": "bronze"}}),
        )
        .await;
        assert_problem(odd, 422, Some("fields.tier")).await;

        let case = get(&app, &agent, &format!("/cases/{id}")).await;
        assert_eq!(case["fields"]["boxes"], 3);
        let person = get(&app, &agent, &format!("/customers/{customer}")).await;
        assert_eq!(person["fields"], json!({"tier": "gold"}));
        let trail = get(&app, &agent, &format!("/cases/{id}/audit"))
            .await
            .to_string();
        assert!(trail.contains("case.fields_changed") && trail.contains("fields.order_number"));

        let other = app
            .open_case(&agent, "Jon", "jon@example.com", "normal")
            .await;
        let ids = |found: &Value| -> Vec<i64> {
            found["cases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["case"]["id"].as_i64().unwrap())
                .collect()
        };
        for q in [
            "order_number:A-123",
            "tier:gold",
            "warranty:yes",
            "boxes:3.0 order",
        ] {
            let found = get(
                &app,
                &agent,
                &format!("/search?q={}", q.replace(' ', "%20")),
            )
            .await;
            assert_eq!(ids(&found), [id], "{q}");
        }
        assert!(!ids(&get(&app, &agent, "/search?q=order").await).is_empty());
        assert_ne!(other["id"].as_i64(), Some(id));
        for q in ["colour:red", "boxes:many"] {
            let response = agent
                .get(app.api(&format!("/search?q={q}")))
                .send()
                .await
                .unwrap();
            assert_problem(response, 422, Some("q")).await;
        }
        let queue = get(&app, &agent, "/queue?field=tier:gold").await;
        let queued: Vec<i64> = queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert_eq!(queued, [id], "the queue filters by a custom field too");
        let response = agent
            .get(app.api("/queue?field=tier:bronze"))
            .send()
            .await
            .unwrap();
        assert_problem(response, 422, Some("field")).await;
        let cleared = put(
            format!("/cases/{id}/fields"),
            json!({"fields": {"boxes": null}}),
        )
        .await;
        let cleared: Value = cleared.json().await.unwrap();
        assert!(cleared["fields"].get("boxes").is_none());
    }
}
