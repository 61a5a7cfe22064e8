//! Action plans shared with the customer, and the written summary they confirm or correct.

use amends_core::audit::{AuditContext, Change, RecordKind};
use amends_core::recovery::{check_plan, NewPlanStep, PlanAnswer, PlanStep};
use amends_core::{AuditEvent, Direction, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::cases::{insert_message, load_case, NewMessage};
use crate::recovery::{queue_notice, tell_supervisors};
use crate::{audit, Backend, Store, StoreError};

type StepRow = (i64, i64, i64, String, i64, i64, Option<i64>);

const STEP_COLUMNS: &str = "id, case_id, position, description, owner_id, due_at, done_at";

fn step(row: StepRow) -> PlanStep {
    PlanStep {
        id: row.0,
        case_id: row.1,
        position: row.2,
        description: row.3,
        owner_id: row.4,
        due_at: Timestamp(row.5),
        done_at: row.6.map(Timestamp),
    }
}

/// A case's plan and the customer's answer to it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// The case.
    pub case_id: i64,
    /// Its steps, in order.
    pub steps: Vec<PlanStep>,
    /// What the customer said, if anything yet.
    pub answer: Option<PlanAnswer>,
}

/// A written summary sent to the customer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// Its id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The text sent.
    pub body: String,
    /// `confirmed` or `wrong`, once the customer answers.
    pub answer: Option<String>,
    /// What they said is wrong.
    pub answer_comment: Option<String>,
    /// When it was sent.
    pub created_at: Timestamp,
}

