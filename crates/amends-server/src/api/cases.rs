//! Cases, their messages, reminders and the queue.

use amends_core::case::{after_message, apply_change, parse_subject, CaseChange, NewCase};
use amends_core::custom_field::FieldOwner;
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::job::{CaseReminder, Job, Scheduled};
use amends_core::message::{parse_body, parse_external_id};
use amends_core::{queue, AgentRole, CaseStatus, Channel, Direction, FieldError};
use amends_core::{Agent, PhoneNumber, Priority, Timestamp};
use amends_store::{
    NewJob, NewMessage, OpenCase, QueueCursor, QueueFilter, QueueFlag, Tagged, DEFAULT_ATTEMPTS,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{page_limit, Cursor};
use crate::accounts::CurrentAgent;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::wire::{AuditEntryView, CaseDetail, CaseView, FactView, MessageView, PromiseView};
use crate::wire::{QueueEntry, QueuePageView};
use crate::{AppError, AppState};

/// Who complains, found by email then phone, created when new.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CustomerRef {
    /// Their name.
    pub name: String,
    /// Their email address.
    pub email: Option<String>,
    /// Their phone number.
    pub phone: Option<String>,
}

/// A complaint arriving from any channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct OpenCaseRequest {
    /// Who complains.
    pub customer: CustomerRef,
    /// email, web_form, chat, phone or social.
    #[schema(pattern = "^(email|web_form|chat|phone|social)$")]
    pub channel: String,
    /// What it is about, in a line.
    pub subject: String,
    /// Their words.
    pub body: String,
    /// low, normal (default), high or urgent.
    #[schema(pattern = "^(low|normal|high|urgent)$")]
    pub priority: Option<String>,
    /// The channel's id for this message: sending the same one twice opens one case.
    pub external_id: Option<String>,
}

pub(super) fn parse_status(field: &str, raw: &str) -> Result<CaseStatus, FieldError> {
    CaseStatus::parse(raw).ok_or_else(|| FieldError::new(field, "is not a case status"))
}

pub(super) fn parse_channel(field: &str, raw: &str) -> Result<Channel, FieldError> {
    Channel::parse(raw).ok_or_else(|| {
        FieldError::new(field, "must be one of email, web_form, chat, phone, social")
    })
}

fn parse_priority(raw: &str) -> Result<Priority, FieldError> {
    Priority::parse(raw)
        .ok_or_else(|| FieldError::new("priority", "must be one of low, normal, high, urgent"))
}

impl OpenCaseRequest {
    fn parse(self) -> Result<OpenCase, FieldError> {
        let mut customer =
            NewCustomer::named(CustomerName::parse("customer.name", &self.customer.name)?);
        customer.emails = (self.customer.email.as_deref())
            .map(|e| crate::extract::parse_email("customer.email", e))
            .transpose()?
            .into_iter()
            .collect();
        customer.phones = (self.customer.phone.as_deref())
            .map(|p| PhoneNumber::parse("customer.phone", p))
            .transpose()?
            .into_iter()
            .collect();
        Ok(OpenCase {
            customer,
            case: NewCase {
                channel: parse_channel("channel", &self.channel)?,
                subject: parse_subject("subject", &self.subject)?,
                body: parse_body("body", &self.body)?,
                priority: self
                    .priority
                    .as_deref()
                    .map(parse_priority)
                    .transpose()?
                    .unwrap_or(Priority::Normal),
            },
            body_html: None,
            external_id: self
                .external_id
                .as_deref()
                .map(|e| parse_external_id("external_id", e))
                .transpose()?,
            reading: None,
        })
    }
}

/// Opens a case (finding or creating the customer) with its first message.
#[utoipa::path(post, path = "/cases", tag = "cases", request_body = OpenCaseRequest,
    responses((status = 201, body = CaseDetail, description = "opened"),
              (status = 200, body = CaseDetail, description = "already opened with this external_id"),
              (status = 422, body = crate::error::Problem)))]
