//! The story's chapter on incidents: a segment of customers chosen by plan, every one queued a
//! notice and a job by the transaction that sends the update (once, however often it is sent),
//! customers without an address counted as unreachable, a matching case linked, the close
//! scheduling the follow-up, and the figures counting who was warned before they wrote.

use amends_core::audit::{Actor, AuditContext};
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::incident::{IncidentDraft, IncidentStatus, RawDeclaration, Segment};
use amends_core::job::Job;
use amends_core::{EmailAddress, Timestamp};
use amends_store::{ImportedCustomer, JobEffect, Store, StoreError};

const T0: i64 = 1_900_000_000_000;

fn at(millis: i64) -> AuditContext {
    AuditContext {
        actor: Actor::System,
        at: Timestamp(millis),
        remote_addr: None,
    }
}

async fn customers(store: &Store, plan: &str, count: usize, with_email: bool) -> Vec<i64> {
    let rows: Vec<ImportedCustomer> = (0..count)
        .map(|i| {
            let name = format!("{plan} customer {i}");
            let mut customer = NewCustomer::named(CustomerName::parse("name", &name).unwrap());
            customer.plan = Some(plan.to_owned());
            if with_email {
                let address = format!("{}.{i}@incident.example", plan.to_lowercase());
                customer.emails = vec![EmailAddress::parse("email", &address).unwrap()];
            }
            ImportedCustomer {
                line: i + 2,
                customer,
                tags: Vec::new(),
                fields: Vec::new(),
            }
        })
        .collect();
    let event = |id| amends_core::events::customer_created(id);
    store.import_customers(&rows, &at(T0), event).await.unwrap()
}

fn declaration() -> IncidentDraft {
    let raw = RawDeclaration {
        title: "Card payments failing".into(),
        summary: "Card payments at checkout fail for Business customers.".into(),
        started_at: String::new(),
        doing: "Our payment provider is restoring service.".into(),
        next_update_at: Timestamp(T0 + 3_600_000).to_rfc3339(),
        key_words: "payment, checkout".into(),
    };
    IncidentDraft::parse(&raw, Timestamp(T0)).unwrap()
}

async fn notice_jobs(store: &Store) -> Vec<amends_store::JobRecord> {
    let due = store
        .claim_due_jobs("story", Timestamp(T0 + 100_000), 60_000, 100_000)
        .await
        .unwrap();
    due.into_iter()
        .filter(|job| matches!(job.work(), Ok(Job::IncidentNotice(_))))
        .collect()
}

pub(crate) async fn incidents_warn_the_affected_once(store: &Store) {
    let business = customers(store, "Business", 40, true).await;
    customers(store, "Business", 3, false).await;
    customers(store, "Starter", 10, true).await;
    let id = store
        .declare_incident(&declaration(), &at(T0))
        .await
        .unwrap();
    let segment = Segment::parse(Some("Business"), &[]).unwrap();
    assert_eq!(
        store
            .affect_segment(id, &segment, &at(T0 + 1))
            .await
            .unwrap(),
        43
    );
    // Choosing the same customers again adds nobody twice.
    assert_eq!(
        store
            .affect_segment(id, &segment, &at(T0 + 2))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .affect_customers(id, &business[..5], &at(T0 + 3))
            .await
            .unwrap(),
        0
    );

    assert_eq!(
        store
            .send_incident_notice(id, &at(T0 + 60_000))
            .await
            .unwrap(),
        40
    );
    // Sent again, nobody hears it twice.
    assert_eq!(
        store
            .send_incident_notice(id, &at(T0 + 61_000))
            .await
            .unwrap(),
        0
    );
    let counts = store.incident_notice_counts(id).await.unwrap();
    assert_eq!(
        counts,
        vec![("queued".to_owned(), 40), ("unreachable".to_owned(), 3)]
    );
    let jobs = notice_jobs(store).await;
    assert_eq!(jobs.len(), 40, "one durable job per notice");

    // Sending one marks the incident's first notice; completing it twice writes it once.
    let first = &jobs[0];
    let Ok(Job::IncidentNotice(send)) = first.work() else {
        panic!("an incident notice job");
    };
    let notice = store.incident_notice(send.notice_id).await.unwrap();
    assert_eq!(notice.title, "Card payments failing");
    assert_eq!(notice.kind, "declared");
    assert!(notice.to_address.unwrap().ends_with("@incident.example"));
    let sent = JobEffect::IncidentNoticeSent {
        notice_id: send.notice_id,
        held: true,
        message_id: "<n1@desk>".into(),
    };
    store
        .complete_job(first, "story", &sent, &at(T0 + 120_000))
        .await
        .unwrap();
    let incident = store.incident(id).await.unwrap();
    assert_eq!(incident.first_notice_at, Some(Timestamp(T0 + 120_000)));

    // A case from an affected customer is linked once; the figures count who wrote after the
    // warning.
    let case = open_case_for(store, business[1]).await;
    assert!(store
        .link_case(case, id, "wrote about payment", &at(T0 + 200_000))
        .await
        .unwrap());
    assert!(!store
        .link_case(case, id, "again", &at(T0 + 200_001))
        .await
        .unwrap());
    assert_eq!(store.incidents_of_case(case).await.unwrap().len(), 1);
    assert_eq!(store.open_incidents_of(business[1]).await.unwrap().len(), 1);
    let counts = store.incident_counts(&incident).await.unwrap();
    assert_eq!(counts.affected, 43);
    assert_eq!(counts.warned, 1);
    assert_eq!(counts.unreachable, 3);
    assert_eq!(counts.linked_cases, 1);
    assert_eq!(counts.wrote_in, 1);

    // The close goes to everyone and schedules the follow-up; a closed incident takes no update.
    let posted = store
        .post_incident_update(id, "Payments work again.", None, &at(T0 + 300_000))
        .await
        .unwrap();
    assert_eq!(posted.queued, 40);
    assert_eq!(
        store.incident(id).await.unwrap().status,
        IncidentStatus::Resolved
    );
    let refused = store
        .post_incident_update(
            id,
            "More.",
            Some(Timestamp(T0 + 400_000)),
            &at(T0 + 300_001),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Conflict { .. })));
    store
        .unlink_case(case, id, &at(T0 + 300_002))
        .await
        .unwrap();
    assert!(store.incidents_of_case(case).await.unwrap().is_empty());
}

async fn open_case_for(store: &Store, customer_id: i64) -> i64 {
    let customer = store.customer(customer_id).await.unwrap();
    let mut request = super::open_request(&customer.name, None, amends_core::Priority::Normal);
    request.case.subject = "Payment failed at checkout".into();
    let email = customer.contacts.emails.first().cloned().unwrap();
    request.customer.emails = vec![EmailAddress::parse("email", &email).unwrap()];
    store
        .open_case(&request, &at(T0 + 150_000))
        .await
        .unwrap()
        .case
        .id
}
