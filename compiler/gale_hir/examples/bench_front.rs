//! Times `gale_syntax::parse` and `gale_hir::lower` over a list of files (one path a
//! line in the file given as the first argument), repeated: a profiling aid.
//! `cargo run --release -p gale_hir --example bench_front -- LIST [ROUNDS [lower]]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts allocations, to see which stage allocates how often.
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(list) = args.first() else {
        eprintln!("usage: bench_front LIST [ROUNDS]");
        return;
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(21);
    let Ok(list) = std::fs::read_to_string(list) else {
        eprintln!("cannot read {list}");
        return;
    };
    let files: Vec<String> = list
        .lines()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let a0 = ALLOCS.load(Ordering::Relaxed);
    let parsed: Vec<_> = files.iter().map(|t| gale_syntax::parse(t)).collect();
    let a1 = ALLOCS.load(Ordering::Relaxed);
    for (p, text) in parsed.iter().zip(&files) {
        std::hint::black_box(gale_hir::lower(p.root.as_ref(), text));
    }
    let a2 = ALLOCS.load(Ordering::Relaxed);
    println!(
        "allocations (incl. reallocs) per round: parse {}, lower {}",
        a1 - a0,
        a2 - a1
    );
    let lower_only = args.get(2).is_some_and(|a| a == "lower");
    let mut parse = vec![Duration::ZERO];
    let mut lower = Vec::new();
    for _ in 0..rounds {
        if !lower_only {
            let t = Instant::now();
            for text in &files {
                std::hint::black_box(gale_syntax::parse(text));
            }
            parse.push(t.elapsed());
        }
        let t = Instant::now();
        for (p, text) in parsed.iter().zip(&files) {
            std::hint::black_box(gale_hir::lower(p.root.as_ref(), text));
        }
        lower.push(t.elapsed());
    }
    println!(
        "{} files: parse median {:.2} ms, lower median {:.2} ms",
        files.len(),
        median(parse).as_secs_f64() * 1e3,
        median(lower).as_secs_f64() * 1e3
    );
}
