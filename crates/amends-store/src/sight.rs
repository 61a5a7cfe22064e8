//! What an agent with narrowed case access may reach: the case behind any record a request
//! names by its own id, and whether a customer has a case in their sight.

use amends_core::CaseSight;

use crate::{Store, StoreError};

/// The condition keeping `cases` to what `sight` sees, with `agent` the placeholder its agent's
/// id is bound to.
pub(crate) fn sight_condition(sight: CaseSight, agent: &str) -> String {
    if sight.unowned {
        format!(" and (cases.owner_id = {agent} or cases.owner_id is null)")
    } else {
        format!(" and cases.owner_id = {agent}")
    }
}

/// The condition keeping `column` to the values of `of` (a column of `cases`) on the cases
/// `sight` sees, with `agent` the placeholder its agent's id is bound to: a narrowed agent's
/// customers or notices.
pub(crate) fn through_cases_in_sight(
    column: &str,
    of: &str,
    sight: CaseSight,
    agent: &str,
) -> String {
    let cases = sight_condition(sight, agent);
    format!(" and {column} in (select {of} from cases where 1 = 1{cases})")
}

/// A record that belongs to one case, named in a request by its own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRecord {
    /// The case itself.
    Case,
    /// A fact gathered on a case.
    Fact,
    /// A promise made on a case.
    Promise,
    /// A step of a case's action plan.
    PlanStep,
    /// A mail attachment, through its message.
    Attachment,
    /// A merge, through the case that survived it.
    Merge,
    /// A notice sent to a case's customer.
    Notice,
    /// Compensation recorded on a case.
    Compensation,
}

impl CaseRecord {
    /// The query giving the owner of the record's case (one row, one nullable column), or no
    /// row when there is no such record.
    fn owner_query(self) -> &'static str {
        match self {
            CaseRecord::Case => "select owner_id from cases where id = $1",
            CaseRecord::Fact => {
                "select cases.owner_id from facts join cases on cases.id = facts.case_id \
                 where facts.id = $1"
            }
            CaseRecord::Promise => {
                "select cases.owner_id from promises join cases on cases.id = promises.case_id \
                 where promises.id = $1"
            }
            CaseRecord::PlanStep => {
                "select cases.owner_id from plan_steps join cases on cases.id = plan_steps.case_id \
                 where plan_steps.id = $1"
            }
            CaseRecord::Attachment => {
                "select cases.owner_id from attachments join messages on \
                 messages.id = attachments.message_id join cases on cases.id = messages.case_id \
                 where attachments.id = $1"
            }
            CaseRecord::Merge => {
                "select cases.owner_id from case_merges join cases on \
                 cases.id = case_merges.survivor_id where case_merges.id = $1"
            }
            CaseRecord::Notice => {
                "select cases.owner_id from notices join cases on cases.id = notices.case_id \
                 where notices.id = $1"
            }
            CaseRecord::Compensation => {
                "select cases.owner_id from compensation join cases on \
                 cases.id = compensation.case_id where compensation.id = $1"
            }
        }
    }
}

impl Store {
    /// Who owns the case `record` `id` belongs to (`None` when no one does). Not found when
    /// there is no such record.
    pub async fn owner_of_case_holding(
        &self,
        record: CaseRecord,
        id: i64,
    ) -> Result<Option<i64>, StoreError> {
        let owner: Option<Option<i64>> = sqlx::query_scalar(record.owner_query())
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        owner.ok_or(StoreError::NotFound("record"))
    }

    /// Whether at least one of the customer's cases is in `sight`.
    pub async fn customer_in_sight(
        &self,
        customer_id: i64,
        sight: CaseSight,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "select count(*) from (select 1 from cases where customer_id = $1{} limit 1) found",
            sight_condition(sight, "$2")
        );
        let found: i64 = sqlx::query_scalar(&sql)
            .bind(customer_id)
            .bind(sight.agent_id)
            .fetch_one(&self.read)
            .await?;
        Ok(found > 0)
    }
}
