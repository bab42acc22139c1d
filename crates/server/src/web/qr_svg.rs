//! QR codes drawn as SVG by the binary (the `qrcode` crate's SVG renderer, no image library):
//! the merchant's printed static codes, dynamic order codes and the cardholder's pay code. The
//! SVG is made of rectangles only, from our own payload, so it is embedded in the page as is;
//! the policy's `default-src 'none'` stays untouched (no image is fetched).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The SVG of `data` as a QR code (medium error correction, quiet zone included), or `None`
/// when it does not fit a QR code.
pub(crate) fn svg(data: &str, size_px: u32) -> Option<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(size_px, size_px)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::svg;

    #[test]
    fn a_payload_becomes_an_svg_of_rectangles_only() {
        let out = svg("000201010211", 200).unwrap_or_default();
        assert!(out.contains("<svg"), "{out}");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("style="), "{out}");
    }
}
