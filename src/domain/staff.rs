//! Staff members as the pages see them, and the inputs that create or change them.

use serde::{Deserialize, Serialize};

use super::UtcTime;
use super::access::{Permission, Permissions, Role};
use super::contact::Email;
use super::error::{AppError, FieldErrors};

/// A display name: 1 to 100 characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffName(String);

impl StaffName {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text.chars().count() {
            0 => Err("Enter a name.".into()),
            1..=100 => Ok(Self(text.to_owned())),
            _ => Err("Use at most 100 characters.".into()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password against the policy. The plain text is never kept in a domain value.
pub fn check_new_password(text: &str) -> Result<(), String> {
    match text.chars().count() {
        0..12 => Err("Use at least 12 characters.".into()),
        12..=128 => Ok(()),
        _ => Err("Use at most 128 characters.".into()),
    }
}

/// At least one role, each known.
pub fn parse_roles(roles: &[Role]) -> Result<Vec<Role>, String> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        Err("Choose at least one role.".into())
    } else {
        Ok(roles)
    }
}

/// A sandbox demo account: email `<handle>@sandbox.test`, password `sandbox-<handle>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoMember {
    pub handle: &'static str,
    pub role: Role,
    pub name: &'static str,
}

impl DemoMember {
    pub fn credentials(self) -> (String, String) {
        (
            format!("{}@sandbox.test", self.handle),
            format!("sandbox-{}", self.handle),
        )
    }
}

/// The demo accounts seeded in sandbox mode: one per role, and a second admin, compliance and
/// finance member so that four-eyes approvals (nobody approves their own request) can be tried.
pub const DEMO_STAFF: &[DemoMember] = &[
    DemoMember {
        handle: "admin",
        role: Role::Admin,
        name: "Ada Admin",
    },
    DemoMember {
        handle: "admin2",
        role: Role::Admin,
        name: "Abe Admin",
    },
    DemoMember {
        handle: "onboarding",
        role: Role::Onboarding,
        name: "Otto Onboarding",
    },
    DemoMember {
        handle: "compliance",
        role: Role::Compliance,
        name: "Cleo Compliance",
    },
    DemoMember {
        handle: "compliance2",
        role: Role::Compliance,
        name: "Cora Compliance",
    },
    DemoMember {
        handle: "finance",
        role: Role::Finance,
        name: "Finn Finance",
    },
    DemoMember {
        handle: "finance2",
        role: Role::Finance,
        name: "Fay Finance",
    },
    DemoMember {
        handle: "viewer",
        role: Role::Viewer,
        name: "Vera Viewer",
    },
    DemoMember {
        handle: "finance-2fa",
        role: Role::Finance,
        name: "Tess Two-Factor",
    },
];

/// The demo member who shows two-factor sign-in: enrolled with this published secret, and the
/// sandbox's sign-in page shows its current code.
pub const DEMO_TWO_FACTOR: &str = "finance-2fa";
pub const DEMO_TOTP_SECRET: &str = "KRSXG5CUO5XUMYLDORXXEREFJVHSAU3B";

/// The first demo account of `role`: `<role>@sandbox.test`, password `sandbox-<role>`.
pub fn demo_credentials(role: Role) -> (String, String) {
    DEMO_STAFF
        .iter()
        .find(|m| m.role == role)
        .map_or_else(|| (String::new(), String::new()), |m| m.credentials())
}

/// The signed-in staff member, as the shell needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub permissions: Permissions,
}

impl Me {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.has(permission)
    }
}

/// What every page needs to know about the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub me: Option<Me>,
    /// The app talks to the built-in P100 simulator; every page says so.
    pub sandbox: bool,
    /// The sandbox was not chosen on purpose in a production build (see `Config::sandbox_unchosen`).
    pub sandbox_unchosen: bool,
    /// Four-eyes requests waiting for this member's decision (the sidebar shows the count).
    pub awaiting_decision: u32,
    /// The sandbox's two-factor demo member's current code, on the sign-in page.
    pub demo_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub created_at: UtcTime,
    pub last_sign_in_at: Option<UtcTime>,
    /// When two-factor sign-in was set up; `None`: not set up.
    pub two_factor_since: Option<UtcTime>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewStaffInput {
    pub email: String,
    pub name: String,
    pub password: String,
    pub roles: Vec<Role>,
}

/// A checked `NewStaffInput`. The password stays plain only until it is hashed.
#[derive(Debug)]
pub struct NewStaff {
    pub email: Email,
    pub name: StaffName,
    pub password: String,
    pub roles: Vec<Role>,
}

impl NewStaffInput {
    pub fn parse(self) -> Result<NewStaff, AppError> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&self.email));
        let name = errors.check("name", StaffName::parse(&self.name));
        errors.check("password", check_new_password(&self.password));
        let roles = errors.check("roles", parse_roles(&self.roles));
        errors.into_result(|| NewStaff {
            email: email.expect("checked"),
            name: name.expect("checked"),
            password: self.password,
            roles: roles.expect("checked"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_staff_reports_every_field() {
        let err = NewStaffInput {
            email: "x".into(),
            name: " ".into(),
            password: "short".into(),
            roles: vec![],
        }
        .parse()
        .unwrap_err();
        let fields = err.field_errors().unwrap();
        for field in ["email", "name", "password", "roles"] {
            assert!(fields.get(field).is_some(), "{field} has no message");
        }
        let ok = NewStaffInput {
            email: "ada@example.com".into(),
            name: "Ada".into(),
            password: "correct horse battery".into(),
            roles: vec![Role::Finance, Role::Finance],
        }
        .parse()
        .unwrap();
        assert_eq!(ok.roles, vec![Role::Finance]);
    }
}
