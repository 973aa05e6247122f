//! Client hints end to end: with `--client-hints true`, `Sec-CH-DPR`/`DPR` and
//! `Sec-CH-Width`/`Width` size imgproxy URLs that leave DPR or width unset, and answers
//! vary on them; without it, or on IIIF URLs, the hints change nothing.

mod common;

use common::fixtures::{self, GRID_W};

/// The width of the image answered for `path` with `hints`, and its `Vary` values.
async fn get(server: &common::Server, path: &str, hints: &[(&str, &str)]) -> (u32, Vec<String>) {
    let mut req = server.client.get(format!("{}{path}", server.base));
    for (name, value) in hints {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let vary = resp
        .headers()
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let bytes = resp.bytes().await.unwrap();
    (fixtures::decode(&bytes).width, vary)
}

#[tokio::test]
async fn hints_size_imgproxy_urls_when_enabled() {
    let server = common::start_with(fixtures::write_all, |s| s.client_hints = true).await;
    let hinted = "Sec-CH-DPR, DPR, Sec-CH-Width, Width";
    let (w, vary) = get(
        &server,
        "/_/w:100/f:png/plain/local:///grid.png",
        &[("sec-ch-dpr", "2")],
    )
    .await;
    assert_eq!(w, 200);
    assert_eq!(vary, vec![hinted.to_owned()]);
    let (w, _) = get(
        &server,
        "/_/w:100/f:png/plain/local:///grid.png",
        &[("dpr", "1.5")],
    )
    .await;
    assert_eq!(w, 150);
    // Capped at 8: 8 × 100 = 800 (below the source's 1000).
    let (w, _) = get(
        &server,
        "/_/w:100/f:png/plain/local:///grid.png",
        &[("sec-ch-dpr", "30")],
    )
    .await;
    assert_eq!(w, 800);
    // The width hint counts physical pixels.
    let (w, _) = get(
        &server,
        "/_/f:png/plain/local:///grid.png",
        &[("sec-ch-width", "300")],
    )
    .await;
    assert_eq!(w, 300);
    let (w, _) = get(
        &server,
        "/_/f:png/plain/local:///grid.png",
        &[("sec-ch-width", "300"), ("sec-ch-dpr", "2")],
    )
    .await;
    assert_eq!(w, 300);
    // Negotiated answers vary on Accept too.
    let (_, vary) = get(
        &server,
        "/_/w:50/plain/local:///grid.png",
        &[("accept", "image/avif")],
    )
    .await;
    assert_eq!(vary, vec!["Accept".to_owned(), hinted.to_owned()]);
    // IIIF sizes are exact: no hint, no Vary.
    let (w, vary) = get(
        &server,
        "/iiif/3/grid.png/full/100,/0/default.png",
        &[("sec-ch-dpr", "2")],
    )
    .await;
    assert_eq!((w, vary.len()), (100, 0));
}

#[tokio::test]
async fn hints_are_ignored_by_default() {
    let server = common::start_with(fixtures::write_all, |_| {}).await;
    let (w, vary) = get(
        &server,
        "/_/f:png/plain/local:///grid.png",
        &[("sec-ch-dpr", "2"), ("sec-ch-width", "300")],
    )
    .await;
    assert_eq!((w, vary.len()), (GRID_W, 0));
}
