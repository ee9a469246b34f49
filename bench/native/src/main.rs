//! Native parse throughput: `parse-bench <text_bytes> <chunk> <samples> <max_ms>` prints one JSON
//! line {"bodyBytes":..,"samplesMs":[..]} (ms per parse, one sample = the mean of a batch).
use std::time::Instant;

use mcp_edge_pool_parse_bench::{make_body, parse_once};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or(0))
        .collect();
    let text_bytes = args.first().copied().filter(|&n| n > 0).unwrap_or(1 << 20);
    let chunk = args.get(1).copied().filter(|&n| n > 0).unwrap_or(65536);
    let samples = args.get(2).copied().filter(|&n| n > 0).unwrap_or(5);
    let max_ms = args.get(3).copied().filter(|&n| n > 0).unwrap_or(3000) as f64;
    let body = make_body(text_bytes);
    let expect = parse_once(&body, chunk);
    assert!(expect > text_bytes, "the parse found no result");
    // Warm up, and size a batch to ~100 ms.
    let t = Instant::now();
    let mut n = 0usize;
    while t.elapsed().as_millis() < 100 || n < 3 {
        std::hint::black_box(parse_once(std::hint::black_box(&body), chunk));
        n += 1;
    }
    let batch = n.max(1);
    let started = Instant::now();
    let mut out = Vec::new();
    for _ in 0..samples {
        if started.elapsed().as_secs_f64() * 1000.0 > max_ms {
            break;
        }
        let t = Instant::now();
        for _ in 0..batch {
            assert_eq!(parse_once(std::hint::black_box(&body), chunk), expect);
        }
        out.push(t.elapsed().as_secs_f64() * 1000.0 / batch as f64);
    }
    let list: Vec<String> = out.iter().map(|v| format!("{v:.4}")).collect();
    println!(
        "{{\"bodyBytes\":{},\"batch\":{},\"samplesMs\":[{}]}}",
        body.len(),
        batch,
        list.join(",")
    );
}
