//! Decode once, serve many, through the HTTP side: requests for other sizes of a source
//! already decoded are rendered from the kept intermediate (counted by the cache, not
//! timed), and a changed source is decoded afresh.

mod common;

use common::fixtures::decode;
use common::start_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_widths_of_a_source_skip_the_decode() {
    let server = start_with(common::fixtures::write_all, |_| {}).await;
    let stats = || server.state.intermediate_stats();
    for (tail, width, decodes) in [
        // 1000 px wide: 1/8 covers 100 and 120 px.
        ("grid.jpg/full/100,/0/default.jpg", 100, 1),
        ("grid.jpg/full/120,/0/default.webp", 120, 1),
        // 400 px needs 1/2: a second decode, at 1/2, which covers what follows.
        ("grid.jpg/full/400,/0/default.jpg", 400, 2),
        ("grid.jpg/full/300,/0/default.png", 300, 2),
        ("grid.jpg/full/150,/0/default.jpg", 150, 2),
    ] {
        let (status, _, body) = server.iiif(tail).await;
        assert_eq!(status, 200, "{tail}");
        assert_eq!(decode(&body).width, width, "{tail}");
        assert_eq!(stats().decodes, decodes, "{tail}: {:?}", stats());
    }
    assert_eq!(stats().hits, 3);

    // A new version of the file (other size and modification time) is another source.
    let path = server
        .dir
        .as_ref()
        .expect("own images dir")
        .path()
        .join("grid.jpg");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[0; 16]); // trailing bytes after EOI are ignored by decoders
    std::fs::write(&path, bytes).unwrap();
    let (status, _, _) = server.iiif("grid.jpg/full/110,/0/default.jpg").await;
    assert_eq!(status, 200);
    assert_eq!(stats().decodes, 3, "{:?}", stats());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_budget_turns_the_cache_off() {
    let server = start_with(common::fixtures::write_all, |s| {
        s.intermediate_cache_bytes = 0;
    })
    .await;
    for tail in [
        "grid.jpg/full/100,/0/default.jpg",
        "grid.jpg/full/120,/0/default.jpg",
    ] {
        assert_eq!(server.iiif(tail).await.0, 200, "{tail}");
    }
    let s = server.state.intermediate_stats();
    assert_eq!((s.hits, s.entries), (0, 0), "{s:?}");
    server.stop().await;
}
