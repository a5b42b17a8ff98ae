//! The decision pipeline in findings per second, against parsing the same
//! bytes into `serde_json::Value` (the least any pipeline must do).
//!
//! Input: one `Security Hub Findings - Imported` event per published finding
//! in `testdata/asff/` (46 events). The pipeline runs with in-memory ports:
//! parse, Scratchpad, preprocessors, account and ticket lookups, decide(),
//! the failed-control chain with suppression rules, penalty and triage;
//! once with the findings built (`Event::parse`), once on the fast path
//! (`LazyEvent::parse`, findings decided without being built).

// Benchmark set-up: a failed expect is a broken benchmark, reported at once.
#![allow(clippy::expect_used)]

use std::collections::BTreeSet;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use soar_asff::{Event, LazyEvent};
use soar_core::ports::memory::{MemoryRecords, RecordingUpdater, StaticAccounts};
use soar_core::scoring::NoModel;
use soar_core::{AccountData, Config, Pipeline, Ports, Scratchpad};

fn events() -> Vec<Vec<u8>> {
    let dir = soar_tests::testdata().join("asff");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("testdata/asff")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let finding = std::fs::read_to_string(path).expect("fixture");
            format!(
                r#"{{"version":"0","id":"b","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","account":"111111111111","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{{"findings":[{finding}]}}}}"#
            )
            .into_bytes()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let events = events();
    let config = Config::from_json(
        r#"{"suppress_when": ["environment = sandbox", "policy_name = EC2.8 AND team = data"],
            "auto_remediation": {"enabled": true, "controls": ["*"], "suppress_when": ["resource_tag:keep = true"]},
            "reassign_accounts": false}"#,
    )
    .expect("config");
    let accounts =
        StaticAccounts::new(["111111111111", "123456789012", "111122223333"].map(|id| {
            AccountData {
                id: id.into(),
                environment: Some("prod".into()),
                team: Some("payments".into()),
                ..AccountData::default()
            }
        }));
    let (updater, records) = (RecordingUpdater::default(), MemoryRecords::default());
    let remediable: BTreeSet<String> = ["S3.8", "EC2.2", "S3.1"].map(String::from).into();
    let ports = Ports {
        accounts: &accounts,
        updater: &updater,
        records: &records,
        scorer: &NoModel,
        remediable: &remediable,
    };
    let pipeline = Pipeline::new(&config, ports);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    let mut group = c.benchmark_group("decision_pipeline");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("serde_json_value_parse_only", |b| {
        b.iter(|| {
            for bytes in &events {
                black_box(
                    serde_json::from_slice::<serde_json::Value>(black_box(bytes)).expect("parses"),
                );
            }
        })
    });
    // The findings built: `Event::parse`, a Scratchpad of a copy of each.
    group.bench_function("parse_decide_score", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for bytes in &events {
                    let event = Event::parse(black_box(bytes)).expect("parses");
                    for pad in Scratchpad::from_event(&event).expect("findings") {
                        black_box(pipeline.process(pad.finding).await.expect("decides"));
                    }
                }
            })
        })
    });
    // The fast path: each finding checked and read in place, decided
    // without being built.
    group.bench_function("lazy_parse_decide_score", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for bytes in &events {
                    let LazyEvent::Findings { findings, .. } =
                        LazyEvent::parse(black_box(bytes)).expect("parses")
                    else {
                        panic!("a Security Hub event");
                    };
                    for finding in findings {
                        black_box(pipeline.process(finding).await.expect("decides"));
                    }
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
