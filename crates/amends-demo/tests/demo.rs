//! The demo desk the README's first command fills: on each backend, a fresh database gets a
//! team, customers and cases in every state with the recovery records that go with them, and a
//! database that already has agents is left alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on should stop right there

use amends_core::{CaseStatus, Timestamp};
use amends_store::testing::TestDatabase;
use amends_store::Store;

#[tokio::test]
async fn a_fresh_desk_is_filled_once_with_cases_in_every_state() {
    for database in TestDatabase::each().await {
        let store = Store::connect(&database.url).await.unwrap();
        store.migrate().await.unwrap();
        let now = Timestamp(1_795_338_000_000);
        let login = amends_demo::fill_if_empty(
            &store,
            now,
            "not-a-real-hash",
            60,
            amends_server::read_message,
        )
        .await
        .unwrap();
        assert!(
            login.note.starts_with("filled a demo desk"),
            "{}",
            login.note
        );
        let cases = store.count_cases().await.unwrap();
        assert!(cases >= 60, "{cases}");
        let mut statuses = std::collections::HashSet::new();
        let mut promises = 0;
        let mut compensation = 0;
        let mut angry = 0;
        for id in 1..=cases {
            let case = store.case(id).await.unwrap();
            statuses.insert(case.status);
            promises += store.case_promises(id).await.unwrap().len();
            compensation += store.compensation(Some(id)).await.unwrap().len();
            angry += usize::from(case.anger_permille >= 600);
        }
        for status in [
            CaseStatus::New,
            CaseStatus::Open,
            CaseStatus::Resolved,
            CaseStatus::Closed,
        ] {
            assert!(
                statuses.contains(&status),
                "no {status:?} case in {statuses:?}"
            );
        }
        assert!(
            promises > 0 && compensation > 0 && angry > 0,
            "{promises} {compensation} {angry}"
        );
        let public = store
            .articles(amends_core::knowledge::Readers::Public, 50)
            .await
            .unwrap();
        assert!(
            public.len() >= 5,
            "the help centre has articles: {}",
            public.len()
        );
        let found = store
            .search_articles(
                "where is my parcel",
                amends_core::knowledge::Readers::Public,
                3,
            )
            .await
            .unwrap();
        assert_eq!(found[0].0.title, "Tracking your parcel");
        let incidents = store
            .incidents(now.plus_millis(-30 * 86_400_000))
            .await
            .unwrap();
        assert_eq!(incidents.len(), 2, "one open incident and one fixed");
        let open = &incidents[0];
        assert_eq!(open.status, amends_core::incident::IncidentStatus::Open);
        let counts = store.incident_counts(open).await.unwrap();
        assert!(counts.affected > 0, "the open incident affects customers");
        let notices = store.incident_notice_counts(open.id).await.unwrap();
        assert!(
            notices
                .iter()
                .any(|(status, n)| status == "queued" && *n > 0),
            "{notices:?}"
        );
        let again = amends_demo::fill_if_empty(&store, now, "x", 60, amends_server::read_message)
            .await
            .unwrap();
        assert!(again.note.contains("no demo data was added"));
        assert_eq!(store.count_cases().await.unwrap(), cases);
    }
}
