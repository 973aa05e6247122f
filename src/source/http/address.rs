//! Which network addresses an HTTP source may connect to: a pure classifier of IP
//! addresses (every special-purpose range, IPv4 embedded in IPv6 included) and the rule
//! that turns a class and the two settings into a yes or no.
//!
//! The classifier is the heart of the SSRF defence: it runs on every address a name
//! resolves to, on every IP-literal host, at every redirect hop, and on the peer of every
//! connection, so that no spelling of an internal address reaches one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of destination an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressClass {
    /// Routable on the internet.
    Public,
    /// 127.0.0.0/8, ::1 (and `localhost` by name).
    Loopback,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), IPv6 unique local fc00::/7 and the
    /// deprecated site-local fec0::/10.
    Private,
    /// Carrier-grade NAT, 100.64.0.0/10 (RFC 6598): internal to a provider.
    Cgnat,
    /// 169.254.0.0/16 (the cloud metadata service at 169.254.169.254) and fe80::/10.
    LinkLocal,
    /// 0.0.0.0/8 and ::: "this host" (Linux connects 0.0.0.0 to the loopback).
    Unspecified,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// Documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32,
    /// 3fff::/20), never a real origin.
    Documentation,
    /// Benchmarking ranges (198.18/15, 2001:2::/48).
    Benchmark,
    /// Everything else that is not globally routable: 192.0.0/24, 192.88.99/24, 240/4,
    /// 100::/64, 2001::/23, 5f00::/16, 64:ff9b:1::/48 and IPv6 outside 2000::/3.
    Reserved,
}

/// Whether a destination of `class` may be fetched. Loopback and private ranges can be
/// opened by the operator (a same-host or in-cluster origin); link-local, unspecified,
/// multicast, broadcast and reserved ranges never: nothing legitimate lives there, and
/// the metadata service does.
pub(crate) fn allowed(class: AddressClass, allow_loopback: bool, allow_private: bool) -> bool {
    match class {
        AddressClass::Public => true,
        AddressClass::Loopback => allow_loopback,
        AddressClass::Private | AddressClass::Cgnat => allow_private,
        AddressClass::LinkLocal
        | AddressClass::Unspecified
        | AddressClass::Multicast
        | AddressClass::Broadcast
        | AddressClass::Documentation
        | AddressClass::Benchmark
        | AddressClass::Reserved => false,
    }
}

/// The class of `ip`. IPv4 carried inside IPv6 (mapped, compatible, translated, NAT64,
/// 6to4) takes the class of the IPv4 address it carries: that is where packets go.
pub(crate) fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// The class of a host given by name, when the name alone decides it: `localhost` and
/// `*.localhost` are the loopback (RFC 6761) whatever a resolver would say, so they are
/// refused without a lookup.
pub(crate) fn classify_name(host: &str) -> Option<AddressClass> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (host == "localhost" || host.ends_with(".localhost")).then_some(AddressClass::Loopback)
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    use AddressClass::*;
    // Most specific first: 192.0.0/24 sits apart from 192.0.2/24, 255.255.255.255 inside
    // 240/4.
    const TABLE: &[([u8; 4], u32, AddressClass)] = &[
        ([0, 0, 0, 0], 8, Unspecified),
        ([10, 0, 0, 0], 8, Private),
        ([100, 64, 0, 0], 10, Cgnat),
        ([127, 0, 0, 0], 8, Loopback),
        ([169, 254, 0, 0], 16, LinkLocal),
        ([172, 16, 0, 0], 12, Private),
        ([192, 0, 0, 0], 24, Reserved),
        ([192, 0, 2, 0], 24, Documentation),
        ([192, 88, 99, 0], 24, Reserved),
        ([192, 168, 0, 0], 16, Private),
        ([198, 18, 0, 0], 15, Benchmark),
        ([198, 51, 100, 0], 24, Documentation),
        ([203, 0, 113, 0], 24, Documentation),
        ([224, 0, 0, 0], 4, Multicast),
        ([255, 255, 255, 255], 32, Broadcast),
        ([240, 0, 0, 0], 4, Reserved),
    ];
    TABLE
        .iter()
        .find(|(net, len, _)| in_v4(ip, *net, *len))
        .map_or(Public, |(_, _, class)| *class)
}

