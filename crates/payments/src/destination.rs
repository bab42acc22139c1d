//! Which network addresses a merchant's webhook may be delivered to (docs/merchants.md,
//! "Webhook destinations"). A merchant chooses the URL, so without this rule it could make the
//! server call into the bank's own network (loopback admin ports, the cloud metadata service,
//! private subnets). Only globally routable unicast addresses are public; everything else is
//! refused with the class it falls in. Pure: resolving names is the caller's job, and the
//! caller must check every address a name resolves to and connect only to a checked one.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusedClass {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16, fc00::/7 (unique local), fec0::/10 (old site-local).
    Private,
    /// 169.254/16 (including the metadata service 169.254.169.254), fe80::/10.
    LinkLocal,
    /// 100.64/10, the carrier-grade NAT space.
    SharedCgnat,
    /// 0.0.0.0/8 ("this network"), ::.
    Unspecified,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// Reserved or documentation space: 240/4, 192.0.0/24, 192.0.2/24, 198.18/15,
    /// 198.51.100/24, 203.0.113/24, 2001:db8::/32. Never a merchant's server.
    Reserved,
}

impl RefusedClass {
    /// A stable lowercase name for messages and records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link_local",
            Self::SharedCgnat => "shared_cgnat",
            Self::Unspecified => "unspecified",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Reserved => "reserved",
        }
    }
}

impl std::fmt::Display for RefusedClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Ok(())` when `ip` is a public unicast address; else the class that refuses it. IPv6
/// forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d`) are judged by that IPv4 address.
pub fn classify(ip: IpAddr) -> Result<(), RefusedClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Result<(), RefusedClass> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        _ if ip.is_broadcast() => RefusedClass::Broadcast,
        (0, _, _) => RefusedClass::Unspecified,
        (127, _, _) => RefusedClass::Loopback,
        (10, _, _) | (192, 168, _) => RefusedClass::Private,
        (172, 16..=31, _) => RefusedClass::Private,
        (169, 254, _) => RefusedClass::LinkLocal,
        (100, 64..=127, _) => RefusedClass::SharedCgnat,
        (224..=239, _, _) => RefusedClass::Multicast,
        (240..=255, _, _)
        | (192, 0, 0 | 2)
        | (198, 18 | 19, _)
        | (198, 51, 100)
        | (203, 0, 113) => RefusedClass::Reserved,
        _ => return Ok(()),
    };
    Err(class)
}

fn classify_v6(ip: Ipv6Addr) -> Result<(), RefusedClass> {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let class = match s[0] {
        _ if ip.is_unspecified() => RefusedClass::Unspecified,
        _ if ip.is_loopback() => RefusedClass::Loopback,
        0xfc00..=0xfdff | 0xfec0..=0xfeff => RefusedClass::Private,
        0xfe80..=0xfebf => RefusedClass::LinkLocal,
        0xff00..=0xffff => RefusedClass::Multicast,
        0x2001 if s[1] == 0x0db8 => RefusedClass::Reserved,
        _ => return Ok(()),
    };
    Err(class)
}

/// The IPv4 address an IPv6 address stands for, when it is one of the forms that route to
/// it: IPv4-mapped, IPv4-compatible (but not `::` and `::1`), or the NAT64 well-known prefix.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::from(u32::from(s[6]) << 16 | u32::from(s[7]));
    let compatible = s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback();
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    (compatible || nat64).then_some(tail)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn class(s: &str) -> Result<(), RefusedClass> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn known_addresses_fall_in_their_class() {
        use RefusedClass::*;
        let cases: &[(&str, Result<(), RefusedClass>)] = &[
            ("127.0.0.1", Err(Loopback)),
            ("127.255.255.254", Err(Loopback)),
            ("10.0.0.1", Err(Private)),
            ("172.16.0.1", Err(Private)),
            ("172.31.255.255", Err(Private)),
            ("172.32.0.1", Ok(())),
            ("172.15.255.255", Ok(())),
            ("192.168.1.1", Err(Private)),
            ("169.254.169.254", Err(LinkLocal)),
            ("100.64.0.1", Err(SharedCgnat)),
            ("100.127.255.255", Err(SharedCgnat)),
            ("100.128.0.1", Ok(())),
            ("100.63.255.255", Ok(())),
            ("0.0.0.0", Err(Unspecified)),
            ("0.1.2.3", Err(Unspecified)),
            ("224.0.0.1", Err(Multicast)),
            ("239.255.255.250", Err(Multicast)),
            ("255.255.255.255", Err(Broadcast)),
            ("240.0.0.1", Err(Reserved)),
            ("192.0.2.10", Err(Reserved)),
            ("8.8.8.8", Ok(())),
            ("93.184.215.14", Ok(())),
            ("::1", Err(Loopback)),
            ("::", Err(Unspecified)),
            ("fc00::1", Err(Private)),
            ("fd12:3456::1", Err(Private)),
            ("fe80::1", Err(LinkLocal)),
            ("febf::1", Err(LinkLocal)),
            ("ff02::1", Err(Multicast)),
            ("2001:db8::1", Err(Reserved)),
            ("::ffff:127.0.0.1", Err(Loopback)),
            ("::ffff:169.254.169.254", Err(LinkLocal)),
            ("::ffff:10.1.2.3", Err(Private)),
            ("::ffff:8.8.8.8", Ok(())),
            ("::127.0.0.1", Err(Loopback)),
            ("64:ff9b::a00:1", Err(Private)),
            ("64:ff9b::808:808", Ok(())),
            ("2606:4700:4700::1111", Ok(())),
        ];
        for (addr, want) in cases {
            assert_eq!(class(addr), *want, "{addr}");
        }
    }

    proptest! {
        #[test]
        fn a_mapped_address_is_judged_like_its_ipv4_address(raw in any::<u32>()) {
            let v4 = Ipv4Addr::from(raw);
            prop_assert_eq!(classify(IpAddr::V6(v4.to_ipv6_mapped())), classify(IpAddr::V4(v4)));
        }

        #[test]
        fn every_rfc1918_address_is_private(host in any::<u32>(), which in 0u8..3) {
            let (base, bits) = match which {
                0 => (0x0a00_0000_u32, 8),
                1 => (0xac10_0000, 12),
                _ => (0xc0a8_0000, 16),
            };
            let ip = Ipv4Addr::from(base | (host >> bits));
            prop_assert_eq!(classify(IpAddr::V4(ip)), Err(RefusedClass::Private));
        }

        #[test]
        fn every_unique_local_and_link_local_v6_address_is_refused(low in any::<u128>()) {
            let ula = Ipv6Addr::from(0xfc00_u128 << 112 | (low >> 7));
            let link = Ipv6Addr::from(0xfe80_u128 << 112 | (low >> 10));
            prop_assert_eq!(classify(IpAddr::V6(ula)), Err(RefusedClass::Private));
            prop_assert_eq!(classify(IpAddr::V6(link)), Err(RefusedClass::LinkLocal));
        }

        #[test]
        fn std_loopback_multicast_and_link_local_are_never_public(raw in any::<u32>()) {
            let ip = Ipv4Addr::from(raw);
            if ip.is_loopback() || ip.is_multicast() || ip.is_link_local() || ip.is_private()
                || ip.is_unspecified() || ip.is_broadcast()
            {
                prop_assert!(classify(IpAddr::V4(ip)).is_err());
            }
        }
    }
}
