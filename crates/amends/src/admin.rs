//! `amends admin`: what an operator does at the shell (agents, passwords, tokens), recorded in
//! the audit trail as the shell's doing.

use std::io::Read;

use amends_core::audit::{Actor, AuditContext};
use amends_server::{Clock, SystemClock};
use anyhow::{bail, Context};
use clap::Subcommand;

use crate::config::Config;
use crate::{open, DatabaseArg};

#[derive(Subcommand)]
pub(crate) enum AdminCommand {
    /// Adds an agent; the password is read from standard input.
    CreateAgent {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// agent, supervisor or admin.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Compensation authority per case, in minor units (cents).
        #[arg(long, default_value_t = 0)]
        authority_limit: i64,
        /// Which cases they may see: all, owned_and_unowned or owned.
        #[arg(long, default_value = "all")]
        case_access: String,
    },
    /// Sets an agent's password (read from standard input) and ends their sessions: the way
    /// back in for an agent who forgot it.
    SetPassword {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        email: String,
    },
    /// Makes an API token for an agent and prints it on standard output, nothing else.
    CreateToken {
        #[command(flatten)]
        database: DatabaseArg,
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "created from the shell")]
        label: String,
        /// What it may do: full, read_only, or intake (mail and webhooks only, for an MTA).
        #[arg(long, default_value = "full")]
        scope: String,
        /// Days until it stops working; never when absent.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
}

fn shell(at: amends_core::Timestamp) -> AuditContext {
    AuditContext {
        actor: Actor::Shell,
        at,
        remote_addr: None,
    }
}

pub(crate) async fn run_admin(command: AdminCommand, config: &Config) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match command {
        AdminCommand::CreateAgent {
            database,
            email,
            name,
            role,
            authority_limit,
            case_access,
        } => {
            let case_access = amends_core::CaseAccess::parse(&case_access).with_context(|| {
                format!("--case-access {case_access}: must be all, owned_and_unowned or owned")
            })?;
            let password = read_password()?;
            let password = password.as_str();
            let agent = amends_server::new_agent(&email, &name, &role, password, authority_limit)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let agent = amends_store::NewAgent {
                case_access,
                ..agent
            };
            let store = open(&database, config).await?;
            let created = store.create_agent(&agent, &shell(now)).await;
            store.close().await;
            let created = created.with_context(|| format!("creating {email}"))?;
            eprintln!(
                "created {} {} <{}> (id {})",
                created.role.as_str(),
                created.name,
                created.email,
                created.id
            );
            Ok(())
        }
        AdminCommand::SetPassword { database, email } => {
            let password = read_password()?;
            let password = password.as_str();
            amends_core::agent::check_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
            let hash = amends_server::accounts::hash_password(password)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = open(&database, config).await?;
            let email = email.trim().to_lowercase();
            let agent = store.agents().await?.into_iter().find(|a| a.email == email);
            let Some(agent) = agent else {
                store.close().await;
                bail!("no agent with email {email}");
            };
            let set = store.set_password(agent.id, &hash, None, &shell(now)).await;
            store.close().await;
            set.with_context(|| format!("setting the password of {email}"))?;
            eprintln!("set the password of {email}; their sessions have ended");
            Ok(())
        }
        AdminCommand::CreateToken {
            database,
            email,
            label,
            scope,
            expires_in_days,
        } => {
            let token = NewShellToken {
                email,
                label,
                scope,
                expires_in_days,
            };
            create_token(&database, config, token, now).await
        }
    }
}

/// A token made at the shell, as asked for.
struct NewShellToken {
    email: String,
    label: String,
    scope: String,
    expires_in_days: Option<i64>,
}

/// Makes an API token at the shell and prints its secret, the command's whole output.
async fn create_token(
    database: &DatabaseArg,
    config: &Config,
    token: NewShellToken,
    now: amends_core::Timestamp,
) -> anyhow::Result<()> {
    let NewShellToken {
        email,
        label,
        scope,
        expires_in_days,
    } = token;
    let Some(scope) = amends_core::account::TokenScope::parse(&scope) else {
        bail!("--scope must be one of full, read_only, intake");
    };
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..=3650) => Some(now.plus_millis(days * 86_400_000)),
        Some(_) => bail!("--expires-in-days must be between 1 and 3650"),
    };
    let store = open(database, config).await?;
    let agents = store.agents().await?;
    let email = email.trim().to_lowercase();
    let Some(agent) = agents.into_iter().find(|a| a.email == email) else {
        store.close().await;
        bail!("no agent with email {email}");
    };
    let secret = amends_server::accounts::new_secret();
    let digest = amends_server::accounts::digest(&secret);
    let created = store
        .create_token(agent.id, &digest, &label, scope, expires_at, &shell(now))
        .await;
    store.close().await;
    created?;
    #[allow(clippy::print_stdout)] // the token on stdout is this command's whole output
    {
        println!("{secret}");
    }
    Ok(())
}

/// A password piped to the command, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    Ok(password.trim_end_matches(['\n', '\r']).to_owned())
}
