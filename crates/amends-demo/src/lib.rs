//! A demo desk: a small team, a few hundred customers, cases in every state with angry, calm,
//! abusive and about-to-leave customers, so a newcomer sees Amends as it is used.
//!
//! Reproducible (a fixed seed) and written through the store like real traffic, so the audit
//! trail and the queue are exactly what the real desk would hold. It must never touch a
//! database that already has agents.

mod help_centre;
mod incidents;
mod words;

use amends_core::audit::{Actor, AuditContext};
use amends_core::case::WinBack;
use amends_core::case::{after_message, apply_change, record_win_back, CaseChange, NewCase};
use amends_core::compensation::{CompensationKind, NewCompensation};
use amends_core::customer::{CustomerName, NewCustomer};
use amends_core::message::Reading;
use amends_core::promise::{NewPromise, PromiseKind};
use amends_core::{
    AgentRole, CaseStatus, Channel, Direction, EmailAddress, PhoneNumber, Timestamp,
};
use amends_store::{NewAgent, NewMessage, OpenCase, Store, StoreError};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// How to sign in to the demo desk.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    /// The demo admin's address.
    pub email: String,
    /// Their password.
    pub password: String,
    /// What happened: filled now, or left as it was.
    pub note: String,
}

/// The demo password, the same for every demo agent. Demo desks are local and throwaway.
pub const DEMO_PASSWORD: &str = "amends-demo";
/// The demo admin's address.
pub const DEMO_ADMIN: &str = "admin@demo.amends.test";

const DAY: i64 = 86_400_000;

/// Reads a customer's words (the text engine, passed in so the demo needs no engine of its own).
pub type Reader = fn(&str) -> Reading;

/// Fills the desk when it has no agents yet; otherwise leaves it alone. `password_hash` is the
/// argon2id hash of [`DEMO_PASSWORD`], made by the caller.
pub async fn fill_if_empty(
    store: &Store,
    now: Timestamp,
    password_hash: &str,
    customers: usize,
    read: Reader,
) -> Result<DemoLogin, StoreError> {
    let login = |note: &str| DemoLogin {
        email: DEMO_ADMIN.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        note: note.to_owned(),
    };
    if !store.is_empty().await? {
        return Ok(login(
            "the database already had agents, so no demo data was added",
        ));
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let team = hire_team(store, now, password_hash).await?;
    let articles = help_centre::write_articles(store, team[0], now.plus_millis(-30 * DAY)).await?;
    let mut cases = 0;
    for i in 0..customers {
        cases += customer_story(store, &mut rng, &team, now, i, read).await?;
    }
    let incidents = incidents::declare_incidents(store, team[0], now).await?;
    Ok(login(&format!(
        "filled a demo desk: {} agents, {customers} customers, {cases} cases, {articles} \
         articles, {incidents} incidents",
        team.len()
    )))
}

async fn hire_team(
    store: &Store,
    now: Timestamp,
    password_hash: &str,
) -> Result<Vec<i64>, StoreError> {
    let context = AuditContext {
        actor: Actor::System,
        at: now.plus_millis(-31 * DAY),
        remote_addr: None,
    };
    let mut ids = Vec::new();
    for (i, (name, role, limit)) in words::TEAM.iter().enumerate() {
        let email = if i == 0 {
            DEMO_ADMIN.to_owned()
        } else {
            format!(
                "{}@demo.amends.test",
                name.split(' ').next().unwrap_or("agent").to_lowercase()
            )
        };
        let agent = NewAgent {
            email,
            name: (*name).to_owned(),
            role: AgentRole::parse(role).unwrap_or(AgentRole::Agent),
            password_hash: Some(password_hash.to_owned()),
            authority_limit_minor: *limit,
            supervisor_id: None,
            case_access: amends_core::CaseAccess::All,
        };
        ids.push(store.create_agent(&agent, &context).await?.id);
    }
    Ok(ids)
}

fn demo_customer(rng: &mut StdRng, i: usize) -> Result<NewCustomer, StoreError> {
    let first = words::FIRST_NAMES[i % words::FIRST_NAMES.len()];
    let last = words::LAST_NAMES[(i * 7 + i / words::FIRST_NAMES.len()) % words::LAST_NAMES.len()];
    let name = format!("{first} {last}");
    let mut customer = NewCustomer::named(CustomerName::parse("name", &name)?);
    let email = format!(
        "{}.{}{}@example.com",
        first.to_lowercase(),
        last.to_lowercase(),
        i
    );
    customer.emails = EmailAddress::parse("email", &email).into_iter().collect();
    if rng.gen_bool(0.6) {
        let phone = format!("+1555{:07}", 1_000_000 + i);
        customer.phones = PhoneNumber::parse("phone", &phone).into_iter().collect();
    }
    if rng.gen_bool(0.2) {
        customer.social_handles = vec![format!("twitter:@{}{}", first.to_lowercase(), i)];
    }
    let plan = *[("starter", 2_900), ("pro", 9_900), ("business", 49_900)]
        .choose(rng)
        .unwrap_or(&("pro", 9_900));
    customer.plan = Some(plan.0.to_owned());
    customer.revenue_to_date_minor = plan.1 * rng.gen_range(1..36);
    customer.billing_day = Some(rng.gen_range(1..=28));
    Ok(customer)
}

/// One customer and their cases; returns how many cases.
async fn customer_story(
    store: &Store,
    rng: &mut StdRng,
    team: &[i64],
    now: Timestamp,
    i: usize,
    read: Reader,
) -> Result<usize, StoreError> {
    let customer = demo_customer(rng, i)?;
    let count = *[1usize, 1, 1, 2, 2, 3].choose(rng).unwrap_or(&1);
    for _ in 0..count {
        let opened = now.plus_millis(-rng.gen_range(0..30 * DAY));
        let mood = words::pick_mood(rng);
        let (subject, body) = words::complaint(rng, mood, customer.name.as_str());
        let reading = read(&body);
        let request = OpenCase {
            customer: customer.clone(),
            case: NewCase {
                channel: *Channel::ALL.choose(rng).unwrap_or(&Channel::Email),
                subject,
                body,
                priority: mood.priority(rng),
            },
            body_html: None,
            external_id: None,
            reading: Some(reading),
        };
        let opened_case = store.open_case(&request, &at(opened)).await?;
        work_the_case(store, rng, team, opened_case.case, now, read).await?;
    }
    Ok(count)
}

fn at(instant: Timestamp) -> AuditContext {
    AuditContext {
        actor: Actor::System,
        at: instant,
        remote_addr: None,
    }
}

fn agent_at(agent_id: i64, instant: Timestamp) -> AuditContext {
    AuditContext {
        actor: Actor::Agent { agent_id },
        at: instant,
        remote_addr: None,
    }
}

/// One agent's hand on one case: what they say on it goes through the store as real traffic.
#[derive(Clone, Copy)]
struct Hand<'a> {
    store: &'a Store,
    case_id: i64,
    agent: i64,
    read: Reader,
}

