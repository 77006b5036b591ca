//! The built-in seeds: idempotent loading, automatic seeding of an empty
//! database, and the content of the reference story.

use crate::helpers::{bearer_client, create_user, spawn_server, TestApp, TestDb};
use crate::kit::{Action, Api, Claim, ClaimRow, Figure, List, SourceType, Status};
use claimdesk::domain::Role;
use claimdesk::models::{claim, story};
use std::collections::HashSet;

async fn claim_count(db: &TestDb) -> i64 {
    claim::count(&mut db.conn().await).await.unwrap()
}

/// Full details of every claim by the seeded source with this exact name.
async fn claims_by(app: &TestApp, name: &str) -> Vec<Claim> {
    let sources = app.sources().await;
    let source = sources
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no seeded source {name:?}"));
    let mut out = Vec::new();
    for c in app.list_claims(&format!("source={}", source.id)).await {
        out.push(app.get_claim(&c).await);
    }
    out
}

fn figure_values(claim: &Claim) -> Vec<i64> {
    claim.figures.iter().filter_map(|f| f.value).collect()
}

#[tokio::test]
async fn loading_the_seeds_twice_creates_nothing_the_second_time() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;

    let first = claimdesk::seed::load_builtin(&mut conn).await.unwrap();
    let after_first = claim_count(&db).await;
    let second = claimdesk::seed::load_builtin(&mut conn).await.unwrap();
    let after_second = claim_count(&db).await;

    assert!(first.claims_created >= 25, "{first:?}");
    assert_eq!(first.claims_skipped, 0);
    assert_eq!(after_first, first.claims_created as i64);
    assert_eq!(second.claims_created, 0);
    assert_eq!(second.claims_skipped, first.claims_created);
    assert_eq!(after_second, after_first);
    assert_eq!(story::count(&mut conn).await.unwrap(), 1);
}

#[tokio::test]
async fn seeded_app_has_at_least_25_claims_across_at_least_8_source_types() {
    let app = TestApp::spawn_seeded().await;

    let claims = app.list_claims("").await;
    let sources = app.sources().await;

    assert!(claims.len() >= 25, "only {} claims", claims.len());
    let types: HashSet<SourceType> = claims.iter().map(|c| c.source.source_type).collect();
    assert!(types.len() >= 8, "only {types:?}");
    let ids: HashSet<_> = claims.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), claims.len(), "no claim listed twice");
    // No source is listed twice either (names are unique case-insensitively).
    let names: Vec<String> = sources.iter().map(|s| s.name.to_lowercase()).collect();
    assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
    // Every claim belongs to the one reference story.
    let stories: HashSet<_> = claims.iter().map(|c| c.story.id).collect();
    assert_eq!(stories.len(), 1);
}

#[tokio::test]
async fn the_observatory_claim_carries_826_killed_and_111_civilians() {
    let app = TestApp::spawn_seeded().await;

    let claims = claims_by(&app, "Syrian Observatory for Human Rights").await;

    assert_eq!(claims[0].source.source_type, SourceType::Monitor);
    let toll = claims
        .iter()
        .find(|c| c.quote.contains("826"))
        .expect("the death toll claim");
    // "At least": the monitor's own caution is kept.
    assert_eq!(
        toll.figures,
        [
            Figure::with("at_least", "people killed", 826).dated("2024-12-07"),
            Figure::with("at_least", "civilians killed", 111).dated("2024-12-07"),
        ]
    );
    assert!(toll.quote.contains("111 civilians"));
}

#[tokio::test]
async fn the_un_claim_carries_370000_displaced() {
    let app = TestApp::spawn_seeded().await;

    let claims = claims_by(&app, "United Nations").await;

    assert!(claims
        .iter()
        .all(|c| c.source.source_type == SourceType::International));
    let displaced = claims
        .iter()
        .find(|c| figure_values(c).contains(&370_000))
        .expect("a claim with 370,000");
    assert!(displaced.quote.contains("370,000"));
    assert_eq!(
        displaced.figures,
        [Figure::new("people displaced", 370_000).dated("2024-12-07")]
    );
}

