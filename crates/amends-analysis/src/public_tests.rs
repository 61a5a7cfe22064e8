//! Coaching a reply to a public post.

use crate::{coach, CoachContext, Finding, FindingKind, Model, Severity};

fn public(draft: &str) -> Vec<Finding> {
    let context = CoachContext {
        public_post: true,
        ..CoachContext::default()
    };
    coach(draft, &context, Model::english())
        .findings
        .into_iter()
        .filter(|f| f.kind == FindingKind::TakePrivate)
        .collect()
}

#[test]
fn a_public_reply_is_taken_private_without_personal_details() {
    let found = public("Sorry Sam, that is not the service we want you to have.");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Medium);
    assert!(found[0].suggestion.contains("direct message"));

    assert!(public("Sorry Sam. Please DM us your order number and we'll fix it today.").is_empty());
    assert!(public("Sorry Sam, could you email us so we can look into it?").is_empty());

    let draft = "Sorry Sam, DM us: we have sam.jones@example.com and +44 7700 900123 on file.";
    let spans: Vec<&str> = public(draft)
        .iter()
        .map(|f| &draft[f.start..f.end])
        .collect();
    assert_eq!(spans, vec!["sam.jones@example.com", "+44 7700 900123"]);
    assert!(
        public("DM us: order 5521 ships on 12 May.").is_empty(),
        "short numbers are fine"
    );

    let private = coach("Sorry Sam.", &CoachContext::default(), Model::english());
    assert!(private
        .findings
        .iter()
        .all(|f| f.kind != FindingKind::TakePrivate));
}
