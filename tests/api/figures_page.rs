//! The story figures page: grouped like with like, one row per source, an
//! inline SVG per group that is well-formed XML with one mark per figure.

use crate::helpers::TestApp;
use crate::kit::{Figure, Page};

/// Elements whose class list has `mark`.
fn marks<'a>(doc: &'a roxmltree::Document<'a>) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split_whitespace().any(|t| t == "mark"))
        })
        .collect()
}

/// Every `<svg>…</svg>` of the page, as the server sent it.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("closed svg") + start + "</svg>".len();
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

#[tokio::test]
async fn figures_are_grouped_by_label_and_unit_with_one_mark_each() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let monitor = app.source().name("Monitor <b>&\"Co\"</b>").create().await;
    let un = app.source().name("United Nations").create().await;
    let killed = [
        Figure::new("people killed", 900),
        Figure::with("at_least", "people killed", 826).dated("2024-12-07"),
        Figure::with("at_most", "people killed", 1000),
        Figure::with("about", "people killed", 850),
        Figure::range("people killed", 800, 950),
        Figure::vague("people killed", "hundreds"),
    ];
    app.claim(&story)
        .source(&monitor)
        .quote("Toll")
        .figures(killed[..3].to_vec())
        .create()
        .await;
    app.claim(&story)
        .source(&un)
        .quote("Toll, displaced, distance")
        .figures(
            killed[3..]
                .iter()
                .cloned()
                .chain([
                    Figure::new("people displaced", 370_000),
                    Figure::with("at_most", "people killed", 20).unit("km"),
                ])
                .collect::<Vec<_>>(),
        )
        .create()
        .await;
    // Another story's figures stay out.
    let other = app.story().title("Elsewhere").create().await;
    app.claim(&other)
        .source(&un)
        .quote("Other")
        .figures([Figure::new("people killed", 5)])
        .create()
        .await;

    let res = app.get(&format!("/stories/{}/figures", story.id)).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let page = Page::parse(&html);

    // Same label, different unit: never on one axis.
    assert_eq!(
        page.select_texts("section.figure-group h2"),
        ["people killed", "people displaced", "people killed (km)"]
    );
    assert_eq!(page.count("section.figure-group tbody tr"), 8);
    let rows = page.select_texts("section.figure-group:first-of-type tbody tr");
    assert!(rows[1].contains("Monitor <b>&\"Co\"</b>"), "{rows:?}");
    assert!(
        rows[1].contains("at least") && rows[1].contains("826"),
        "{rows:?}"
    );
    assert!(rows[1].contains("7 Dec 2024"), "{rows:?}");
    assert!(rows[4].contains("800–950"), "{rows:?}");
    assert!(
        rows[5].contains("no number") && rows[5].contains("hundreds"),
        "{rows:?}"
    );

    let charts = svgs(&html);
    assert_eq!(charts.len(), 3);
    let mut per_chart = Vec::new();
    for svg in &charts {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert!(root.attribute("role") == Some("img"));
        assert!(root.children().any(|n| n.has_tag_name("title")));
        let marks = marks(&doc);
        for m in &marks {
            assert!(m.attribute("aria-label").is_some_and(|l| !l.is_empty()));
            assert!(m.children().any(|n| n.has_tag_name("title")));
        }
        per_chart.push(
            marks
                .iter()
                .map(|m| m.attribute("class").unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        per_chart[0],
        [
            "mark q-exact",
            "mark q-at_least",
            "mark q-at_most",
            "mark q-about",
            "mark q-range",
            "mark q-vague"
        ]
    );
    assert_eq!(per_chart[1].len(), 1);
    assert_eq!(per_chart[2].len(), 1);
    // The source name is escaped text, not markup, inside the SVG too.
    let first = roxmltree::Document::parse(charts[0]).unwrap();
    assert!(first
        .descendants()
        .any(|n| n.text() == Some("Monitor <b>&\"Co\"</b>")));
    assert!(!charts[0].contains("<b>"));
}

#[tokio::test]
async fn the_story_page_links_to_its_figures_and_an_empty_story_says_so() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;

    let page = app.view(&format!("/stories/{}", story.id)).await;
    let href = format!("/stories/{}/figures", story.id);
    assert!(page.has_link(&href));
    let figures = app.view(&href).await;
    assert!(figures.shows("No figures in this story yet."));
    assert_eq!(figures.count("svg"), 0);
}

#[tokio::test]
async fn an_unknown_story_has_no_figures_page() {
    let app = TestApp::spawn().await;
    let res = app
        .get(&format!("/stories/{}/figures", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(res.status(), 404);
}