#[tokio::test]
async fn unverifiable_seed_claims_have_a_reason_in_their_history() {
    let app = TestApp::spawn_seeded().await;

    let unverifiable = app.list_claims("status=unverifiable").await;

    assert!(!unverifiable.is_empty());
    for c in &unverifiable {
        let d = app.get_claim(c).await;
        let last = &d.history[0];
        assert_eq!(last.action, Action::StatusChanged);
        assert_eq!(last.to_status, Some(Status::Unverifiable));
        assert_eq!(
            last.from_status,
            Some(Status::InReview),
            "verdicts go through review"
        );
        assert!(
            last.reason.as_ref().is_some_and(|r| r.len() > 10),
            "{last:?}"
        );
    }
    // Most seeded claims are still open.
    assert!(!app.list_claims("status=unverified").await.is_empty());
}

#[tokio::test]
async fn the_seeded_board_and_story_page_render() {
    let app = TestApp::spawn_seeded().await;
    let story_id = app.list_claims("").await[0].story.id;

    let board = app.html("/").await;
    let story = app.html(&format!("/stories/{story_id}")).await;

    assert!(board.contains("Syrian Observatory for Human Rights"));
    assert!(board.matches(r#"data-label="Claim""#).count() >= 25);
    assert!(story.contains("ring of steel"));
    assert!(story.contains("Mohammed al-Rahmoun"));
}

#[tokio::test]
async fn migrate_and_seed_on_an_empty_database_seeds_it_once() {
    let db = TestDb::blank().await;

    claimdesk::startup::migrate_and_seed(&db.url, false)
        .await
        .unwrap();
    let after_first = claim_count(&db).await;
    claimdesk::startup::migrate_and_seed(&db.url, false)
        .await
        .unwrap();
    let after_second = claim_count(&db).await;
    // `claimdesk seed` forces a reload: still nothing doubled.
    claimdesk::startup::migrate_and_seed(&db.url, true)
        .await
        .unwrap();
    let after_forced = claim_count(&db).await;

    assert!(after_first >= 25, "{after_first}");
    assert_eq!(after_second, after_first);
    assert_eq!(after_forced, after_first);
    assert_eq!(story::count(&mut db.conn().await).await.unwrap(), 1);

    // The server started on it shows the seeded claims.
    let reader = create_user(&db, Role::Viewer, "Reader").await;
    let (addr, handle) = spawn_server(&db.url);
    let reader = Api {
        client: bearer_client(&reader.token),
        addr,
    };
    let body: List<ClaimRow> = reader.get_as("/api/claims?limit=200").await;
    assert_eq!(body.items.len() as i64, after_first);
    handle.stop(false).await;
}

#[tokio::test]
async fn migrate_and_seed_leaves_a_database_with_data_alone() {
    let app = TestApp::spawn().await;
    app.story().title("A story someone entered").create().await;

    claimdesk::startup::migrate_and_seed(&app.db.url, false)
        .await
        .unwrap();

    assert_eq!(claim_count(&app.db).await, 0);
    assert_eq!(app.stories().await.len(), 1);
}

/// "Within 20 km" is an upper bound on a distance, never a minimum; "2,000"
/// is as stated; "hundreds" is kept as the word, not a guessed number.
#[tokio::test]
async fn seed_figures_keep_what_the_story_meant() {
    let app = TestApp::spawn_seeded().await;
    let within = Figure::with("at_most", "distance of rebels from Damascus", 20)
        .unit("km")
        .dated("2024-12-07");

    for source in ["Syrian Observatory for Human Rights", "Hassan Abdel Ghani"] {
        let claims = claims_by(&app, source).await;
        let twenty = claims
            .iter()
            .find(|c| c.quote.contains("within 20 kilometres"))
            .unwrap_or_else(|| panic!("{source}: the 20 km claim"));
        assert_eq!(twenty.figures, std::slice::from_ref(&within), "{source}");
    }
    let troops = &claims_by(&app, "Second Iraqi security source").await[0];
    assert_eq!(
        troops.figures,
        [Figure::new("Syrian troops let into Iraq", 2000)]
    );
    let fighters = &claims_by(&app, "Source close to Hezbollah").await[0];
    assert_eq!(
        fighters.figures,
        [Figure::new("Hezbollah fighters sent into Syria", 2000)]
    );
    let all = app.list_claims("").await;
    let hundreds = all
        .iter()
        .find(|c| c.quote.contains("hundreds of Syrian soldiers"))
        .expect("the hundreds claim");
    let hundreds = app.get_claim(hundreds).await;
    assert_eq!(
        hundreds.figures,
        [Figure::vague("Syrian soldiers let into Iraq", "hundreds")]
    );
}
