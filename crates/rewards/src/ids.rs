//! Typed ids owned by rewards (declared with the kernel's `id_kind!`; prefixes are shown to people).

use cardlife_kernel::id_kind;

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
    GroupBuyOfferKind,
    GroupBuyOfferId,
    "gbo",
    "a group-buying offer (the deal groups form for)"
);
id_kind!(
    PartnerKind,
    PartnerId,
    "ptn",
    "a partner that funds coupons (a brand, a platform)"
);
id_kind!(
    TriggerEventKind,
    TriggerEventId,
    "evt",
    "a business event fed to campaigns and referral (a binding, a payment, a month's spend)"
);
id_kind!(
    DeviceKind,
    DeviceId,
    "dev",
    "a device fingerprint seen at sign-up or payment"
);
id_kind!(
    MallItemKind,
    MallItemId,
    "mli",
    "an item of the points mall"
);
id_kind!(
    MallOrderKind,
    MallOrderId,
    "mlo",
    "an order in the points mall"
);
