//! What the scenario itself costs: `tui flow`'s steps 1–23 against the embedded stack (step 24
//! needs a Store whose ids rotate and is skipped), less the waits for the session to age and
//! expire and less the FusionAuth calls (three logins, each mostly one PBKDF2 hash). Goal: under
//! 200 ms.
//!
//! Each iteration is a whole run (about 2.5 s of it waiting), timed by the run's own report, so
//! criterion's statistics are over the active time alone.
//!
//! Run: `cargo bench -p tui --bench flow`.

use backend::stack::{SessionPolicy, Stack, StackConfig};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use std::time::Duration;
use tui::flow::{FlowOptions, Report, run};

const IDLE: Duration = Duration::from_secs(1);

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn scenario(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stack = runtime.block_on(async {
        Stack::start(StackConfig::ephemeral().with_policy(SessionPolicy {
            idle_timeout: IDLE,
            ..SessionPolicy::default()
        }))
        .await
        .expect("the embedded stack")
    });
    let mut options = FlowOptions::new(stack.store_url().clone(), stack.forums_url().clone());
    options.idle_timeout = Some(IDLE);
    let mut reports: Vec<Report> = Vec::new();

    let mut group = c.benchmark_group("flow");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(500));
    group.bench_function("scenario_less_waits_and_fusionauth", |b| {
        b.iter_custom(|iterations| {
            let mut active = Duration::ZERO;
            for _ in 0..iterations {
                let report = runtime
                    .block_on(run(&options, &mut |_| {}))
                    .expect("the run starts");
                assert!(report.passed, "{report:#?}");
                active += Duration::from_secs_f64(report.active_ms() / 1000.0);
                reports.push(report);
            }
            active
        })
    });
    group.finish();
    let of = |field: fn(&Report) -> f64| median(reports.iter().map(field).collect());
    eprintln!(
        "flow: {} runs; medians: total {:.0} ms = waits {:.0} ms + FusionAuth calls {:.1} ms + \
         the scenario itself {:.1} ms",
        reports.len(),
        of(|r| r.total_ms),
        of(|r| r.waited_ms),
        of(|r| r.fusionauth_ms),
        of(Report::active_ms),
    );
    runtime.block_on(stack.stop()).expect("stop");
}

criterion_group!(benches, scenario);
criterion_main!(benches);
