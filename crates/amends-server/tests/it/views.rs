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
