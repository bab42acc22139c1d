//! Every string the pages show, one table per language (docs/web.md, "Languages"). Simplified
//! Chinese is the default; English is chosen with the `lang` cookie. A page never holds a literal
//! string of its own: it reads `page.t.<name>`, so adding a language is adding one table here.

/// A language the pages speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Lang {
    /// 简体中文, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The value kept in the cookie and sent by the switch (`zh-CN`, `en`).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// The language a cookie or form value names; anything else is `None`.
    pub(crate) fn from_code(code: &str) -> Option<Self> {
        match code {
            "zh-CN" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The other language (what the switch offers).
    pub(crate) fn other(self) -> Self {
        match self {
            Self::Zh => Self::En,
            Self::En => Self::Zh,
        }
    }

    /// This language's strings.
    pub(crate) fn texts(self) -> &'static Texts {
        match self {
            Self::Zh => &ZH,
            Self::En => &EN,
        }
    }
}

/// The strings of one language. Messages of form errors start with `err_`.
#[derive(Debug)]
pub(crate) struct Texts {
    pub(crate) app_name: &'static str,
    /// The name of this language, as the switch shows it to a speaker of it.
    pub(crate) lang_name: &'static str,
    pub(crate) switch_lang: &'static str,
    pub(crate) elder_mode: &'static str,
    pub(crate) elder_mode_hint: &'static str,
    pub(crate) standard_mode: &'static str,
    pub(crate) turn_on: &'static str,
    pub(crate) turn_off: &'static str,
    pub(crate) back: &'static str,

    pub(crate) login_title: &'static str,
    pub(crate) phone_label: &'static str,
    pub(crate) phone_placeholder: &'static str,
    pub(crate) password_label: &'static str,
    pub(crate) code_label: &'static str,
    pub(crate) code_placeholder: &'static str,
    pub(crate) send_code: &'static str,
    pub(crate) code_sent_to: &'static str,
    pub(crate) login_with_password: &'static str,
    pub(crate) login_with_code: &'static str,
    pub(crate) login_button: &'static str,
    pub(crate) no_account: &'static str,
    pub(crate) register_link: &'static str,

    pub(crate) register_title: &'static str,
    pub(crate) register_intro: &'static str,
    pub(crate) password_optional: &'static str,
    pub(crate) password_hint: &'static str,
    pub(crate) register_button: &'static str,
    pub(crate) have_account: &'static str,
    pub(crate) login_link: &'static str,

    pub(crate) greeting: &'static str,
    pub(crate) nav_home: &'static str,
    pub(crate) nav_me: &'static str,
    pub(crate) tile_pay: &'static str,
    pub(crate) tile_bills: &'static str,
    pub(crate) tile_borrow: &'static str,
    pub(crate) tile_rewards: &'static str,
    pub(crate) tile_cards: &'static str,
    pub(crate) coming_soon: &'static str,

    pub(crate) me_title: &'static str,
    pub(crate) me_phone: &'static str,
    pub(crate) me_registered: &'static str,
    pub(crate) me_password: &'static str,
    pub(crate) me_password_set: &'static str,
    pub(crate) me_password_unset: &'static str,
    pub(crate) settings_title: &'static str,
    pub(crate) language: &'static str,
    pub(crate) logout: &'static str,
    pub(crate) logout_everywhere: &'static str,
    pub(crate) logout_everywhere_hint: &'static str,

    pub(crate) dev_sms_title: &'static str,
    pub(crate) dev_sms_note: &'static str,
    pub(crate) dev_sms_empty: &'static str,
    pub(crate) dev_sms_phone: &'static str,
    pub(crate) dev_sms_code: &'static str,
    pub(crate) dev_sms_sent_at: &'static str,

    pub(crate) forbidden_title: &'static str,
    pub(crate) forbidden_body: &'static str,
    pub(crate) bad_request_title: &'static str,
    pub(crate) bad_request_body: &'static str,

