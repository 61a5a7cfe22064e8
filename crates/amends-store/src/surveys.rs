//! Following up a resolved case: the satisfaction survey, asked through a signed link.

use amends_core::audit::{AuditContext, Change, RecordKind};
use amends_core::case::{reopen_after_follow_up, Case};
use amends_core::recovery::SurveyAnswer;
use amends_core::{AuditEvent, CaseStatus, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::cases::{load_case, refresh_case, save_case};
use crate::jobs::{insert_job, FollowUpCheck, FOLLOW_UP};
use crate::recovery::queue_notice;
use crate::{audit, Backend, Store, StoreError};

/// A follow-up survey of one resolution.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Survey {
    /// Its id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// When it was asked.
    pub asked_at: Timestamp,
    /// The answer, once given.
    pub answer: Option<SurveyAnswer>,
    /// When it was answered.
    pub answered_at: Option<Timestamp>,
}

type SurveyRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

fn survey(row: SurveyRow) -> Survey {
    let (id, case_id, created_at, score, solved, comment, answered_at) = row;
    Survey {
        id,
        case_id,
        asked_at: Timestamp(created_at),
        answer: score.map(|score| SurveyAnswer {
            score,
            solved: solved.unwrap_or(0) != 0,
            comment: comment.unwrap_or_default(),
        }),
        answered_at: answered_at.map(Timestamp),
    }
}

impl Store {
    /// The latest survey asked on a case, if any.
    pub async fn latest_survey(&self, case_id: i64) -> Result<Option<Survey>, StoreError> {
        let row: Option<SurveyRow> = sqlx::query_as(
            "select id, case_id, created_at, score, solved, comment, answered_at from surveys \
             where case_id = $1 order by id desc limit 1",
        )
        .bind(case_id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(survey))
    }

    /// Records the customer's answer to the latest survey on the case. A low score or "not
    /// solved" reopens the case at the top of the queue. A survey is answered once.
    pub async fn answer_survey(
        &self,
        case_id: i64,
        answer: &SurveyAnswer,
        context: &AuditContext,
    ) -> Result<Case, StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let open: Option<(i64, Option<i64>)> = sqlx::query_as(
            "select id, answered_at from surveys where case_id = $1 order by id desc limit 1",
        )
        .bind(case_id)
        .fetch_optional(&mut *tx)
        .await?;
        let survey_id = match open {
            None => return Err(StoreError::NotFound("survey")),
            Some((_, Some(_))) => {
                return Err(FieldError::new("score", "this survey was already answered").into())
            }
            Some((id, None)) => id,
        };
        sqlx::query(
            "update surveys set score = $1, solved = $2, comment = $3, answered_at = $4, \
             updated_at = $4 where id = $5",
        )
        .bind(answer.score)
        .bind(i64::from(answer.solved))
        .bind(&answer.comment)
        .bind(context.at.millis())
        .bind(survey_id)
        .execute(&mut *tx)
        .await?;
        let mut next = case.clone();
        next.csat = Some(answer.score);
        let mut events = vec![
            AuditEvent::new("survey.answered", RecordKind::Case, case_id).with_changes(vec![
                Change::new("csat", "", answer.score.to_string()),
                Change::new("solved", "", answer.solved.to_string()),
            ]),
        ];
        if answer.reopens() {
            let (reopened, event) = reopen_after_follow_up(&next, context.at);
            next = reopened;
            events.push(event);
        }
        save_case(&mut tx, &next).await?;
        let next = refresh_case(&mut tx, case_id, context.at).await?;
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(next)
    }
}

/// Schedules the follow-up of a case just resolved at `resolved_at`, mentioning `gesture`.
pub(crate) async fn schedule_follow_up(
    conn: &mut AnyConnection,
    case_id: i64,
    resolved_at: Timestamp,
    gesture: Option<&str>,
    delay_millis: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    let check = FollowUpCheck {
        case_id,
        resolved_at: resolved_at.millis(),
        gesture: gesture.map(str::to_owned),
    };
    let payload = serde_json::to_string(&check).expect("a check serialises");
    insert_job(
        conn,
        FOLLOW_UP,
        &payload,
        resolved_at.plus_millis(delay_millis),
        now,
    )
    .await?;
    Ok(())
}

/// The follow-up job: when the case is still resolved from the same resolution, asks the
/// customer how it went. A case reopened in the meantime has nothing to follow up yet.
pub(crate) async fn follow_up(
    conn: &mut AnyConnection,
    check: &FollowUpCheck,
    survey_url: &str,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let case = load_case(conn, check.case_id, false).await?;
    let still_resolved = matches!(case.status, CaseStatus::Resolved | CaseStatus::Closed)
        && case.resolved_at == Some(Timestamp(check.resolved_at));
    if !still_resolved {
        return Ok(());
    }
    let inserted = sqlx::query(
        "insert into surveys (case_id, resolved_at, created_at, updated_at) \
         values ($1, $2, $3, $3) on conflict (case_id, resolved_at) do nothing",
    )
    .bind(case.id)
    .bind(check.resolved_at)
    .bind(context.at.millis())
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(());
    }
    let thanks = check
        .gesture
        .as_deref()
        .map(|g| format!("\n\nAs a thank-you for your patience: {g}"))
        .unwrap_or_default();
    let body = format!(
        "We recently put right the problem you raised with us (case #{}: {}).\n\nDid we solve \
         it? It takes a few seconds to tell us, and if anything is still wrong we will pick it \
         up straight away:\n\n{survey_url}{thanks}\n\nThank you for giving us the chance to \
         make it right.",
        case.id, case.subject
    );
    let notice = queue_notice(
        conn,
        &case,
        "follow_up",
        &format!("How did we do? (case #{})", case.id),
        &body,
        context.at,
    )
    .await?;
    let events = [
        AuditEvent::new("case.followed_up", RecordKind::Case, case.id),
        AuditEvent::new("notice.queued", RecordKind::Notice, notice),
    ];
    audit::record(conn, context, &events).await?;
    Ok(())
}
