//! The story's chapter on the knowledge base: a small help centre's articles found by questions
//! put in the readers' own words, slips forgiven, drafts and internal articles kept from the
//! public, the index kept current by each revision, and votes reaching the owner.

use amends_core::audit::{Actor, AuditContext, AuditEvent};
use amends_core::knowledge::{
    article_event, Article, ArticleDraft, ArticleStatus, Audience, Feedback, Readers,
};
use amends_core::{FieldError, Timestamp};
use amends_store::{Store, StoreError};

/// A small shop's help centre, written as such articles are.
pub(crate) const ARTICLES: [(&str, &str, &str); 7] = [
    (
        "How refunds work",
        "Billing",
        "If you return an item or we cancel your order, we refund the money to the card you \
         paid with. Refunds take 5 to 10 working days to appear on your statement. You will get \
         an email when the refund is issued. If you paid by gift card, the money goes back to \
         the gift card.",
    ),
    (
        "Tracking your parcel",
        "Delivery",
        "Every order ships with a tracking number. Find it in your dispatch email or under \
         Orders in your account, and enter it on the courier's website to see where your \
         package is. Parcels usually arrive within 3 working days; if tracking has not moved \
         for 5 days, contact us and we will chase the courier.",
    ),
    (
        "Resetting your password",
        "Account",
        "Choose 'Forgot password' on the sign-in page and enter the email address on your \
         account. We send a link that works for one hour. If the email does not arrive, check \
         your spam folder. You cannot reuse your last three passwords.",
    ),
    (
        "Changing your delivery address",
        "Delivery",
        "You can change where an order is delivered until it is dispatched. Open the order under \
         Orders and choose Edit address. Once the parcel has left our warehouse, ask the courier \
         to redirect it or hold it at a pickup point.",
    ),
    (
        "Cancelling your subscription",
        "Billing",
        "You can cancel your plan at any time from Settings, Subscription. You keep access until \
         the end of the period you have paid for, and you will not be charged again. To stop a \
         renewal, cancel at least a day before the renewal date.",
    ),
    (
        "Why was I charged twice?",
        "Billing",
        "A second charge is usually a pending authorisation that your bank releases within 3 \
         days. If both payments are still on your statement after that, send us the dates and \
         amounts and we refund the duplicate payment.",
    ),
    (
        "Returning an item",
        "Returns",
        "You have 30 days from delivery to send an item back. Print the free returns label from \
         your account, pack the item in its original packaging and drop it at any post office. \
         We email you when the return arrives at our warehouse.",
    ),
];

/// Questions as readers put them, and the title of the article that answers each.
const QUESTIONS: [(&str, &str); 8] = [
    (
        "where is my package? it still hasn't arrived",
        "Tracking your parcel",
    ),
    ("I want my money back", "How refunds work"),
    ("forgot my pasword", "Resetting your password"),
    (
        "how do I stop paying for my plan",
        "Cancelling your subscription",
    ),
    (
        "why did you take the payment twice",
        "Why was I charged twice?",
    ),
    (
        "send the parcel to a different address",
        "Changing your delivery address",
    ),
    ("how do I send something back", "Returning an item"),
    ("refnds", "How refunds work"),
];

/// The agent who writes the articles: the story's first.
const AGENT: i64 = 1;

fn by(agent_id: i64, millis: i64) -> AuditContext {
    AuditContext {
        actor: Actor::Agent { agent_id },
        at: Timestamp(millis),
        remote_addr: None,
    }
}

fn draft(title: &str, category: &str, body: &str, audience: Audience) -> ArticleDraft {
    ArticleDraft::parse(
        title,
        body,
        category,
        &[],
        ArticleStatus::Published,
        audience,
        None,
    )
    .unwrap()
}

async fn write(store: &Store, id: Option<i64>, draft: &ArticleDraft) -> Article {
    store
        .write_article(
            id,
            draft,
            None,
            &by(AGENT, 1_000),
            |_| Ok(()),
            article_event_of,
        )
        .await
        .unwrap()
}

fn article_event_of(before: Option<&Article>, after: &Article) -> AuditEvent {
    article_event(before, after)
}

async fn titles(store: &Store, text: &str, readers: Readers) -> Vec<String> {
    store
        .search_articles(text, readers, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|(article, _)| article.title)
        .collect()
}

