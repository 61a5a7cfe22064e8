//! Every sentence the desk writes by itself, in one place: the notices customers read, the
//! notes it leaves on a case and the alerts its people get. A business will edit and translate
//! these; nothing else in the code base words a notice. It takes plain values, so it depends
//! on no other module of the core and every module may use it.

use crate::Timestamp;

/// A notice's subject line and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wording {
    /// The subject line.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// `2026-05-04 09:30`: a time as a customer reads it in a sentence (UTC).
fn minute(at: Timestamp) -> String {
    let when = at.to_rfc3339();
    when.get(..16).unwrap_or(&when).replace('T', " ")
}

/// An agent's reply on an email case, as it goes out.
pub fn reply(case_subject: &str, body: &str) -> Wording {
    Wording {
        subject: format!("Re: {case_subject}"),
        body: body.to_owned(),
    }
}

/// Articles that may answer a customer's question, sent as it arrives: a help, never a
/// substitute for the person who will answer.
pub fn articles_suggested(case_subject: &str, articles: &[(String, String)]) -> Wording {
    let mut body = String::from(
        "Thank you for writing to us. A person will read your message and answer you.\n\n\
         In the meantime, these articles may already answer your question:\n\n",
    );
    for (title, link) in articles {
        body.push_str(&format!("- {title}: {link}\n"));
    }
    body.push_str(
        "\nIf one of them answers it, there is nothing more to do. If not, you need not write \
         again: we will reply to you ourselves.",
    );
    Wording {
        subject: format!("Re: {case_subject}"),
        body,
    }
}

/// A promise moved to a later time, told to the customer before it falls due.
pub fn promise_extended(
    case_id: i64,
    promised: &str,
    reason: &str,
    new_due_at: Timestamp,
) -> Wording {
    Wording {
        subject: format!("An update on your case #{case_id}"),
        body: format!(
            "We promised: {promised}.\n\nWe need a little more time, and we would rather tell \
             you now than keep you waiting: {}\n\nThe new time is {}. We will be in touch by \
             then.",
            reason.trim(),
            new_due_at.to_rfc3339()
        ),
    }
}

/// A call-back is an appointment: the customer is reminded of it too, so they are free to
/// take the call (or can answer with a better time).
pub fn call_back_reminder(case_id: i64, promised: &str, due_at: Timestamp) -> Wording {
    Wording {
        subject: format!("Our call to you about case #{case_id}"),
        body: format!(
            "As promised, we will call you by {} (UTC) about your case: {promised}.\n\n\
             If another time suits you better, simply reply to this email.",
            minute(due_at)
        ),
    }
}

/// The satisfaction survey after a resolution, with a gesture of thanks when one was given.
pub fn follow_up(
    case_id: i64,
    case_subject: &str,
    survey_url: &str,
    gesture: Option<&str>,
) -> Wording {
    let thanks = gesture
        .map(|g| format!("\n\nAs a thank-you for your patience: {g}"))
        .unwrap_or_default();
    Wording {
        subject: format!("How did we do? (case #{case_id})"),
        body: format!(
            "We recently put right the problem you raised with us (case #{case_id}: \
             {case_subject}).\n\nDid we solve it? It takes a few seconds to tell us, and if \
             anything is still wrong we will pick it up straight away:\n\n{survey_url}{thanks}\
             \n\nThank you for giving us the chance to make it right."
        ),
    }
}

/// One step of an action plan, as a sentence shows it.
#[derive(Debug, Clone, Copy)]
pub struct PlanLine<'a> {
    /// Its place in the plan, from 1.
    pub position: i64,
    /// What will be done.
    pub description: &'a str,
    /// By when.
    pub due_at: Timestamp,
}

