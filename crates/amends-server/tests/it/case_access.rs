//! Narrowed case access: an agent who may see only their own cases (and perhaps the unowned
//! ones) cannot list, find, open, change or export any other, by any route.

use amends_core::AgentRole;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{call, complaint, get, post, TestApp, PASSWORD};

fn case_ids(results: &Value, list: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = results[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["case"]["id"].as_i64().or(hit["id"].as_i64()).unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

async fn assign(app: &TestApp, client: &reqwest::Client, case: i64, owner: i64) {
    let url = app.api(&format!("/cases/{case}"));
    let (status, body) = call(client, Method::PATCH, url, Some(json!({"owner_id": owner}))).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_agent_with_narrowed_access_reaches_only_the_cases_in_sight() {
    for app in TestApp::each().await {
        let admin = app.admin().await;
        let created = admin
            .post(
                &app,
                "/agents",
                &json!({"email": "kim@desk.test", "name": "Kim", "role": "agent",
                        "password": PASSWORD, "case_access": "owned"}),
            )
            .await;
        assert_eq!(created.status(), 201);
        let kim: Value = created.json().await.unwrap();
        assert_eq!(kim["case_access"], "owned");
        let kim_id = kim["id"].as_i64().unwrap();
        let lee_id = app.add_agent("lee@desk.test", AgentRole::Agent).await;
        let narrow = |access: &str| {
            let request = admin
                .client
                .patch(app.api(&format!("/agents/{lee_id}")))
                .header("x-csrf-token", &admin.csrf)
                .json(&json!({ "case_access": access }));
            async move { request.send().await.unwrap() }
        };
        crate::helpers::assert_problem(narrow("mine").await, 422, Some("case_access")).await;
        let narrowed = narrow("owned_and_unowned").await;
        assert_eq!(narrowed.status(), 200);

        let boss = app.token_client(AgentRole::Supervisor).await;
        let body = "The parcel with my order is lost.";
        let kims = complaint(
            &app,
            &boss,
            "Ada Kettle",
            "Kettle parcel lost",
            body,
            "normal",
        )
        .await;
        let lees = complaint(
            &app,
            &boss,
            "Bo Teapot",
            "Teapot parcel lost",
            body,
            "normal",
        )
        .await;
        let nobodys = complaint(&app, &boss, "Cy Mug", "Mug parcel lost", body, "normal").await;
        assign(&app, &boss, kims, kim_id).await;
        assign(&app, &boss, lees, lee_id).await;
        let (status, fact) = post(
            &app,
            &boss,
            &format!("/cases/{lees}/facts"),
            json!({"text": "Sent on the 3rd"}),
        )
        .await;
        assert_eq!(status, 201, "{fact}");
        let bo_id = get(&app, &boss, &format!("/cases/{lees}")).await["customer_id"]
            .as_i64()
            .unwrap();

        let all = get(&app, &boss, "/search?q=parcel").await;
        assert_eq!(
            case_ids(&all, "cases"),
            [kims, lees, nobodys],
            "a supervisor sees all"
        );

        let kim = app.sign_in("kim@desk.test").await;
        let found = kim.get(&app, "/search?q=parcel").await;
        assert_eq!(case_ids(&found, "cases"), [kims]);
        let teapot = kim.get(&app, "/search?q=teapot").await;
        assert!(teapot["cases"].as_array().unwrap().is_empty());
        assert!(
            teapot["customers"].as_array().unwrap().is_empty(),
            "{teapot}"
        );
        let queue = kim.get(&app, "/queue").await;
        assert_eq!(case_ids(&queue, "items"), [kims], "{queue}");
        let customers = kim.get(&app, "/customers?q=teapot").await;
        assert!(customers["items"].as_array().unwrap().is_empty());
        let csv = kim
            .client
            .get(app.api("/export/cases.csv?q=parcel"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(csv.lines().count(), 2, "a header and Kim's case: {csv}");
        assert!(csv.contains("Kettle parcel lost"));

        let reach = |method: Method, path: String, body: Option<Value>| {
            let request = kim
                .client
                .request(method, app.api(&path))
                .header("x-csrf-token", &kim.csrf);
            let request = match body {
                Some(body) => request.json(&body),
                None => request,
            };
            async move { request.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(
            reach(Method::GET, format!("/cases/{kims}"), None).await,
            200
        );
        for (method, path, body) in [
            (Method::GET, format!("/cases/{lees}"), None),
            (Method::GET, format!("/cases/{nobodys}"), None),
            (Method::GET, format!("/cases/{lees}/audit"), None),
            (
                Method::POST,
                format!("/cases/{lees}/messages"),
                Some(json!({"direction": "outbound", "body": "Hello"})),
            ),
            (
                Method::PATCH,
                format!("/facts/{}", fact["id"]),
                Some(json!({"customer_confirmed": true})),
            ),
            (Method::GET, format!("/customers/{bo_id}"), None),
            (Method::GET, format!("/notices?case_id={lees}"), None),
            (
                Method::POST,
                format!("/cases/{kims}/merges"),
                Some(json!({"duplicate_id": lees})),
            ),
        ] {
            let shown = path.clone();
            assert_eq!(reach(method, path, body).await, 404, "{shown}");
        }
        let bulk = kim
            .post(
                &app,
                "/cases/bulk",
                &json!({"case_ids": [kims, lees], "status": "waiting_on_us"}),
            )
            .await;
        let problem = crate::helpers::assert_problem(bulk, 422, Some("case_ids[1]")).await;
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("does not exist"));
        let untouched = get(&app, &boss, &format!("/cases/{kims}")).await;
        assert_ne!(untouched["status"], "waiting_on_us", "nothing half-applied");
        let page = kim
            .client
            .get(format!("{}/cases/{lees}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 404, "the console's case page too");

        let lee = app.sign_in("lee@desk.test").await;
        let found = lee.get(&app, "/search?q=parcel").await;
        assert_eq!(
            case_ids(&found, "cases"),
            [lees, nobodys],
            "own and unowned"
        );

        assign(&app, &boss, lees, kim_id).await;
        let found = kim.get(&app, "/search?q=parcel").await;
        assert_eq!(
            case_ids(&found, "cases"),
            [kims, lees],
            "a case handed over comes in sight"
        );
        assert_eq!(
            reach(Method::GET, format!("/customers/{bo_id}"), None).await,
            200
        );
    }
}