pub(super) async fn open_case(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiJson(request): ApiJson<OpenCaseRequest>,
) -> Result<(StatusCode, Json<CaseDetail>), AppError> {
    current.require(AgentRole::Agent)?;
    let mut request = request.parse()?;
    request.reading = Some(crate::reading::read_for(&state, &request.case.body).await);
    let context = current.audit(&state);
    let opened = state.store.open_case(&request, &context).await?;
    if opened.created {
        let (body, reading) = (&request.case.body, request.reading.as_ref());
        let id = opened.case.id;
        crate::incident_links::link_new_case(&state, id, body, reading, &context).await;
    }
    crate::acknowledgement::after_opening(&state, &opened, &request, &context).await;
    let status = if opened.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    // A new case has exactly the message just written; a case seen before may have more.
    let messages = if opened.created {
        vec![opened.message]
    } else {
        state.store.case_messages(opened.case.id).await?
    };
    let (facts, promises, tags) = if opened.created {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        let id = opened.case.id;
        (
            state.store.case_facts(id).await?,
            state.store.case_promises(id).await?,
            state.store.tags(Tagged::Case(id)).await?,
        )
    };
    let id = opened.case.id;
    let mut detail = detail(opened.case, messages, facts, promises, tags);
    if !opened.created {
        detail.fields = super::field_map(&state, FieldOwner::Case, id).await?;
    }
    Ok((status, Json(detail)))
}

fn detail(
    case: amends_core::Case,
    messages: Vec<amends_core::Message>,
    facts: Vec<amends_core::protocol::Fact>,
    promises: Vec<amends_core::promise::Promise>,
    tags: Vec<amends_core::tag::Tag>,
) -> CaseDetail {
    CaseDetail {
        fields: std::collections::BTreeMap::new(),
        tags: tags.iter().map(|t| t.as_str().to_owned()).collect(),
        case: CaseView::from(case),
        messages: messages.into_iter().map(MessageView::from).collect(),
        unconfirmed_facts: facts.iter().filter(|f| !f.confirmed).count(),
        facts: facts.into_iter().map(FactView::from).collect(),
        promises: promises.into_iter().map(PromiseView::from).collect(),
    }
}

/// A case with its messages, facts and promises.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = crate::error::Problem)))]
pub(super) async fn get_case(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CaseDetail>, AppError> {
    current.require(AgentRole::Agent)?;
    let case = state.store.case(id).await?;
    let messages = state.store.case_messages(id).await?;
    let facts = state.store.case_facts(id).await?;
    let promises = state.store.case_promises(id).await?;
    let tags = state.store.tags(Tagged::Case(id)).await?;
    let mut detail = detail(case, messages, facts, promises, tags);
    detail.fields = super::field_map(&state, FieldOwner::Case, id).await?;
    Ok(Json(detail))
}

/// A message from the customer, a reply to them, or an internal note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AddMessageRequest {
    /// inbound (from the customer), outbound (to the customer) or note (internal).
    pub direction: String,
    /// Its text.
    pub body: String,
    /// Its HTML, when the channel has one.
    pub body_html: Option<String>,
    /// The channel; defaults to the case's.
    #[schema(pattern = "^(email|web_form|chat|phone|social)$")]
    pub channel: Option<String>,
    /// The channel's id for it, to recognise it arriving twice.
    pub external_id: Option<String>,
    /// For a reply: the latest customer message the agent had read. When the customer wrote
    /// again since, the reply is refused (409, naming this field) so the agent reads it first;
    /// sending again without it sends anyway.
    pub answers_message_id: Option<i64>,
}

/// Adds a message or an internal note to a case.
#[utoipa::path(post, path = "/cases/{id}/messages", tag = "cases", params(("id" = i64, Path)),
    request_body = AddMessageRequest,
    responses((status = 201, body = MessageView), (status = 404, body = crate::error::Problem)))]
