//! Signing in and out, and who is signed in.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::staff::SessionInfo;

/// Who is signed in (if anyone) and whether this is the sandbox. Open to everyone: the shell asks
/// it on every page load.
#[server(endpoint = "auth/session", input = leptos::server_fn::codec::Json)]
pub async fn fetch_session() -> Result<SessionInfo, AppError> {
    let request = super::ssr::request()?;
    let staff = crate::server::auth::current_staff(&request.state, &request.session).await?;
    let awaiting_decision = match &staff {
        Some(staff) => crate::server::approvals::awaiting_decision(&request.state.db, staff).await?,
        None => 0,
    };
    Ok(SessionInfo {
        me: staff.map(Into::into),
        sandbox: request.state.config.sandbox(),
        awaiting_decision,
    })
}

/// Signs in and returns the page to go to next (`next` if it is one of ours, else the home page).
#[server(endpoint = "auth/sign_in", input = leptos::server_fn::codec::Json)]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<String, AppError> {
    let request = super::ssr::request()?;
    let password = secrecy::SecretString::from(password);
    crate::server::auth::sign_in::sign_in(&request.state, &request.session, request.meta(), &email, password).await?;
    Ok(local_path(next.as_deref()))
}

#[server(endpoint = "auth/sign_out", input = leptos::server_fn::codec::Json)]
pub async fn sign_out() -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[]).await?;
    crate::server::auth::sign_in::sign_out(&request.state, &request.session, &actor).await
}

/// Only a path on this site may follow sign-in, never another site (an open redirect).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => path.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path(Some("/audit?staff=a")), "/audit?staff=a");
        for foreign in ["https://evil.example", "//evil.example", "/\\evil.example", "audit"] {
            assert_eq!(local_path(Some(foreign)), "/");
        }
        assert_eq!(local_path(None), "/");
    }
}
