//! An uploaded picture, checked by decoding it (its name and declared type say nothing), and
//! written again from its pixels: nothing of the original file but the picture survives —
//! no GPS position, no camera, no date, no comment. The orientation a camera records is
//! applied first, so the picture stands as it was taken. Decoding is bounded (pixels and
//! memory) so that a small file cannot unfold into gigabytes, and runs in its turn
//! ([`crate::heavy`]).

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, codecs::jpeg::JpegEncoder,
};

use crate::error::{ApiError, ApiResult};

/// At most 50 megapixels (a full-frame camera's largest pictures are 61; phones give 12 to 50).
const MAX_PIXELS: u64 = 50_000_000;
const MAX_SIDE: u32 = 12_000;
/// What decoding may allocate: 50 megapixels of RGBA and the decoder's own buffers.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// The longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 400;
const JPEG_QUALITY: u8 = 88;

/// A picture ready to store: the file written again and its thumbnail (JPEG).
pub struct Prepared {
    pub media_type: &'static str,
    pub extension: &'static str,
    pub file: Vec<u8>,
    pub thumbnail: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Checks `bytes` are a JPEG or PNG picture within bounds and prepares it, or BAD_USER_INPUT
/// on `field`.
pub fn prepare(field: &str, bytes: &[u8]) -> ApiResult<Prepared> {
    let refused = |why: &str| ApiError::bad_input(field, why);
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| refused("could not be read"))?;
    let format = match reader.format() {
        Some(format @ (ImageFormat::Jpeg | ImageFormat::Png)) => format,
        _ => return Err(refused("must be a JPEG or PNG picture")),
    };
    let mut decoder = reader
        .into_decoder()
        .map_err(|_| refused("is not a readable JPEG or PNG picture"))?;
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(refused("must be at most 50 megapixels"));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    decoder
        .set_limits(limits)
        .map_err(|_| refused("must be at most 50 megapixels"))?;
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder)
        .map_err(|_| refused("is not a readable JPEG or PNG picture"))?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }

    let (media_type, extension, file) = match format {
        ImageFormat::Png => ("image/png", "png", encode(&picture, ImageFormat::Png)?),
        _ => ("image/jpeg", "jpg", jpeg(&picture)?),
    };
    let thumbnail = jpeg(&picture.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE))?;
    Ok(Prepared {
        media_type,
        extension,
        file,
        thumbnail,
        width: picture.width(),
        height: picture.height(),
    })
}

fn jpeg(picture: &DynamicImage) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
    match picture {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageLuma8(_) => {
            picture.write_with_encoder(encoder)
        }
        // JPEG has no alpha nor 16-bit samples: a transparent PNG's thumbnail is flattened.
        _ => DynamicImage::ImageRgb8(picture.to_rgb8()).write_with_encoder(encoder),
    }
    .map_err(ApiError::internal)?;
    Ok(out)
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> ApiResult<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, format)
        .map_err(ApiError::internal)?;
    Ok(out.into_inner())
}
