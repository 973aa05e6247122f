//! What the output is made of, beyond geometry: its colour mode, the source metadata it
//! keeps, and its encoding (a format, or the source's own once sniffed).

/// Colour treatment of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// The image as it is (colour, or grey for grey sources).
    Default,
    /// All colour information.
    Color,
    /// Shades of grey.
    Gray,
    /// Black and white only.
    Bitonal,
}

impl Colour {
    /// The IIIF name of the colour mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Default => "default",
            Colour::Color => "color",
            Colour::Gray => "gray",
            Colour::Bitonal => "bitonal",
        }
    }
}

/// What survives of the source's metadata. vignette writes fresh files with pixels only
/// and converts colour to sRGB: `STRIP` is the one policy it renders today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// Drop EXIF, XMP, IPTC and comments.
    pub strip: bool,
    /// Keep the copyright notice when stripping.
    pub keep_copyright: bool,
    /// Convert to sRGB and drop the ICC profile.
    pub strip_colour_profile: bool,
}

impl Metadata {
    /// Pixels only, in sRGB.
    pub const STRIP: Metadata = Metadata {
        strip: true,
        keep_copyright: false,
        strip_colour_profile: true,
    };
}

/// Output encodings vignette produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// JPEG (`jpg`), never with alpha.
    Jpeg,
    /// PNG, lossless, alpha kept.
    Png,
    /// WebP (lossy), alpha kept.
    Webp,
    /// AVIF (lossy), alpha kept.
    Avif,
    /// GIF (palette), first frame only.
    Gif,
}

impl Format {
    /// Every output format.
    pub const ALL: [Format; 5] = [
        Format::Jpeg,
        Format::Png,
        Format::Webp,
        Format::Avif,
        Format::Gif,
    ];

    /// The IIIF / file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Avif => "avif",
            Format::Gif => "gif",
        }
    }

    /// The format of an extension (`jpeg` too).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "jpg" | "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::Webp),
            "avif" => Some(Format::Avif),
            "gif" => Some(Format::Gif),
            _ => None,
        }
    }

    /// The exact media type for `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Avif => "image/avif",
            Format::Gif => "image/gif",
        }
    }

    /// Whether the encoding can carry an alpha channel.
    pub fn supports_alpha(self) -> bool {
        !matches!(self, Format::Jpeg)
    }
}

/// The output encoding, once any negotiation is done: a format, or the source's own
/// (decided when the source is sniffed: JPEG, PNG and GIF stay themselves, anything else
/// becomes PNG with alpha and JPEG without).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// This format.
    Is(Format),
    /// The source's format, or the closest of JPEG, PNG, GIF.
    AsSource,
}

/// What an animated source (GIF, WebP, APNG with more than one frame) becomes. Animations
/// are rendered frame by frame into GIF, WebP or PNG (APNG); JPEG and AVIF get the first
/// frame. Written into the cache key only when it differs from [`Animation::InFormat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Animation {
    /// Animated in the asked format when it animates (GIF, WebP, PNG), else the first frame.
    #[default]
    InFormat,
    /// As `InFormat`, but PNG output is the first frame (IIIF: a still-image API whose
    /// `png` names a picture, not a movie).
    NotPng,
    /// In this format instead of the asked one: the format was negotiated from `Accept`
    /// and is a still format, and negotiation never turns an animation into a still.
    As(OutputFormat),
}
