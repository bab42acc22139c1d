//! The strings of the real-name and devices sections of the "me" page, one table per language
//! like `i18n` (docs/web.md, "Languages"); the template reads `it.<name>`.

use super::i18n::Lang;

/// The strings of one language. Messages of form errors start with `err_`.
#[derive(Debug)]
pub(crate) struct IdentityTexts {
    pub(crate) real_name_title: &'static str,
    pub(crate) real_name_hint: &'static str,
    pub(crate) name_label: &'static str,
    pub(crate) resident_id_label: &'static str,
    pub(crate) status_label: &'static str,
    pub(crate) verified: &'static str,
    pub(crate) not_verified: &'static str,
    pub(crate) rejected_under_18: &'static str,
    pub(crate) save: &'static str,
    pub(crate) correct: &'static str,
    pub(crate) devices_title: &'static str,
    pub(crate) no_devices: &'static str,
    pub(crate) this_device: &'static str,
    pub(crate) last_login: &'static str,
    pub(crate) sign_out_device: &'static str,
    pub(crate) err_name: &'static str,
    pub(crate) err_resident_id: &'static str,
    pub(crate) err_id_in_use: &'static str,
}

pub(crate) static IDENTITY_ZH: IdentityTexts = IdentityTexts {
    real_name_title: "实名认证",
    real_name_hint: "姓名与身份证号加密保存，页面只显示脱敏信息。",
    name_label: "姓名",
    resident_id_label: "身份证号",
    status_label: "认证状态",
    verified: "已认证",
    not_verified: "未认证",
    rejected_under_18: "未满 18 周岁，暂不能认证",
    save: "提交认证",
    correct: "更正信息",
    devices_title: "登录设备",
    no_devices: "暂无登录设备记录",
    this_device: "本机",
    last_login: "最近登录",
    sign_out_device: "下线",
    err_name: "请填写真实姓名（不含数字）",
    err_resident_id: "身份证号格式不正确",
    err_id_in_use: "该身份证号已被其他账户认证",
};

pub(crate) static IDENTITY_EN: IdentityTexts = IdentityTexts {
    real_name_title: "Real-name verification",
    real_name_hint: "Your name and ID number are stored encrypted; pages show them masked.",
    name_label: "Legal name",
    resident_id_label: "Resident ID number",
    status_label: "Status",
    verified: "Verified",
    not_verified: "Not verified",
    rejected_under_18: "Not verified: under 18",
    save: "Verify",
    correct: "Correct details",
    devices_title: "Devices",
    no_devices: "No devices recorded yet",
    this_device: "This device",
    last_login: "Last login",
    sign_out_device: "Sign out",
    err_name: "Enter your legal name (no digits)",
    err_resident_id: "That ID number is not valid",
    err_id_in_use: "This ID number is verified for another account",
};

impl Lang {
    /// The real-name and devices strings of this language.
    pub(crate) fn identity_texts(self) -> &'static IdentityTexts {
        match self {
            Self::Zh => &IDENTITY_ZH,
            Self::En => &IDENTITY_EN,
        }
    }
}
