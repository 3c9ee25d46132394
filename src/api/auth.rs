//! Signing in and out, and who is signed in.

use leptos::prelude::*;

use crate::domain::AppError;
use crate::domain::staff::SessionInfo;
use crate::domain::two_factor::{RecoveryCodes, SignInStep};

/// Who is signed in (if anyone) and whether this is the sandbox. Open to everyone: the shell asks
/// it on every page load.
#[server(endpoint = "auth/session", input = leptos::server_fn::codec::Json)]
pub async fn fetch_session() -> Result<SessionInfo, AppError> {
    let request = super::ssr::request()?;
    crate::server::auth::session_info(&request.state, &request.session).await
}

/// The password step of signing in: signed in (with the page to go to: `next` if it is one of
/// ours, else the home page), or the second factor to ask for.
#[server(endpoint = "auth/sign_in", input = leptos::server_fn::codec::Json)]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<SignInStep, AppError> {
    let request = super::ssr::request()?;
    let password = secrecy::SecretString::from(password);
    let next = local_path(next.as_deref());
    crate::server::auth::sign_in::sign_in(&request.state, &request.session, request.meta(), &email, password, next)
        .await
}

/// The code step of signing in: the authenticator app's code or a recovery code.
#[server(endpoint = "auth/code", input = leptos::server_fn::codec::Json)]
pub async fn sign_in_code(code: String) -> Result<SignInStep, AppError> {
    let request = super::ssr::request()?;
    crate::server::auth::sign_in::second_factor(&request.state, &request.session, request.meta(), &code).await
}

/// The code step of a sign-in that must first set up two-factor: the new app's first code.
#[server(endpoint = "auth/enrol", input = leptos::server_fn::codec::Json)]
pub async fn sign_in_enrol(code: String) -> Result<RecoveryCodes, AppError> {
    let request = super::ssr::request()?;
    crate::server::auth::sign_in::enrol(&request.state, &request.session, request.meta(), &code).await
}

#[server(endpoint = "auth/sign_out", input = leptos::server_fn::codec::Json)]
pub async fn sign_out() -> Result<(), AppError> {
    let (request, actor) = super::ssr::guard(&[]).await?;
    crate::server::auth::sign_in::sign_out(&request.state, &request.session, &actor).await
}

/// Only a path on this site may follow sign-in, never another site (an open redirect). Browsers
/// drop tabs and newlines anywhere in a URL, trim control characters and spaces at its ends, and
/// read `\\` as `/`: the path is normalised the same way before it is judged, so `/\t/evil.example`
/// or `/\\evil.example` cannot become `//evil.example` after the check. (The `url` crate would parse
/// it fully, but it is not in the front-end build and these are the only rules that matter here.)
pub fn local_path(next: Option<&str>) -> String {
    let normalised: String = next
        .unwrap_or_default()
        .trim_matches(|c: char| c.is_ascii_control() || c == ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if normalised.starts_with('/') && !normalised.starts_with("//") && !normalised.chars().any(|c| c.is_control()) {
        normalised
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path(Some("/audit?staff=a")), "/audit?staff=a");
        assert_eq!(
            local_path(Some("/users/%2F%2Fevil.example")),
            "/users/%2F%2Fevil.example"
        );
        for foreign in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            " //evil.example",
            "\u{0}//evil.example",
            "/\u{1b}/evil.example",
            "javascript:alert(1)",
            "audit",
            "",
        ] {
            assert_eq!(local_path(Some(foreign)), "/", "{foreign:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
