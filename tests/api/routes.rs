//! Routes are declared once with their rule: pages offer each role what
//! those rules let it open (templates ask `me.can(...)`, the question the
//! gate asks), and what no declaration names is refused or not found.

use crate::helpers::{bearer_client, TestApp};
use crate::kit::Page;
use claimdesk::domain::Role::{self, *};
use reqwest::Method;
use serde_json::Value;

/// The main navigation's links and the roles that see each.
const NAV: &[(&str, &[Role])] = &[
    ("/", &[Admin, Editor, Reporter, Viewer]),
    ("/stories", &[Admin, Editor, Reporter, Viewer]),
    ("/sources", &[Admin, Editor, Reporter, Viewer]),
    ("/admin/users", &[Admin]),
    ("/admin/audit", &[Admin]),
    ("/import", &[Admin, Editor, Reporter]),
    ("/stories/new", &[Admin, Editor, Reporter]),
];

/// The links of a page's main navigation, read with the HTML parser.
fn nav_links(html: &str) -> Vec<String> {
    let page = Page::parse(html);
    assert_eq!(
        page.count(r#"nav[aria-label="Main"]"#),
        1,
        "one main navigation"
    );
    page.links_in(r#"nav[aria-label="Main"]"#)
}

#[tokio::test]
async fn the_navigation_offers_each_role_what_it_may_open() {
    let app = TestApp::spawn().await;
    for role in Role::ALL {
        let user = app.new_user(role, &format!("Nav {}", role.label())).await;
        let c = bearer_client(&user.token);
        let html = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let nav = nav_links(&html);
        for (href, roles) in NAV {
            let shown = nav.iter().any(|h| h == href);
            assert_eq!(shown, roles.contains(&role), "{role}: link to {href}");
            // What is offered opens; what is hidden would be refused.
            let status = c.get(app.url(href)).send().await.unwrap().status();
            assert_eq!(
                status == 403,
                !shown,
                "{role}: GET {href} answered {status}"
            );
        }
    }
}

#[tokio::test]
async fn only_editors_and_admins_are_offered_the_fact_check_url_form() {
    let app = TestApp::spawn().await;
    let id = app.fixture().await.claim.id;
    let review = format!("/claims/{id}/review-url");
    let status = format!("/claims/{id}/status");
    for role in Role::ALL {
        let user = app.new_user(role, &format!("Form {}", role.label())).await;
        let c = bearer_client(&user.token);
        let res = c
            .get(app.url(&format!("/claims/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{role}");
        let page = Page::parse(&res.text().await.unwrap());
        let forms = page.attrs(r#"form[method="post"]"#, "action");
        assert_eq!(
            forms.contains(&review),
            matches!(role, Admin | Editor),
            "{role}: the fact-check URL form"
        );
        assert!(
            forms.contains(&status),
            "{role}: the status form stays on the page"
        );
    }
}

#[tokio::test]
async fn a_method_nobody_declared_is_refused_and_an_unknown_path_is_not_found() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let admin = app.new_user(Admin, "Undeclared Admin").await;
    let c = bearer_client(&admin.token);

    let page = c
        .request(Method::DELETE, app.url(&format!("/stories/{story}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("no access rule"));
    let api = c
        .request(Method::DELETE, app.url(&format!("/api/stories/{story}")))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403);
    assert_eq!(api.json::<Value>().await.unwrap()["error"], "forbidden");

    let page = c.get(app.url("/nowhere/at/all")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let api = c.get(app.url("/api/nowhere")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    assert_eq!(api.json::<Value>().await.unwrap()["error"], "not_found");
    // The story is still there.
    let api = c
        .get(app.url(&format!("/api/stories/{story}")))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
}
