//! Timing helpers shared by the expression benchmarks (`yaql`, `jinja`): medians of
//! batches, no statistics crate.

use std::time::{Duration, Instant};

/// The median of `samples` (the upper one for an even count).
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Median time of one call of `f`, measured over batches sized to ~2 ms.
pub fn measure(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_millis(2) || n < 1 {
        f();
        n += 1;
    }
    let batch = n.max(1);
    let samples = (0..15)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed() / batch
        })
        .collect();
    median(samples)
}