impl Hand<'_> {
    async fn say(
        self,
        direction: Direction,
        body: String,
        when: Timestamp,
    ) -> Result<(), StoreError> {
        send(
            self.store,
            self.case_id,
            self.agent,
            direction,
            body,
            when,
            self.read,
        )
        .await
    }

    async fn change(self, change: CaseChange, when: Timestamp) -> Result<(), StoreError> {
        self.store
            .update_case(self.case_id, &agent_at(self.agent, when), |c| {
                apply_change(c, &change, when)
            })
            .await?;
        Ok(())
    }
}

/// Moves a case along a plausible path: assigned, answered, maybe answered back, resolved,
/// closed or reopened, with a reminder for some of those still open.
async fn work_the_case(
    store: &Store,
    rng: &mut StdRng,
    team: &[i64],
    case: amends_core::Case,
    now: Timestamp,
    read: Reader,
) -> Result<(), StoreError> {
    let stage = rng.gen_range(0..10);
    if stage == 0 {
        return Ok(()); // new, nobody has looked yet
    }
    let agent = *team.choose(rng).unwrap_or(&team[0]);
    let hand = Hand {
        store,
        case_id: case.id,
        agent,
        read,
    };
    let mut when = case
        .opened_at
        .plus_millis(rng.gen_range(5 * 60_000..6 * 3_600_000))
        .min(now);
    let assign = CaseChange {
        owner_id: Some(Some(agent)),
        status: Some(CaseStatus::Open),
        ..CaseChange::default()
    };
    hand.change(assign, when).await?;
    if stage >= 2 {
        hand.say(Direction::Outbound, words::reply(rng), when)
            .await?;
    }
    if stage >= 4 && rng.gen_bool(0.6) {
        when = when.plus_millis(rng.gen_range(600_000..DAY)).min(now);
        back_and_forth(hand, rng, when, now).await?;
    }
    if stage >= 6 {
        when = when.plus_millis(rng.gen_range(600_000..2 * DAY)).min(now);
        settle(store, rng, agent, &case, when).await?;
        let status = if stage == 9 {
            CaseStatus::Closed
        } else {
            CaseStatus::Resolved
        };
        let resolve = CaseChange {
            status: Some(status),
            ..CaseChange::default()
        };
        hand.change(resolve, when).await?;
        if stage == 8 && rng.gen_bool(0.4) {
            when = when.plus_millis(rng.gen_range(600_000..DAY)).min(now);
            hand.say(Direction::Inbound, words::still_broken(rng), when)
                .await?;
        }
    } else if rng.gen_bool(0.4) {
        promise_a_call_back(hand, rng, when, now).await?;
    }
    Ok(())
}

