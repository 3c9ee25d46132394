//! The `backoffice` command: serve (the default), create the first admin, verify the audit chain.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use super::audit::{RequestMeta, Verdict, Who};
use super::config::{Config, P100Mode};
use super::{db, staff};
use crate::domain::Role;
use crate::domain::staff::NewStaffInput;

#[derive(Parser)]
#[command(
    name = "backoffice",
    about = "Staff back office for P100 partners (configured by environment variables; see .env.example)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the back office (the default).
    Serve,
    /// Create an admin account; the password is read from the terminal or from standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Remove a member's two-factor enrolment and end their sessions (when no admin can sign in to
    /// do it from the Staff page); audited.
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain and name the first broken row.
    Verify,
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("backoffice: {err}");
            return ExitCode::FAILURE;
        }
    };
    super::init_tracing(&config);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::CreateAdmin { email, name } => create_admin(&config, email, name).await,
        Command::ResetTwoFactor { email } => reset_two_factor(&config, &email).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => verify_audit(&config).await,
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("backoffice: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<ExitCode, String> {
    let addr = config.bind_addr;
    match &config.p100 {
        P100Mode::Sandbox => {
            tracing::info!("P100: built-in SANDBOX (no P100_BASE_URL/P100_API_KEY set); demo staff seeded")
        }
        P100Mode::Live { base_url, .. } => tracing::info!(%base_url, "P100: live API"),
    }
    let public_url = config.public_url.clone();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| super::StartError::Bind { addr, source }.to_string())?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let (_, router) = super::build(config, super::leptos_options(), local)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(%addr, "back office listening on {public_url}");
    super::serve(listener, router).await.map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

async fn create_admin(config: &Config, email: String, name: String) -> Result<ExitCode, String> {
    let password = read_password().map_err(|e| format!("reading the password: {e}"))?;
    let input = NewStaffInput {
        email,
        name,
        password,
        roles: vec![Role::Admin],
    };
    let new = input.parse().map_err(describe)?;
    let db = db::connect(config.database_url.expose_secret())
        .await
        .map_err(|e| e.to_string())?;
    super::audit::use_key(&db, config.audit_key.clone());
    let meta = RequestMeta {
        user_agent: Some("backoffice create-admin".into()),
        ..RequestMeta::default()
    };
    let created = staff::insert(&db, &Who::system(), &meta, new).await.map_err(describe)?;
    println!("Created admin {} ({})", created.email, created.id);
    Ok(ExitCode::SUCCESS)
}

async fn reset_two_factor(config: &Config, email: &str) -> Result<ExitCode, String> {
    let db = db::connect(config.database_url.expose_secret())
        .await
        .map_err(|e| e.to_string())?;
    super::audit::use_key(&db, config.audit_key.clone());
    super::auth::two_factor::reset_from_command_line(&db, email)
        .await
        .map_err(describe)?;
    println!("Two-factor removed for {}; their sessions have ended.", email.trim());
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> std::io::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12+ characters): ")?;
        let again = rpassword::prompt_password("Same password again: ")?;
        if first != again {
            return Err(std::io::Error::other("the two passwords differ"));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn describe(err: crate::domain::AppError) -> String {
    match err.field_errors() {
        Some(fields) => fields
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect::<Vec<_>>()
            .join("; "),
        None => err.to_string(),
    }
}

async fn verify_audit(config: &Config) -> Result<ExitCode, String> {
    let db = db::connect(config.database_url.expose_secret())
        .await
        .map_err(|e| e.to_string())?;
    super::audit::use_key(&db, config.audit_key.clone());
    match super::audit::verify(&db, &config.audit_key)
        .await
        .map_err(|e| e.to_string())?
    {
        Verdict::Intact { rows } => {
            println!("audit chain intact: {rows} rows");
            Ok(ExitCode::SUCCESS)
        }
        Verdict::Broken { seq, problem } => {
            println!("audit chain BROKEN at row {seq}: {problem}");
            Ok(ExitCode::FAILURE)
        }
    }
}
