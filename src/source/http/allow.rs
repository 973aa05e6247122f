//! The allowlist of sources (`--allowed-sources`): comma-separated prefixes of source
//! references, with `*` standing for any run of characters other than `/`, as imgproxy's
//! `IMGPROXY_ALLOWED_SOURCES`. Pure: it matches strings, so that the same list can
//! restrict `http(s)://`, `local://` and `s3://bucket/` references.

/// The parsed allowlist. Matching is against a normalised reference (for HTTP, the URL
/// as the WHATWG parser serialises it: lower-case scheme and host, a `/` after the host).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedSources {
    patterns: Vec<String>,
}

impl AllowedSources {
    /// Parses a comma-separated list; blank items are ignored, so an empty text is an
    /// empty list (which refuses every HTTP source). Each item must start with a scheme
    /// and `://`; scheme and host are compared case-insensitively.
    ///
    /// A prefix that ends with its host (`https://img.example.org`) means the whole host:
    /// a `/` is added, so that it does not also allow `https://img.example.org.evil.net/`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut patterns = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((scheme, rest)) = item.split_once("://") else {
                return Err(format!("'{item}' does not start with a scheme and ://"));
            };
            let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !valid_scheme {
                return Err(format!("'{item}' has no valid scheme"));
            }
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None if rest.is_empty() => ("", ""),
                None => (rest, "/"),
            };
            patterns.push(format!(
                "{}://{}{path}",
                scheme.to_ascii_lowercase(),
                authority.to_ascii_lowercase()
            ));
        }
        Ok(AllowedSources { patterns })
    }

    /// True when no prefix is configured.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether some prefix has this scheme: `local://` and `s3://` references are only
    /// restricted when the list names their scheme (HTTP ones always are).
    pub fn names_scheme(&self, scheme: &str) -> bool {
        self.patterns
            .iter()
            .any(|p| p.strip_prefix(scheme).is_some_and(|r| r.starts_with("://")))
    }

    /// Whether `reference` starts with one of the prefixes.
    pub fn allows(&self, reference: &str) -> bool {
        self.patterns
            .iter()
            .any(|p| prefix_matches(p.as_bytes(), reference.as_bytes()))
    }
}

/// Whether `pattern` matches a prefix of `text`, `*` matching any run of bytes other
/// than `/`. Dynamic programming over the text (O(pattern × text)): the text comes from
/// clients, so no backtracking that a crafted URL could make exponential.
fn prefix_matches(pattern: &[u8], text: &[u8]) -> bool {
    // reach[i]: the pattern read so far matches text[..i].
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for &p in pattern {
        let mut next = vec![false; text.len() + 1];
        if p == b'*' {
            for i in 0..=text.len() {
                next[i] = reach[i] || (i > 0 && next[i - 1] && text[i - 1] != b'/');
            }
        } else {
            for i in 1..=text.len() {
                next[i] = reach[i - 1] && text[i - 1] == p;
            }
        }
        if !next.contains(&true) {
            return false;
        }
        reach = next;
    }
    reach.contains(&true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_wildcards() {
        let list = AllowedSources::parse(
            " https://img.example.org/photos/, http://*.cdn.example.net ,\
             HTTPS://Static.Example.COM, local://, s3://images/, https://*-*.thumbs.example.org/",
        )
        .unwrap();
        let table: &[(&str, bool)] = &[
            ("https://img.example.org/photos/a.jpg", true),
            ("https://img.example.org/photos/", true),
            ("https://img.example.org/photosx/a.jpg", false),
            ("https://img.example.org/other/a.jpg", false),
            ("http://img.example.org/photos/a.jpg", false),
            ("http://a.cdn.example.net/x.png", true),
            ("http://a.b.cdn.example.net/x.png", true),
            ("http://cdn.example.net/x.png", false),
            ("http://a.cdn.example.net:8080/x.png", false),
            ("http://evil.org/a.cdn.example.net/x.png", false),
            ("http://evil.org/?.cdn.example.net/", false),
            ("https://static.example.com/a.jpg", true),
            ("https://static.example.com.evil.net/a.jpg", false),
            ("https://static.example.com:444/a.jpg", false),
            ("local:///images/a.jpg", true),
            ("s3://images/key.jpg", true),
            ("s3://images-other/key.jpg", false),
            ("s3://other/images/key.jpg", false),
            ("https://a-b.thumbs.example.org/x", true),
            ("https://ab.thumbs.example.org/x", false),
            ("ftp://img.example.org/photos/a.jpg", false),
            ("", false),
        ];
        for (reference, want) in table {
            assert_eq!(list.allows(reference), *want, "{reference}");
        }
    }

    #[test]
    fn empty_allows_nothing() {
        for text in ["", " , ,"] {
            let list = AllowedSources::parse(text).unwrap();
            assert!(list.is_empty());
            assert!(!list.allows("http://example.org/a.jpg"));
        }
    }

    #[test]
    fn items_need_a_scheme() {
        for bad in ["example.org/", "http//x/", "://x/", "*://x/", "1http://x/"] {
            assert!(AllowedSources::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_is_linear_on_hostile_text() {
        let list = AllowedSources::parse("http://*a*a*a*a*a*a*b/").unwrap();
        let text = format!("http://{}", "a".repeat(20_000));
        let t = std::time::Instant::now();
        assert!(!list.allows(&text));
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }
}