    pub(crate) err_phone_empty: &'static str,
    pub(crate) err_phone_format: &'static str,
    pub(crate) err_too_long: &'static str,
    pub(crate) err_code_empty: &'static str,
    pub(crate) err_code_format: &'static str,
    pub(crate) err_code_wrong: &'static str,
    pub(crate) err_code_expired: &'static str,
    pub(crate) err_resend_too_soon: &'static str,
    pub(crate) err_daily_cap: &'static str,
    pub(crate) err_password_empty: &'static str,
    pub(crate) err_password_short: &'static str,
    pub(crate) err_password_long: &'static str,
    pub(crate) err_password_digits: &'static str,
    pub(crate) err_password_phone: &'static str,
    pub(crate) err_phone_taken: &'static str,
    /// A payment a risk rule declined (docs/risk.md).
    pub(crate) err_risk_declined: &'static str,
    pub(crate) err_invalid_credentials: &'static str,
    pub(crate) err_locked: &'static str,
    pub(crate) err_unavailable: &'static str,
}

/// 简体中文.
pub(crate) static ZH: Texts = Texts {
    app_name: "卡生活",
    lang_name: "中文",
    switch_lang: "切换语言",
    elder_mode: "长辈模式",
    elder_mode_hint: "字更大，内容更少",
    standard_mode: "标准模式",
    turn_on: "开启",
    turn_off: "关闭",
    back: "返回",

    login_title: "登录",
    phone_label: "手机号",
    phone_placeholder: "11 位手机号",
    password_label: "密码",
    code_label: "验证码",
    code_placeholder: "6 位数字",
    send_code: "获取验证码",
    code_sent_to: "验证码已发送至",
    login_with_password: "密码登录",
    login_with_code: "验证码登录",
    login_button: "登录",
    no_account: "还没有账户？",
    register_link: "立即注册",

    register_title: "注册",
    register_intro: "输入手机号获取 6 位验证码，密码可稍后设置。",
    password_optional: "设置密码（可选）",
    password_hint: "8–64 位，不能全是数字，不能与手机号相同",
    register_button: "注册并登录",
    have_account: "已有账户？",
    login_link: "去登录",

    greeting: "您好，",
    nav_home: "首页",
    nav_me: "我的",
    tile_pay: "付款",
    tile_bills: "账单",
    tile_borrow: "借款",
    tile_rewards: "领券中心",
    tile_cards: "我的卡",
    coming_soon: "即将上线",

    me_title: "我的",
    me_phone: "手机号",
    me_registered: "注册日期",
    me_password: "登录密码",
    me_password_set: "已设置",
    me_password_unset: "未设置",
    settings_title: "设置",
    language: "语言",
    logout: "退出登录",
    logout_everywhere: "退出所有设备",
    logout_everywhere_hint: "手机丢失或怀疑账户被盗时使用",

    dev_sms_title: "开发短信箱",
    dev_sms_note: "仅在开发模式下提供。验证码从不写入日志。",
    dev_sms_empty: "还没有发送过验证码",
    dev_sms_phone: "手机号",
    dev_sms_code: "验证码",
    dev_sms_sent_at: "发送时间",

    forbidden_title: "页面已过期",
    forbidden_body: "这个表单已过期或不是从本站提交的，什么也没有改变。请返回后重试。",
    bad_request_title: "无法处理的请求",
    bad_request_body: "提交的内容无法识别，什么也没有改变。",

    err_phone_empty: "请输入手机号",
    err_phone_format: "手机号应为 13–19 开头的 11 位数字",
    err_too_long: "输入内容过长",
    err_code_empty: "请输入验证码",
    err_code_format: "验证码是 6 位数字",
    err_code_wrong: "验证码不正确",
    err_code_expired: "验证码已失效，请重新获取",
    err_resend_too_soon: "发送太频繁，请一分钟后再试",
    err_daily_cap: "今日验证码次数已用完，请明天再试",
    err_password_empty: "请输入密码",
    err_password_short: "密码至少 8 位",
    err_password_long: "密码最多 64 位",
    err_password_digits: "密码不能全是数字",
    err_password_phone: "密码不能与手机号相同",
    err_phone_taken: "该手机号已注册，请直接登录",
    err_risk_declined: "为保障您的账户安全，本次支付未能完成，请稍后再试或联系客服",
    err_invalid_credentials: "手机号、密码或验证码不正确",
    err_locked: "登录失败次数过多，请稍后再试",
    err_unavailable: "服务暂时不可用，请稍后再试",
};

