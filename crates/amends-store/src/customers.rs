//! Customers and the addresses that find them.

use amends_core::audit::AuditContext;
use amends_core::customer::NewCustomer;
use amends_core::{events, CaseSight, Customer};
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};

use crate::rows::{ContactRow, CustomerRow, CUSTOMER_COLUMNS};
use crate::{audit, Store, StoreError};

/// One page of customers, in id order.
#[derive(Debug, Clone)]
pub struct CustomerPage {
    /// The customers on this page.
    pub customers: Vec<Customer>,
    /// The id to continue after, when there are more.
    pub next_after: Option<i64>,
}

impl Store {
    /// Records a new customer with their contacts. An address already used by another
    /// customer is a [`StoreError::Conflict`], and nothing is written.
    pub async fn create_customer(
        &self,
        customer: &NewCustomer,
        context: &AuditContext,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.write.begin().await?;
        let id = insert_customer(&mut tx, customer, context).await?;
        let event = events::customer_created(id);
        audit::record(&mut tx, context, &[event]).await?;
        let created = load_customer(&mut tx, id).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// One customer.
    pub async fn customer(&self, id: i64) -> Result<Customer, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_customer(&mut conn, id).await
    }

    /// Customers whose name or an address contains `query` (any case), by id after `after`;
    /// for an agent with narrowed access, only the customers of the cases in their `sight`.
    pub async fn search_customers(
        &self,
        query: Option<&str>,
        sight: Option<CaseSight>,
        after: i64,
        limit: i64,
    ) -> Result<CustomerPage, StoreError> {
        let mut conditions = String::new();
        if query.is_some() {
            conditions += " and (lower(name) like $3 escape '\\' or id in (select customer_id \
                 from customer_contacts where lower(value) like $3 escape '\\'))";
        }
        if let Some(sight) = sight {
            let agent = if query.is_some() { "$4" } else { "$3" };
            conditions += &crate::sight::through_cases_in_sight("id", "customer_id", sight, agent);
        }
        let sql = format!(
            "select {CUSTOMER_COLUMNS} from customers where id > $1{conditions} \
             order by id limit $2"
        );
        let mut select = sqlx::query_as(&sql).bind(after).bind(limit + 1);
        if let Some(query) = query {
            select = select.bind(format!("%{}%", escape_like(&query.to_lowercase())));
        }
        if let Some(sight) = sight {
            select = select.bind(sight.agent_id);
        }
        let rows: Vec<CustomerRow> = select.fetch_all(&self.read).await?;
        let mut conn = self.read.acquire().await?;
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        let mut customers = Vec::new();
        for row in rows.into_iter().take(limit) {
            let contacts = contacts_of(&mut conn, row.id).await?;
            customers.push(row.into_customer(&contacts)?);
        }
        let next_after = more.then(|| customers.last().map(|c| c.id)).flatten();
        Ok(CustomerPage {
            customers,
            next_after,
        })
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Inserts a customer and their contacts; the caller records the `customer.created` event.
pub(crate) async fn insert_customer(
    conn: &mut AnyConnection,
    customer: &NewCustomer,
    context: &AuditContext,
) -> Result<i64, StoreError> {
    let now = context.at.millis();
    let insert = sqlx::query(
        "insert into customers (name, revenue_to_date_minor, currency, plan, billing_day, \
         invoice_dates, notes, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         returning id",
    );
    let id: i64 = bind_customer(insert, customer)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    for (kind, value) in contacts(customer) {
        sqlx::query(
            "insert into customer_contacts (customer_id, kind, value, created_at, updated_at) \
             values ($1, $2, $3, $4, $4)",
        )
        .bind(id)
        .bind(kind)
        .bind(value)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// The addresses that find a customer, in the order they are tried: emails, then phones.
pub(crate) fn lookup_addresses(
    customer: &NewCustomer,
) -> impl Iterator<Item = (&'static str, &str)> + '_ {
    let emails = customer.emails.iter().map(|e| ("email", e.as_str()));
    let phones = customer.phones.iter().map(|p| ("phone", p.as_str()));
    emails.chain(phones)
}

/// Every address a new customer is filed under: its lookup addresses and social handles.
pub(crate) fn contacts(customer: &NewCustomer) -> impl Iterator<Item = (&'static str, &str)> + '_ {
    let social = customer
        .social_handles
        .iter()
        .map(|h| ("social", h.as_str()));
    lookup_addresses(customer).chain(social)
}

/// Binds a new customer's columns, from `name` to `notes` in the order of the `customers`
/// table; the caller binds what comes before and after.
pub(crate) fn bind_customer<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    customer: &'q NewCustomer,
) -> Query<'q, Any, AnyArguments<'q>> {
    let invoice_dates: Vec<i64> = customer.invoice_dates.iter().map(|t| t.millis()).collect();
    query
        .bind(customer.name.as_str())
        .bind(customer.revenue_to_date_minor)
        .bind(customer.currency.as_str())
        .bind(customer.plan.as_deref())
        .bind(customer.billing_day.map(i64::from))
        .bind(serde_json::to_string(&invoice_dates).unwrap_or_else(|_| "[]".to_owned()))
        .bind(customer.notes.as_str())
}

/// The customer who owns the address `value` of `kind`, if any.
pub(crate) async fn customer_with_contact(
    conn: &mut AnyConnection,
    kind: &str,
    value: &str,
) -> Result<Option<(i64, i64)>, StoreError> {
    let found = sqlx::query_as(
        "select customers.id, customers.revenue_to_date_minor from customer_contacts \
         join customers on customers.id = customer_contacts.customer_id \
         where customer_contacts.kind = $1 and customer_contacts.value = $2",
    )
    .bind(kind)
    .bind(value)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found)
}

pub(crate) async fn load_customer(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Customer, StoreError> {
    let row: CustomerRow = sqlx::query_as(&format!(
        "select {CUSTOMER_COLUMNS} from customers where id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("customer"))?;
    let contacts = contacts_of(conn, id).await?;
    row.into_customer(&contacts)
}

async fn contacts_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<ContactRow>, StoreError> {
    let contacts = sqlx::query_as(
        "select customer_id, kind, value from customer_contacts where customer_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(contacts)
}
