//! Turning an uploaded image into the platform's three picture sizes: checked by content (GIF,
//! JPEG, PNG), refused before decoding when too large, cropped to a centred square, resized to
//! 512, 100 and 35 pixels and encoded as PNG. Pictures of a chunk are rendered on all cores.

use fast_image_resize::{self as fir, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The sizes of one picture, PNG encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub f1: Vec<u8>,
    pub f2: Vec<u8>,
    pub f3: Vec<u8>,
    /// Width and height of the original.
    pub size: (u32, u32),
    pub format: &'static str,
}

/// Why an image cannot become a picture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("not a GIF, JPEG or PNG image (by its content)")]
    NotAnImage,
    #[error("the image is {0}×{1} pixels, over userpictures.max_pixels ({2}); send a smaller one")]
    TooLarge(u32, u32, u64),
    #[error("the image cannot be decoded ({0}); check the original file")]
    Corrupt(String),
}

/// The image format of these bytes, if it is one a picture may be.
pub fn sniff(bytes: &[u8]) -> Option<(ImageFormat, &'static str)> {
    match image::guess_format(bytes).ok()? {
        ImageFormat::Png => Some((ImageFormat::Png, "PNG")),
        ImageFormat::Jpeg => Some((ImageFormat::Jpeg, "JPEG")),
        ImageFormat::Gif => Some((ImageFormat::Gif, "GIF")),
        _ => None,
    }
}

pub fn render(bytes: &[u8], max_pixels: u64) -> Result<Rendered, RenderError> {
    let (format, name) = sniff(bytes).ok_or(RenderError::NotAnImage)?;
    let reader = |limits: Limits| {
        let mut r = ImageReader::with_format(Cursor::new(bytes), format);
        r.limits(limits);
        r
    };
    // The header tells the size: a decompression bomb is refused before any pixel is decoded.
    let (w, h) = reader(Limits::default()).into_dimensions().map_err(|e| RenderError::Corrupt(e.to_string()))?;
    if u64::from(w) * u64::from(h) > max_pixels {
        return Err(RenderError::TooLarge(w, h, max_pixels));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(max_pixels.saturating_mul(8).max(1 << 20));
    let image = reader(limits).decode().map_err(|e| RenderError::Corrupt(e.to_string()))?;
    // Alpha is kept (PNG and GIF transparency); anything else becomes 8-bit RGB.
    let image = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8())
    };
    let side = f64::from(w.min(h));
    let (left, top) = ((f64::from(w) - side) / 2.0, (f64::from(h) - side) / 2.0);
    let mut resizer = Resizer::new();
    let f3 = resized(&mut resizer, &image, 512, Some((left, top, side)))?;
    let f1 = resized(&mut resizer, &f3, 100, None)?;
    let f2 = resized(&mut resizer, &f1, 35, None)?;
    Ok(Rendered { f1: png(&f1)?, f2: png(&f2)?, f3: png(&f3)?, size: (w, h), format: name })
}

/// `image` (or its `crop` square: left, top, side) resized to `side`×`side` with Catmull-Rom
/// (SIMD convolution).
fn resized(
    resizer: &mut Resizer,
    image: &DynamicImage,
    side: u32,
    crop: Option<(f64, f64, f64)>,
) -> Result<DynamicImage, RenderError> {
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(fir::FilterType::CatmullRom));
    if let Some((left, top, s)) = crop {
        options = options.crop(left, top, s, s);
    }
    let mut out = DynamicImage::new(side, side, image.color());
    resizer.resize(image, &mut out, &options).map_err(|e| RenderError::Corrupt(e.to_string()))?;
    Ok(out)
}

fn png(image: &DynamicImage) -> Result<Vec<u8>, RenderError> {
    let mut out = Cursor::new(Vec::new());
    // Alpha is kept (PNG and GIF transparency); JPEGs stay opaque RGB.
    let image = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8())
    };
    image.write_to(&mut out, ImageFormat::Png).map_err(|e| RenderError::Corrupt(e.to_string()))?;
    Ok(out.into_inner())
}

/// Renders every image on all cores, keeping their order.
pub fn render_all(images: &[&[u8]], max_pixels: u64) -> Vec<Result<Rendered, RenderError>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(images.len().max(1));
    if threads <= 1 {
        return images.iter().map(|b| render(b, max_pixels)).collect();
    }
    let size = images.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = images
            .chunks(size)
            .map(|part| scope.spawn(move || part.iter().map(|b| render(b, max_pixels)).collect::<Vec<_>>()))
            .collect();
        parts.into_iter().flat_map(|p| p.join().unwrap_or_default()).collect()
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    /// A `w`×`h` image in `format`, left half red, right half blue.
    pub fn sample(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, _| if x < w / 2 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn dims(png: &[u8]) -> (u32, u32) {
        image::load_from_memory_with_format(png, ImageFormat::Png).unwrap().to_rgb8().dimensions()
    }

    #[test]
    fn every_format_becomes_three_square_pngs() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Gif] {
            let r = render(&sample(300, 200, format), 1_000_000).unwrap();
            assert_eq!((dims(&r.f1), dims(&r.f2), dims(&r.f3)), ((100, 100), (35, 35), (512, 512)), "{format:?}");
            assert_eq!(r.size, (300, 200));
        }
    }

    #[test]
    fn the_crop_is_centred() {
        // 400×200, red on the left half: the centred 200×200 square is half red, half blue.
        let r = render(&sample(400, 200, ImageFormat::Png), 1_000_000).unwrap();
        let f3 = image::load_from_memory(&r.f3).unwrap().to_rgb8();
        assert!(f3.get_pixel(10, 256)[0] > 200 && f3.get_pixel(10, 256)[2] < 50, "left is red");
        assert!(f3.get_pixel(500, 256)[2] > 200 && f3.get_pixel(500, 256)[0] < 50, "right is blue");
    }

    #[test]
    fn non_images_bombs_and_corrupt_files_are_refused() {
        assert_eq!(render(b"hello, not a picture", 1_000), Err(RenderError::NotAnImage));
        let bmp = [b"BM".as_slice(), &[0u8; 60]].concat();
        assert_eq!(render(&bmp, 1_000), Err(RenderError::NotAnImage), "BMP is not a picture format");
        assert_eq!(render(&sample(100, 50, ImageFormat::Png), 4_999), Err(RenderError::TooLarge(100, 50, 4_999)));
        let mut broken = sample(64, 64, ImageFormat::Png);
        broken.truncate(broken.len() / 2);
        assert!(matches!(render(&broken, 1_000_000), Err(RenderError::Corrupt(_))));
    }

    #[test]
    fn rendering_in_parallel_keeps_the_order() {
        let a = sample(50, 50, ImageFormat::Png);
        let b = b"junk".to_vec();
        let c = sample(60, 40, ImageFormat::Jpeg);
        let out = render_all(&[&a, &b, &c, &a], 1_000_000);
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].as_ref().unwrap().size, (50, 50));
        assert_eq!(out[1], Err(RenderError::NotAnImage));
        assert_eq!(out[2].as_ref().unwrap().size, (60, 40));
    }
}
