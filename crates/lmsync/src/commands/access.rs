//! `lmsync accounts|tokens`: who may use the console and the API (DECISIONS §7).

use anyhow::{Result, bail};
use lmsync_core::access::{Role, new_password};

use crate::app::App;
use crate::cli::{AccountsCommand, TokensCommand};

fn role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| anyhow::anyhow!("unknown role {s:?}: admin, operator or viewer"))
}

pub fn accounts(app: &App, cmd: AccountsCommand) -> Result<i32> {
    let mut store = app.store()?;
    match cmd {
        AccountsCommand::List => {
            for a in store.accounts()? {
                println!("{:<24} {:<9} created {}", a.name, a.role.as_str(), app.clock.display(a.created));
            }
        }
        AccountsCommand::Set { username, role: r, password_env } => {
            let (password, shown) = match password_env {
                Some(var) => match std::env::var(&var) {
                    Ok(p) if p.len() >= 8 => (p, false),
                    Ok(_) => bail!("the password in ${var} is shorter than 8 characters"),
                    Err(_) => bail!("${var} is not set"),
                },
                None => (new_password(), true),
            };
            store.set_account(&username, &password, role(&r)?)?;
            println!("account {username}: role {r}");
            if shown {
                println!("password (shown once): {password}");
            }
        }
        AccountsCommand::Remove { username } => {
            if !store.remove_account(&username)? {
                bail!("no account {username}");
            }
            println!("account {username} removed");
        }
    }
    Ok(0)
}

pub fn tokens(app: &App, cmd: TokensCommand) -> Result<i32> {
    let mut store = app.store()?;
    match cmd {
        TokensCommand::List => {
            for t in store.tokens()? {
                println!("{:<24} {:<9} created {}", t.name, t.role.as_str(), app.clock.display(t.created));
            }
        }
        TokensCommand::Create { name, role: r } => {
            let token = store.create_token(&name, role(&r)?)?;
            println!("token {name} ({r}), shown once:\n{token}");
        }
        TokensCommand::Revoke { name } => {
            if !store.revoke_token(&name)? {
                bail!("no token {name}");
            }
            println!("token {name} revoked");
        }
    }
    Ok(0)
}