pub(super) async fn add_message(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<AddMessageRequest>,
) -> Result<(StatusCode, Json<MessageView>), AppError> {
    current.require(AgentRole::Agent)?;
    let direction = Direction::parse(&request.direction)
        .ok_or_else(|| AppError::invalid("direction", "must be one of inbound, outbound, note"))?;
    let body = parse_body("body", &request.body)?;
    let body_html = request
        .body_html
        .as_deref()
        .map(|h| parse_body("body_html", h))
        .transpose()?;
    let external_id = request
        .external_id
        .as_deref()
        .map(|e| parse_external_id("external_id", e))
        .transpose()?;
    let case = state.store.case(id).await?;
    if let (Direction::Outbound, Some(read)) = (direction, request.answers_message_id) {
        let latest = state
            .store
            .case_messages(id)
            .await?
            .iter()
            .filter(|m| m.direction == Direction::Inbound)
            .map(|m| m.id)
            .max();
        if latest.is_some_and(|latest| latest > read) {
            return Err(AppError::Conflict(FieldError::new(
                "answers_message_id",
                "the customer wrote again since you started this reply; read it first",
            )));
        }
    }
    // A chat case, or one a chat's case was merged into: replies go to the chat by default.
    let chat = state.store.chat_of_case(id).await?;
    let channel = match (request.channel.as_deref(), &chat) {
        (Some(raw), _) => parse_channel("channel", raw)?,
        (None, Some(chat)) => amends_core::chat::reply_channel(chat.by_email),
        (None, None) => case.channel,
    };
    let message = NewMessage {
        direction,
        channel,
        author_id: (direction != Direction::Inbound).then_some(current.agent.id),
        reading: match direction {
            Direction::Inbound => Some(crate::reading::read_for(&state, &body).await),
            _ => None,
        },
        body,
        body_html,
        external_id,
    };
    let context = current.audit(&state);
    let now = context.at;
    let (_, stored) = state
        .store
        .add_message(id, &message, &context, |case| {
            after_message(case, direction, now)
        })
        .await?;
    if let (Some(chat), Channel::Chat) = (chat, stored.channel) {
        // At least the chat's next number; a watcher reads every line after its own anyway.
        state.live.line_written(chat.id, chat.last_seq + 1);
    }
    Ok((StatusCode::CREATED, Json(MessageView::from(stored))))
}

/// A change of status, priority or owner; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeCaseRequest {
    /// The new status.
    #[schema(pattern = "^(new|open|waiting_on_customer|waiting_on_us|resolved|closed|reopened)$")]
    pub status: Option<String>,
    /// The new priority.
    #[schema(pattern = "^(low|normal|high|urgent)$")]
    pub priority: Option<String>,
    /// The new owner's agent id; `null` leaves the case unassigned.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<Option<i64>>,
    /// When resolving: whether it was resolved in the first contact (computed when absent).
    pub first_contact_resolution: Option<bool>,
    /// When resolving: a thank-you or goodwill gesture the follow-up mentions, such as
    /// "a 10% voucher is on your account".
    pub follow_up_gesture: Option<String>,
}

/// Tells `"owner_id": null` (unassign) apart from an absent `owner_id` (leave as is).
pub(super) fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(deserializer).map(Some)
}

/// Changes a case's status, priority or owner.
#[utoipa::path(patch, path = "/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    request_body = ChangeCaseRequest,
    responses((status = 200, body = CaseView), (status = 422, body = crate::error::Problem)))]
pub(super) async fn change_case(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ChangeCaseRequest>,
) -> Result<Json<CaseView>, AppError> {
    current.require(AgentRole::Agent)?;
    let change = CaseChange {
        status: request
            .status
            .as_deref()
            .map(|s| parse_status("status", s))
            .transpose()?,
        priority: request
            .priority
            .as_deref()
            .map(parse_priority)
            .transpose()?,
        owner_id: request.owner_id,
        first_contact_resolution: request.first_contact_resolution,
    };
    let gesture = match request.follow_up_gesture.as_deref() {
        None => None,
        Some(_) if change.status != Some(CaseStatus::Resolved) => {
            return Err(AppError::invalid(
                "follow_up_gesture",
                "can only be given when resolving the case",
            ))
        }
        Some(raw) => Some(amends_core::field::bounded_text(
            "follow_up_gesture",
            raw,
            500,
            false,
        )?),
    };
    let context = current.audit(&state);
    let now = context.at;
    let case = state
        .store
        .update_case_with_gesture(id, &context, gesture.as_deref(), |case| {
            apply_change(case, &change, now)
        })
        .await?;
    Ok(Json(CaseView::from(case)))
}

