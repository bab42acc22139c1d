//! Where a merchant's webhook may point (docs/merchants.md, "Webhook destinations"): https
//! only, and never an address inside a private network, both checked when the endpoint is set
//! and again on every delivery. The delivery client resolves names through
//! [`CheckedResolver`], so the address it connects to is one it has just checked: a name
//! that answered a public address when set and a private one later (DNS rebinding) is refused
//! at the attempt, and no second lookup can swap the address between check and connect.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use cardlife_payments::destination::{self, RefusedClass};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long resolving an endpoint's host may take when it is set.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// How strict the destination rules are. Production refuses both; the test harness and local
/// development (receivers on 127.0.0.1 over plain http) allow both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookDestinations {
    /// Accept `http://` endpoints (else https only).
    pub allow_http: bool,
    /// Accept endpoints on loopback, private, link-local and other non-public addresses.
    pub allow_private_destinations: bool,
}

impl WebhookDestinations {
    /// https only, public addresses only.
    pub const PRODUCTION: Self = Self {
        allow_http: false,
        allow_private_destinations: false,
    };
    /// Anything goes: for receivers on the local machine.
    pub const LOCAL: Self = Self {
        allow_http: true,
        allow_private_destinations: true,
    };
}

/// Why an endpoint is not an acceptable destination.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationRefusal {
    /// A plain-http URL where https is required.
    #[error("webhook endpoints must use https")]
    HttpsRequired,
    /// The host is, or resolves to, a non-public address.
    #[error("{host} is a {class} address; webhooks go to public addresses only")]
    NotPublic {
        /// The URL's host.
        host: String,
        /// The class of the first refused address.
        class: RefusedClass,
    },
    /// The host's name could not be resolved, so its addresses could not be checked.
    #[error("{host} could not be resolved")]
    Unresolved {
        /// The URL's host.
        host: String,
    },
}

/// What [`CheckedResolver`] answers for a refused name; found again in the request's error
/// chain to record why the attempt failed.
#[derive(Debug, thiserror::Error)]
#[error("destination refused: {0} address")]
pub struct BlockedAddress(pub RefusedClass);

/// The scheme rule and, for an IP-literal host, the address rule — what can be decided
/// without resolving.
pub fn check_literal(url: &Url, rules: WebhookDestinations) -> Result<(), DestinationRefusal> {
    if url.scheme() != "https" && !rules.allow_http {
        return Err(DestinationRefusal::HttpsRequired);
    }
    if rules.allow_private_destinations {
        return Ok(());
    }
    let Some(ip) = literal_ip(url) else {
        return Ok(());
    };
    destination::classify(ip).map_err(|class| DestinationRefusal::NotPublic {
        host: ip.to_string(),
        class,
    })
}

/// The host as an address when it is written as one. The URL parser has already normalised
/// the other IPv4 spellings (`2130706433`, `0x7f.1`) to dotted form.
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Every rule, resolving a named host (when it is set): each address it resolves to must be
/// public, since the client may connect to any of them.
pub async fn check_endpoint(
    url: &Url,
    rules: WebhookDestinations,
) -> Result<(), DestinationRefusal> {
    check_literal(url, rules)?;
    if rules.allow_private_destinations {
        return Ok(());
    }
    let name = match url.host_str() {
        Some(name) if literal_ip(url).is_none() => name,
        _ => return Ok(()),
    };
    let unresolved = || DestinationRefusal::Unresolved {
        host: name.to_owned(),
    };
    let lookup = tokio::net::lookup_host((name, url.port_or_known_default().unwrap_or(443)));
    let addrs: Vec<SocketAddr> = tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
        .await
        .map_err(|_| unresolved())?
        .map_err(|_| unresolved())?
        .collect();
    admit(&addrs, false).map_err(|class| DestinationRefusal::NotPublic {
        host: name.to_owned(),
        class,
    })?;
    if addrs.is_empty() {
        return Err(unresolved());
    }
    Ok(())
}

