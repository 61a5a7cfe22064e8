//! The demo desk's help centre: a small shop's articles, published (one internal, one draft),
//! so `/help`, the composer's suggestions and the acknowledgement have something to offer.

use amends_core::audit::{Actor, AuditContext};
use amends_core::knowledge::{article_event, ArticleDraft, ArticleStatus, Audience};
use amends_core::Timestamp;
use amends_store::{Store, StoreError};

/// Title, category, audience, status and Markdown of each article.
const ARTICLES: [(&str, &str, Audience, ArticleStatus, &str); 8] = [
    (
        "Tracking your parcel",
        "Delivery",
        Audience::Public,
        ArticleStatus::Published,
        "Every order ships with a **tracking number**. You will find it in your dispatch email \
         and under *Orders* in your account.\n\nEnter it on the courier's website to see where \
         your parcel is. Parcels usually arrive within 3 working days; if the tracking has not \
         moved for 5 days, reply to your dispatch email and we will chase the courier for you.",
    ),
    (
        "Changing your delivery address",
        "Delivery",
        Audience::Public,
        ArticleStatus::Published,
        "You can change where an order goes until it is dispatched: open the order under \
         *Orders* and choose **Edit address**.\n\nOnce the parcel has left our warehouse, ask \
         the courier to redirect it or to hold it at a pickup point.",
    ),
    (
        "How refunds work",
        "Billing",
        Audience::Public,
        ArticleStatus::Published,
        "When you return an item or we cancel an order, we refund the money to the card you \
         paid with.\n\n- Refunds take 5 to 10 working days to reach your statement.\n- You get \
         an email when the refund is issued.\n- A gift card payment goes back to the gift card.",
    ),
    (
        "Why was I charged twice?",
        "Billing",
        Audience::Public,
        ArticleStatus::Published,
        "A second charge is usually a pending authorisation that your bank releases within 3 \
         days. If both payments are still on your statement after that, send us the dates and \
         amounts and we will refund the duplicate payment.",
    ),
    (
        "Returning an item",
        "Returns",
        Audience::Public,
        ArticleStatus::Published,
        "You have 30 days from delivery to send an item back. Print the free returns label from \
         your account, pack the item and drop it at any post office. We email you when the \
         return reaches our warehouse, and the refund follows.",
    ),
    (
        "Cancelling your subscription",
        "Account",
        Audience::Public,
        ArticleStatus::Published,
        "You can cancel at any time from *Settings, Subscription*. You keep access until the end \
         of the period you paid for, and you will not be charged again.",
    ),
    (
        "Escalating a courier claim",
        "For agents",
        Audience::Internal,
        ArticleStatus::Published,
        "When a parcel is lost, open a claim with the courier after 5 days without tracking \
         movement. Offer the customer a replacement at once; do not wait for the claim.",
    ),
    (
        "Gift vouchers",
        "Billing",
        Audience::Public,
        ArticleStatus::Draft,
        "Gift vouchers are coming soon.",
    ),
];

/// Writes the demo's articles, owned by `owner`, as of `at`.
pub(crate) async fn write_articles(
    store: &Store,
    owner: i64,
    at: Timestamp,
) -> Result<usize, StoreError> {
    let context = AuditContext {
        actor: Actor::Agent { agent_id: owner },
        at,
        remote_addr: None,
    };
    for (title, category, audience, status, body) in ARTICLES {
        let draft = ArticleDraft::parse(title, body, category, &[], status, audience, Some(owner))?;
        store
            .write_article(None, &draft, None, &context, |_| Ok(()), article_event)
            .await?;
    }
    Ok(ARTICLES.len())
}
