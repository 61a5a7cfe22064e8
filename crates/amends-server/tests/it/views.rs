use amends_core::AgentRole;
use serde_json::{json, Value};

use crate::helpers::{get, post, TestApp};

fn named<'a>(views: &'a Value, name: &str) -> Option<&'a Value> {
    views.as_array().unwrap().iter().find(|v| v["name"] == name)
}

#[tokio::test]
async fn views_are_saved_counted_shared_and_removed() {
    for app in TestApp::each().await {
        let ann = app.token_client(AgentRole::Agent).await;
        let bo = app.token_client(AgentRole::Agent).await;
        let boss = app.token_client(AgentRole::Supervisor).await;
        for name in ["Kit", "Lou"] {
            app.open_case(
                &ann,
                name,
                &format!("{}@example.com", name.to_lowercase()),
                "normal",
            )
            .await;
        }
        let (status, mine) = post(
            &app,
            &ann,
            "/views",
            json!({"name": "Email", "path": "/queue?channel=email"}),
        )
        .await;
        assert_eq!((status, mine["count"].as_i64()), (201, Some(2)), "{mine}");
        let (status, search) = post(
            &app,
            &ann,
            "/views",
            json!({"name": "Orders", "path": "/search?q=order%20channel:email", "shared": true}),
        )
        .await;
        assert_eq!(
            (status, search["count"].as_i64()),
            (201, Some(2)),
            "{search}"
        );
        let (status, _) = post(
            &app,
            &ann,
            "/views",
            json!({"name": "Email", "path": "/queue"}),
        )
        .await;
        assert_eq!(status, 409, "names are unique per agent");
        for path in [
            "https://evil.example/queue",
            "/cases/1",
            "/queue?flag=nonsense",
            "/search?q=status:lost",
        ] {
            let (status, problem) =
                post(&app, &ann, "/views", json!({"name": "Bad", "path": path})).await;
            assert_eq!(
                (status, &problem["field"]),
                (422, &json!("path")),
                "{path}: {problem}"
            );
        }

        app.open_case(&bo, "Max", "max@example.com", "normal").await;
        let seen = get(&app, &bo, "/views").await;
        assert!(
            named(&seen, "Email").is_none(),
            "a personal view is its owner's"
        );
        let shared = named(&seen, "Orders").unwrap();
        assert_eq!(
            (shared["count"].as_i64(), shared["mine"].as_bool()),
            (Some(3), Some(false)),
            "counted now"
        );
        let id = shared["id"].as_i64().unwrap();
        let refused = bo
            .delete(app.api(&format!("/views/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        let removed = boss
            .delete(app.api(&format!("/views/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(removed.status(), 204);
        assert!(named(&get(&app, &ann, "/views").await, "Orders").is_none());
    }
}

async fn import(app: &TestApp, client: &reqwest::Client, csv: &str) -> (u16, Value) {
    let response = client
        .post(app.api("/import/customers"))
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn customers_are_imported_from_csv_whole_or_not_at_all() {
    for app in TestApp::each().await {
        let boss = app.token_client(AgentRole::Supervisor).await;
        let admin = app.token_client(AgentRole::Admin).await;
        let (status, _) = post(&app, &admin, "/custom-fields", json!({"key": "tier", "label": "Tier", "on": "customer", "kind": "one_of", "options": ["gold", "silver"]})).await;
        assert_eq!(status, 201);
        let before = get(&app, &boss, "/customers?limit=200").await["items"]
            .as_array()
            .unwrap()
            .len();

        let bad = "name,email,phone,field:tier\nAnn Bell,ann@example.com,,gold\nBo,not-an-email,,\nCy,cy@example.com,,bronze\n,nobody@example.com,,\n";
        let (status, problem) = import(&app, &boss, bad).await;
        assert_eq!(
            (status, &problem["field"]),
            (422, &json!("line 3")),
            "{problem}"
        );
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("line 3: email")
                && detail.contains("line 4: fields.tier")
                && detail.contains("line 5: name"),
            "{detail}"
        );
        let after = get(&app, &boss, "/customers?limit=200").await["items"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(after, before, "nothing half-applied");

        let good = "Name,Email,Phone,Tags,field:tier,notes\n\"Bell, Ann\",ann@example.com;ann@work.example,+44 20 7946 0958,vip;late,gold,\"said \"\"hi\"\"\"\nBo Day,bo@example.com,,,,\n";
        let (status, done) = import(&app, &boss, good).await;
        assert_eq!(
            (status, done["imported"].as_i64()),
            (201, Some(2)),
            "{done}"
        );
        let ann = done["customer_ids"][0].as_i64().unwrap();
        let detail = get(&app, &boss, &format!("/customers/{ann}")).await;
        assert_eq!(detail["name"], "Bell, Ann");
        assert_eq!(
            detail["emails"],
            json!(["ann@example.com", "ann@work.example"])
        );
        assert_eq!(
            (detail["tags"].clone(), detail["fields"].clone()),
            (json!(["late", "vip"]), json!({"tier": "gold"}))
        );
        assert_eq!(detail["notes"], "said \"hi\"");
        let found = get(&app, &boss, "/search?q=020%207946%200958").await;
        assert_eq!(found["customers"][0]["id"].as_i64(), Some(ann));

        let (status, problem) = import(&app, &boss, "name,email\nAgain,bo@example.com\n").await;
        assert_eq!(
            (status, &problem["field"]),
            (422, &json!("line 2")),
            "an address already on file"
        );
        let (status, problem) = import(&app, &boss, "name,shoe_size\nX,42\n").await;
        assert_eq!((status, &problem["field"]), (422, &json!("line 1")));
        let agent = app.token_client(AgentRole::Agent).await;
        assert_eq!(import(&app, &agent, good).await.0, 403);
    }
}
