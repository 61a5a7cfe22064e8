//! Incidents as the API answers them.

use amends_core::incident::{Incident, IncidentFigures, IncidentUpdate};
use amends_core::Timestamp;
use amends_store::LinkedCase;
use serde::Serialize;
use utoipa::ToSchema;

/// An incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    /// Its id.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// What is wrong.
    pub summary: String,
    /// `open` or `resolved`.
    pub status: &'static str,
    /// Since when.
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    /// The promised next update, while open.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_update_at: Option<Timestamp>,
    /// Words a customer's message about it would use.
    pub key_words: Vec<String>,
    /// When it was declared.
    #[schema(value_type = String, format = DateTime)]
    pub declared_at: Timestamp,
    /// When it was resolved.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
}

impl From<&Incident> for IncidentView {
    fn from(incident: &Incident) -> Self {
        IncidentView {
            id: incident.id,
            title: incident.title.clone(),
            summary: incident.summary.clone(),
            status: incident.status.as_str(),
            started_at: incident.started_at,
            next_update_at: incident.next_update_at,
            key_words: incident.key_words.clone(),
            declared_at: incident.declared_at,
            resolved_at: incident.resolved_at,
        }
    }
}

/// One update.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateView {
    /// `declared`, `update`, `resolved` or `follow_up`.
    pub kind: &'static str,
    /// What it says.
    pub body: String,
    /// The next update it promised.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_update_at: Option<Timestamp>,
    /// When it was posted.
    #[schema(value_type = String, format = DateTime)]
    pub posted_at: Timestamp,
    /// When it was sent to the affected customers.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
}

/// A case linked to an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedCaseView {
    /// The case.
    pub case_id: i64,
    /// Its subject.
    pub subject: String,
    /// Its status.
    pub status: String,
    /// Why it was linked.
    pub reason: String,
    /// Linked by the desk itself (not by an agent).
    pub automatic: bool,
}

/// What a manager reads about an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentFiguresView {
    /// Customers it affects.
    pub affected: i64,
    /// Affected customers a notice reached.
    pub warned: i64,
    /// Affected customers warned before they wrote in (or who never needed to).
    pub warned_before_they_wrote: i64,
    /// Affected customers who opened a case since it began.
    pub wrote_in: i64,
    /// Affected customers no notice can reach (no email address).
    pub unreachable: i64,
    /// Cases linked to it.
    pub linked_cases: i64,
    /// Minutes from declaring it to the first notice going out.
    pub minutes_to_first_notice: Option<f64>,
    /// The share of the affected who wrote in.
    pub share_wrote_in: Option<f64>,
    /// For each customer who wrote in, how many affected stayed silent.
    pub silent_per_complaint: Option<f64>,
    /// Follow-up answers: fixed for them.
    pub fixed: i64,
    /// Follow-up answers: still not right.
    pub not_fixed: i64,
}

/// One incident with everything the console shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDetail {
    /// The incident.
    pub incident: IncidentView,
    /// Its updates, oldest first.
    pub updates: Vec<UpdateView>,
    /// How many notices stand in each state (`queued`, `sent`, `held`, `failed`,
    /// `unreachable`).
    pub notices: std::collections::BTreeMap<String, i64>,
    /// Its figures.
    pub figures: IncidentFiguresView,
    /// Its linked cases, newest first.
    pub linked_cases: Vec<LinkedCaseView>,
}

impl IncidentDetail {
    /// The detail of `incident` from what the store holds on it.
    pub fn new(
        incident: &Incident,
        figures: IncidentFigures,
        notices: Vec<(String, i64)>,
        updates: &[IncidentUpdate],
        linked: Vec<LinkedCase>,
        (fixed, not_fixed): (i64, i64),
    ) -> Self {
        let counts = figures.counts;
        IncidentDetail {
            incident: incident.into(),
            updates: updates
                .iter()
                .map(|u| UpdateView {
                    kind: u.kind.as_str(),
                    body: u.body.clone(),
                    next_update_at: u.next_update_at,
                    posted_at: u.posted_at,
                    sent_at: u.sent_at,
                })
                .collect(),
            notices: notices.into_iter().collect(),
            figures: IncidentFiguresView {
                affected: counts.affected,
                warned: counts.warned,
                warned_before_they_wrote: counts.warned_before_wrote,
                wrote_in: counts.wrote_in,
                unreachable: counts.unreachable,
                linked_cases: counts.linked_cases,
                minutes_to_first_notice: figures.minutes_to_first_notice,
                share_wrote_in: figures.share_wrote_in,
                silent_per_complaint: figures.silent_per_complaint,
                fixed,
                not_fixed,
            },
            linked_cases: linked
                .into_iter()
                .map(|l| LinkedCaseView {
                    automatic: l.linked_by.is_none(),
                    case_id: l.case_id,
                    subject: l.subject,
                    status: l.status,
                    reason: l.reason,
                })
                .collect(),
        }
    }
}