/// English.
pub(crate) static EN: Texts = Texts {
    app_name: "CardLife",
    lang_name: "English",
    switch_lang: "Language",
    elder_mode: "Elder mode",
    elder_mode_hint: "Larger type, fewer items",
    standard_mode: "Standard mode",
    turn_on: "Turn on",
    turn_off: "Turn off",
    back: "Back",

    login_title: "Log in",
    phone_label: "Mobile number",
    phone_placeholder: "11-digit mobile number",
    password_label: "Password",
    code_label: "Verification code",
    code_placeholder: "6 digits",
    send_code: "Send code",
    code_sent_to: "Code sent to",
    login_with_password: "Log in with password",
    login_with_code: "Log in with SMS code",
    login_button: "Log in",
    no_account: "No account yet?",
    register_link: "Register",

    register_title: "Register",
    register_intro: "Enter your mobile number to get a 6-digit code; a password can wait.",
    password_optional: "Password (optional)",
    password_hint: "8–64 characters, not only digits, not your phone number",
    register_button: "Register and log in",
    have_account: "Already registered?",
    login_link: "Log in",

    greeting: "Hello, ",
    nav_home: "Home",
    nav_me: "Me",
    tile_pay: "Pay",
    tile_bills: "Bills",
    tile_borrow: "Borrow",
    tile_rewards: "Coupons",
    tile_cards: "My cards",
    coming_soon: "Coming soon",

    me_title: "Me",
    me_phone: "Mobile number",
    me_registered: "Registered",
    me_password: "Password",
    me_password_set: "Set",
    me_password_unset: "Not set",
    settings_title: "Settings",
    language: "Language",
    logout: "Log out",
    logout_everywhere: "Log out everywhere",
    logout_everywhere_hint: "If your phone is lost or you think someone else is using your account",

    dev_sms_title: "Development SMS outbox",
    dev_sms_note: "Served in development mode only. Codes are never written to logs.",
    dev_sms_empty: "No codes sent yet",
    dev_sms_phone: "Mobile number",
    dev_sms_code: "Code",
    dev_sms_sent_at: "Sent at",

    forbidden_title: "This page has expired",
    forbidden_body: "The form expired or was not sent from this site; nothing was changed. Go back and try again.",
    bad_request_title: "Request not understood",
    bad_request_body: "What was sent could not be read; nothing was changed.",

    err_phone_empty: "Enter your mobile number",
    err_phone_format: "A mobile number has 11 digits and starts with 13–19",
    err_too_long: "That is too long",
    err_code_empty: "Enter the code",
    err_code_format: "The code is 6 digits",
    err_code_wrong: "The code is wrong",
    err_code_expired: "The code is no longer valid; ask for a new one",
    err_resend_too_soon: "Codes are sent at most once a minute; try again shortly",
    err_daily_cap: "You have had today's codes; try again tomorrow",
    err_password_empty: "Enter your password",
    err_password_short: "A password has at least 8 characters",
    err_password_long: "A password has at most 64 characters",
    err_password_digits: "A password cannot be only digits",
    err_password_phone: "A password cannot be your phone number",
    err_phone_taken: "This number is already registered; log in instead",
    err_risk_declined: "For your account's safety this payment was not made; try again later or contact us",
    err_invalid_credentials: "The mobile number, password or code is wrong",
    err_locked: "Too many failed attempts; try again later",
    err_unavailable: "The service is unavailable; try again later",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_codes_round_trip_and_nothing_else_parses() {
        for lang in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::from_code("<script>"), None);
    }

    #[test]
    fn the_two_tables_differ_where_they_should() {
        assert_ne!(ZH.login_title, EN.login_title);
        assert_ne!(ZH.err_phone_format, EN.err_phone_format);
    }
}