/// Which page of the queue, narrowed how.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueQuery {
    /// Where to continue, from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// How many, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `me` for the caller's own cases, `none` for cases no one owns.
    pub owner: Option<String>,
    /// Only cases from this channel.
    pub channel: Option<String>,
    /// Only cases in this status.
    pub status: Option<String>,
    /// angry, churn_threat, abusive, broken_promise, promise_due or reopened.
    pub flag: Option<String>,
    /// Only cases carrying this tag.
    pub tag: Option<String>,
    /// Only cases whose custom field (or their customer's) has a value: `KEY:VALUE`.
    pub field: Option<String>,
}

impl QueueQuery {
    /// The store's filter for this query, asked by `agent` at `now`: kept to the cases they
    /// may see.
    pub(crate) fn filter(&self, agent: &Agent, now: Timestamp) -> Result<QueueFilter, AppError> {
        let agent_id = agent.id;
        let present =
            |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
        let mut filter = QueueFilter {
            sight: agent.sight(),
            ..QueueFilter::default()
        };
        match present(&self.owner).as_deref() {
            None => {}
            Some("me") => filter.owner = Some(agent_id),
            Some("none") => filter.unassigned = true,
            Some(_) => return Err(AppError::invalid("owner", "must be me or none")),
        }
        if let Some(channel) = present(&self.channel) {
            filter.channel = Some(parse_channel("channel", &channel)?);
        }
        if let Some(tag) = present(&self.tag) {
            filter.tag = Some(amends_core::tag::Tag::parse("tag", &tag)?);
        }
        if let Some(status) = present(&self.status) {
            filter.status = match CaseStatus::parse(&status) {
                Some(CaseStatus::Resolved | CaseStatus::Closed) => {
                    return Err(AppError::invalid(
                        "status",
                        "the queue holds open cases only; resolved and closed ones are not in it",
                    ))
                }
                Some(status) => Some(status),
                None => {
                    return Err(AppError::invalid(
                        "status",
                        "must be an open status such as new, open or reopened",
                    ))
                }
            };
        }
        filter.flag =
            match present(&self.flag).as_deref() {
                None => None,
                Some("angry") => Some(QueueFlag::Angry),
                Some("churn_threat") => Some(QueueFlag::ChurnThreat),
                Some("abusive") => Some(QueueFlag::Abusive),
                Some("broken_promise") => Some(QueueFlag::BrokenPromise),
                Some("promise_due") => Some(QueueFlag::PromiseDue { now: now.millis() }),
                Some("reopened") => Some(QueueFlag::Reopened),
                Some(_) => return Err(AppError::invalid(
                    "flag",
                    "must be angry, churn_threat, abusive, broken_promise, promise_due or reopened",
                )),
            };
        Ok(filter)
    }
}

/// The queue's `field=KEY:VALUE` as a custom field of the desk and a value in its stored form.
async fn queue_field(
    state: &AppState,
    query: &QueueQuery,
) -> Result<Option<(FieldOwner, i64, String)>, AppError> {
    let Some(raw) = query.field.as_deref().filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let (key, value) = raw
        .split_once(':')
        .ok_or_else(|| AppError::invalid("field", "must be KEY:VALUE"))?;
    let fields = state.store.fields().await?;
    super::fields::field_filter(&fields, key, value, "field").map(Some)
}

/// How many open cases `query` shows `current`, however many pages.
pub(crate) async fn read_queue_count(
    state: &AppState,
    current: &CurrentAgent,
    query: &QueueQuery,
) -> Result<i64, AppError> {
    current.require(AgentRole::Agent)?;
    let mut filter = query.filter(&current.agent, state.clock.now())?;
    filter.field = queue_field(state, query).await?;
    Ok(state.store.count_queue(&filter).await?)
}