/// The addresses a connection may use: all of them when private ones are allowed; else all
/// of them only when every one is public — one private answer among public ones refuses the
/// name, since a client falling back to it would reach the private network.
pub fn admit(addrs: &[SocketAddr], allow_private: bool) -> Result<(), RefusedClass> {
    if allow_private {
        return Ok(());
    }
    addrs.iter().try_for_each(|a| destination::classify(a.ip()))
}

/// The delivery client's resolver: the system lookup, then [`admit`]. The connector dials only
/// what this answers, so the checked addresses are the ones connected to.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    allow_private: bool,
}

impl CheckedResolver {
    /// A resolver for these rules.
    pub fn new(rules: WebhookDestinations) -> Arc<Self> {
        Arc::new(Self {
            allow_private: rules.allow_private_destinations,
        })
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            admit(&addrs, allow_private).map_err(BlockedAddress)?;
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The refusal in a failed request's error chain, if the resolver refused it.
pub fn blocked_in(error: &(dyn std::error::Error + 'static)) -> Option<RefusedClass> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(b) = e.downcast_ref::<BlockedAddress>() {
            return Some(b.0);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn production_refuses_http_and_private_literals_in_every_spelling() {
        let p = WebhookDestinations::PRODUCTION;
        assert_eq!(
            check_literal(&url("http://93.184.215.14/"), p),
            Err(DestinationRefusal::HttpsRequired)
        );
        for (u, class) in [
            ("https://127.0.0.1/h", RefusedClass::Loopback),
            ("https://2130706433/h", RefusedClass::Loopback),
            ("https://0x7f.1/h", RefusedClass::Loopback),
            ("https://[::1]/h", RefusedClass::Loopback),
            ("https://[::ffff:127.0.0.1]/h", RefusedClass::Loopback),
            ("https://169.254.169.254/latest", RefusedClass::LinkLocal),
            ("https://10.1.2.3/", RefusedClass::Private),
            ("https://100.64.0.9/", RefusedClass::SharedCgnat),
            ("https://0.0.0.0/", RefusedClass::Unspecified),
        ] {
            match check_literal(&url(u), p) {
                Err(DestinationRefusal::NotPublic { class: got, .. }) => {
                    assert_eq!(got, class, "{u}")
                }
                other => panic!("{u}: {other:?}"),
            }
        }
        assert_eq!(check_literal(&url("https://93.184.215.14/h"), p), Ok(()));
    }

    #[test]
    fn the_local_rules_accept_loopback_over_http() {
        assert_eq!(
            check_literal(&url("http://127.0.0.1:9/h"), WebhookDestinations::LOCAL),
            Ok(())
        );
    }

    #[test]
    fn one_private_answer_among_public_ones_refuses_the_name() {
        let public: SocketAddr = "93.184.215.14:443".parse().unwrap();
        let private: SocketAddr = "10.0.0.5:443".parse().unwrap();
        assert_eq!(admit(&[public], false), Ok(()));
        assert_eq!(admit(&[public, private], false), Err(RefusedClass::Private));
        assert_eq!(admit(&[public, private], true), Ok(()));
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused_when_set_and_when_resolved_for_delivery() {
        let refused =
            check_endpoint(&url("https://localhost/h"), WebhookDestinations::PRODUCTION).await;
        assert!(
            matches!(
                refused,
                Err(DestinationRefusal::NotPublic {
                    class: RefusedClass::Loopback,
                    ..
                })
            ),
            "{refused:?}"
        );
        let resolver = CheckedResolver::new(WebhookDestinations::PRODUCTION);
        let err = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert_eq!(blocked_in(err.as_ref()), Some(RefusedClass::Loopback));
        let open = CheckedResolver::new(WebhookDestinations::LOCAL);
        assert!(open.resolve("localhost".parse().unwrap()).await.is_ok());
    }
}