fn in_v6(ip: Ipv6Addr, net: u128, len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    use AddressClass::*;
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from(bits as u32);
    match bits {
        0 => return Unspecified,
        1 => return Loopback,
        _ => {}
    }
    // Prefixes that carry an IPv4 address: ::/96 (compatible), ::ffff:0:0/96 (mapped),
    // ::ffff:0:0:0/96 (translated), 64:ff9b::/96 (NAT64) in the low 32 bits; 2002::/16
    // (6to4) in bits 16..48.
    const EMBEDDING: &[u128] = &[0, 0xffff << 32, 0xffff << 48, 0x0064_ff9b << 96];
    if EMBEDDING.iter().any(|&net| in_v6(ip, net, 96)) {
        return classify_v4(low32);
    }
    if in_v6(ip, 0x2002 << 112, 16) {
        return classify_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    const TABLE: &[(u128, u32, AddressClass)] = &[
        (0x0064_ff9b_0001 << 80, 48, Reserved),
        (0x0100 << 112, 64, Reserved),
        (0x2001_0002 << 96, 48, Benchmark),
        (0x2001_0db8 << 96, 32, Documentation),
        (0x2001 << 112, 23, Reserved),
        (0x3fff << 112, 20, Documentation),
        (0x5f00 << 112, 16, Reserved),
        (0x2000 << 112, 3, Public),
        (0xfc00 << 112, 7, Private),
        (0xfe80 << 112, 10, LinkLocal),
        (0xfec0 << 112, 10, Private),
        (0xff00 << 112, 8, Multicast),
    ];
    TABLE
        .iter()
        .find(|(net, len, _)| in_v6(ip, *net, *len))
        .map_or(Reserved, |(_, _, class)| *class)
}

#[cfg(test)]
mod tests {
    use super::AddressClass::*;
    use super::*;

    fn class(s: &str) -> AddressClass {
        classify(s.parse().unwrap_or_else(|_| panic!("{s} parses")))
    }

    #[test]
    fn every_range_first_last_and_neighbours() {
        let table: &[(&str, AddressClass)] = &[
            ("0.0.0.0", Unspecified),
            ("0.255.255.255", Unspecified),
            ("1.0.0.0", Public),
            ("9.255.255.255", Public),
            ("10.0.0.0", Private),
            ("10.255.255.255", Private),
            ("11.0.0.0", Public),
            ("100.63.255.255", Public),
            ("100.64.0.0", Cgnat),
            ("100.127.255.255", Cgnat),
            ("100.128.0.0", Public),
            ("126.255.255.255", Public),
            ("127.0.0.0", Loopback),
            ("127.0.0.1", Loopback),
            ("127.0.0.2", Loopback),
            ("127.255.255.255", Loopback),
            ("128.0.0.0", Public),
            ("169.253.255.255", Public),
            ("169.254.0.0", LinkLocal),
            ("169.254.169.254", LinkLocal),
            ("169.254.255.255", LinkLocal),
            ("169.255.0.0", Public),
            ("172.15.255.255", Public),
            ("172.16.0.0", Private),
            ("172.31.255.255", Private),
            ("172.32.0.0", Public),
            ("191.255.255.255", Public),
            ("192.0.0.0", Reserved),
            ("192.0.0.255", Reserved),
            ("192.0.1.0", Public),
            ("192.0.2.0", Documentation),
            ("192.0.2.255", Documentation),
            ("192.0.3.0", Public),
            ("192.88.98.255", Public),
            ("192.88.99.0", Reserved),
            ("192.88.99.255", Reserved),
            ("192.88.100.0", Public),
            ("192.167.255.255", Public),
            ("192.168.0.0", Private),
            ("192.168.255.255", Private),
            ("192.169.0.0", Public),
            ("198.17.255.255", Public),
            ("198.18.0.0", Benchmark),
            ("198.19.255.255", Benchmark),
            ("198.20.0.0", Public),
            ("198.51.100.0", Documentation),
            ("198.51.100.255", Documentation),
            ("198.51.101.0", Public),
            ("203.0.112.255", Public),
            ("203.0.113.0", Documentation),
            ("203.0.113.255", Documentation),
            ("203.0.114.0", Public),
            ("223.255.255.255", Public),
            ("224.0.0.0", Multicast),
            ("239.255.255.255", Multicast),
            ("240.0.0.0", Reserved),
            ("255.255.255.254", Reserved),
            ("255.255.255.255", Broadcast),
            // IPv6
            ("::", Unspecified),
            ("::1", Loopback),
            ("::2", Unspecified),
            ("::ffff:0.0.0.0", Unspecified),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:8.8.8.8", Public),
            ("::ffff:255.255.255.255", Broadcast),
            ("::127.0.0.1", Loopback),
            ("::8.8.8.8", Public),
            ("::ffff:0:127.0.0.1", Loopback),
            ("64:ff9b::", Unspecified),
            ("64:ff9b::127.0.0.1", Loopback),
            ("64:ff9b::192.168.1.1", Private),
            ("64:ff9b::8.8.8.8", Public),
            ("64:ff9b::ffff:ffff", Broadcast),
            ("64:ff9b:1::", Reserved),
            ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("100::", Reserved),
            ("100::ffff:ffff:ffff:ffff", Reserved),
            ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("2000::", Public),
            ("2001::", Reserved),
            ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("2001:200::", Public),
            ("2001:2::", Benchmark),
            ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Benchmark),
            ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", Public),
            ("2001:db8::", Documentation),
            ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", Documentation),
            ("2001:db9::", Public),
            ("2002::", Unspecified),
            ("2002:7f00:1::", Loopback),
            ("2002:a9fe:a9fe::1", LinkLocal),
            ("2002:c0a8:101::", Private),
            ("2002:808:808::", Public),
            ("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Broadcast),
            ("2003::", Public),
            ("2606:4700::1111", Public),
            ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Public),
            ("3fff::", Documentation),
            ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", Documentation),
            ("3fff:1000::", Public),
            ("4000::", Reserved),
            ("5f00::", Reserved),
            ("5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("fc00::", Private),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Private),
            ("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Reserved),
            ("fe80::", LinkLocal),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", LinkLocal),
            ("fec0::", Private),
            ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Private),
            ("ff00::", Multicast),
            ("ff02::1", Multicast),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Multicast),
        ];
        for (ip, want) in table {
            assert_eq!(class(ip), *want, "{ip}");
        }
    }

    #[test]
    fn the_settings_open_only_their_classes() {
        let all = [
            Public,
            Loopback,
            Private,
            Cgnat,
            LinkLocal,
            Unspecified,
            Multicast,
            Broadcast,
            Documentation,
            Benchmark,
            Reserved,
        ];
        for class in all {
            let opened: Vec<(bool, bool)> = [(false, false), (true, false), (false, true)]
                .into_iter()
                .filter(|(l, p)| allowed(class, *l, *p))
                .collect();
            let want: &[(bool, bool)] = match class {
                Public => &[(false, false), (true, false), (false, true)],
                Loopback => &[(true, false)],
                Private | Cgnat => &[(false, true)],
                _ => &[],
            };
            assert_eq!(opened, want, "{class:?}");
            // Both settings on still never open the rest.
            let never = !matches!(class, Public | Loopback | Private | Cgnat);
            assert_eq!(allowed(class, true, true), !never, "{class:?}");
        }
    }

    #[test]
    fn localhost_is_loopback_by_name() {
        for name in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "a.b.localhost",
            "x.localhost.",
        ] {
            assert_eq!(classify_name(name), Some(Loopback), "{name}");
        }
        for name in [
            "localhost.example.org",
            "notlocalhost",
            "example.org",
            "localhostx",
        ] {
            assert_eq!(classify_name(name), None, "{name}");
        }
    }
}
