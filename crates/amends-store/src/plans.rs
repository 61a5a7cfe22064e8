//! Action plans shared with the customer, and the written summary they confirm or correct.

use amends_core::audit::AuditContext;
use amends_core::protocol::{check_plan, NewPlanStep, PlanAnswer, PlanStep};
use amends_core::{plan, FieldError, Timestamp};
use sqlx::AnyConnection;

use crate::apply::apply;
use crate::table::cases::load_case;
use crate::{Backend, Store, StoreError};

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
#[derive(Debug, Clone)]
pub struct Plan {
    /// The case.
    pub case_id: i64,
    /// Its steps, in order.
    pub steps: Vec<PlanStep>,
    /// What the customer said, if anything yet.
    pub answer: Option<PlanAnswer>,
}

/// A written summary sent to the customer.
#[derive(Debug, Clone)]
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
        load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
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
            .bind(i64::try_from(i + 1).unwrap_or(i64::MAX))
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
        let outcome = plan::shared(case_id, &before.steps, &plan.steps, plan_url);
        apply(&mut tx, context, outcome).await?;
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
        let outcome = plan::step_done(&done, &plan_url(done.case_id))?;
        sqlx::query("update plan_steps set done_at = $1, updated_at = $1 where id = $2")
            .bind(context.at.millis())
            .bind(step_id)
            .execute(&mut *tx)
            .await?;
        apply(&mut tx, context, outcome).await?;
        let plan = load_plan(&mut tx, done.case_id).await?;
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
        let outcome = plan::answered(case_id, case.owner_id, plan.answer, answer)?;
        sqlx::query("update cases set plan_answer = $1, updated_at = $2 where id = $3")
            .bind(answer.as_str())
            .bind(context.at.millis())
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        apply(&mut tx, context, outcome).await?;
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
        load_case(&mut tx, case_id, false).await?;
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
        apply(
            &mut tx,
            context,
            plan::summary_sent(case_id, &body, summary_url),
        )
        .await?;
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
        let mut tx = self.write.begin().await?;
        load_case(&mut tx, case_id, self.backend == Backend::Postgres).await?;
        let summary = latest_summary(&mut tx, case_id)
            .await?
            .ok_or(StoreError::NotFound("summary"))?;
        let answered = summary.answer.is_some();
        let outcome =
            plan::summary_answered(case_id, summary.id, answered, confirmed, comment.as_deref())?;
        let answer = plan::summary_answer(confirmed);
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
        apply(&mut tx, context, outcome).await?;
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
