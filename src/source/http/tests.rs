//! The checks made before any request, through the URL parser: every spelling of an
//! internal address is refused with the default settings, whatever the allowlist says.

use super::fetch::Fetcher;
use super::{AllowedSources, HttpSourceSettings};
use crate::source::SourceError;
use url::Url;

fn fetcher(allow_loopback: bool, allow_private: bool) -> Fetcher {
    let allowed = AllowedSources::parse("http://*/, https://*/").unwrap();
    Fetcher::new(&HttpSourceSettings {
        allow_loopback,
        allow_private,
        ..HttpSourceSettings::new(allowed)
    })
}

fn admitted(f: &Fetcher, url: &str) -> bool {
    let url = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    match f.admit(&url) {
        Ok(_) => true,
        Err(SourceError::Forbidden(_)) => false,
        Err(e) => panic!("{url}: {e}"),
    }
}

/// Spellings of the loopback: the list, then more of the same.
const LOOPBACK: &[&str] = &[
    "http://127.0.0.1/a.jpg",
    "http://localhost/a.jpg",
    "http://[::1]/a.jpg",
    "http://127.1/a.jpg",
    "http://2130706433/a.jpg",
    "http://0x7f000001/a.jpg",
    "http://0177.0.0.1/a.jpg",
    "http://[::ffff:127.0.0.1]/a.jpg",
    "http://127.0.0.2/a.jpg",
    "http://LOCALHOST:8080/a.jpg",
    "http://localhost./a.jpg",
    "http://img.localhost/a.jpg",
    "https://127.000.000.001/a.jpg",
    "http://0x7f.0.0.1/a.jpg",
    "http://127.0.1/a.jpg",
    "http://[0:0:0:0:0:ffff:7f00:1]/a.jpg",
    "http://[::127.0.0.1]/a.jpg",
    "http://[64:ff9b::127.0.0.1]/a.jpg",
    "http://[2002:7f00:1::]/a.jpg",
    "http://%31%32%37.0.0.1/a.jpg",
];

/// Never allowed, whatever the settings.
const NEVER: &[&str] = &[
    "http://169.254.169.254/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[fe80::1]/a.jpg",
    "http://0.0.0.0/a.jpg",
    "http://0/a.jpg",
    "http://[::]/a.jpg",
    "http://224.0.0.1/a.jpg",
    "http://255.255.255.255/a.jpg",
    "http://[ff02::1]/a.jpg",
    "http://192.0.2.1/a.jpg",
];

/// Opened by `--allow-private-sources` only.
const PRIVATE: &[&str] = &[
    "http://10.0.0.1/a.jpg",
    "http://172.16.0.1/a.jpg",
    "http://192.168.1.1/a.jpg",
    "http://0xc0a80101/a.jpg",
    "http://100.64.0.1/a.jpg",
    "http://[fd00::1]/a.jpg",
    "http://[::ffff:10.0.0.1]/a.jpg",
];

#[test]
fn every_spelling_is_refused_with_the_defaults() {
    let defaults = fetcher(false, false);
    for url in LOOPBACK.iter().chain(NEVER).chain(PRIVATE) {
        assert!(!admitted(&defaults, url), "{url} refused by default");
    }
    assert!(admitted(&defaults, "http://93.184.215.14/a.jpg"));
    assert!(admitted(&defaults, "https://img.example.org/a.jpg"));
}

#[test]
fn each_setting_opens_its_ranges_only() {
    let loopback = fetcher(true, false);
    let private = fetcher(false, true);
    let both = fetcher(true, true);
    for url in LOOPBACK {
        assert!(admitted(&loopback, url), "{url} with loopback allowed");
        assert!(!admitted(&private, url), "{url} with private allowed");
    }
    for url in PRIVATE {
        assert!(admitted(&private, url), "{url} with private allowed");
        assert!(!admitted(&loopback, url), "{url} with loopback allowed");
    }
    for url in NEVER {
        assert!(!admitted(&both, url), "{url} never");
    }
}

#[test]
fn only_plain_http_urls_in_the_allowlist() {
    let f = fetcher(false, false);
    for url in [
        "ftp://img.example.org/a.jpg",
        "file:///etc/passwd",
        "data:image/png;base64,AAAA",
        "http://user:secret@img.example.org/a.jpg",
        "http://user@img.example.org/a.jpg",
        "gopher://img.example.org/a.jpg",
    ] {
        assert!(!admitted(&f, url), "{url}");
    }
    let only = Fetcher::new(&HttpSourceSettings::new(
        AllowedSources::parse("https://img.example.org/").unwrap(),
    ));
    assert!(admitted(&only, "https://img.example.org/a.jpg#frag"));
    assert!(admitted(&only, "HTTPS://IMG.EXAMPLE.ORG/a.jpg"));
    assert!(!admitted(&only, "http://img.example.org/a.jpg"));
    assert!(!admitted(&only, "https://img.example.org.evil.net/a.jpg"));
    assert!(!admitted(&only, "https://img.example.org@evil.net/a.jpg"));
    let none = Fetcher::new(&HttpSourceSettings::new(AllowedSources::default()));
    assert!(!admitted(&none, "https://img.example.org/a.jpg"));
}
