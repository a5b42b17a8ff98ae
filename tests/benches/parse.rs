//! Typed parsing compared with `serde_json::Value` on the same bytes.
//!
//! The input is a JSON array of 1,012 real findings: the published fixtures
//! in `testdata/asff/`, repeated. Both benchmarks report bytes per second;
//! `docs/performance.md` records the ratio.

// Benchmark set-up: a failed expect is a broken benchmark, reported at once.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use soar_asff::{Event, Finding, LazyEvent};

const BATCH: usize = 1_000;

fn fixture_findings() -> Vec<serde_json::Value> {
    let dir = soar_tests::testdata().join("asff");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("testdata/asff is readable")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON"))
        .collect()
}

/// At least `BATCH` findings, as one pretty-printed JSON array.
fn batch_bytes() -> Vec<u8> {
    let fixtures = fixture_findings();
    let copies = BATCH.div_ceil(fixtures.len());
    let batch: Vec<_> = fixtures
        .iter()
        .cycle()
        .take(copies * fixtures.len())
        .collect();
    serde_json::to_vec_pretty(&batch).expect("serialisable")
}

fn parse(c: &mut Criterion) {
    let bytes = batch_bytes();
    let mut group = c.benchmark_group("asff_parse_batch");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("parses"))
    });
    group.bench_function("typed_finding", |b| {
        b.iter(|| serde_json::from_slice::<Vec<Finding>>(black_box(&bytes)).expect("parses"))
    });
    group.finish();

    // One EventBridge event carrying 100 findings, as Security Hub batches
    // them, with the members in the order AWS writes them (`detail` last).
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("JSON");
    let findings_json = serde_json::to_string(&findings[..100]).expect("serialisable");
    let header = r#""version":"0","id":"bench","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","account":"111122223333","time":"2026-01-01T00:00:00Z","region":"eu-west-1","resources":[]"#;
    let aws_order = format!(r#"{{{header},"detail":{{"findings":{findings_json}}}}}"#);
    // The same event with `detail` first, which takes the buffered path.
    let detail_first = format!(r#"{{"detail":{{"findings":{findings_json}}},{header}}}"#);
    let mut group = c.benchmark_group("eventbridge_parse_100_findings");
    group.throughput(Throughput::Bytes(aws_order.len() as u64));
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&aws_order)).expect("parses"))
    });
    group.bench_function("typed_event", |b| {
        b.iter(|| Event::parse(black_box(aws_order.as_bytes())).expect("parses"))
    });
    group.bench_function("typed_event_detail_first", |b| {
        b.iter(|| Event::parse(black_box(detail_first.as_bytes())).expect("parses"))
    });
    group.bench_function("lazy_event", |b| {
        b.iter(|| LazyEvent::parse(black_box(aws_order.as_bytes())).expect("parses"))
    });
    group.finish();

    // One compact event per published finding, as EventBridge delivers them
    // to a Lambda function or `soar process` reads them as JSON lines.
    let events: Vec<String> = findings
        .iter()
        .take(fixture_findings().len())
        .map(|finding| {
            format!(
                r#"{{{header},"detail":{{"findings":[{}]}}}}"#,
                serde_json::to_string(finding).expect("serialisable")
            )
        })
        .collect();
    let mut group = c.benchmark_group("eventbridge_parse_one_finding_events");
    group.throughput(Throughput::Bytes(
        events.iter().map(|e| e.len() as u64).sum(),
    ));
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for event in &events {
                black_box(
                    serde_json::from_str::<serde_json::Value>(black_box(event)).expect("parses"),
                );
            }
        })
    });
    group.bench_function("typed_event", |b| {
        b.iter(|| {
            for event in &events {
                black_box(Event::parse(black_box(event.as_bytes())).expect("parses"));
            }
        })
    });
    group.bench_function("lazy_event", |b| {
        b.iter(|| {
            for event in &events {
                black_box(LazyEvent::parse(black_box(event.as_bytes())).expect("parses"));
            }
        })
    });
    group.finish();

    // Writing back: typed findings and Values to JSON.
    let typed: Vec<Finding> = serde_json::from_slice(&bytes).expect("parses");
    let values: serde_json::Value = serde_json::from_slice(&bytes).expect("parses");
    let mut group = c.benchmark_group("asff_write_batch");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::to_vec(black_box(&values)).expect("writes"))
    });
    group.bench_function("typed_finding", |b| {
        b.iter(|| serde_json::to_vec(black_box(&typed)).expect("writes"))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
