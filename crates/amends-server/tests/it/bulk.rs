use amends_core::AgentRole;
use serde_json::json;

use crate::helpers::{get, post, TestApp};

#[tokio::test]
async fn many_cases_change_at_once_or_not_at_all() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let lee = app.add_agent("lee@desk.test", AgentRole::Agent).await;
        let mut ids = Vec::new();
        for name in ["Ann", "Bo", "Cy"] {
            let case = app
                .open_case(
                    &client,
                    name,
                    &format!("{}@example.com", name.to_lowercase()),
                    "normal",
                )
                .await;
            ids.push(case["id"].as_i64().unwrap());
        }
        let (status, done) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": ids, "owner_id": lee, "status": "open", "add_tags": ["Batch 7"]}),
        )
        .await;
        assert_eq!(status, 200, "{done}");
        for (case, id) in done["cases"].as_array().unwrap().iter().zip(&ids) {
            assert_eq!(
                (
                    case["id"].as_i64(),
                    case["owner_id"].as_i64(),
                    case["status"].as_str()
                ),
                (Some(*id), Some(lee), Some("open"))
            );
        }
        let tagged = get(&app, &client, "/search?q=tag:batch-7").await;
        assert_eq!(tagged["cases"].as_array().unwrap().len(), 3);
        let trail = get(&app, &client, &format!("/cases/{}/audit", ids[1]))
            .await
            .to_string();
        assert!(trail.contains("case.changed") && trail.contains("case.tagged"));

        // One case cannot take the change (a closed case is only reopened): nothing changes.
        let (status, _) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[0]], "status": "closed"}),
        )
        .await;
        assert_eq!(status, 200);
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[1], ids[0]], "status": "waiting_on_customer", "unassign": true}),
        )
        .await;
        assert_eq!(
            (status, &problem["field"]),
            (422, &json!("case_ids[1]")),
            "{problem}"
        );
        let untouched = get(&app, &client, &format!("/cases/{}", ids[1])).await;
        assert_eq!(
            untouched["owner_id"].as_i64(),
            Some(lee),
            "nothing half-applied"
        );
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[1], 999_999]}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("case_ids[1]")));
        let (status, problem) = post(
            &app,
            &client,
            "/cases/bulk",
            json!({"case_ids": [ids[1], ids[1]]}),
        )
        .await;
        assert_eq!((status, &problem["field"]), (422, &json!("case_ids[1]")));
        let (status, _) = post(&app, &client, "/cases/bulk", json!({"case_ids": []})).await;
        assert_eq!(status, 422);
    }
}
