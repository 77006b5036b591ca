//! A new account as an admin types it.

use super::super::role::Role;
use super::super::validation::{self as v, FieldErrors};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDraft {
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl UserDraft {
    pub fn parse(input: &UserInput) -> Result<UserDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let email = e.take("email", v::required(&input.email, v::MAX_EMAIL));
        if email.as_deref().is_some_and(|m| !m.contains('@')) {
            e.add("email", "Enter an email address.");
        }
        let name = e.take("name", v::required(&input.name, v::MAX_NAME));
        let role = e.take(
            "role",
            Role::parse(&input.role).ok_or_else(|| "Choose a role.".to_owned()),
        );
        match (email, name, role) {
            (Some(email), Some(name), Some(role)) if e.is_empty() => {
                Ok(UserDraft { email, name, role })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_without_at_and_an_unknown_role_are_field_errors() {
        let input = UserInput {
            email: "nobody".into(),
            name: "N".into(),
            role: "boss".into(),
        };
        let errs = UserDraft::parse(&input).err().unwrap_or_default();
        assert!(errs.get("email").is_some() && errs.get("role").is_some());
    }
}
