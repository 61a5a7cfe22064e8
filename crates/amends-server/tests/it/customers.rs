use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, TestApp};

#[tokio::test]
async fn customers_are_created_found_and_paged() {
    for app in TestApp::each().await {
        let client = app.token_client(AgentRole::Agent).await;
        let created = client
            .post(app.api("/customers"))
            .json(&json!({
                "name": "Grace Hopper", "emails": ["Grace@Navy.mil"], "phones": ["+1 (555) 010-0199"],
                "social_handles": ["twitter:@grace"], "revenue_to_date_minor": 129_900, "currency": "EUR",
                "plan": "business", "billing_day": 15, "invoice_dates": ["2026-11-01T00:00:00Z"], "notes": "Long-standing customer."
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let grace: Value = created.json().await.unwrap();
        assert_eq!(grace["emails"], json!(["grace@navy.mil"]));
        assert_eq!(grace["phones"], json!(["+15550100199"]));
        assert_eq!(grace["billing_day"], 15);
        assert_eq!(grace["invoice_dates"], json!(["2026-11-01T00:00:00Z"]));

        let case = client.post(app.api("/cases")).json(&json!({"customer": {"name": "G. Hopper", "phone": "+15550100199"}, "channel": "phone", "subject": "Invoice wrong", "body": "The invoice is wrong."})).send().await.unwrap();
        let case: Value = case.json().await.unwrap();
        assert_eq!(case["customer_id"], grace["id"], "found by phone");
        let detail: Value = client
            .get(app.api(&format!("/customers/{}", grace["id"])))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(detail["cases"][0]["id"], case["id"]);

        for i in 0..5 {
            client
                .post(app.api("/customers"))
                .json(&json!({"name": format!("Hopper Fan {i}")}))
                .send()
                .await
                .unwrap();
        }
        let found: Value = client
            .get(app.api("/customers?q=NAVY.mil"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(found["items"].as_array().unwrap().len(), 1);
        let mut names = Vec::new();
        let mut path = "/customers?q=hopper&limit=4".to_owned();
        loop {
            let page: Value = client
                .get(app.api(&path))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            names.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/customers?q=hopper&limit=4&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(names.len(), 6);
        assert_eq!(names[0], "Grace Hopper");

        let taken = client
            .post(app.api("/customers"))
            .json(&json!({"name": "Imposter", "emails": ["grace@navy.mil"]}))
            .send()
            .await
            .unwrap();
        assert_problem(taken, 409, Some("contact")).await;
        let none: Value = client
            .get(app.api("/customers?q=imposter"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(none["items"].as_array().unwrap().is_empty());
    }
}
