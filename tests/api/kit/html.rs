//! Pages read with an HTML parser: assertions name elements by CSS selector
//! and compare decoded text, instead of scanning the markup as a string.

use scraper::{ElementRef, Html, Selector};

/// A parsed page (or fragment) and the markup it came from.
pub struct Page {
    doc: Html,
    raw: String,
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e:?}"))
}

/// An element's text, entities decoded and white space collapsed.
pub fn text_of(el: ElementRef<'_>) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Page {
    pub fn parse(html: &str) -> Page {
        Page {
            doc: Html::parse_document(html),
            raw: html.to_owned(),
        }
    }

    /// The markup as served (for checks on escaping, which a parser undoes).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn select(&self, css: &str) -> Vec<ElementRef<'_>> {
        self.doc.select(&selector(css)).collect()
    }

    /// The element matching `css`; panics unless there is exactly one.
    pub fn one(&self, css: &str) -> ElementRef<'_> {
        let found = self.select(css);
        assert_eq!(found.len(), 1, "{css}: {} matches", found.len());
        found[0]
    }

    /// The text of every element matching `css`, in document order.
    pub fn select_texts(&self, css: &str) -> Vec<String> {
        self.select(css).into_iter().map(text_of).collect()
    }

    /// The text of the one element matching `css`.
    pub fn text(&self, css: &str) -> String {
        text_of(self.one(css))
    }

    /// The decoded text of the one element matching `css`, white space as is.
    pub fn exact_text(&self, css: &str) -> String {
        self.one(css).text().collect()
    }

    pub fn count(&self, css: &str) -> usize {
        self.select(css).len()
    }

    pub fn exists(&self, css: &str) -> bool {
        self.count(css) > 0
    }

    /// Attribute `name` of every element matching `css` that has it.
    pub fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        self.select(css)
            .into_iter()
            .filter_map(|e| e.value().attr(name).map(str::to_owned))
            .collect()
    }

    /// Attribute `name` of the one element matching `css`.
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.one(css).value().attr(name).map(str::to_owned)
    }

    /// The `href` of every link inside the elements matching `css`.
    pub fn links_in(&self, css: &str) -> Vec<String> {
        self.attrs(&format!("{css} a[href]"), "href")
    }

    pub fn has_link(&self, href: &str) -> bool {
        self.attrs("a[href]", "href").iter().any(|h| h == href)
    }

    /// Whether the page shows `text` (decoded) anywhere in its body.
    pub fn shows(&self, text: &str) -> bool {
        self.select("body")
            .into_iter()
            .any(|b| b.text().collect::<String>().contains(text))
    }

    /// The form matching `css`, with its fields as a browser would send them.
    pub fn form(&self, css: &str) -> Form {
        Form::read(self.one(css))
    }

    /// The session's CSRF token, from the first form that carries one.
    pub fn csrf(&self) -> String {
        self.attrs("input[name=csrf_token]", "value")
            .into_iter()
            .next()
            .expect("a csrf_token field")
    }

    /// The message shown next to `field` (`#{field}-error`), if any.
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.select(&format!("#{field}-error"))
            .into_iter()
            .next()
            .map(text_of)
    }
}

/// A form's action, method and the fields it would submit.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: Option<String>,
    pub method: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    fn read(form: ElementRef<'_>) -> Form {
        let mut fields = Vec::new();
        for el in form.select(&selector("input[name], textarea[name], select[name]")) {
            let v = el.value();
            let name = v.attr("name").unwrap_or_default().to_owned();
            let value = match v.name() {
                "textarea" => el.text().collect(),
                "select" => el
                    .select(&selector("option[selected]"))
                    .chain(el.select(&selector("option")))
                    .next()
                    .map(|o| {
                        o.value()
                            .attr("value")
                            .map_or_else(|| text_of(o), str::to_owned)
                    })
                    .unwrap_or_default(),
                _ => {
                    let checkable = matches!(v.attr("type"), Some("checkbox" | "radio"));
                    if checkable && v.attr("checked").is_none() {
                        continue;
                    }
                    v.attr("value").unwrap_or_default().to_owned()
                }
            };
            fields.push((name, value));
        }
        Form {
            action: form.value().attr("action").map(str::to_owned),
            method: form.value().attr("method").unwrap_or("get").to_lowercase(),
            fields,
        }
    }

    /// The value of field `name`; panics when the form has no such field.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no field {name} in {self:?}"))
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(n, _)| n == name)
    }

    /// The fields as `(name, value)` pairs, ready for `reqwest`'s `.form()`.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

impl crate::helpers::TestApp {
    /// GET a page that must answer 200, parsed.
    pub async fn view(&self, path: &str) -> Page {
        self.api().page(path).await
    }
}