/// An action plan shared with the customer (or changed), with the link to follow and answer it.
pub fn plan_shared(case_id: i64, plan_url: &str, steps: &[PlanLine<'_>]) -> Wording {
    let lines = steps
        .iter()
        .map(|s| {
            format!(
                "{}. {} (by {})",
                s.position,
                s.description,
                s.due_at.to_rfc3339()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Wording {
        subject: format!("Our plan for your case #{case_id}"),
        body: format!(
            "Here is our plan to put things right, step by step, with the date of each. You can \
             follow it, and tell us whether it works for you, here:\n\n{plan_url}\n\n{lines}"
        ),
    }
}

/// One step of the plan done.
pub fn plan_step_done(case_id: i64, step: PlanLine<'_>, plan_url: &str) -> Wording {
    Wording {
        subject: format!("Progress on your case #{case_id}"),
        body: format!(
            "Step {} of our plan is done: {}.\n\nThe whole plan: {plan_url}",
            step.position, step.description
        ),
    }
}

/// The note left on the case when the customer accepts the action plan.
pub const PLAN_ACCEPTED: &str = "The customer accepted the action plan.";
/// The note left when they reject it (the desk then offers the full refund).
pub const PLAN_REJECTED: &str =
    "The customer rejected the action plan; they were offered a full refund.";
/// The note left when they take the full refund instead.
pub const PLAN_FULL_REFUND: &str = "The customer chose the full refund instead of the plan.";
/// The note left (and told to a supervisor) when they decline the refund too.
pub const PLAN_REFUND_DECLINED: &str = "The customer rejected the plan and declined the full \
     refund: a supervisor should call them.";

/// The written summary, with the link where the customer confirms or corrects it.
pub fn summary(case_id: i64, body: &str, summary_url: &str) -> Wording {
    Wording {
        subject: format!("Summary of your case #{case_id}"),
        body: format!(
            "{body}\n\nIs this right? Confirm it, or tell us what is wrong, here:\n{summary_url}"
        ),
    }
}

/// What the customer said about the summary, as their message on the case.
pub fn summary_answer(confirmed: bool, words: &str) -> String {
    if confirmed {
        format!("About the summary (confirmed): {words}")
    } else {
        format!("The summary is not right: {words}")
    }
}

/// The note an agent's reminder leaves on the case when it comes due.
pub fn case_reminder(note: &str) -> String {
    format!("Reminder: {note}")
}

/// Tells a promise's owner it is coming due.
pub fn promise_due_soon(case_id: i64, promised: &str, due_at: Timestamp) -> String {
    format!(
        "Promise on case #{case_id} due at {}: {promised}",
        due_at.to_rfc3339()
    )
}

/// Tells a supervisor a promise was broken.
pub fn promise_broken(case_id: i64, promised: &str, due_at: Timestamp) -> String {
    format!(
        "Broken promise on case #{case_id}: \"{promised}\" was due at {} and was not kept.",
        due_at.to_rfc3339()
    )
}

/// Tells a supervisor a customer threatens to leave.
pub fn win_back(case_id: i64) -> String {
    format!("Case #{case_id}: the customer threatens to leave")
}

/// The note on a chat's case when it is passed to another agent.
pub fn chat_passed(to_name: &str, note: &str) -> String {
    format!("Chat passed to {to_name}: {note}")
}

/// Tells an agent a live chat was passed to them.
pub fn chat_passed_to_you(case_id: i64, note: &str) -> String {
    format!("Case #{case_id}: a live chat was passed to you: {note}")
}

/// Tells a supervisor a customer in a live chat became furious.
pub fn furious_in_chat(case_id: i64) -> String {
    format!("Case #{case_id}: the customer in a live chat is furious; they may need you now")
}

/// Tells a supervisor a contact was ended under the abuse policy.
pub fn abuse_contact_ended(case_id: i64) -> String {
    format!("Case #{case_id}: contact ended under the abuse policy; it needs a supervisor")
}

/// Tells the case's owner (or a supervisor) that a mail to the customer could not be sent.
pub fn mail_failed(case_id: i64, subject: &str, to: Option<&str>, reason: &str) -> String {
    format!(
        "Case #{case_id}: the mail \"{subject}\" could not be sent to {}: {reason}",
        to.unwrap_or("the customer"),
    )
}

/// Tells that a reply through a messaging app did not reach the customer.
pub fn reply_failed(case_id: i64, via: &str, reason: &str) -> String {
    format!("Case #{case_id}: the reply could not be sent through {via}: {reason}")
}

/// Asks a supervisor to approve compensation above an agent's authority.
pub fn approval_asked(
    case_id: i64,
    agent_name: &str,
    kind: &str,
    amount: &str,
    currency: &str,
    reason: &str,
) -> String {
    format!(
        "Case #{case_id}: {agent_name} asks to give a {kind} of {amount} {currency} (above \
         their authority): {reason}"
    )
}

/// The mail that carries a password reset `link`, working for `minutes`, to `agent_name`.
pub fn password_reset_mail(agent_name: &str, link: &str, minutes: i64) -> Wording {
    Wording {
        subject: "Reset your password for the desk".to_owned(),
        body: format!(
            "Hello {agent_name},\n\n\
             Someone (we hope you) asked to reset your password. Open this link within \
             {minutes} minutes to choose a new one; it works once:\n\n{link}\n\n\
             If you did not ask, ignore this mail: your password stays as it is, and nobody can \
             sign in with this link once it expires."
        ),
    }
}

/// What an incident notice says, by the kind of update it carries.
#[derive(Debug, Clone, Copy)]
pub struct IncidentNews<'a> {
    /// The incident's title.
    pub title: &'a str,
    /// What is wrong.
    pub summary: &'a str,
    /// `declared`, `update`, `resolved` or `follow_up`.
    pub kind: &'a str,
    /// The update's words.
    pub body: &'a str,
    /// The next update it promises.
    pub next_update_at: Option<Timestamp>,
    /// The public status page.
    pub status_url: &'a str,
    /// The survey asking whether it is fixed, for a follow-up.
    pub survey_url: Option<&'a str>,
}

/// An incident update to an affected customer, sent before they have to ask.
pub fn incident_notice(customer_name: &str, news: IncidentNews<'_>) -> Wording {
    let greeting = format!("Hello {customer_name},");
    let next = news
        .next_update_at
        .map(|at| format!("\n\nWe will write again by {} UTC.", minute(at)))
        .unwrap_or_default();
    let (subject, body) = match news.kind {
        "declared" => (
            format!("We know about a problem: {}", news.title),
            format!(
                "{greeting}\n\nWe want you to hear it from us first: {}\n\nWhat we are doing: \
                 {}{next}\n\nThere is no need to contact us about it; you can follow it at \
                 {}\n\nWe are sorry for the trouble.",
                news.summary, news.body, news.status_url
            ),
        ),
        "resolved" => (
            format!("Fixed: {}", news.title),
            format!(
                "{greeting}\n\nThe problem we told you about is fixed: {}\n\nThank you for your \
                 patience, and we are sorry it happened. If anything still is not right, just \
                 reply to this message.",
                news.body
            ),
        ),
        "follow_up" => (
            format!("Is it working for you again? ({})", news.title),
            format!(
                "{greeting}\n\n{}\n\nIs everything working for you again? One click tells us, \
                 and if it is not we will pick it up straight away:\n\n{}",
                news.body,
                news.survey_url.unwrap_or(news.status_url)
            ),
        ),
        _ => (
            format!("Update: {}", news.title),
            format!(
                "{greeting}\n\nAn update on the problem we told you about ({}): {}{next}\n\n\
                 You can follow it at {}",
                news.summary, news.body, news.status_url
            ),
        ),
    };
    Wording { subject, body }
}

/// The alert when an incident's promised update did not come.
pub fn incident_update_late(title: &str, due_at: Timestamp) -> String {
    format!(
        "The update promised for {} UTC on the incident \u{201c}{title}\u{201d} has not been \
         posted: the affected customers are waiting for it.",
        minute(due_at)
    )
}

/// The follow-up update's words.
pub const INCIDENT_FOLLOW_UP: &str =
    "Yesterday we fixed a problem that affected you. We would like to be sure it is behind you.";

/// The alert when a customer says a resolved incident is not fixed for them.
pub fn incident_not_fixed(title: &str, customer_name: &str, comment: Option<&str>) -> String {
    let said = comment
        .map(|c| format!(" They wrote: {c}"))
        .unwrap_or_default();
    format!(
        "{customer_name} says the incident \u{201c}{title}\u{201d} is not fixed for them; \
         contact them.{said}"
    )
}
