//! Pixel effects for imgproxy's URL options: blur, sharpen, pixelate, trim and smart
//! (attention) cropping (the canvas of `extend` and `padding` is `render::canvas`). Pure, synchronous functions on [`Raster`], one concept per
//! file.
//!
//! Effects run after the colour stage, so their input is Gray, GrayAlpha, Rgb or Rgba;
//! Cmyk never reaches them (each function documents what it does with it anyway: nothing
//! that panics). Alpha is straight in and out; blur, sharpen and pixelate work on
//! premultiplied values inside, so transparent pixels lend no colour.
//!
//! Flips need no module here: `Orientation::from_exif(2).apply(raster)` mirrors left-right,
//! `Orientation::from_exif(4).apply(raster)` top-bottom and `from_exif(3)` both (see
//! [`crate::render::orientation`]).
//!
//! # Layout
//! * `blur`: Gaussian blur, and the separable convolution `sharpen` reuses.
//! * `sharpen`: libvips' unsharp mask on lightness.
//! * `pixelate`: block averages.
//! * `trim`: the bounding box of what is not background.
//! * `smart`: the most interesting crop window (`gravity:sm`).
//!
//! [`Raster`]: crate::render::raster::Raster

pub(crate) mod blur;
pub(crate) mod pixelate;
pub(crate) mod sharpen;
pub(crate) mod smart;
pub(crate) mod trim;
