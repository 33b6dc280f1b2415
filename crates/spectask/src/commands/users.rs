//! `spectask user add|list` and `spectask token create|list|revoke`: users and API tokens, written to the
//! database directly (a server that refuses to start without users needs them first). Tokens are
//! hashed under the token key, `<data-dir>/token.key`, created on first use; servers sharing a
//! PostgreSQL database must be given the same key file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use spectask_store::{DatabaseUrl, TokenKey};

use crate::cli::{StoreArgs, TokenCommand, UserCommand};
use crate::output::outln;
use crate::serve::{default_data_dir, open_store};

/// The token key's file in a data directory.
pub const TOKEN_KEY_FILE: &str = "token.key";

pub async fn run_user(command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add { name, role, store } => {
            let store = open(&store).await?;
            let added = store.add_user(&name, role).await;
            store.close().await;
            let user = added?;
            outln!(
                "added user {} ({}); give them a token with `spectask token create --user {}`",
                user.name,
                user.role,
                user.name
            )?;
        }
        UserCommand::Role { name, role, store } => {
            let store = open(&store).await?;
            let set = store.set_user_role(&name, role).await;
            store.close().await;
            let user = set.map_err(|err| match err {
                spectask_store::StoreError::NotFound { .. } => {
                    anyhow::anyhow!("no user is named {name:?} (`spectask user list` shows them)")
                }
                other => other.into(),
            })?;
            outln!("user {} is now {}", user.name, user.role)?;
        }
        UserCommand::Budget { name, budget, store } => {
            let store = open(&store).await?;
            let shown = user_budget(&store, &name, &budget).await;
            store.close().await;
            outln!("{}", shown?)?;
        }
        UserCommand::List { store } => {
            let store = open(&store).await?;
            let users = store.users().await;
            store.close().await;
            for user in users? {
                outln!("{}\t{}\t{}", user.name, user.role, user.created_at.to_rfc3339())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets a user's daily budget when one is given, and says where they stand today.
async fn user_budget(
    store: &spectask_store::Store,
    name: &str,
    args: &crate::cli::DailyBudgetArgs,
) -> anyhow::Result<String> {
    use spectask_core::{Budget, BudgetDefaults, BudgetScope};
    if name != spectask_store::LOCAL_USER && store.user_named(name).await?.is_none() {
        anyhow::bail!("no user is named {name:?} (`spectask user list` shows them)");
    }
    if args.body().is_some() {
        // Checked by the command line's parser already; again here, by the same rules.
        let cost = args
            .cost
            .map(|c| {
                spectask_core::spending::amount::money(
                    "--daily-cost",
                    c,
                    "--currency",
                    args.currency.as_deref(),
                )
            })
            .transpose()?;
        let budget = Budget { tokens: args.tokens, cost };
        let spent = store.daily_spent(BudgetScope::User, name, chrono::Utc::now()).await?;
        let level = budget.use_of(&spent).level();
        store.set_daily_budget(BudgetScope::User, name, &budget, "operator", level).await?;
    }
    // The configuration's default is the server's to apply; here only a budget set for the user.
    let standing =
        store.daily_standing(BudgetScope::User, name, &BudgetDefaults::default(), chrono::Utc::now()).await?;
    let dto = serde_json::to_value(spectask_server::DailyBudgetDto::from(&standing))?;
    let line = crate::usage_text::daily_budget(&dto);
    Ok(if standing.own.is_none() {
        format!(
            "{name} {line} (none set here: the configuration's [budget] user_daily_tokens and user_daily_cost hold)"
        )
    } else {
        format!("{name} {line}")
    })
}

pub async fn run_token(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create { user, store: args } => {
            let key = token_key(&data_dir(&args)?)?;
            let store = open(&args).await?;
            let created = store.create_api_token(&key, &user).await;
            store.close().await;
            let token = created?;
            outln!("{token}")?;
            crate::output::errln!(
                "an API token for {user}; it is shown only now. Use it as SPECTASK_TOKEN or \
                 Authorization: Bearer, or log in to the web UI with it."
            );
        }
        TokenCommand::List { user, store: args } => {
            let store = open(&args).await?;
            let tokens = store.api_tokens(user.as_deref()).await;
            store.close().await;
            for token in tokens? {
                let revoked = token.revoked_at.map_or_else(|| "-".to_owned(), |at| at.to_rfc3339());
                outln!(
                    "{}\t{}\t{}\trevoked: {revoked}",
                    token.id,
                    token.user,
                    token.created_at.to_rfc3339()
                )?;
            }
        }
        TokenCommand::Revoke { token, store: args } => {
            let key = token_key(&data_dir(&args)?)?;
            let store = open(&args).await?;
            let revoked = store.revoke_api_token(&key, &token).await;
            store.close().await;
            let revoked = revoked?;
            let at = revoked.revoked_at.map(|at| at.to_rfc3339()).unwrap_or_default();
            outln!(
                "revoked API token {} of {} ({at}); no server accepts it any more",
                revoked.id,
                revoked.user
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn data_dir(args: &StoreArgs) -> anyhow::Result<PathBuf> {
    match &args.data_dir {
        Some(dir) => Ok(dir.clone()),
        None => default_data_dir(),
    }
}

async fn open(args: &StoreArgs) -> anyhow::Result<spectask_store::Store> {
    let url = match &args.database_url {
        Some(url) => DatabaseUrl::parse(url)?,
        None => DatabaseUrl::sqlite_in(&data_dir(args)?),
    };
    open_store(&url).await
}

/// The token key of `data_dir`, created (readable by its owner only) when there is none.
pub fn token_key(data_dir: &Path) -> anyhow::Result<TokenKey> {
    let path = data_dir.join(TOKEN_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return TokenKey::from_hex(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let key = TokenKey::generate()?;
    // Written aside, then linked into place: nobody reads half a key, and of two processes creating
    // it at once one wins and the other reads the winner's.
    let aside = data_dir.join(format!("{TOKEN_KEY_FILE}.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&aside).and_then(|mut file| file.write_all(key.to_hex().as_bytes()));
    let linked = written.and_then(|()| std::fs::hard_link(&aside, &path));
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(key),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => token_key(data_dir),
        Err(err) => Err(err).with_context(|| format!("cannot create {}", path.display())),
    }
}
