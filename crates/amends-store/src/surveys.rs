//! Following up a resolved case: the satisfaction survey, asked through a signed link.

use amends_core::audit::AuditContext;
use amends_core::case::Case;
use amends_core::protocol::SurveyAnswer;
use amends_core::{follow_up, Timestamp};

use crate::apply::apply;
use crate::table::cases::{load_case, refresh_case, save_case};
use crate::{Backend, Store, StoreError};

/// A follow-up survey of one resolution.
#[derive(Debug, Clone)]
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
        let Some((survey_id, answered_at)) = open else {
            return Err(StoreError::NotFound("survey"));
        };
        let (next, outcome) = follow_up::answer(&case, answered_at.is_some(), answer, context.at)?;
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
        save_case(&mut tx, &next).await?;
        let next = refresh_case(&mut tx, case_id, context.at).await?;
        apply(&mut tx, context, outcome).await?;
        tx.commit().await?;
        Ok(next)
    }
}