pub(crate) async fn articles_are_found_by_what_readers_ask(store: &Store) {
    let owner = store.agents().await.unwrap()[0].id;
    for (title, category, body) in ARTICLES {
        write(store, None, &draft(title, category, body, Audience::Public)).await;
    }
    for (question, answer) in QUESTIONS {
        let found = titles(store, question, Readers::Public).await;
        assert_eq!(
            found.first().map(String::as_str),
            Some(answer),
            "{question}: {found:?}"
        );
    }
    assert!(titles(store, "the and of", Readers::Public)
        .await
        .is_empty());
    assert!(titles(store, "\"' OR 1=1 -- *:", Readers::Public)
        .await
        .is_empty());

    // Internal articles and drafts are not the public's.
    let internal = write(
        store,
        None,
        &draft(
            "Escalating a courier claim",
            "Internal",
            "When a parcel is lost, open a claim with the courier after five days.",
            Audience::Internal,
        ),
    )
    .await;
    let claim = "courier claim";
    assert_ne!(
        titles(store, claim, Readers::Public).await.first(),
        Some(&internal.title)
    );
    assert_eq!(
        titles(store, claim, Readers::Agents).await.first(),
        Some(&internal.title)
    );
    let mut unpublished = draft(
        "Gift vouchers",
        "Billing",
        "Vouchers never expire.",
        Audience::Public,
    );
    unpublished.status = ArticleStatus::Draft;
    let voucher = write(store, None, &unpublished).await;
    assert!(titles(store, "vouchers", Readers::Agents).await.is_empty());
    assert_eq!(
        titles(store, "vouchers", Readers::Editors).await,
        ["Gift vouchers"]
    );

    // A revision re-indexes: the old words find nothing, the new ones find it.
    let mut revised = unpublished.clone();
    revised.body = "Store credit never runs out.".into();
    revised.title = "Store credit".into();
    let after = write(store, Some(voucher.id), &revised).await;
    assert_eq!(after.revision, 2);
    assert!(titles(store, "vouchers", Readers::Editors).await.is_empty());
    assert_eq!(
        titles(store, "credit", Readers::Editors).await,
        ["Store credit"]
    );
    let revisions = store.article_revisions(voucher.id).await.unwrap();
    assert_eq!(
        revisions
            .iter()
            .map(|r| r.title.as_str())
            .collect::<Vec<_>>(),
        ["Store credit", "Gift vouchers"]
    );
    assert_eq!(revisions[0].agent_id, Some(AGENT));

    // Someone else's save since the one an editor started from is a conflict; a refusal
    // writes nothing.
    let stale = store
        .write_article(
            Some(voucher.id),
            &unpublished,
            Some(1),
            &by(AGENT, 2_000),
            |_| Ok(()),
            article_event_of,
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    let refused = store
        .write_article(
            Some(voucher.id),
            &unpublished,
            None,
            &by(AGENT, 2_000),
            |_| Err(FieldError::new("status", "no")),
            article_event_of,
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Rejected(_))));
    assert_eq!(store.article(voucher.id).await.unwrap().revision, 2);

    votes_reach_the_owner(store, owner).await;
}

async fn votes_reach_the_owner(store: &Store, owner: i64) {
    let mut owned = draft(
        "Opening hours",
        "Contact",
        "We answer from 9 to 5.",
        Audience::Public,
    );
    owned.owner_id = Some(owner);
    let article = write(store, None, &owned).await;
    let before = store.notifications(owner, 50).await.unwrap().len();
    for (helpful, comment) in [(true, None), (false, None), (true, Some("Add weekends"))] {
        let feedback = Feedback::parse(helpful, comment).unwrap();
        store
            .give_article_feedback(article.id, Readers::Public, &feedback, Timestamp(3_000))
            .await
            .unwrap();
    }
    let counted = store.article(article.id).await.unwrap();
    assert_eq!((counted.helpful, counted.unhelpful), (2, 1));
    let told = store.notifications(owner, 50).await.unwrap();
    assert_eq!(told.len() - before, 2, "a plain yes is counted, not told");
    assert!(told.iter().any(|n| n.body.contains("Add weekends")));
    let entries = store.article_feedback(article.id, 10).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].comment.as_deref(), Some("Add weekends"));
    // A vote on what the public may not see is refused and counts nothing.
    let hidden = store.articles(Readers::Editors, 100).await.unwrap();
    let draft_id = hidden
        .iter()
        .find(|a| a.status == ArticleStatus::Draft)
        .unwrap()
        .id;
    let vote = store
        .give_article_feedback(
            draft_id,
            Readers::Public,
            &Feedback::parse(true, None).unwrap(),
            Timestamp(3_000),
        )
        .await;
    assert!(matches!(vote, Err(StoreError::NotFound(_))));
}
