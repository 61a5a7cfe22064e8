//! Cases opened at the same moment share commits (group commit) on both backends, and every
//! request must get exactly what it would have got alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on should stop right there

use std::collections::{HashMap, HashSet};

use amends_core::audit::{Actor, AuditContext};
use amends_core::case::NewCase;
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::message::Reading;
use amends_core::{Channel, EmailAddress, Priority, Timestamp};
use amends_store::testing::TestDatabase;
use amends_store::{OpenCase, OpenedCase, Store, StoreError};

fn request(name: &str, email: &str) -> OpenCase {
    let mut customer = NewCustomer::named(CustomerName::parse("name", name).unwrap());
    customer.emails = vec![EmailAddress::parse("email", email).unwrap()];
    OpenCase {
        customer,
        case: NewCase {
            channel: Channel::Email,
            subject: format!("{name}'s order"),
            body: format!("Where is the order for {email}?"),
            priority: Priority::Normal,
        },
        body_html: None,
        external_id: None,
        reading: None,
    }
}

fn from(i: usize) -> AuditContext {
    AuditContext {
        actor: Actor::System,
        at: Timestamp(1_000 + i64::try_from(i).unwrap()),
        remote_addr: Some(format!("10.0.0.{i}")),
    }
}

/// Opens every request at once, each from its own task, and returns the answers in order.
async fn all_at_once(
    store: &Store,
    requests: Vec<OpenCase>,
) -> Vec<Result<OpenedCase, StoreError>> {
    let tasks: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, request)| {
            let store = store.clone();
            tokio::spawn(async move { store.open_case(&request, &from(i)).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

async fn fresh(database: &TestDatabase) -> Store {
    let store = Store::connect(&database.url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_cases_is_filed_as_if_one_by_one() {
    for database in TestDatabase::each().await {
        eprintln!("burst on {:?}", database.backend());
        let store = fresh(&database).await;
        // Twenty customers, each writing twice at the same moment; some of them angry.
        let requests: Vec<OpenCase> = (0..40)
            .map(|i| {
                let n = i % 20;
                let mut request = request(&format!("Customer {n}"), &format!("c{n}@example.com"));
                if i % 7 == 0 {
                    request.reading = Some(Reading {
                        anger_permille: 900,
                        abusive: false,
                        churn_threat: true,
                        assessment_json: "{}".to_owned(),
                    });
                }
                request
            })
            .collect();
        let answers = all_at_once(&store, requests).await;
        let opened: Vec<OpenedCase> = answers.into_iter().map(Result::unwrap).collect();

        let case_ids: HashSet<i64> = opened.iter().map(|o| o.case.id).collect();
        assert_eq!(case_ids.len(), 40, "every request has its own case");
        let mut customer_of: HashMap<String, i64> = HashMap::new();
        let mut created = 0;
        for (i, o) in opened.iter().enumerate() {
            assert!(o.created);
            let email = format!("c{}@example.com", i % 20);
            let customer_id = *customer_of
                .entry(email.clone())
                .or_insert(o.case.customer_id);
            assert_eq!(o.case.customer_id, customer_id, "{email} is one customer");
            created += usize::from(o.customer_created);
            assert_eq!(o.message.case_id, o.case.id);
            assert_eq!(o.message.body, format!("Where is the order for {email}?"));
            assert_eq!(
                o.case.opened_at,
                Timestamp(1_000 + i64::try_from(i).unwrap())
            );
            if i % 7 == 0 {
                assert_eq!(o.case.anger_permille, 900);
                assert!(o.case.churn_threat);
            } else {
                assert!(!o.case.churn_threat);
            }
            // What was answered is what is stored.
            assert_eq!(store.case(o.case.id).await.unwrap(), o.case);
            assert_eq!(
                store.case_messages(o.case.id).await.unwrap(),
                vec![o.message.clone()]
            );
            // Each case's audit entry carries its own request's address.
            let trail = store.audit_trail("case", o.case.id).await.unwrap();
            assert_eq!(trail[0].action, "case.opened");
            assert_eq!(
                trail[0].remote_addr.as_deref(),
                Some(format!("10.0.0.{i}").as_str())
            );
        }
        assert_eq!(created, 20, "each customer was created exactly once");
        let customers = store.search_customers(None, None, 0, 100).await.unwrap();
        assert_eq!(customers.customers.len(), 20);
        for customer in &customers.customers {
            assert_eq!(
                store.customer_cases(customer.id, 10).await.unwrap().len(),
                2
            );
            let trail = store.audit_trail("customer", customer.id).await.unwrap();
            let creations = trail.iter().filter(|e| e.action == "customer.created");
            assert_eq!(creations.count(), 1);
        }
        assert!(
            store.shared_commits() > 0,
            "forty cases at once shared no commit on {:?}",
            database.backend()
        );

        // A case opened afterwards, alone, continues the numbering without reuse.
        let later = store
            .open_case(&request("Later", "later@example.com"), &from(99))
            .await
            .unwrap();
        assert!(later.case.id > *case_ids.iter().max().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refused_case_does_not_take_its_neighbours_down() {
    for database in TestDatabase::each().await {
        eprintln!("refusal on {:?}", database.backend());
        let store = fresh(&database).await;
        let mut holder = request("Holder", "holder@example.com");
        holder.customer.social_handles = vec!["x:@taken".to_owned()];
        store.open_case(&holder, &from(0)).await.unwrap();

        // Fifteen new customers at once; one of them claims a handle another customer holds.
        let requests: Vec<OpenCase> = (0..15)
            .map(|i| {
                let mut request = request(&format!("New {i}"), &format!("new{i}@example.com"));
                if i == 7 {
                    request.customer.social_handles = vec!["x:@taken".to_owned()];
                }
                request
            })
            .collect();
        let answers = all_at_once(&store, requests).await;
        for (i, answer) in answers.iter().enumerate() {
            if i == 7 {
                assert!(
                    matches!(answer, Err(StoreError::Conflict { .. })),
                    "{answer:?}"
                );
            } else {
                assert!(answer.as_ref().unwrap().created, "{i}: {answer:?}");
            }
        }
        // The refused one left nothing behind: no customer, no case.
        let found = store
            .search_customers(Some("new7@"), None, 0, 10)
            .await
            .unwrap();
        assert!(found.customers.is_empty());
        let all = store.search_customers(None, None, 0, 100).await.unwrap();
        assert_eq!(
            all.customers.len(),
            15,
            "the holder and fourteen new customers"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_delivered_many_times_at_once_opens_one_case() {
    for database in TestDatabase::each().await {
        eprintln!("webhook on {:?}", database.backend());
        let store = fresh(&database).await;
        let requests: Vec<OpenCase> = (0..20)
            .map(|i| {
                if i % 2 == 0 {
                    let mut webhook = request("Hook", "hook@example.com");
                    webhook.case.channel = Channel::Social;
                    webhook.external_id = Some("dm-42".to_owned());
                    webhook
                } else {
                    request(&format!("Plain {i}"), &format!("plain{i}@example.com"))
                }
            })
            .collect();
        let answers: Vec<OpenedCase> = all_at_once(&store, requests)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let hooks: Vec<&OpenedCase> = answers.iter().step_by(2).collect();
        let ids: HashSet<i64> = hooks.iter().map(|o| o.case.id).collect();
        assert_eq!(ids.len(), 1, "one case for the one message");
        assert_eq!(hooks.iter().filter(|o| o.created).count(), 1);
        let case_id = *ids.iter().next().unwrap();
        assert_eq!(store.case_messages(case_id).await.unwrap().len(), 1);
        let plain: HashSet<i64> = answers
            .iter()
            .skip(1)
            .step_by(2)
            .map(|o| o.case.id)
            .collect();
        assert_eq!(plain.len(), 10);
        assert!(!plain.contains(&case_id));
    }
}
