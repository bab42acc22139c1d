//! Reading a QR code from an uploaded picture (docs/web.md, "Pay"): the cardholder photographs
//! or screenshots a merchant's code and uploads it instead of pasting its text. The picture is
//! untrusted bytes from the network, so the decoder is bounded before it starts — the upload's
//! size, the picture's width and height and the decoder's memory — and total: any byte string
//! gives the payload text or a [`Unreadable`] reason, never a panic reaching the request.
//!
//! What comes out is only text: it then goes through the same payload parser and scan as a
//! pasted code, so a picture can do nothing a typed payload could not.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// The largest upload read, in bytes (a phone photo re-encoded as JPEG or a screenshot).
pub(crate) const UPLOAD_BYTES_MAX: usize = 4 * 1024 * 1024;
/// The largest width or height decoded, in pixels.
const SIDE_PX_MAX: u32 = 4_096;
/// The most memory the image decoder may allocate, in bytes.
const DECODE_ALLOC_MAX: u64 = 64 * 1024 * 1024;
/// The longest payload text accepted from a code, in bytes (an EMVCo payload is at most 512).
const TEXT_BYTES_MAX: usize = 1_024;

/// Why no payload came out of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Nothing was uploaded.
    Empty,
    /// Larger than [`UPLOAD_BYTES_MAX`].
    TooLarge,
    /// Not a PNG or JPEG picture, or a damaged one, or wider or taller than allowed.
    NotAPicture,
    /// A picture without a QR code in it that could be read.
    NoCode,
    /// More than one code: which one to pay is not for the server to guess.
    SeveralCodes,
}

/// The text of the one QR code in `bytes` (a PNG or JPEG picture).
pub(crate) fn read(bytes: &[u8]) -> Result<String, Unreadable> {
    if bytes.is_empty() {
        return Err(Unreadable::Empty);
    }
    if bytes.len() > UPLOAD_BYTES_MAX {
        return Err(Unreadable::TooLarge);
    }
    // A decoder bug must not take the request down with it: a panic is one more unreadable
    // picture.
    std::panic::catch_unwind(|| decode(bytes)).unwrap_or(Err(Unreadable::NotAPicture))
}

fn decode(bytes: &[u8]) -> Result<String, Unreadable> {
    let format = image::guess_format(bytes).map_err(|_| Unreadable::NotAPicture)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return Err(Unreadable::NotAPicture);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(SIDE_PX_MAX);
    limits.max_image_height = Some(SIDE_PX_MAX);
    limits.max_alloc = Some(DECODE_ALLOC_MAX);
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|_| Unreadable::NotAPicture)?
        .into_luma8();
    let (w, h) = (picture.width() as usize, picture.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| picture.as_raw()[y * w + x]);
    let grids = prepared.detect_grids();
    let mut texts = grids.iter().filter_map(|g| g.decode().ok().map(|(_, t)| t));
    let text = texts.next().ok_or(Unreadable::NoCode)?;
    if texts.next().is_some() {
        return Err(Unreadable::SeveralCodes);
    }
    if text.is_empty() || text.len() > TEXT_BYTES_MAX {
        return Err(Unreadable::NoCode);
    }
    Ok(text)
}

/// A PNG of `text` as a QR code, `scale` pixels a module with the quiet zone — what a phone
/// camera or a screenshot of a printed code gives. For tests (the pages draw codes as SVG).
#[cfg(test)]
pub(crate) fn png_of(text: &str, scale: u32) -> Vec<u8> {
    use qrcode::{Color, QrCode};
    let Ok(code) = QrCode::new(text.as_bytes()) else {
        return Vec::new();
    };
    let width = code.width() as u32;
    let colors = code.to_colors();
    let side = (width + 8) * scale;
    let picture = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / scale).checked_sub(4), (y / scale).checked_sub(4));
        let dark = match (mx, my) {
            (Some(mx), Some(my)) if mx < width && my < width => {
                colors[(my * width + mx) as usize] == Color::Dark
            }
            _ => false,
        };
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    if picture.write_to(&mut out, ImageFormat::Png).is_err() {
        return Vec::new();
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PAYLOAD: &str = "00020101021126300010cn.cardlife0112mer_0000000152045812530315658025CN5906Noodle6008Shanghai63041D2F";

    #[test]
    fn the_text_of_a_code_comes_back_from_its_picture() {
        assert_eq!(read(&png_of(PAYLOAD, 4)), Ok(PAYLOAD.to_owned()));
        assert_eq!(read(&png_of("hello", 2)), Ok("hello".to_owned()));
    }

    #[test]
    fn a_picture_without_a_code_or_with_two_says_so() {
        let blank = image::GrayImage::from_pixel(64, 64, image::Luma([255]));
        let mut png = Cursor::new(Vec::new());
        assert!(blank.write_to(&mut png, ImageFormat::Png).is_ok());
        assert_eq!(read(png.get_ref()), Err(Unreadable::NoCode));

        let one = image::load_from_memory(&png_of("left", 4)).map(|p| p.into_luma8());
        let two = image::load_from_memory(&png_of("right", 4)).map(|p| p.into_luma8());
        let (Ok(one), Ok(two)) = (one, two) else {
            panic!("the test pictures decode");
        };
        let side = one.width().max(two.width());
        let both = image::GrayImage::from_fn(side * 2, side, |x, y| {
            let (picture, x) = if x < side {
                (&one, x)
            } else {
                (&two, x - side)
            };
            if x < picture.width() && y < picture.height() {
                *picture.get_pixel(x, y)
            } else {
                image::Luma([255])
            }
        });
        let mut png = Cursor::new(Vec::new());
        assert!(both.write_to(&mut png, ImageFormat::Png).is_ok());
        assert_eq!(read(png.get_ref()), Err(Unreadable::SeveralCodes));
    }

    #[test]
    fn what_is_not_a_small_png_or_jpeg_is_refused_before_decoding() {
        assert_eq!(read(b""), Err(Unreadable::Empty));
        assert_eq!(
            read(&vec![0u8; UPLOAD_BYTES_MAX + 1]),
            Err(Unreadable::TooLarge)
        );
        assert_eq!(read(b"GIF89a......"), Err(Unreadable::NotAPicture));
        assert_eq!(
            read(b"<script>alert(1)</script>"),
            Err(Unreadable::NotAPicture)
        );
        // A PNG header announcing a picture far wider than allowed.
        let huge = image::GrayImage::from_pixel(SIDE_PX_MAX + 1, 1, image::Luma([255]));
        let mut png = Cursor::new(Vec::new());
        assert!(huge.write_to(&mut png, ImageFormat::Png).is_ok());
        assert_eq!(read(png.get_ref()), Err(Unreadable::NotAPicture));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_give_a_payload_or_a_reason_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read(&bytes);
        }

        #[test]
        fn a_damaged_picture_gives_a_reason_never_a_panic(cut in 0usize..400, flip in 0usize..400, bit in 0u8..8) {
            let mut png = png_of("cardlife", 3);
            let len = png.len();
            if len > 0 {
                png[flip % len] ^= 1 << bit;
                png.truncate(len - cut.min(len));
            }
            let _ = read(&png);
        }
    }
}
