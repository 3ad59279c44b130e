//! Integration tests of tessera-html: pages parsed back with html5ever (through `scraper`),
//! an independent HTML parser, plus golden files.

#![allow(clippy::unwrap_used)]

mod arrays;
mod golden;
mod properties;
mod regressions;
mod tables;

use scraper::{ElementRef, Html, Selector};

/// A parsed page.
pub struct Page {
    /// The parsed document.
    pub doc: Html,
}

impl Page {
    /// Parses `bytes`, which must be UTF-8.
    pub fn parse(bytes: &[u8]) -> Page {
        Page { doc: Html::parse_document(std::str::from_utf8(bytes).expect("pages are UTF-8")) }
    }

    /// Elements matching a CSS selector.
    pub fn select(&self, css: &str) -> Vec<ElementRef<'_>> {
        let sel = Selector::parse(css).expect("valid selector");
        self.doc.select(&sel).collect()
    }

    /// Texts of the elements matching a CSS selector.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.select(css).into_iter().map(|e| e.text().collect()).collect()
    }

    /// The body rows, each as the texts of its `th`/`td` cells.
    pub fn rows(&self) -> Vec<Vec<String>> {
        let cell = Selector::parse("th, td").expect("valid selector");
        self.select("tbody > tr")
            .into_iter()
            .map(|tr| tr.select(&cell).map(|c| c.text().collect()).collect())
            .collect()
    }

    /// The notes under the table.
    pub fn notes(&self) -> Vec<String> {
        self.texts("p.omitted")
    }
}

/// Tags that must open and close in equal numbers in every page.
pub fn assert_balanced(page: &str) {
    for tag in ["table", "thead", "tbody", "tr", "th", "td", "p", "html", "head", "body", "title", "style"] {
        let open = page.matches(&format!("<{tag}>")).count() + page.matches(&format!("<{tag} ")).count();
        let close = page.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open} times, closed {close} times");
    }
}
