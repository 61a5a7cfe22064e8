//! The story's chapter on accounts facing the internet: sign-in failures kept per key, idle
//! sessions, scoped and expiring tokens, agents deactivated and passwords changed.

use amends_core::account::{self, AgentChange, TokenScope, ACCOUNT_THROTTLE};
use amends_core::{AgentRole, Timestamp};
use amends_store::{NewAgent, Store};

use super::at;

pub(crate) async fn accounts_are_throttled_changed_and_ended(store: &Store) {
    let keys = vec![
        "account:lee@desk.test".to_owned(),
        "address:192.0.2.7".to_owned(),
    ];
    assert!(store.sign_in_failures(&keys).await.unwrap().is_empty());
    let mut record = None;
    for _ in 0..7 {
        record = Some(account::after_failure(
            ACCOUNT_THROTTLE,
            record,
            Timestamp(50_000),
        ));
        store
            .save_sign_in_failures(&keys[0], &record.unwrap())
            .await
            .unwrap();
    }
    let found = store.sign_in_failures(&keys).await.unwrap();
    assert_eq!(found, vec![(keys[0].clone(), record.unwrap())]);
    store.forget_sign_in_failures(&keys[0]).await.unwrap();
    assert!(store.sign_in_failures(&keys).await.unwrap().is_empty());

    let new = |email: &str, role| NewAgent {
        email: email.to_owned(),
        name: email.to_owned(),
        role,
        password_hash: Some("$argon2id$fake".to_owned()),
        authority_limit_minor: 1_000,
        supervisor_id: None,
        case_access: amends_core::CaseAccess::All,
    };
    let admin = store
        .create_agent(&new("ada@desk.test", AgentRole::Admin), &at(50_000))
        .await
        .unwrap();
    let lee = store
        .create_agent(&new("lee@desk.test", AgentRole::Agent), &at(50_000))
        .await
        .unwrap();
    let far = Timestamp(10_000_000);
    for hash in ["lee-1", "lee-2"] {
        store
            .create_session(lee.id, hash, "csrf", Timestamp(50_000), far)
            .await
            .unwrap();
    }
    // Idle since before its last use: alive; used, then idle past the limit: ended.
    let live = store
        .session("lee-1", Timestamp(60_000), Timestamp(40_000))
        .await
        .unwrap();
    assert!(live.is_some());
    assert!(store
        .session("lee-1", Timestamp(60_000), Timestamp(55_000))
        .await
        .unwrap()
        .is_none());
    store
        .touch_session("lee-1", Timestamp(58_000))
        .await
        .unwrap();
    let touched = store
        .session("lee-1", Timestamp(60_000), Timestamp(55_000))
        .await
        .unwrap();
    assert_eq!(touched.unwrap().last_seen_at, Timestamp(58_000));

    // A password change ends every other session.
    store
        .set_password(lee.id, "$argon2id$new", Some("lee-1"), &at(61_000))
        .await
        .unwrap();
    assert!(store
        .session("lee-1", Timestamp(62_000), Timestamp(0))
        .await
        .unwrap()
        .is_some());
    assert!(store
        .session("lee-2", Timestamp(62_000), Timestamp(0))
        .await
        .unwrap()
        .is_none());
    let (_, hash) = store
        .agent_for_sign_in("lee@desk.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash.as_deref(), Some("$argon2id$new"));

    // Tokens: scoped, and past their expiry they open nothing.
    let expiring = Some(Timestamp(70_000));
    store
        .create_token(
            lee.id,
            "lee-intake",
            "mta",
            TokenScope::Intake,
            expiring,
            &at(62_000),
        )
        .await
        .unwrap();
    let found = store
        .agent_for_token("lee-intake", Timestamp(69_999))
        .await
        .unwrap();
    assert_eq!(
        found.map(|(a, s)| (a.id, s)),
        Some((lee.id, TokenScope::Intake))
    );
    assert!(store
        .agent_for_token("lee-intake", Timestamp(70_000))
        .await
        .unwrap()
        .is_none());
    store
        .create_token(
            lee.id,
            "lee-full",
            "crm",
            TokenScope::Full,
            None,
            &at(62_000),
        )
        .await
        .unwrap();

    // Deactivated: sign-in, sessions and tokens stop in the same transaction; back again, the
    // old session and token stay ended.
    let off = AgentChange {
        active: Some(false),
        ..AgentChange::default()
    };
    let changed = store
        .change_agent(lee.id, &off, &admin, &at(63_000))
        .await
        .unwrap();
    assert!(!changed.active);
    assert!(store
        .agent_for_sign_in("lee@desk.test")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .session("lee-1", Timestamp(63_500), Timestamp(0))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .agent_for_token("lee-full", Timestamp(63_500))
        .await
        .unwrap()
        .is_none());
    let on = AgentChange {
        active: Some(true),
        ..AgentChange::default()
    };
    store
        .change_agent(lee.id, &on, &admin, &at(64_000))
        .await
        .unwrap();
    assert!(store
        .agent_for_sign_in("lee@desk.test")
        .await
        .unwrap()
        .is_some());
    assert!(store
        .agent_for_token("lee-full", Timestamp(64_500))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .session("lee-1", Timestamp(64_500), Timestamp(0))
        .await
        .unwrap()
        .is_none());
    // An admin cannot deactivate themselves; the refusal writes nothing.
    assert!(store
        .change_agent(admin.id, &off, &admin, &at(65_000))
        .await
        .is_err());
    assert!(store.agent(admin.id).await.unwrap().active);
}