/// The customer writes again, the agent notes it and answers: the first contact did not
/// settle it.
async fn back_and_forth(
    hand: Hand<'_>,
    rng: &mut StdRng,
    when: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    hand.say(Direction::Inbound, words::follow_up(rng), when)
        .await?;
    hand.say(Direction::Note, words::note(rng), when).await?;
    let reply = words::reply(rng);
    let answered = when.plus_millis(rng.gen_range(60_000..3_600_000)).min(now);
    hand.say(Direction::Outbound, reply, answered).await
}

/// A call-back promised when the case was picked up: most still ahead, some already missed
/// (the job runner breaks those when the desk starts).
async fn promise_a_call_back(
    hand: Hand<'_>,
    rng: &mut StdRng,
    when: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let due = if rng.gen_bool(0.25) {
        when.plus_millis(rng.gen_range(3_600_000..4 * 3_600_000))
    } else {
        now.plus_millis(rng.gen_range(20 * 60_000..3 * DAY))
    };
    let promise = NewPromise::parse(
        PromiseKind::CallBack,
        "call back with an update on what we found",
        hand.agent,
        Some(due),
        when,
    )?;
    hand.store
        .make_promise(hand.case_id, &promise, &agent_at(hand.agent, when))
        .await?;
    Ok(())
}

/// What a resolution often brings: a promise kept on the way, some compensation (above the
/// agent's authority it waits for a supervisor), and how a win-back ended.
async fn settle(
    store: &Store,
    rng: &mut StdRng,
    agent: i64,
    case: &amends_core::Case,
    when: Timestamp,
) -> Result<(), StoreError> {
    let context = agent_at(agent, when.plus_millis(-2 * 3_600_000));
    if rng.gen_bool(0.5) {
        let promise = NewPromise::parse(
            PromiseKind::Update,
            "send an update on the investigation",
            agent,
            Some(when),
            context.at,
        )?;
        let made = store.make_promise(case.id, &promise, &context).await?;
        store
            .keep_promise(made.id, &agent_at(agent, when.plus_millis(-3_600_000)))
            .await?;
    }
    if rng.gen_bool(0.35) {
        let kind = *[
            CompensationKind::Refund,
            CompensationKind::Credit,
            CompensationKind::Gift,
        ]
        .choose(rng)
        .unwrap_or(&CompensationKind::Refund);
        let amount = rng.gen_range(5..80) * 100;
        let grant = NewCompensation::parse(kind, amount, "USD", "sorry for the trouble")?;
        let granting = store.agent(agent).await?;
        store
            .grant_compensation(
                case.id,
                &granting,
                &grant,
                amends_core::compensation::DEFAULT_AUTHORITY_PERIOD_DAYS,
                &agent_at(agent, when),
            )
            .await?;
    }
    let current = store.case(case.id).await?;
    if current.win_back.is_some() {
        let outcome = if rng.gen_bool(0.7) {
            WinBack::Stayed
        } else {
            WinBack::Left
        };
        store
            .update_case(case.id, &agent_at(agent, when), |c| {
                record_win_back(c, outcome, when).map(|(next, event)| (next, vec![event]))
            })
            .await?;
    }
    Ok(())
}

async fn send(
    store: &Store,
    case_id: i64,
    agent: i64,
    direction: Direction,
    body: String,
    when: Timestamp,
    read: Reader,
) -> Result<(), StoreError> {
    let message = NewMessage {
        reading: (direction == Direction::Inbound).then(|| read(&body)),
        direction,
        channel: store.case(case_id).await?.channel,
        author_id: (direction != Direction::Inbound).then_some(agent),
        body,
        body_html: None,
        external_id: None,
    };
    let context = if direction == Direction::Inbound {
        at(when)
    } else {
        agent_at(agent, when)
    };
    store
        .add_message(case_id, &message, &context, |c| {
            after_message(c, direction, when)
        })
        .await?;
    Ok(())
}
