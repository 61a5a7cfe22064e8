//! Every kind of bad request gets a 4xx problem naming what is wrong, and writes nothing.

use amends_core::AgentRole;
use serde_json::json;

use crate::helpers::{assert_problem, TestApp};

fn valid_case() -> serde_json::Value {
    json!({"customer": {"name": "Eve", "email": "eve@example.com"}, "channel": "email", "subject": "Late", "body": "Still waiting."})
}

#[tokio::test]
async fn bad_case_requests_are_4xx_and_write_nothing() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let before = app.counts().await;
        let post = |body: Vec<u8>, content_type: &'static str| {
            let request = client
                .post(app.api("/cases"))
                .header("content-type", content_type)
                .body(body);
            async move { request.send().await.unwrap() }
        };
        let json_bytes = |value: serde_json::Value| serde_json::to_vec(&value).unwrap();

        let mut unknown = valid_case();
        unknown["colour"] = json!("blue");
        assert_problem(
            post(json_bytes(unknown), "application/json").await,
            400,
            Some("colour"),
        )
        .await;

        let mut nested_unknown = valid_case();
        nested_unknown["customer"]["age"] = json!(41);
        assert_problem(
            post(json_bytes(nested_unknown), "application/json").await,
            400,
            Some("customer.age"),
        )
        .await;

        let mut wrong_type = valid_case();
        wrong_type["customer"]["name"] = json!(42);
        assert_problem(
            post(json_bytes(wrong_type), "application/json").await,
            400,
            Some("customer.name"),
        )
        .await;

        let mut missing = valid_case();
        missing.as_object_mut().unwrap().remove("body");
        assert_problem(
            post(json_bytes(missing), "application/json").await,
            400,
            None,
        )
        .await;

        let mut invalid_utf8 = b"{\"customer\": {\"name\": \"".to_vec();
        invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xc3]);
        invalid_utf8.extend_from_slice(
            b"\"}, \"channel\": \"email\", \"subject\": \"s\", \"body\": \"b\"}",
        );
        assert_problem(post(invalid_utf8, "application/json").await, 400, None).await;

        assert_problem(
            post(b"{\"customer\": ".to_vec(), "application/json").await,
            400,
            None,
        )
        .await;
        assert_problem(
            post(
                json_bytes(valid_case())
                    .into_iter()
                    .chain(*b" {}")
                    .collect(),
                "application/json",
            )
            .await,
            400,
            None,
        )
        .await;
        assert_problem(
            post(json_bytes(valid_case()), "text/plain").await,
            415,
            None,
        )
        .await;

        let mut huge = valid_case();
        huge["body"] = json!("a".repeat(65 * 1024));
        assert_problem(post(json_bytes(huge), "application/json").await, 413, None).await;

        for (field, value, path) in [
            ("channel", json!("pigeon"), "channel"),
            ("priority", json!("whenever"), "priority"),
            ("subject", json!("   "), "subject"),
            ("body", json!("\u{0}\u{1}"), "body"),
        ] {
            let mut bad = valid_case();
            bad[field] = value;
            assert_problem(
                post(json_bytes(bad), "application/json").await,
                422,
                Some(path),
            )
            .await;
        }
        let mut bad_email = valid_case();
        bad_email["customer"]["email"] = json!("eve at example");
        assert_problem(
            post(json_bytes(bad_email), "application/json").await,
            422,
            Some("customer.email"),
        )
        .await;
        let mut bad_phone = valid_case();
        bad_phone["customer"]["phone"] = json!("call me maybe");
        assert_problem(
            post(json_bytes(bad_phone), "application/json").await,
            422,
            Some("customer.phone"),
        )
        .await;

        assert_eq!(app.counts().await, before, "no bad request wrote anything");
        assert!(app
            .store
            .search_customers(Some("eve"), None, 0, 10)
            .await
            .unwrap()
            .customers
            .is_empty());
        assert_eq!(
            post(json_bytes(valid_case()), "application/json")
                .await
                .status(),
            201
        );
    }
}

#[tokio::test]
async fn bad_paths_queries_and_changes_are_4xx() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let case = app
            .open_case(&client, "Fay", "fay@example.com", "normal")
            .await;
        let id = case["id"].as_i64().unwrap();
        assert_problem(
            client
                .get(app.api("/cases/not-a-number"))
                .send()
                .await
                .unwrap(),
            400,
            Some("path"),
        )
        .await;
        assert_problem(
            client
                .get(app.api("/queue?limit=many"))
                .send()
                .await
                .unwrap(),
            400,
            Some("query"),
        )
        .await;
        assert_problem(
            client
                .get(app.api("/queue?limit=500"))
                .send()
                .await
                .unwrap(),
            422,
            Some("limit"),
        )
        .await;
        assert_problem(
            client.get(app.api("/queue?sort=asc")).send().await.unwrap(),
            400,
            Some("query"),
        )
        .await;
        let patch = |body: serde_json::Value| {
            client
                .patch(app.api(&format!("/cases/{id}")))
                .json(&body)
                .send()
        };
        assert_problem(
            patch(json!({"status": "bogus"})).await.unwrap(),
            422,
            Some("status"),
        )
        .await;
        assert_problem(
            patch(json!({"owner_id": 999_999})).await.unwrap(),
            422,
            Some("owner_id"),
        )
        .await;
        assert_problem(
            patch(json!({"owner_id": "me"})).await.unwrap(),
            400,
            Some("owner_id"),
        )
        .await;
        assert_problem(
            patch(json!({"first_contact_resolution": true}))
                .await
                .unwrap(),
            422,
            Some("first_contact_resolution"),
        )
        .await;
        let message = client
            .post(app.api(&format!("/cases/{id}/messages")))
            .json(&json!({"direction": "sideways", "body": "x"}))
            .send()
            .await
            .unwrap();
        assert_problem(message, 422, Some("direction")).await;
        let trail = app.store.audit_trail("case", id).await.unwrap();
        assert_eq!(trail.len(), 1, "only the opening is recorded");
        assert_eq!(app.store.case_messages(id).await.unwrap().len(), 1);
    }
}