fn describe(steps: &[PlanStep]) -> String {
    steps
        .iter()
        .map(|s| {
            format!(
                "{}. {} by {}",
                s.position,
                s.description,
                s.due_at.to_rfc3339()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Store {
    /// A case's plan.
    pub async fn plan(&self, case_id: i64) -> Result<Plan, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_plan(&mut conn, case_id).await
    }

    /// Replaces a case's plan with `steps`, records the change, asks the customer afresh and
    /// queues a notice with the link to it (`plan_url`).
    pub async fn set_plan(
        &self,
        case_id: i64,
        steps: &[NewPlanStep],
        plan_url: &str,
        context: &AuditContext,
    ) -> Result<Plan, StoreError> {
        check_plan(steps, context.at)?;
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        for (i, new) in steps.iter().enumerate() {
            crate::agents::load_agent(&mut tx, new.owner_id)
                .await
                .map_err(|_| FieldError::new(format!("steps[{i}].owner_id"), "no such agent"))?;
        }
        let before = load_plan(&mut tx, case_id).await?;
        sqlx::query("delete from plan_steps where case_id = $1")
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        for (i, new) in steps.iter().enumerate() {
            sqlx::query(
                "insert into plan_steps (case_id, position, description, owner_id, due_at, \
                 created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(case_id)
            .bind(i as i64 + 1)
            .bind(new.description.trim())
            .bind(new.owner_id)
            .bind(new.due_at.millis())
            .bind(context.at.millis())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("update cases set plan_answer = null, updated_at = $1 where id = $2")
            .bind(context.at.millis())
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        let plan = load_plan(&mut tx, case_id).await?;
        let action = if before.steps.is_empty() {
            "plan.shared"
        } else {
            "plan.changed"
        };
        let body = format!(
            "Here is our plan to put things right, step by step, with the date of each. You can \
             follow it, and tell us whether it works for you, here:\n\n{plan_url}\n\n{}",
            plan.steps
                .iter()
                .map(|s| format!(
                    "{}. {} (by {})",
                    s.position,
                    s.description,
                    s.due_at.to_rfc3339()
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
        let notice = queue_notice(
            &mut tx,
            &case,
            action,
            &format!("Our plan for your case #{case_id}"),
            &body,
            context.at,
        )
        .await?;
        let events = [
            AuditEvent::new(action, RecordKind::Case, case_id).with_changes(vec![Change::new(
                "plan",
                describe(&before.steps),
                describe(&plan.steps),
            )]),
            AuditEvent::new("notice.queued", RecordKind::Notice, notice),
        ];
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Marks a plan step done and tells the customer.
    pub async fn complete_plan_step(
        &self,
        step_id: i64,
        plan_url: impl FnOnce(i64) -> String,
        context: &AuditContext,
    ) -> Result<Plan, StoreError> {
        let mut tx = self.write.begin().await?;
        let row: StepRow = sqlx::query_as(&format!(
            "select {STEP_COLUMNS} from plan_steps where id = $1"
        ))
        .bind(step_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("plan step"))?;
        let done = step(row);
        if done.done_at.is_some() {
            return Err(FieldError::new("step", "this step is already done").into());
        }
        sqlx::query("update plan_steps set done_at = $1, updated_at = $1 where id = $2")
            .bind(context.at.millis())
            .bind(step_id)
            .execute(&mut *tx)
            .await?;
        let case = load_case(&mut tx, done.case_id, false).await?;
        let body = format!(
            "Step {} of our plan is done: {}.\n\nThe whole plan: {}",
            done.position,
            done.description,
            plan_url(case.id)
        );
        let notice = queue_notice(
            &mut tx,
            &case,
            "plan.step_done",
            &format!("Progress on your case #{}", case.id),
            &body,
            context.at,
        )
        .await?;
        let events = [
            AuditEvent::new("plan.step_done", RecordKind::Case, case.id).with_changes(vec![
                Change::new(
                    "step",
                    "",
                    format!("{}. {}", done.position, done.description),
                ),
            ]),
            AuditEvent::new("notice.queued", RecordKind::Notice, notice),
        ];
        audit::record(&mut tx, context, &events).await?;
        let plan = load_plan(&mut tx, case.id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Records the customer's answer to the plan. A rejection is noted on the case (the desk
    /// then offers the full refund); declining the refund too hands it to a supervisor.
    pub async fn answer_plan(
        &self,
        case_id: i64,
        answer: PlanAnswer,
        context: &AuditContext,
    ) -> Result<Plan, StoreError> {
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let plan = load_plan(&mut tx, case_id).await?;
        if plan.steps.is_empty() {
            return Err(StoreError::NotFound("plan"));
        }
        if !PlanAnswer::may_become(plan.answer, answer) {
            return Err(FieldError::new(
                "answer",
                format!(
                    "cannot answer {} after {}",
                    answer.as_str(),
                    plan.answer.map_or("nothing", PlanAnswer::as_str)
                ),
            )
            .into());
        }
        sqlx::query("update cases set plan_answer = $1, updated_at = $2 where id = $3")
            .bind(answer.as_str())
            .bind(context.at.millis())
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        let note = match answer {
            PlanAnswer::Accepted => "The customer accepted the action plan.",
            PlanAnswer::Rejected => {
                "The customer rejected the action plan; they were offered a full refund."
            }
            PlanAnswer::FullRefund => "The customer chose the full refund instead of the plan.",
            PlanAnswer::RefundDeclined => {
                "The customer rejected the plan and declined the full refund: a supervisor \
                 should call them."
            }
        };
        let message = NewMessage {
            direction: Direction::Note,
            channel: case.channel,
            author_id: None,
            body: note.to_owned(),
            body_html: None,
            external_id: None,
            reading: None,
        };
        let stored = insert_message(&mut tx, case_id, &message, context.at).await?;
        let events = [
            AuditEvent::new("plan.answered", RecordKind::Case, case_id).with_changes(vec![
                Change::new(
                    "plan_answer",
                    plan.answer.map_or("none", PlanAnswer::as_str),
                    answer.as_str(),
                ),
            ]),
            AuditEvent::new("note.added", RecordKind::Message, stored.id),
        ];
        audit::record(&mut tx, context, &events).await?;
        if answer == PlanAnswer::RefundDeclined {
            tell_supervisors(
                &mut tx,
                case.owner_id,
                case_id,
                "plan_declined",
                note,
                context.at,
            )
            .await?;
        }
        let plan = load_plan(&mut tx, case_id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Sends a written summary: kept on the case and queued for the customer with the link
    /// (`summary_url`) where they confirm it or say what is wrong.
    pub async fn send_summary(
        &self,
        case_id: i64,
        body: &str,
        sent_by: i64,
        summary_url: &str,
        context: &AuditContext,
    ) -> Result<Summary, StoreError> {
        let body = amends_core::message::parse_body("body", body)?;
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, false).await?;
        let id: i64 = sqlx::query_scalar(
            "insert into summaries (case_id, body, sent_by, created_at, updated_at) \
             values ($1, $2, $3, $4, $4) returning id",
        )
        .bind(case_id)
        .bind(&body)
        .bind(sent_by)
        .bind(context.at.millis())
        .fetch_one(&mut *tx)
        .await?;
        let text = format!(
            "{body}\n\nIs this right? Confirm it, or tell us what is wrong, here:\n{summary_url}"
        );
        let notice = queue_notice(
            &mut tx,
            &case,
            "summary",
            &format!("Summary of your case #{case_id}"),
            &text,
            context.at,
        )
        .await?;
        let events = [
            AuditEvent::new("summary.sent", RecordKind::Case, case_id),
            AuditEvent::new("notice.queued", RecordKind::Notice, notice),
        ];
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(Summary {
            id,
            case_id,
            body,
            answer: None,
            answer_comment: None,
            created_at: context.at,
        })
    }

    /// The latest summary sent on a case.
    pub async fn latest_summary(&self, case_id: i64) -> Result<Option<Summary>, StoreError> {
        let mut conn = self.read.acquire().await?;
        latest_summary(&mut conn, case_id).await
    }

    /// The customer's answer to the latest summary; what they say is wrong lands on the case as
    /// their message. Answered once.
    pub async fn answer_summary(
        &self,
        case_id: i64,
        confirmed: bool,
        comment: Option<&str>,
        context: &AuditContext,
    ) -> Result<Summary, StoreError> {
        let comment = comment
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| amends_core::message::parse_body("comment", c))
            .transpose()?;
        if !confirmed && comment.is_none() {
            return Err(FieldError::new("comment", "tell us what is wrong").into());
        }
        let mut tx = self.write.begin().await?;
        let case = load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let summary = latest_summary(&mut tx, case_id)
            .await?
            .ok_or(StoreError::NotFound("summary"))?;
        if summary.answer.is_some() {
            return Err(FieldError::new("confirmed", "this summary was already answered").into());
        }
        let answer = if confirmed { "confirmed" } else { "wrong" };
        sqlx::query(
            "update summaries set answer = $1, answer_comment = $2, answered_at = $3, \
             updated_at = $3 where id = $4",
        )
        .bind(answer)
        .bind(comment.as_deref())
        .bind(context.at.millis())
        .bind(summary.id)
        .execute(&mut *tx)
        .await?;
        let mut events = vec![
            AuditEvent::new("summary.answered", RecordKind::Case, case_id)
                .with_changes(vec![Change::new("summary", "", answer)]),
        ];
        if let Some(words) = &comment {
            let said = if confirmed {
                format!("About the summary (confirmed): {words}")
            } else {
                format!("The summary is not right: {words}")
            };
            let message = NewMessage {
                direction: Direction::Inbound,
                channel: case.channel,
                author_id: None,
                body: said,
                body_html: None,
                external_id: Some(format!("summary-answer:{}", summary.id)),
                reading: None,
            };
            let stored = insert_message(&mut tx, case_id, &message, context.at).await?;
            events.push(AuditEvent::new(
                "message.received",
                RecordKind::Message,
                stored.id,
            ));
        }
        audit::record(&mut tx, context, &events).await?;
        tx.commit().await?;
        Ok(Summary {
            answer: Some(answer.to_owned()),
            answer_comment: comment,
            ..summary
        })
    }
}

async fn load_plan(conn: &mut AnyConnection, case_id: i64) -> Result<Plan, StoreError> {
    let rows: Vec<StepRow> = sqlx::query_as(&format!(
        "select {STEP_COLUMNS} from plan_steps where case_id = $1 order by position"
    ))
    .bind(case_id)
    .fetch_all(&mut *conn)
    .await?;
    let answer: Option<String> = sqlx::query_scalar("select plan_answer from cases where id = $1")
        .bind(case_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("case"))?;
    Ok(Plan {
        case_id,
        steps: rows.into_iter().map(step).collect(),
        answer: answer.as_deref().and_then(PlanAnswer::parse),
    })
}

async fn latest_summary(
    conn: &mut AnyConnection,
    case_id: i64,
) -> Result<Option<Summary>, StoreError> {
    type Row = (i64, String, Option<String>, Option<String>, i64);
    let row: Option<Row> = sqlx::query_as(
        "select id, body, answer, answer_comment, created_at from summaries where case_id = $1 \
         order by id desc limit 1",
    )
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id, body, answer, answer_comment, at)| Summary {
        id,
        case_id,
        body,
        answer,
        answer_comment,
        created_at: Timestamp(at),
    }))
}
