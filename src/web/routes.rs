//! Every route is declared once, together with what it needs: the only way
//! a module registers a handler is through [`Routes`], whose every method
//! takes an [`Access`]. The same declarations, replayed without actix,
//! give the [`table`] that the access middleware, the templates
//! (`CurrentUser::can`) and the tests read, so registration and policy
//! cannot drift apart.

use crate::domain::{Access, Role};
use actix_web::http::Method;
use actix_web::{guard, web, FromRequest, Handler, Resource, Responder};
use std::sync::OnceLock;

/// One declared route: method, full pattern (scope prefix included, as
/// `HttpRequest::match_pattern` gives it) and the access it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    pub method: Method,
    pub pattern: String,
    pub access: Access,
    /// Long by nature (an import's upload, revision or confirmation): not
    /// cut off as a whole by the request's database budget once its work
    /// begins; each of its batches is bounded instead (`web::deadline`).
    pub long: bool,
}

/// Where route declarations go: into an actix `ServiceConfig` while the app
/// is built, and always into the list of rules.
pub struct Routes<'c> {
    prefix: String,
    rules: Vec<RouteRule>,
    /// `None` when only the rules are wanted.
    cfg: Option<&'c mut web::ServiceConfig>,
}

impl<'c> Routes<'c> {
    fn new(prefix: String, cfg: Option<&'c mut web::ServiceConfig>) -> Self {
        Routes {
            prefix,
            rules: Vec::new(),
            cfg,
        }
    }

    pub fn get<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, path, access, handler, |r| r)
    }

    pub fn post<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, path, access, handler, |r| r)
    }

    pub fn put<F, Args>(&mut self, path: &'static str, access: Access, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, path, access, handler, |r| r)
    }

    /// A POST route with `data` as app data of its own (a body limit that
    /// differs from the app's).
    pub fn post_with<F, Args, T>(
        &mut self,
        path: &'static str,
        access: Access,
        data: T,
        handler: F,
    ) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
        T: 'static,
    {
        self.route(Method::POST, path, access, handler, |r| r.app_data(data))
    }

    /// Marks the route declared just before as long by nature.
    pub fn long(&mut self) -> &mut Self {
        if let Some(last) = self.rules.last_mut() {
            last.long = true;
        }
        self
    }

    /// Routes under a path prefix (an actix scope), answered by `not_found`
    /// when none of them matches.
    pub fn scope(
        &mut self,
        prefix: &'static str,
        declare: fn(&mut Routes),
        not_found: impl FnOnce() -> actix_web::Route,
    ) -> &mut Self {
        let full = format!("{}{prefix}", self.prefix);
        let rules = match self.cfg.as_deref_mut() {
            Some(cfg) => {
                let mut rules = Vec::new();
                let scope = web::scope(prefix)
                    .configure(|c| {
                        let mut inner = Routes::new(full, Some(c));
                        declare(&mut inner);
                        rules = inner.rules;
                    })
                    .default_service(not_found());
                cfg.service(scope);
                rules
            }
            None => {
                let mut inner = Routes::new(full, None);
                declare(&mut inner);
                inner.rules
            }
        };
        self.rules.extend(rules);
        self
    }

    /// One resource per route with the method as its guard, as
    /// `ServiceConfig::route` does: a later route on the same path with
    /// another method is still reached.
    fn route<F, Args>(
        &mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: F,
        tweak: impl FnOnce(Resource) -> Resource,
    ) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if let Some(cfg) = self.cfg.as_deref_mut() {
            let resource = web::resource(path)
                .guard(guard::Method(method.clone()))
                .to(handler);
            cfg.service(tweak(resource));
        }
        self.rules.push(RouteRule {
            method,
            pattern: format!("{}{path}", self.prefix),
            access,
            long: false,
        });
        self
    }
}

/// Registers every route `declare` names on `cfg`.
pub fn register(cfg: &mut web::ServiceConfig, declare: fn(&mut Routes)) {
    declare(&mut Routes::new(String::new(), Some(cfg)));
}

/// Every route of the app and its rule, in routing order.
pub fn table() -> &'static [RouteRule] {
    static TABLE: OnceLock<Vec<RouteRule>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut routes = Routes::new(String::new(), None);
        super::routes(&mut routes);
        routes.rules
    })
}

/// The rule for a method and route pattern; HEAD is answered like GET.
pub fn rule(method: &Method, pattern: &str) -> Option<Access> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    table()
        .iter()
        .find(|r| r.method == method && r.pattern == pattern)
        .map(|r| r.access)
}

/// Whether the route `method pattern` was declared long.
pub fn is_long(method: &Method, pattern: &str) -> bool {
    table()
        .iter()
        .any(|r| r.method == method && r.pattern == pattern && r.long)
}

/// Whether `role` may call the route `method pattern` (such as `"POST"`,
/// `"/claims/{id}/status"`). A route nobody declared is allowed to no one.
pub fn allows(role: Role, method: &str, pattern: &str) -> bool {
    let found = Method::from_bytes(method.as_bytes())
        .ok()
        .and_then(|m| rule(&m, pattern));
    match found {
        Some(access) => role.allows(access),
        None => {
            tracing::error!(method, pattern, "permission asked for an undeclared route");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn each_route_is_declared_once() {
        let mut seen = BTreeSet::new();
        for r in table() {
            assert!(
                seen.insert((r.method.as_str(), r.pattern.as_str())),
                "{} {} is declared twice",
                r.method,
                r.pattern
            );
        }
        assert!(table().len() > 30, "{:?}", table());
    }

    #[test]
    fn only_the_import_writes_are_long() {
        let long: Vec<_> = table()
            .iter()
            .filter(|r| r.long)
            .map(|r| (r.method.as_str(), r.pattern.as_str()))
            .collect();
        assert_eq!(
            long,
            [
                ("POST", "/import"),
                ("POST", "/imports/{id}"),
                ("POST", "/imports/{id}/confirm"),
            ]
        );
        assert!(is_long(&Method::POST, "/imports/{id}/confirm"));
        assert!(!is_long(&Method::GET, "/imports/{id}"));
    }

    #[test]
    fn scoped_routes_carry_their_prefix() {
        assert_eq!(
            rule(&Method::PUT, "/api/claims/{id}"),
            Some(Access::Contribute)
        );
        assert_eq!(rule(&Method::PUT, "/claims/{id}"), None);
    }

    #[test]
    fn head_is_judged_like_get() {
        assert_eq!(rule(&Method::HEAD, "/admin/audit"), Some(Access::Admin));
        assert_eq!(rule(&Method::HEAD, "/healthz"), Some(Access::Public));
    }

    #[test]
    fn a_role_may_ask_what_the_route_needs() {
        assert!(allows(Role::Editor, "POST", "/claims/{id}/review-url"));
        assert!(!allows(Role::Reporter, "POST", "/claims/{id}/review-url"));
        assert!(allows(Role::Reporter, "GET", "/import"));
        assert!(!allows(Role::Viewer, "GET", "/import"));
        assert!(allows(Role::Admin, "GET", "/admin/users"));
        assert!(!allows(Role::Editor, "GET", "/admin/users"));
    }

    #[test]
    fn an_undeclared_route_is_allowed_to_no_one() {
        for role in Role::ALL {
            assert!(!allows(role, "GET", "/nowhere"));
            assert!(!allows(role, "DELETE", "/claims/{id}"));
            assert!(!allows(role, "not a method", "/"));
        }
    }
}
