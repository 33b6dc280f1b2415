//! The web dashboard, embedded: `web/dist` (Vite's build of `web/`, committed to git so that
//! `cargo run` needs no Node) compiled into the binary. This crate only holds the files and says
//! how each may be cached; the server crate serves them.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use include_dir::{Dir, include_dir};

static DIST: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../web/dist");

/// The directory of content-hashed files: their names change whenever their bytes do.
const HASHED_DIR: &str = "assets/";

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// Content-hashed: may be cached forever. Everything else must be revalidated.
    pub immutable: bool,
}

/// The file at `path` (`/assets/index-abc.js`, `/favicon.svg`), if the build has it.
pub fn asset(path: &str) -> Option<Asset> {
    let path = path.trim_start_matches('/');
    if path.is_empty() || path.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    let file = DIST.get_file(path)?;
    Some(Asset {
        bytes: file.contents(),
        content_type: content_type(path),
        immutable: path.starts_with(HASHED_DIR),
    })
}

/// `index.html`: the answer to every client-side route.
pub fn index() -> Option<Asset> {
    asset("index.html")
}

/// Whether `path` names something only the build can hold (a hashed asset): a miss there is a 404,
/// never the index page.
pub fn is_asset_path(path: &str) -> bool {
    path.trim_start_matches('/').starts_with(HASHED_DIR)
}

fn content_type(path: &str) -> &'static str {
    if path.ends_with(".html") {
        return "text/html; charset=utf-8";
    }
    match mime_guess::from_path(path).first_raw() {
        Some("application/javascript" | "text/javascript") => "text/javascript; charset=utf-8",
        Some("text/css") => "text/css; charset=utf-8",
        Some(other) => other,
        None => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_page_is_embedded_and_names_its_hashed_assets() {
        let index = index().expect("web/dist/index.html is committed");
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert!(!index.immutable);
        let html = std::str::from_utf8(index.bytes).expect("utf-8");
        let script = html.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a script");
        let js = asset(script).expect("the script it names is embedded");
        assert!(js.immutable, "{script} is content-hashed");
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
    }

    #[test]
    fn paths_that_climb_or_are_empty_name_nothing() {
        assert!(asset("/").is_none());
        assert!(asset("/../Cargo.toml").is_none());
        assert!(asset("/assets//x.js").is_none());
        assert!(asset("/assets/nope.js").is_none());
        assert!(is_asset_path("/assets/nope.js"));
        assert!(!is_asset_path("/tasks/abc"));
    }
}
