//! Everything the case page and the call assistant show of one case, read in one go.

use std::collections::HashMap;

use amends_core::custom_field::FieldOwner;
use amends_core::protocol::{draft_summary, SummarySource};
use amends_core::{Case, Customer, Message, Timestamp};
use amends_store::{AttachmentInfo, Plan, Summary};

use crate::{AppError, AppState};

/// Everything the case page shows, read in one go.
pub(super) struct CaseFile {
    pub case: Case,
    pub customer: Customer,
    pub messages: Vec<Message>,
    pub past_cases: Vec<Case>,
    pub standing: amends_core::standing::Standing,
    pub facts: Vec<amends_core::protocol::Fact>,
    pub promises: Vec<amends_core::promise::Promise>,
    pub plan: Plan,
    pub compensation: Vec<amends_core::compensation::Compensation>,
    pub summary: Option<Summary>,
    pub attachments: Vec<AttachmentInfo>,
    pub notices: Vec<amends_store::Notice>,
    pub agents: HashMap<i64, String>,
    pub abuse_steps_taken: i64,
    pub tags: Vec<amends_core::tag::Tag>,
    pub customer_tags: Vec<amends_core::tag::Tag>,
    pub tags_in_use: Vec<amends_store::TagUse>,
    pub canned: Vec<amends_core::canned::CannedReply>,
    /// Published articles that may answer the customer, best first (at most three).
    pub articles: Vec<Suggestion>,
    pub merges: Vec<amends_store::CaseMerge>,
    pub fields: Vec<amends_core::custom_field::FieldDefinition>,
    pub case_values: Vec<(i64, String)>,
    pub customer_values: Vec<(i64, String)>,
    /// The incidents the case is linked to, each with its latest update.
    pub incidents: Vec<amends_store::CaseIncident>,
    /// The open incidents, to link the case to by hand.
    pub open_incidents: Vec<amends_core::incident::Incident>,
    /// The chat the case came from, whose lines and typing the page follows live.
    pub chat_id: Option<i64>,
    pub now: Timestamp,
}

/// An article the composer offers: its link goes into a reply with one key.
pub(super) struct Suggestion {
    pub id: i64,
    pub title: String,
    /// Its full address in the help centre; none for an internal article, which is for the
    /// agent to read, not to send.
    pub link: Option<String>,
}

/// How many articles the composer offers.
const SUGGESTED: usize = 3;

/// The articles that best answer what the customer asked: the subject and their latest
/// message, searched among the published articles (internal ones too).
async fn suggestions(
    state: &AppState,
    subject: &str,
    messages: &[Message],
) -> Result<Vec<Suggestion>, AppError> {
    let latest = messages
        .iter()
        .rev()
        .find(|m| m.direction == amends_core::Direction::Inbound)
        .map_or("", |m| m.body.as_str());
    let question = crate::articles::question(subject, latest);
    let found = state
        .store
        .search_articles(
            &question,
            amends_core::knowledge::Readers::Agents,
            SUGGESTED,
        )
        .await?;
    Ok(found
        .into_iter()
        .map(|(article, _)| Suggestion {
            id: article.id,
            link: article
                .is_public()
                .then(|| crate::articles::public_link(state, &article)),
            title: article.title,
        })
        .collect())
}

impl CaseFile {
    /// Reads case `id` and all around it, as `viewer` may see it: a case out of their sight
    /// is not found, and the customer's other cases are those in it.
    pub(super) async fn read(
        state: &AppState,
        id: i64,
        viewer: &amends_core::Agent,
    ) -> Result<CaseFile, AppError> {
        let store = &state.store;
        let case = store.case(id).await?;
        if !viewer.may_see(case.owner_id) {
            return Err(AppError::NotFound("case"));
        }
        let mut past_cases = store.customer_cases(case.customer_id, 11).await?;
        past_cases.retain(|past| viewer.may_see(past.owner_id));
        let customer = store.customer(case.customer_id).await?;
        let now = state.clock.now();
        let chat_id = match case.channel {
            amends_core::Channel::Chat => store.chat_of_case(id).await?.map(|chat| chat.id),
            _ => None,
        };
        let messages = store.case_messages(id).await?;
        let articles = suggestions(state, &case.subject, &messages).await?;
        Ok(CaseFile {
            chat_id,
            messages,
            past_cases,
            standing: store
                .customer_standing(customer.id, &state.settings.standing, now)
                .await?,
            facts: store.case_facts(id).await?,
            promises: store.case_promises(id).await?,
            plan: store.plan(id).await?,
            compensation: store.compensation(Some(id)).await?,
            summary: store.latest_summary(id).await?,
            attachments: store.case_attachments(id).await?,
            notices: store.notices(Some(id), None, 100).await?,
            agents: store
                .agents()
                .await?
                .into_iter()
                .map(|a| (a.id, a.name))
                .collect(),
            abuse_steps_taken: store.abuse_steps_for_customer(customer.id).await?,
            tags: store.tags(amends_store::Tagged::Case(id)).await?,
            customer_tags: store
                .tags(amends_store::Tagged::Customer(customer.id))
                .await?,
            tags_in_use: store.tags_in_use("", 50).await?,
            canned: store.canned_replies().await?,
            articles,
            incidents: store.incidents_of_case(id).await?,
            open_incidents: store
                .incidents(now)
                .await?
                .into_iter()
                .filter(|i| i.status == amends_core::incident::IncidentStatus::Open)
                .collect(),
            merges: store.case_merges(id).await?,
            fields: store.fields().await?,
            case_values: store.field_values(FieldOwner::Case, id).await?,
            customer_values: store
                .field_values(FieldOwner::Customer, customer.id)
                .await?,
            case,
            customer,
            now,
        })
    }

    pub(super) fn agent_name(&self, id: i64) -> &str {
        self.agents.get(&id).map_or("an agent", String::as_str)
    }

    /// The first name the desk greets the customer by.
    pub(super) fn first_name(&self) -> &str {
        self.customer
            .name
            .split_whitespace()
            .next()
            .unwrap_or(&self.customer.name)
    }

    /// The draft of the written summary, from what the case knows now.
    pub(super) fn summary_draft(&self) -> String {
        draft_summary(&SummarySource {
            customer_name: &self.customer.name,
            subject: &self.case.subject,
            facts: &self.facts,
            expectation: self.case.expectation.as_ref(),
            plan: &self.plan.steps,
            promises: &self.promises,
        })
    }
}
