//! Accounts: a builder for users of any role, per-user API clients and
//! signed-in browser sessions that send their CSRF token.

use super::Api;
use crate::helpers::{bearer_client, create_user, TestApp, TestUser};
use claimdesk::domain::Role;
use serde::Serialize;

/// `app.user(Role::Reporter).name("Rosa").create().await`
pub struct UserBuilder<'a> {
    app: &'a TestApp,
    role: Role,
    name: Option<String>,
}

impl UserBuilder<'_> {
    /// The display name; the e-mail is derived from it.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.into());
        self
    }

    pub async fn create(self) -> TestUser {
        let name = self
            .name
            .unwrap_or_else(|| format!("{:?} {}", self.role, super::unique()));
        create_user(&self.app.db, self.role, &name).await
    }
}

/// A browser signed in through the login form: its cookie jar (as an
/// [`Api`], for reads) and the session's CSRF token.
#[derive(Clone)]
pub struct Session {
    pub api: Api,
    pub csrf: String,
}

impl std::ops::Deref for Session {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Session {
    /// Reads the token again, after something (a password change) replaced the session.
    pub async fn renew_csrf(&mut self) {
        self.csrf = self.page("/profile").await.csrf();
    }

    /// POST a form with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("csrf_token", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.api.post_form(path, &form).await
    }

    /// POST exactly these fields (no token added).
    pub async fn post_raw_form<B: Serialize + ?Sized>(
        &self,
        path: &str,
        form: &B,
    ) -> reqwest::Response {
        self.api.post_form(path, form).await
    }
}

impl TestApp {
    /// A new account with `role` (password [`crate::helpers::TEST_PASSWORD`]).
    pub fn user(&self, role: Role) -> UserBuilder<'_> {
        UserBuilder {
            app: self,
            role,
            name: None,
        }
    }

    /// The API as the app's own editor.
    pub fn api(&self) -> Api {
        Api {
            client: self.client.clone(),
            addr: self.addr.clone(),
        }
    }

    /// The API as `user`, with their bearer token.
    pub fn api_as(&self, user: &TestUser) -> Api {
        Api {
            client: bearer_client(&user.token),
            addr: self.addr.clone(),
        }
    }

    /// Signs `user` in through the login form.
    pub async fn sign_in(&self, user: &TestUser) -> Session {
        self.sign_in_with(&user.email, &user.password).await
    }

    /// Signs in through the login form with these credentials.
    pub async fn sign_in_with(&self, email: &str, password: &str) -> Session {
        let (client, csrf) = self.login(email, password).await;
        Session {
            api: Api {
                client,
                addr: self.addr.clone(),
            },
            csrf,
        }
    }
}