/// One page of the queue for `query`, with each case's reasons.
pub(crate) async fn read_queue(
    state: &AppState,
    current: &CurrentAgent,
    query: &QueueQuery,
) -> Result<QueuePageView, AppError> {
    current.require(AgentRole::Agent)?;
    let limit = page_limit(query.limit)?;
    let now = state.clock.now();
    let mut filter = query.filter(&current.agent, now)?;
    filter.field = queue_field(state, query).await?;
    let cursor = query
        .cursor
        .as_deref()
        .map(|raw| Cursor::decode(raw, 3))
        .transpose()?
        .map(|parts| QueueCursor {
            urgency: parts[0],
            opened_at: parts[1],
            id: parts[2],
        });
    let page = state.store.queue(&filter, cursor, limit).await?;
    let items = page
        .cases
        .into_iter()
        .map(|queued| QueueEntry {
            reasons: queue::reasons(&queued.case, queued.context, now),
            customer_name: queued.customer_name,
            case: CaseView::from(queued.case),
        })
        .collect();
    let next_cursor = page
        .next
        .map(|c| Cursor::encode(&[c.urgency, c.opened_at, c.id]));
    Ok(QueuePageView { items, next_cursor })
}

/// Open cases, most urgent first, each with the reasons for its place.
#[utoipa::path(get, path = "/queue", tag = "cases", params(QueueQuery),
    responses((status = 200, body = QueuePageView)))]
pub(super) async fn queue_page(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<Json<QueuePageView>, AppError> {
    Ok(Json(read_queue(&state, &current, &query).await?))
}

/// A reminder: at `at`, an internal note with `note` lands on the case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReminderRequest {
    /// When, RFC 3339.
    pub at: String,
    /// What to be reminded of.
    pub note: String,
}

/// The scheduled reminder.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ReminderView {
    /// The durable job that will write the note.
    pub job_id: i64,
    /// When it is due.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// Schedules a reminder on a case, kept as a durable job.
#[utoipa::path(post, path = "/cases/{id}/reminders", tag = "cases", params(("id" = i64, Path)),
    request_body = ReminderRequest, responses((status = 201, body = ReminderView)))]
pub(super) async fn schedule_reminder(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ReminderRequest>,
) -> Result<(StatusCode, Json<ReminderView>), AppError> {
    current.require(AgentRole::Agent)?;
    let at = Timestamp::parse_rfc3339(&request.at)
        .ok_or_else(|| AppError::invalid("at", "must be an RFC 3339 date-time"))?;
    let note = parse_body("note", &request.note)?;
    state.store.case(id).await?;
    let job = NewJob {
        work: Scheduled {
            job: Job::CaseReminder(CaseReminder { case_id: id, note }),
            run_at: at,
        },
        max_attempts: DEFAULT_ATTEMPTS,
    };
    let job_id = state
        .store
        .schedule_job(&job, &current.audit(&state))
        .await?;
    Ok((StatusCode::CREATED, Json(ReminderView { job_id, at })))
}

/// The audit trail of a case, with those of the duplicates merged into it.
#[utoipa::path(get, path = "/cases/{id}/audit", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AuditEntryView>)))]
pub(super) async fn case_audit(
    State(state): State<AppState>,
    current: CurrentAgent,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<AuditEntryView>>, AppError> {
    current.require(AgentRole::Agent)?;
    state.store.case(id).await?;
    let mut trail = state.store.audit_trail("case", id).await?;
    // A merged duplicate's trail is part of the survivor's story.
    for merge in state.store.case_merges(id).await? {
        if merge.survivor_id == id && merge.undone_at.is_none() {
            trail.extend(state.store.audit_trail("case", merge.duplicate_id).await?);
        }
    }
    trail.sort_by_key(|entry| entry.id);
    Ok(Json(trail.into_iter().map(AuditEntryView::from).collect()))
}
