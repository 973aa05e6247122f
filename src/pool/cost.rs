//! What a render is expected to cost, learned from measured render times: the basis of
//! admission's wait estimate. One average for all jobs was wrong by a factor of ten both
//! ways (a thumbnail behind a 36 MP AVIF, or the reverse); here each job is weighed by its
//! size and its encoder. Pure: durations in, durations out.

use crate::variant::Format;
use std::time::Duration;

/// The output codec of a job: encoders differ by two orders of magnitude per pixel, so
/// each class learns its own rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostClass {
    /// JPEG out.
    Jpeg,
    /// PNG out.
    Png,
    /// WebP out.
    Webp,
    /// AVIF out.
    Avif,
    /// GIF out.
    Gif,
}

impl CostClass {
    const ALL: usize = 5;

    fn index(self) -> usize {
        self as usize
    }
}

impl From<Format> for CostClass {
    fn from(format: Format) -> Self {
        match format {
            Format::Jpeg => CostClass::Jpeg,
            Format::Png => CostClass::Png,
            Format::Webp => CostClass::Webp,
            Format::Avif => CostClass::Avif,
            Format::Gif => CostClass::Gif,
        }
    }
}

/// A job's size, as known before it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// The encoder, when the output format is known.
    pub class: Option<CostClass>,
    /// Megapixels decoded (after shrink-on-load) plus megapixels encoded, when the
    /// source's size is known (from its header, or from an earlier render).
    pub megapixels: Option<f64>,
}

impl Cost {
    /// A job of the given class and size.
    pub fn new(class: CostClass, megapixels: Option<f64>) -> Self {
        Cost {
            class: Some(class),
            megapixels,
        }
    }
}

/// An exponentially weighted mean, empty until its first sample.
#[derive(Debug, Clone, Copy, Default)]
struct Ewma(Option<f64>);

impl Ewma {
    fn add(&mut self, x: f64) {
        // Weight 1/8, as TCP's SRTT: follows a change within a few renders.
        self.0 = Some(self.0.map_or(x, |m| (m * 7.0 + x) / 8.0));
    }
}

/// Per class: seconds per megapixel, and seconds per job for jobs of unknown size.
#[derive(Debug, Clone, Copy, Default)]
struct ClassStats {
    per_megapixel: Ewma,
    per_job: Ewma,
}

/// The learned rates. A job is predicted from the most specific rate known: its class's
/// rate per megapixel, else its class's mean, else the mean over every job, else zero
/// (a fresh instance admits until it has measured something).
#[derive(Debug, Clone, Default)]
pub(super) struct CostModel {
    classes: [ClassStats; CostClass::ALL],
    overall: Ewma,
}

/// Below this many megapixels a render is dominated by fixed costs (headers, setup): its
/// rate per megapixel would be noise.
const MIN_MEGAPIXELS: f64 = 0.01;

impl CostModel {
    /// The expected render time of a job.
    pub(super) fn predict(&self, cost: &Cost) -> Duration {
        let class = cost.class.map(|c| self.classes[c.index()]);
        let per_mp = class.and_then(|s| s.per_megapixel.0);
        let secs = match (cost.megapixels, per_mp) {
            (Some(mp), Some(rate)) => Some(rate * mp.max(MIN_MEGAPIXELS)),
            _ => class.and_then(|s| s.per_job.0).or(self.overall.0),
        };
        Duration::from_secs_f64(secs.unwrap_or(0.0).clamp(0.0, 3600.0))
    }

    /// Learns from one measured render.
    pub(super) fn record(&mut self, cost: &Cost, took: Duration) {
        let secs = took.as_secs_f64();
        self.overall.add(secs);
        if let Some(class) = cost.class {
            let stats = &mut self.classes[class.index()];
            stats.per_job.add(secs);
            if let Some(mp) = cost.megapixels {
                stats.per_megapixel.add(secs / mp.max(MIN_MEGAPIXELS));
            }
        }
    }

    /// The mean render time over every job (for `Retry-After` when nothing is queued).
    pub(super) fn mean(&self) -> Duration {
        Duration::from_secs_f64(self.overall.0.unwrap_or(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_fresh_model_predicts_nothing_then_falls_back_from_specific_to_general() {
        let mut m = CostModel::default();
        let thumb = Cost::new(CostClass::Jpeg, Some(0.5));
        assert_eq!(m.predict(&thumb), Duration::ZERO);
        m.record(&Cost::new(CostClass::Webp, None), ms(80));
        // Nothing known of JPEG: the overall mean.
        assert_eq!(m.predict(&thumb), ms(80));
        m.record(&Cost::new(CostClass::Jpeg, None), ms(16));
        // JPEG's mean per job, its size unknown when it ran.
        assert_eq!(m.predict(&thumb), ms(16));
        m.record(&Cost::new(CostClass::Jpeg, Some(2.0)), ms(20));
        // Now a rate: 10 ms per megapixel.
        assert_eq!(m.predict(&thumb), ms(5));
        assert_eq!(m.predict(&Cost::new(CostClass::Jpeg, Some(36.0))), ms(360));
        // A job of unknown size in a known class: that class's mean per job.
        let mean = m.predict(&Cost::new(CostClass::Jpeg, None));
        assert!(mean > ms(16) && mean < ms(20), "{mean:?}");
        assert_eq!(m.predict(&Cost::default()), m.mean());
    }

    #[test]
    fn classes_learn_apart() {
        let mut m = CostModel::default();
        for _ in 0..20 {
            m.record(&Cost::new(CostClass::Avif, Some(1.0)), ms(400));
            m.record(&Cost::new(CostClass::Jpeg, Some(1.0)), ms(8));
        }
        let avif = m.predict(&Cost::new(CostClass::Avif, Some(0.25)));
        let jpeg = m.predict(&Cost::new(CostClass::Jpeg, Some(0.25)));
        assert_eq!(avif, ms(100));
        assert_eq!(jpeg, ms(2));
    }

    #[test]
    fn tiny_jobs_do_not_blow_up_the_rate() {
        let mut m = CostModel::default();
        m.record(&Cost::new(CostClass::Png, Some(0.0)), ms(1));
        // 1 ms over the 0.01 MP floor: 0.1 s per megapixel, not infinity.
        assert_eq!(m.predict(&Cost::new(CostClass::Png, Some(1.0))), ms(100));
    }
}
