//! Measuring the coach on real agent replies: each labelled fault of a reply against the
//! findings [`coach`] makes on it, with the customer's message read first as the server reads it
//! (their anger decides whether an acknowledgement was owed).

use crate::train::Confusion;
use crate::{assess, coach, AngerLabel, CoachContext, FindingKind, Model};

/// The labels of the agent-reply set and the findings each is judged by (any of them counts).
/// A forbidden promise is either kind the labelling rules name: that it will never happen again,
/// or an outcome stated as certain.
pub const REPLY_LABELS: [(&str, &[FindingKind]); 5] = [
    ("vague_time", &[FindingKind::VagueTime]),
    (
        "forbidden_promise",
        &[
            FindingKind::ForbiddenPromise,
            FindingKind::GuaranteedOutcome,
        ],
    ),
    ("blames_customer", &[FindingKind::Blame]),
    (
        "no_empathy_to_upset",
        &[FindingKind::MissingAcknowledgement],
    ),
    ("dismissive", &[FindingKind::Dismissive]),
];

/// An agent's reply with the faults a person found in it.
#[derive(Debug, Clone, Default)]
pub struct LabelledReply {
    /// The reply.
    pub text: String,
    /// The customer's message it answers.
    pub customer_text: String,
    /// Each label of [`REPLY_LABELS`] and whether it applies, where the source says.
    pub labels: Vec<(String, bool)>,
    /// Whether the customer's message is clearly upset, where there is one.
    pub customer_upset: Option<bool>,
}

/// Each reply label with how the coach did on it, then `customer_upset`: how well the customer's
/// reading as angry or furious (which makes the coach ask for an acknowledgement) matches a
/// person's judgement that they are clearly upset.
pub fn judge_replies(model: &Model, replies: &[LabelledReply]) -> Vec<(&'static str, Confusion)> {
    let mut confusions: Vec<(&'static str, Confusion)> = REPLY_LABELS
        .iter()
        .map(|(label, _)| (*label, Confusion::default()))
        .collect();
    let mut upset = Confusion::default();
    for reply in replies {
        let customer = assess(&reply.customer_text, model);
        if let Some(actual) = reply.customer_upset {
            let angry = matches!(customer.label, AngerLabel::Angry | AngerLabel::Furious);
            upset.add(angry, actual);
        }
        let context = CoachContext {
            customer_name: None,
            customer_anger: Some(customer.anger),
            authority_limit: None,
            public_post: false,
        };
        let coaching = coach(&reply.text, &context, model);
        for ((label, kind), (_, confusion)) in REPLY_LABELS.iter().zip(confusions.iter_mut()) {
            let Some(actual) = reply
                .labels
                .iter()
                .find(|(name, _)| name == label)
                .map(|(_, value)| *value)
            else {
                continue;
            };
            let found = coaching.findings.iter().any(|f| kind.contains(&f.kind));
            confusion.add(found, actual);
        }
    }
    confusions.push(("customer_upset", upset));
    confusions
}
