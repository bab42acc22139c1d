//! Typed ids owned by rewards (the kernel's [`IdKind`] mechanism, prefixes shown to people).

use cardlife_kernel::{Id, IdKind};

/// Declares an uninhabited kind marker, its [`IdKind`] impl and an `Id<Kind>` alias.
macro_rules! id_kind {
    ($kind:ident, $alias:ident, $prefix:literal, $what:literal) => {
        #[doc = concat!("Marks ids of ", $what, " (prefix `", $prefix, "`).")]
        #[derive(Debug)]
        pub enum $kind {}

        impl IdKind for $kind {
            const PREFIX: &'static str = $prefix;
        }

        #[doc = concat!("Id of ", $what, ", shown as `", $prefix, "_…`.")]
        pub type $alias = Id<$kind>;
    };
}

id_kind!(CampaignKind, CampaignId, "cmp", "a marketing campaign");
id_kind!(
    CouponTemplateKind,
    CouponTemplateId,
    "cpt",
    "a coupon template"
);
id_kind!(CouponKind, CouponId, "cpn", "a claimed coupon");
id_kind!(
    SceneKind,
    SceneId,
    "scn",
    "a payment scene (e.g. a mini-program or a QR stand)"
);
id_kind!(FlashSaleKind, FlashSaleId, "fls", "a flash sale");
id_kind!(GroupBuyKind, GroupBuyId, "grp", "a group-buying group");
id_kind!(
    PartnerKind,
    PartnerId,
    "ptn",
    "a partner that funds coupons (a brand, a platform)"
);
