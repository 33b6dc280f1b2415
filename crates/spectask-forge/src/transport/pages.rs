//! Where a list's next page is, as the forge says: a `Link` header's `rel="next"` (GitHub,
//! Forgejo, GitLab), GitLab's `X-Next-Page`, or else Forgejo's `X-Total-Count` (GitLab's
//! `X-Total`) against what was read so far.
//!
//! A `Link` is followed on the connection's own API origin, and only under its root: a forge is
//! not trusted to send the token elsewhere. Hand-written: a `Link` header is a list of
//! `<url>; rel="…"` parts, and this is the one place that reads it.

use reqwest::header::HeaderMap;
use url::Url;

/// The URL of the page after `current`, or `None` when `current` was the last. `read` is how many
/// items the list has given so far, `got` how many `current` gave.
pub(crate) fn next_page(
    headers: &HeaderMap,
    current: &Url,
    api: &Url,
    read: usize,
    got: usize,
) -> Result<Option<Url>, String> {
    if let Some(link) = headers.get_all("link").iter().filter_map(|v| v.to_str().ok()).find_map(next_link) {
        let target = current.join(&link).map_err(|e| format!("its next page {link:?} is no URL: {e}"))?;
        return on_api(&target, api).map(Some);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(next) = header("x-next-page") {
        return match next {
            "" => Ok(None),
            page => page
                .parse::<u64>()
                .map(|page| Some(with_page(current, page)))
                .map_err(|_| format!("its X-Next-Page {page:?} is no page number")),
        };
    }
    let total = header("x-total-count").or_else(|| header("x-total")).and_then(|t| t.parse::<usize>().ok());
    match total {
        Some(total) if got > 0 && read < total => Ok(Some(with_page(current, page_of(current) + 1))),
        _ => Ok(None),
    }
}

/// The `rel="next"` target of one `Link` header value.
fn next_link(value: &str) -> Option<String> {
    value.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let next = params.split(';').any(|param| {
            let param = param.trim().replace(' ', "");
            param == "rel=\"next\"" || param == "rel=next"
        });
        next.then(|| target.to_owned())
    })
}

/// `target`'s path and query on the API's own origin; an error for one outside the API's root.
fn on_api(target: &Url, api: &Url) -> Result<Url, String> {
    let root = api.path().trim_end_matches('/');
    let path = target.path();
    if !(path == root || path.starts_with(&format!("{root}/"))) {
        return Err(format!("its next page {target} is outside the API at {api}"));
    }
    let mut on_api = api.clone();
    on_api.set_path(path);
    on_api.set_query(target.query());
    Ok(on_api)
}

fn page_of(url: &Url) -> u64 {
    url.query_pairs().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1)
}

fn with_page(url: &Url, page: u64) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut next = url.clone();
    next.query_pairs_mut().clear().extend_pairs(pairs).append_pair("page", &page.to_string());
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::test_headers as headers;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn a_link_to_the_next_page_is_followed_on_the_apis_own_origin() {
        let api = url("https://ghe.example/api/v3/");
        let current = url("https://ghe.example/api/v3/repos/o/r/pulls/1/reviews?per_page=100");
        let link = "<https://ghe.example/api/v3/repositories/7/pulls/1/reviews?per_page=100&page=2>; rel=\"next\", \
                    <https://ghe.example/api/v3/repositories/7/pulls/1/reviews?per_page=100&page=3>; rel=\"last\"";
        let next = next_page(&headers(&[("link", link)]), &current, &api, 100, 100).unwrap();
        assert_eq!(
            next.unwrap().as_str(),
            "https://ghe.example/api/v3/repositories/7/pulls/1/reviews?per_page=100&page=2"
        );
        // A proxy's address in the link: the same path, asked of the API's own origin.
        let proxied = "<http://127.0.0.1:9/api/v3/repos/o/r/pulls?page=2>; rel=\"next\"";
        let next = next_page(&headers(&[("link", proxied)]), &current, &api, 1, 1).unwrap();
        assert_eq!(next.unwrap().as_str(), "https://ghe.example/api/v3/repos/o/r/pulls?page=2");
        // The last page links back only.
        let last = "<https://ghe.example/api/v3/repos/o/r/pulls?page=1>; rel=\"prev\"";
        assert_eq!(next_page(&headers(&[("link", last)]), &current, &api, 150, 50).unwrap(), None);
    }

    #[test]
    fn a_link_outside_the_api_is_refused() {
        let api = url("https://ghe.example/api/v3/");
        let current = url("https://ghe.example/api/v3/repos/o/r/pulls");
        let elsewhere = "<https://ghe.example/login?page=2>; rel=\"next\"";
        let err = next_page(&headers(&[("link", elsewhere)]), &current, &api, 1, 1).unwrap_err();
        assert!(err.contains("outside the API"), "{err}");
    }

    #[test]
    fn gitlabs_next_page_and_forgejos_total_count_name_the_next_page() {
        let api = url("https://gitlab.example/api/v4/");
        let current = url("https://gitlab.example/api/v4/projects/g%2Fr/merge_requests/1/notes?per_page=100");
        let next = next_page(&headers(&[("x-next-page", "2"), ("x-total", "102")]), &current, &api, 100, 100);
        assert_eq!(
            next.unwrap().unwrap().as_str(),
            "https://gitlab.example/api/v4/projects/g%2Fr/merge_requests/1/notes?per_page=100&page=2"
        );
        assert_eq!(next_page(&headers(&[("x-next-page", "")]), &current, &api, 102, 2).unwrap(), None);

        let api = url("https://codeberg.example/api/v1/");
        let current = url("https://codeberg.example/api/v1/repos/o/r/commits/abc/status?limit=50&page=1");
        let more = headers(&[("x-total-count", "60")]);
        let next = next_page(&more, &current, &api, 50, 50).unwrap().unwrap();
        assert_eq!(
            next.as_str(),
            "https://codeberg.example/api/v1/repos/o/r/commits/abc/status?limit=50&page=2"
        );
        assert_eq!(next_page(&more, &next, &api, 60, 10).unwrap(), None);
        // An empty page ends the list whatever the total says.
        assert_eq!(next_page(&more, &next, &api, 50, 0).unwrap(), None);
        assert_eq!(next_page(&HeaderMap::new(), &current, &api, 50, 50).unwrap(), None, "no paging said");
    }
}
